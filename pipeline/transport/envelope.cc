#include "pipeline/transport/envelope.h"

#include <string>

namespace sortline::transport {

Status CheckSchemaVersion(uint32_t version) {
  if (version == static_cast<uint32_t>(v1::SCHEMA_VERSION_CURRENT)) return Status::Ok();
  return InvalidArgument("schema version " + std::to_string(version) +
                         " not supported (this build speaks " +
                         std::to_string(static_cast<uint32_t>(v1::SCHEMA_VERSION_CURRENT)) + ")");
}

}  // namespace sortline::transport
