// The festival surge profile (issue 16): how orders arrive over a compressed festival
// day, as batches on a schedule, for the rehearsal to submit in real time.
//
// Thread-safety: every function here is pure.
#ifndef PIPELINE_MODEL_SURGE_H_
#define PIPELINE_MODEL_SURGE_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "pipeline/base/status.h"

namespace sortline::model {

// A baseline, a linear ramp to peak_factor × the baseline at the festival's opening, a
// plateau, a linear decline back to the baseline, and the baseline again. The phase
// boundaries are fractions of the run, so a 2-minute and a 30-minute rehearsal have the
// same shape.
struct SurgeOptions {
  double minutes = 30;
  double base_rate = 25;     // orders per second at the baseline (factor 1)
  double peak_factor = 10;   // the plateau's rate over the baseline
  double batch_seconds = 1;  // one batch every this many seconds
  double ramp_start = 0.20;
  double plateau_start = 0.30;
  double decline_start = 0.55;
  double decline_end = 0.75;
};

// OK when the options make a profile: positive minutes, rate and batch length, a peak
// factor of at least 1, phase boundaries ascending within [0, 1]. Else kInvalidArgument
// naming the option.
Status CheckSurgeOptions(const SurgeOptions& options);

// The rate over the baseline at `seconds` into the run (1 at the baseline, peak_factor
// on the plateau, linear in between). Outside the run: 1.
double SurgeFactor(const SurgeOptions& options, double seconds);

// "baseline", "ramp", "plateau", "decline" or "after" at `seconds` into the run.
std::string_view SurgePhase(const SurgeOptions& options, double seconds);

struct SurgeBatch {
  uint32_t index = 0;
  int64_t offset_ms = 0;     // when the batch is due, from the start of the run
  uint64_t first_order = 0;  // index of its first order in the orders file (0-based line)
  uint32_t orders = 0;
  double factor = 1;  // SurgeFactor at the middle of the batch's interval
  std::string phase;  // SurgePhase there
};

// One batch every batch_seconds over the run. Each holds the orders that arrive in its
// interval (the rate integrated over it, exactly, by the midpoint rule on a linear
// profile), rounded so the running total never drifts from the integral by more than
// one order. Batches are consecutive in the orders file. Empty when the options are
// invalid.
std::vector<SurgeBatch> SurgeSchedule(const SurgeOptions& options);

// One line of a schedule file, no newline: {"batch":0,"offset_ms":0,"first_order":0,
// "orders":25,"factor":1,"phase":"baseline"}.
std::string SurgeBatchToJson(const SurgeBatch& batch);

}  // namespace sortline::model

#endif  // PIPELINE_MODEL_SURGE_H_
