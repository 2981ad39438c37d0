#include "pipeline/model/surge.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace sortline::model {

Status CheckSurgeOptions(const SurgeOptions& options) {
  if (!(options.minutes > 0)) return InvalidArgument("--minutes must be positive");
  if (!(options.base_rate > 0)) return InvalidArgument("--base-rate must be positive");
  if (!(options.peak_factor >= 1)) return InvalidArgument("--peak-factor must be at least 1");
  if (!(options.batch_seconds > 0)) return InvalidArgument("--batch-seconds must be positive");
  if (!(0 <= options.ramp_start && options.ramp_start <= options.plateau_start &&
        options.plateau_start <= options.decline_start &&
        options.decline_start <= options.decline_end && options.decline_end <= 1)) {
    return InvalidArgument("the surge's phase boundaries must ascend within [0, 1]");
  }
  return Status::Ok();
}

double SurgeFactor(const SurgeOptions& options, double seconds) {
  const double length = options.minutes * 60;
  if (seconds < 0 || seconds > length) return 1;
  const double at = seconds / length;
  const double peak = options.peak_factor;
  if (at < options.ramp_start || at >= options.decline_end) return 1;
  if (at < options.plateau_start) {
    return 1 +
           (peak - 1) * (at - options.ramp_start) / (options.plateau_start - options.ramp_start);
  }
  if (at < options.decline_start) return peak;
  return peak -
         (peak - 1) * (at - options.decline_start) / (options.decline_end - options.decline_start);
}

std::string_view SurgePhase(const SurgeOptions& options, double seconds) {
  const double at = seconds / (options.minutes * 60);
  if (at < options.ramp_start) return "baseline";
  if (at < options.plateau_start) return "ramp";
  if (at < options.decline_start) return "plateau";
  if (at < options.decline_end) return "decline";
  return "after";
}

std::vector<SurgeBatch> SurgeSchedule(const SurgeOptions& options) {
  std::vector<SurgeBatch> batches;
  if (!CheckSurgeOptions(options).ok()) return batches;
  const double length = options.minutes * 60;
  double arrived = 0;  // the integral of the rate so far
  uint64_t issued = 0;
  for (uint32_t index = 0;; ++index) {
    const double begin = index * options.batch_seconds;
    if (begin >= length - 1e-9) break;
    const double end = std::min(length, begin + options.batch_seconds);
    // Phase boundaries may fall inside the interval: integrate in a few slices (the
    // profile is piecewise linear, so the midpoint of each slice is nearly exact).
    constexpr int kSlices = 16;
    double sum = 0;
    for (int s = 0; s < kSlices; ++s) {
      const double a = begin + (end - begin) * s / kSlices;
      const double b = begin + (end - begin) * (s + 1) / kSlices;
      sum += SurgeFactor(options, (a + b) / 2) * (b - a);
    }
    arrived += options.base_rate * sum;
    const auto due = static_cast<uint64_t>(std::llround(arrived));
    SurgeBatch batch;
    batch.index = index;
    batch.offset_ms = std::llround(begin * 1000);
    batch.first_order = issued;
    batch.orders = static_cast<uint32_t>(due - issued);
    batch.factor = SurgeFactor(options, (begin + end) / 2);
    batch.phase = std::string(SurgePhase(options, (begin + end) / 2));
    issued = due;
    batches.push_back(std::move(batch));
  }
  return batches;
}

std::string SurgeBatchToJson(const SurgeBatch& batch) {
  char line[256];
  std::snprintf(line, sizeof line,
                "{\"batch\":%u,\"offset_ms\":%lld,\"first_order\":%llu,\"orders\":%u,"
                "\"factor\":%.4g,\"phase\":\"%s\"}",
                batch.index, static_cast<long long>(batch.offset_ms),
                static_cast<unsigned long long>(batch.first_order), batch.orders, batch.factor,
                batch.phase.c_str());
  return line;
}

}  // namespace sortline::model
