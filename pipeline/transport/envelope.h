// Encoding and decoding of the wire envelopes (proto/wire.proto), with the schema
// version check every peer applies.
//
// A build accepts every envelope version from kOldestSupported to kCurrent and writes
// kWritten, so the daemons of two consecutive releases understand each other while a
// Kubernetes rolling update replaces them one at a time. What bumps a version, how a
// bump is released and how long an old version stays accepted: docs/formats.md.
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

// The range of envelope schema versions this build accepts, and the one it writes.
namespace wire_version {
// The newest version this build reads.
inline constexpr uint32_t kCurrent = v1::SCHEMA_VERSION_CURRENT;
// The oldest version this build still reads: kept for at least one release after a bump,
// so the daemons of two consecutive releases understand each other during an update.
inline constexpr uint32_t kOldestSupported = 1;
// The version Encode stamps. kCurrent, except in the release that introduces a version:
// that one reads it but still writes the previous one, so that peers not yet upgraded
// (which cannot read it) understand everything it sends.
inline constexpr uint32_t kWritten = kCurrent;
static_assert(kOldestSupported >= 1, "version 0 is an envelope without a version");
static_assert(kOldestSupported <= kWritten && kWritten <= kCurrent,
              "a build writes a version it reads");
}  // namespace wire_version

// Serializes `message` after setting its schema_version to wire_version::kWritten. Takes
// the message by value: move a message you no longer need instead of copying it.
template <typename Envelope>
std::string Encode(Envelope message) {
  message.set_schema_version(wire_version::kWritten);
  return message.SerializeAsString();
}

// Status for a decoded envelope's version: kInvalidArgument, naming the version and the
// range accepted, for one outside `oldest` ... `current` (0 is an envelope without a
// version). The one-argument form checks this build's range, wire_version's.
Status CheckSchemaVersion(uint32_t version, uint32_t oldest, uint32_t current);
Status CheckSchemaVersion(uint32_t version);

// Parses `payload` as `Envelope`; kInvalidArgument when it is not one, or carries a
// schema version outside the range this build accepts.
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
