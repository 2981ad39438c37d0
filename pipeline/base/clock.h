// Clock: where time comes from, so tests can drive it.
//
// Thread-safety: implementations must be safe to call from any thread.
#ifndef PIPELINE_BASE_CLOCK_H_
#define PIPELINE_BASE_CLOCK_H_

#include <chrono>
#include <cstdint>

namespace sortline {

class Clock {
 public:
  virtual ~Clock() = default;
  // Monotonic time for durations, timeouts and rates.
  virtual std::chrono::steady_clock::time_point Now() const = 0;
  // Wall-clock time in milliseconds since the Unix epoch, for records and leases.
  virtual int64_t UnixMillis() const = 0;
};

// The process's real clocks. Never destroyed.
Clock& SystemClock();

}  // namespace sortline

#endif  // PIPELINE_BASE_CLOCK_H_
