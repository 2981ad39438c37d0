// Encoding and decoding of the wire envelopes (proto/wire.proto), with the schema
// version check every peer applies.
//
// Thread-safety: pure functions.
#ifndef PIPELINE_TRANSPORT_ENVELOPE_H_
#define PIPELINE_TRANSPORT_ENVELOPE_H_

#include <cstdint>
#include <limits>
#include <string>
#include <string_view>

#include "pipeline/base/result.h"
#include "proto/wire.pb.h"

namespace sortline::transport {

// Serializes `message` after setting its schema_version to the current one. Takes the
// message by value: move a message you no longer need instead of copying it.
template <typename Envelope>
std::string Encode(Envelope message) {
  message.set_schema_version(v1::SCHEMA_VERSION_CURRENT);
  return message.SerializeAsString();
}

// Status for a decoded envelope's version: kInvalidArgument for one we do not speak.
Status CheckSchemaVersion(uint32_t version);

// Parses `payload` as `Envelope`; kInvalidArgument when it is not one, or carries a
// schema version this build does not speak.
template <typename Envelope>
Result<Envelope> Decode(std::string_view payload) {
  Envelope message;
  if (payload.size() > static_cast<size_t>(std::numeric_limits<int>::max()) ||
      !message.ParseFromArray(payload.data(), static_cast<int>(payload.size()))) {
    return InvalidArgument("malformed " + std::string(Envelope::descriptor()->name()) +
                           " envelope");
  }
  SORTLINE_RETURN_IF_ERROR(CheckSchemaVersion(message.schema_version()));
  return message;
}

}  // namespace sortline::transport

#endif  // PIPELINE_TRANSPORT_ENVELOPE_H_
