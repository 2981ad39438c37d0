#include "workers/fault_probe.h"

#include <algorithm>
#include <atomic>
#include <charconv>
#include <memory>

#include <signal.h>

namespace sortline::cli {

Result<Probe> KillAtProbe(const std::string& spec, const std::vector<std::string>& points) {
  if (spec.empty()) return Probe();
  std::string point = spec;
  long count = 1;
  if (size_t colon = spec.find(':'); colon != std::string::npos) {
    point = spec.substr(0, colon);
    std::string_view digits = std::string_view(spec).substr(colon + 1);
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), count);
    if (ec != std::errc() || end != digits.data() + digits.size() || count < 1) {
      return InvalidArgument("--fault-kill-at " + spec + ": N must be a positive integer");
    }
  }
  if (std::find(points.begin(), points.end(), point) == points.end()) {
    std::string known;
    for (const std::string& p : points) known += (known.empty() ? "" : ", ") + p;
    return InvalidArgument("--fault-kill-at " + spec + ": unknown point; known: " + known);
  }
  auto remaining = std::make_shared<std::atomic<long>>(count);
  return Probe([point, remaining](std::string_view reached) {
    if (reached == point && remaining->fetch_sub(1) == 1) ::raise(SIGKILL);
  });
}

}  // namespace sortline::cli
