#include "pipeline/runtime/progress.h"

#include <algorithm>
#include <cinttypes>

#include "pipeline/base/text.h"

namespace sortline::runtime {
namespace {

constexpr int kBarWidth = 28;
constexpr std::chrono::milliseconds kBarPeriod{100};

std::string Duration(double seconds) {
  if (seconds < 0) return "?";
  uint64_t s = static_cast<uint64_t>(seconds + 0.5);
  char buf[32];
  if (s >= 3600) {
    std::snprintf(buf, sizeof buf, "%" PRIu64 "h%02" PRIu64 "m", s / 3600, (s / 60) % 60);
  } else if (s >= 60) {
    std::snprintf(buf, sizeof buf, "%" PRIu64 "m%02" PRIu64 "s", s / 60, s % 60);
  } else {
    std::snprintf(buf, sizeof buf, "%" PRIu64 "s", s);
  }
  return buf;
}

}  // namespace

Progress::Progress(const ProgressOptions& options, Clock& clock)
    : options_(options), clock_(clock), start_(clock.Now()) {}

void Progress::Update(uint64_t done, uint64_t failed) {
  done_ = done;
  failed_ = failed;
  if (options_.out == nullptr) return;
  auto now = clock_.Now();
  auto period = options_.terminal ? kBarPeriod : options_.interval;
  if (now - last_draw_ < period) return;
  last_draw_ = now;
  if (options_.terminal) {
    std::fprintf(options_.out, "\r%s\x1b[K", Render(true).c_str());
  } else {
    std::fprintf(options_.out, "%s\n", Render(false).c_str());
  }
  drawn_done_ = done_;
  drawn_failed_ = failed_;
  std::fflush(options_.out);
}

void Progress::Finish() {
  if (options_.out == nullptr) return;
  if (options_.terminal) {
    std::fprintf(options_.out, "\r%s\x1b[K\n", Render(true).c_str());
  } else if (drawn_done_ != done_ || drawn_failed_ != failed_) {
    std::fprintf(options_.out, "%s\n", Render(false).c_str());
  }
  std::fflush(options_.out);
}

std::string Progress::Render(bool with_bar) const {
  double elapsed = std::chrono::duration<double>(clock_.Now() - start_).count();
  double rate = elapsed > 0 ? static_cast<double>(done_) / elapsed : 0;
  const uint64_t total = total_ > 0 ? std::max(total_, done_) : 0;
  std::string line;
  if (with_bar) {
    int filled =
        total > 0 ? static_cast<int>(kBarWidth * std::min<double>(1.0, 1.0 * done_ / total)) : 0;
    line += '[';
    line.append(static_cast<size_t>(filled), '#');
    line.append(static_cast<size_t>(kBarWidth - filled), '.');
    line += "] ";
  }
  line += GroupThousands(done_);
  if (total > 0) line += "/" + GroupThousands(total);
  line += " " + options_.label;
  if (failed_ > 0) line += " (" + GroupThousands(failed_) + " failed)";
  line += "  " + GroupThousands(static_cast<uint64_t>(rate)) + "/s";
  line += "  elapsed " + Duration(elapsed);
  if (total > 0 && done_ < total && rate > 0) {
    line += "  ETA " + Duration(static_cast<double>(total - done_) / rate);
  }
  return line;
}

}  // namespace sortline::runtime
