#include "pipeline/base/rate_limited_log.h"

#include <utility>

namespace sortline {

RateLimitedLog::RateLimitedLog(LogSink sink, RateLimit limit, const Clock& clock)
    : sink_(std::move(sink)), limit_(limit), clock_(clock) {}

void RateLimitedLog::Log(LogLevel level, std::string_view component, std::string_view message) {
  if (!sink_) return;
  MutexLock lock(mu_);
  const auto now = clock_.Now();
  if (!started_ || now - period_start_ >= limit_.period) {
    started_ = true;
    period_start_ = now;
    passed_ = 0;
  }
  if (passed_ >= limit_.burst) {
    ++suppressed_;
    ++suppressed_total_;
    return;
  }
  ++passed_;
  if (suppressed_ > 0) {
    sink_(LogLevel::kWarning, component,
          std::to_string(suppressed_) + " similar lines suppressed (more than " +
              std::to_string(limit_.burst) + " in " + std::to_string(limit_.period.count()) +
              " ms)");
    suppressed_ = 0;
  }
  sink_(level, component, message);
}

uint64_t RateLimitedLog::suppressed_total() const {
  MutexLock lock(mu_);
  return suppressed_total_;
}

}  // namespace sortline
