// A log sink that a flood cannot flood: at most `burst` lines pass per period, the rest
// are counted and reported in one line when the next period lets lines through again.
//
// Thread-safety: thread-safe; lines are passed to the sink one at a time.
#ifndef PIPELINE_BASE_RATE_LIMITED_LOG_H_
#define PIPELINE_BASE_RATE_LIMITED_LOG_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

#include "pipeline/base/clock.h"
#include "pipeline/base/log.h"
#include "pipeline/base/thread_annotations.h"

namespace sortline {

struct RateLimit {
  int burst = 10;  // lines let through per period
  std::chrono::milliseconds period{10'000};
};

class RateLimitedLog {
 public:
  // `clock` is borrowed and must outlive this object. A null `sink` is silent, as
  // everywhere else.
  RateLimitedLog(LogSink sink, RateLimit limit, const Clock& clock = SystemClock());
  RateLimitedLog(const RateLimitedLog&) = delete;
  RateLimitedLog& operator=(const RateLimitedLog&) = delete;

  // Passes the message to the sink unless this period's burst is spent. The first line of
  // a later period is preceded by "N similar lines suppressed" (a warning) when any were.
  void Log(LogLevel level, std::string_view component, std::string_view message);

  // Lines suppressed since the object was made.
  uint64_t suppressed_total() const;

 private:
  const LogSink sink_;
  const RateLimit limit_;
  const Clock& clock_;
  mutable Mutex mu_;
  std::chrono::steady_clock::time_point period_start_ GUARDED_BY(mu_){};
  int passed_ GUARDED_BY(mu_) = 0;           // in this period
  uint64_t suppressed_ GUARDED_BY(mu_) = 0;  // since the last line that passed
  uint64_t suppressed_total_ GUARDED_BY(mu_) = 0;
  bool started_ GUARDED_BY(mu_) = false;
};

}  // namespace sortline

#endif  // PIPELINE_BASE_RATE_LIMITED_LOG_H_
