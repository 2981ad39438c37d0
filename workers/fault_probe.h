// Fault injection for the fault tests: `--fault-kill-at POINT[:N]` makes a daemon kill
// itself with SIGKILL the N-th time it reaches POINT, so a test can stop it at an exact
// step (e.g. between a commit and its acknowledgement) instead of at a random moment.
//
// Thread-safety: the returned probe may be called from any thread.
#ifndef WORKERS_FAULT_PROBE_H_
#define WORKERS_FAULT_PROBE_H_

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "pipeline/base/result.h"

namespace sortline::cli {

using Probe = std::function<void(std::string_view point)>;

// Parses "POINT" or "POINT:N" (N >= 1, default 1). POINT must be one of `points`.
// An empty spec gives a null probe (no fault injection). kInvalidArgument otherwise.
Result<Probe> KillAtProbe(const std::string& spec, const std::vector<std::string>& points);

}  // namespace sortline::cli

#endif  // WORKERS_FAULT_PROBE_H_
