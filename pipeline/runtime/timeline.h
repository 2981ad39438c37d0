// The run's timeline for the report: the submitter's running counts (read, journaled,
// settled, failed), kept about once a second. Costs one comparison per call and one
// small message per interval, so it is always on.
//
// Thread-safety: not thread-safe; one owner (the submitter's thread).
#ifndef PIPELINE_RUNTIME_TIMELINE_H_
#define PIPELINE_RUNTIME_TIMELINE_H_

#include <chrono>
#include <cstdint>

#include "pipeline/base/clock.h"
#include "proto/report.pb.h"

namespace sortline::runtime {

class Timeline {
 public:
  // Time zero is now; the first point is all zeros at time zero.
  explicit Timeline(std::chrono::milliseconds interval = std::chrono::seconds(1),
                    Clock& clock = SystemClock());

  // Keeps the counts when `interval` has passed since the last point kept.
  void Observe(uint64_t read, uint64_t accepted, uint64_t finished, uint64_t failed);
  // Keeps the final counts whatever the time, and moves every point into
  // `summary.timeline` (replacing what was there).
  void FinishInto(uint64_t read, uint64_t accepted, uint64_t finished, uint64_t failed,
                  v1::RunSummary& summary);

 private:
  void Keep(std::chrono::steady_clock::time_point now, uint64_t read, uint64_t accepted,
            uint64_t finished, uint64_t failed);

  const std::chrono::milliseconds interval_;
  Clock& clock_;
  const std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_{};
  google::protobuf::RepeatedPtrField<v1::TimelinePoint> points_;
};

}  // namespace sortline::runtime

#endif  // PIPELINE_RUNTIME_TIMELINE_H_
