// The measuring half of the C++ peers of bench/suite.sh, so each peer program holds only
// its way of drawing the reference label: arguments, the optional sample file, the timed
// loop (labels per CPU second of this process) and the one-line JSON result, the same as
// reportlab_label.py and node/label.js print.
//
// Usage of a peer: PEER [--seconds S] [--out FILE]
#ifndef BENCH_PEERS_PEER_MAIN_H_
#define BENCH_PEERS_PEER_MAIN_H_

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <functional>
#include <optional>
#include <string>

namespace sortline::peers {

// Renders the reference label with the tracking number of `serial` (S10, "EA...CN");
// empty when it failed (after saying why on stderr).
using RenderLabel = std::function<std::optional<std::string>(unsigned serial)>;

inline double CpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

// Writes serial 47312482 (EA473124829CN) to --out when given, warms up, renders new
// serials for --seconds CPU seconds (default 2) and prints the JSON line. Returns the
// process exit code.
inline int PeerMain(int argc, char** argv, const RenderLabel& render) {
  double seconds = 2;
  const char* out = nullptr;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--seconds") == 0) seconds = std::atof(argv[i + 1]);
    if (std::strcmp(argv[i], "--out") == 0) out = argv[i + 1];
  }
  if (out != nullptr) {
    const std::optional<std::string> pdf = render(47312482);
    FILE* f = pdf ? std::fopen(out, "wb") : nullptr;
    if (f == nullptr || std::fwrite(pdf->data(), 1, pdf->size(), f) != pdf->size() ||
        std::fclose(f) != 0) {
      std::fprintf(stderr, "peer: cannot write %s\n", out);
      return 1;
    }
  }
  if (!render(1)) return 1;  // warm up: fonts, caches
  long labels = 0;
  double bytes = 0;
  const double start = CpuSeconds();
  double elapsed = 0;
  do {
    const std::optional<std::string> pdf = render(10'000'000u + static_cast<unsigned>(labels));
    if (!pdf) return 1;
    bytes += static_cast<double>(pdf->size());
    ++labels;
    elapsed = CpuSeconds() - start;
  } while (elapsed < seconds);
  std::printf("{\"labels\": %ld, \"seconds\": %.6f, \"labels_per_s\": %.3f, \"pdf_bytes\": %.1f}\n",
              labels, elapsed, static_cast<double>(labels) / elapsed,
              bytes / static_cast<double>(labels));
  return 0;
}

}  // namespace sortline::peers

#endif  // BENCH_PEERS_PEER_MAIN_H_
