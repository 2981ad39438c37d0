// sortline's side of the peer comparison in bench/suite.sh: the reference label (the
// content the peers in this folder draw) rendered by pipeline/label's renderer with its
// defaults (100x150 template, compressed, one PDF per parcel, in memory), timed the same
// way as the peers: labels per CPU second of this process, one thread.
//
// Usage: peer_sortline_label [--seconds S] [--out FILE]
// Prints one JSON object: labels, seconds, labels_per_s, pdf_bytes (mean).
#include <cstdio>
#include <optional>
#include <string>
#include <utility>

#include "bench/peers/peer_main.h"
#include "pipeline/label/label.h"
#include "pipeline/model/s10.h"
#include "tests/testing/testing.h"

int main(int argc, char** argv) {
  using namespace sortline;
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
  return peers::PeerMain(argc, argv, [&](unsigned serial) -> std::optional<std::string> {
    record.set_tracking_number(model::FormatS10("EA", serial, "CN"));
    Result<std::string> pdf = (*renderer)->Render(order, record);
    if (!pdf.ok()) {
      std::fprintf(stderr, "sortline peer: %s\n", pdf.status().ToString().c_str());
      return std::nullopt;
    }
    return std::move(pdf).value();
  });
}
