// How long each stage of the pipeline took (issue 12's report): decode, validate and
// assign per order, render per order or per batch, the label write per batch, and the
// dock's acknowledgement per batch, as histograms of one fixed bucket scheme so that
// they add up across leases, workers and runs.
//
// How they travel: a worker times each lease into a StageTimings and sends it with the
// lease's WorkDone; intake adds every WorkDone's timings into its running total and
// answers a submitter's stage_timings question with it; the submitter asks before its
// first batch and after its last is complete, and keeps the difference
// (TimingsBetween): the work done while it ran. Over one submission at a time
// (a festival run, `sortline run`) that is exactly its own work; concurrent submissions
// to one intake share their timings, and an intake restart during the run leaves the
// summary without timings rather than with wrong ones.
//
// Thread-safety: StageTimings::Record is thread-safe (relaxed atomics; one call per
// observation from any TBB thread); AddTo may run while others Record (it sees each
// bucket whole). A TimingWindow has one owner. The free functions are pure.
#ifndef PIPELINE_RUNTIME_STAGE_TIMINGS_H_
#define PIPELINE_RUNTIME_STAGE_TIMINGS_H_

#include <array>
#include <chrono>
#include <memory>
#include <string>

#include "pipeline/flow/order_flow.h"
#include "pipeline/metrics/metrics.h"
#include "proto/report.pb.h"

namespace sortline::runtime {

// The one bucket scheme: 0.1 µs growing by a quarter per bucket to about 9 minutes,
// then one open-ended bucket. A quarter keeps an interpolated percentile within about
// 12 %; validate and assign take about a microsecond per order.
inline constexpr double kTimingFirstBoundUs = 0.1;
inline constexpr double kTimingGrowth = 1.25;
inline constexpr int kTimingBuckets = 100;

using StageTimingList = google::protobuf::RepeatedPtrField<v1::StageTiming>;

// The flow's stages (flow::Stage) and the dock's acknowledgement of a lease's records.
class StageTimings final : public flow::StageTimer {
 public:
  // `render_per_order`: labels are rendered one per parcel (else one PDF per batch).
  explicit StageTimings(bool render_per_order = false);
  StageTimings(const StageTimings&) = delete;
  StageTimings& operator=(const StageTimings&) = delete;

  void Record(flow::Stage stage, std::chrono::nanoseconds took) override;
  // From sending a lease's records to dock until dock acknowledged their commit.
  void RecordDockAck(std::chrono::nanoseconds took);

  // Adds the stages observed at least once into `into` (AddTimings).
  void AddTo(StageTimingList* into) const;

 private:
  static constexpr int kDockAck = static_cast<int>(flow::Stage::kWrite) + 1;
  static constexpr int kStageCount = kDockAck + 1;

  const bool render_per_order_;
  std::array<std::unique_ptr<metrics::Histogram>, kStageCount> histograms_;
};

// Adds `from` into `into`, stage by stage: counts of a stage of the same name and bucket
// scheme are summed, anything else is appended as it is.
void AddTimings(const StageTimingList& from, StageTimingList* into);

// What was observed between two readings of one running total: `later` minus
// `earlier`, stage by stage. Empty when `later` is not a continuation of `earlier` (a
// count went down: the total was restarted in between).
StageTimingList TimingsBetween(const StageTimingList& earlier, const StageTimingList& later);

// The submitter's side: the first and the last running total intake reported, and
// what was observed between them.
class TimingWindow {
 public:
  void Note(const StageTimingList& total);
  StageTimingList Between() const { return TimingsBetween(first_, last_); }

 private:
  bool noted_ = false;
  StageTimingList first_;
  StageTimingList last_;
};

}  // namespace sortline::runtime

#endif  // PIPELINE_RUNTIME_STAGE_TIMINGS_H_
