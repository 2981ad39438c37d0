// Progress of a long batch for the person running it: on a terminal a redrawn bar
// (orders done, rate, time left); otherwise one plain line per interval, for logs.
//
// Thread-safety: not thread-safe; one owner.
#ifndef PIPELINE_RUNTIME_PROGRESS_H_
#define PIPELINE_RUNTIME_PROGRESS_H_

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>

#include "pipeline/base/clock.h"

namespace sortline::runtime {

struct ProgressOptions {
  std::FILE* out = nullptr;                  // where to draw; nullptr: silent
  bool terminal = false;                     // redraw one line with a bar instead of printing lines
  std::chrono::milliseconds interval{1000};  // plain-line period; the bar redraws at 10 Hz
  std::string label = "orders";
};

class Progress {
 public:
  Progress(const ProgressOptions& options, Clock& clock = SystemClock());
  // Sets the total, known from the start where it can be (a file is counted before it
  // is sent); 0 = unknown. Callers without a count (a pipe) may raise it as they read.
  void SetTotal(uint64_t total) { total_ = total; }
  // Reports `done` finished (of which `failed` failed); draws when due. A line never
  // shows more done than its total: should `done` pass the total (a caller's bug), the
  // total shown is raised to it rather than drawing "47/45".
  void Update(uint64_t done, uint64_t failed);
  // Draws the final state and ends the bar's line.
  void Finish();

  // "[#####.....]  5,000/10,000 orders  2,431/s  ETA 2s" without colour codes.
  std::string Render(bool with_bar) const;

 private:
  ProgressOptions options_;
  Clock& clock_;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_draw_{};
  uint64_t total_ = 0;
  uint64_t done_ = 0;
  uint64_t failed_ = 0;
  uint64_t drawn_done_ = UINT64_MAX;  // state of the last plain line, so Finish
  uint64_t drawn_failed_ = 0;         // does not print it twice
};

}  // namespace sortline::runtime

#endif  // PIPELINE_RUNTIME_PROGRESS_H_
