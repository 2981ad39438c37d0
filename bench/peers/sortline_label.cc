// sortline's side of the peer comparison in bench/suite.sh: the reference label (the
// content the peers in this folder draw) rendered by pipeline/label's renderer with its
// defaults (100x150 template, compressed, one PDF per parcel, in memory), timed the same
// way as the peers: labels per CPU second of this process, one thread.
//
// Usage: peer_sortline_label [--seconds S] [--out FILE]
// Prints one JSON object: labels, seconds, labels_per_s, pdf_bytes (mean).
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <string>

#include "pipeline/base/file.h"
#include "pipeline/label/label.h"
#include "pipeline/model/s10.h"
#include "tests/testing/testing.h"

namespace {

double CpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace sortline;
  double seconds = 2;
  std::string out;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--seconds") == 0) seconds = std::atof(argv[i + 1]);
    if (std::strcmp(argv[i], "--out") == 0) out = argv[i + 1];
  }
  auto renderer = label::LabelRenderer::Create({});
  if (!renderer.ok()) {
    std::fprintf(stderr, "sortline peer: %s\n", renderer.status().ToString().c_str());
    return 1;
  }
  const v1::Order order = testing::SampleOrder();
  v1::SortRecord record;
  record.set_order_id(order.order_id());
  record.set_sort_code("710-05-12");
  record.set_chute("C-017");
  record.set_dock_door("D03");
  record.set_division_code("610502");
  auto render = [&](unsigned serial) -> Result<std::string> {
    record.set_tracking_number(model::FormatS10("EA", serial, "CN"));
    return (*renderer)->Render(order, record);
  };
  if (!out.empty()) {
    Result<std::string> pdf = render(47312482);
    Status written = pdf.ok()
                         ? DefaultFileSystem().WriteFileAtomically(out, *pdf, Durability::kNone)
                         : pdf.status();
    if (!written.ok()) {
      std::fprintf(stderr, "sortline peer: %s\n", written.ToString().c_str());
      return 1;
    }
  }
  long labels = 0;
  double bytes = 0;
  const double start = CpuSeconds();
  double elapsed = 0;
  do {
    Result<std::string> pdf = render(10000000u + static_cast<unsigned>(labels));
    if (!pdf.ok()) {
      std::fprintf(stderr, "sortline peer: %s\n", pdf.status().ToString().c_str());
      return 1;
    }
    bytes += static_cast<double>(pdf->size());
    ++labels;
    elapsed = CpuSeconds() - start;
  } while (elapsed < seconds);
  std::printf("{\"labels\": %ld, \"seconds\": %.6f, \"labels_per_s\": %.3f, \"pdf_bytes\": %.1f}\n",
              labels, elapsed, static_cast<double>(labels) / elapsed,
              bytes / static_cast<double>(labels));
  return 0;
}
