#include "pipeline/transport/envelope.h"

#include <string>

namespace sortline::transport {

Status CheckSchemaVersion(uint32_t version, uint32_t oldest, uint32_t current) {
  if (version >= oldest && version <= current) return Status::Ok();
  const std::string range = "this build accepts versions " + std::to_string(oldest) +
                            " (oldest supported) to " + std::to_string(current) + " (current)";
  if (version == 0) return InvalidArgument("envelope without a schema version (" + range + ")");
  if (version < oldest) {
    return InvalidArgument("schema version " + std::to_string(version) +
                           " is older than this build supports (" + range +
                           "): upgrade the sending daemon");
  }
  return InvalidArgument("schema version " + std::to_string(version) +
                         " is newer than this build speaks (" + range + "): upgrade this daemon");
}

Status CheckSchemaVersion(uint32_t version) {
  return CheckSchemaVersion(version, wire_version::kOldestSupported, wire_version::kCurrent);
}

}  // namespace sortline::transport
