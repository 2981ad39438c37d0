#include "pipeline/runtime/stage_timings.h"

#include <algorithm>

namespace sortline::runtime {
namespace {

bool SameScheme(const v1::StageTiming& a, const v1::StageTiming& b) {
  return a.stage() == b.stage() && a.unit() == b.unit() &&
         a.first_bound_us() == b.first_bound_us() && a.growth() == b.growth() &&
         a.buckets() == b.buckets();
}

v1::StageTiming* Find(StageTimingList* list, const v1::StageTiming& like) {
  for (v1::StageTiming& t : *list) {
    if (SameScheme(t, like)) return &t;
  }
  return nullptr;
}

void TrimTrailingZeros(v1::StageTiming& t) {
  while (t.counts_size() > 0 && t.counts(t.counts_size() - 1) == 0)
    t.mutable_counts()->RemoveLast();
}

}  // namespace

StageTimings::StageTimings(bool render_per_order) : render_per_order_(render_per_order) {
  for (auto& h : histograms_) {
    h = std::make_unique<metrics::Histogram>(metrics::Histogram::ExponentialBounds(
        kTimingFirstBoundUs, kTimingGrowth, kTimingBuckets - 1));
  }
}

void StageTimings::Record(flow::Stage stage, std::chrono::nanoseconds took) {
  histograms_[static_cast<size_t>(stage)]->Observe(static_cast<double>(took.count()) / 1000.0);
}

void StageTimings::RecordDockAck(std::chrono::nanoseconds took) {
  histograms_[kDockAck]->Observe(static_cast<double>(took.count()) / 1000.0);
}

void StageTimings::AddTo(StageTimingList* into) const {
  // Names and units in the order of flow::Stage, then the dock's acknowledgement.
  static constexpr const char* kNames[kStageCount] = {"decode", "validate", "assign",
                                                      "render", "write",    "dock_ack"};
  const int render = static_cast<int>(flow::Stage::kRender);
  const int assign = static_cast<int>(flow::Stage::kAssign);
  StageTimingList mine;
  for (int s = 0; s < kStageCount; ++s) {
    const metrics::Histogram::Snapshot snapshot = histograms_[static_cast<size_t>(s)]->Read();
    if (snapshot.count == 0) continue;
    v1::StageTiming* t = mine.Add();
    t->set_stage(kNames[s]);
    t->set_unit(s == render ? (render_per_order_ ? "order" : "batch")
                            : (s <= assign ? "order" : "batch"));
    t->set_first_bound_us(kTimingFirstBoundUs);
    t->set_growth(kTimingGrowth);
    t->set_buckets(kTimingBuckets);
    for (uint64_t c : snapshot.counts) t->add_counts(c);
    TrimTrailingZeros(*t);
    t->set_count(snapshot.count);
    t->set_sum_us(snapshot.sum);
  }
  AddTimings(mine, into);
}

void AddTimings(const StageTimingList& from, StageTimingList* into) {
  for (const v1::StageTiming& t : from) {
    v1::StageTiming* sum = Find(into, t);
    if (sum == nullptr) {
      *into->Add() = t;
      continue;
    }
    for (int i = 0; i < t.counts_size(); ++i) {
      if (i < sum->counts_size()) {
        sum->set_counts(i, sum->counts(i) + t.counts(i));
      } else {
        sum->add_counts(t.counts(i));
      }
    }
    sum->set_count(sum->count() + t.count());
    sum->set_sum_us(sum->sum_us() + t.sum_us());
  }
}

StageTimingList TimingsBetween(const StageTimingList& earlier, const StageTimingList& later) {
  StageTimingList between;
  for (const v1::StageTiming& t : later) {
    v1::StageTiming* d = between.Add();
    *d = t;
    const v1::StageTiming* before = nullptr;
    for (const v1::StageTiming& e : earlier) {
      if (SameScheme(e, t)) before = &e;
    }
    if (before == nullptr) continue;
    if (before->count() > t.count() || before->counts_size() > t.counts_size()) return {};
    for (int i = 0; i < before->counts_size(); ++i) {
      if (before->counts(i) > t.counts(i)) return {};
      d->set_counts(i, t.counts(i) - before->counts(i));
    }
    d->set_count(t.count() - before->count());
    d->set_sum_us(std::max(0.0, t.sum_us() - before->sum_us()));
    TrimTrailingZeros(*d);
    if (d->count() == 0) between.RemoveLast();
  }
  // A stage the earlier reading had and the later one lacks: restarted.
  for (const v1::StageTiming& e : earlier) {
    const bool kept = std::any_of(later.begin(), later.end(),
                                  [&](const v1::StageTiming& t) { return SameScheme(e, t); });
    if (!kept) return {};
  }
  return between;
}

void TimingWindow::Note(const StageTimingList& total) {
  if (!noted_) {
    first_ = total;
    noted_ = true;
  }
  last_ = total;
}

}  // namespace sortline::runtime
