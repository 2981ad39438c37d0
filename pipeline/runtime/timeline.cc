#include "pipeline/runtime/timeline.h"

namespace sortline::runtime {

Timeline::Timeline(std::chrono::milliseconds interval, Clock& clock)
    : interval_(interval), clock_(clock), start_(clock.Now()) {
  Keep(start_, 0, 0, 0, 0);
}

void Timeline::Observe(uint64_t read, uint64_t accepted, uint64_t finished, uint64_t failed) {
  const auto now = clock_.Now();
  if (now - last_ < interval_) return;
  Keep(now, read, accepted, finished, failed);
}

void Timeline::FinishInto(uint64_t read, uint64_t accepted, uint64_t finished, uint64_t failed,
                          v1::RunSummary& summary) {
  Keep(clock_.Now(), read, accepted, finished, failed);
  summary.mutable_timeline()->Swap(&points_);
  points_.Clear();
}

void Timeline::Keep(std::chrono::steady_clock::time_point now, uint64_t read, uint64_t accepted,
                    uint64_t finished, uint64_t failed) {
  v1::TimelinePoint* point = points_.Add();
  point->set_seconds(std::chrono::duration<double>(now - start_).count());
  point->set_read(read);
  point->set_accepted(accepted);
  point->set_finished(finished);
  point->set_failed(failed);
  last_ = now;
}

}  // namespace sortline::runtime
