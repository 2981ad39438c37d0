#include "pipeline/transport/envelope.h"

#include <string>

namespace sortline::transport {

Status CheckSchemaVersion(uint32_t version) {
  using wire_version::kCurrent;
  using wire_version::kOldestSupported;
  if (version >= kOldestSupported && version <= kCurrent) return Status::Ok();
  const std::string range = "this build accepts versions " + std::to_string(kOldestSupported) +
                            " (oldest supported) to " + std::to_string(kCurrent) + " (current)";
  if (version == 0) return InvalidArgument("envelope without a schema version (" + range + ")");
  if (version < kOldestSupported) {
    return InvalidArgument("schema version " + std::to_string(version) +
                           " is older than this build supports (" + range +
                           "): upgrade the sending daemon");
  }
  return InvalidArgument("schema version " + std::to_string(version) +
                         " is newer than this build speaks (" + range + "): upgrade this daemon");
}

}  // namespace sortline::transport
