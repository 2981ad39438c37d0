// Shipping labels: rendering the PDF, and rendering plus writing one file per parcel.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <string>
#include <system_error>

#include <benchmark/benchmark.h>
#include <unistd.h>

#include "pipeline/label/label.h"
#include "proto/order.pb.h"
#include "proto/record.pb.h"
#include "tests/testing/testing.h"

namespace sortline::label {
namespace {

v1::SortRecord BenchRecord() {
  v1::SortRecord record;
  record.set_order_id("T0001");
  record.set_sort_code("710-05-12");
  record.set_chute("C-017");
  record.set_dock_door("D03");
  record.set_division_code("610502");
  return record;
}

// "EA<serial>?CN" with the S10 check digit, so every iteration encodes new symbols.
std::string Tracking(uint32_t serial) {
  static constexpr int kWeights[8] = {8, 6, 4, 2, 3, 5, 9, 7};
  char digits[9];
  std::snprintf(digits, sizeof(digits), "%08u", serial % 100'000'000);
  int sum = 0;
  for (int i = 0; i < 8; ++i) sum += (digits[i] - '0') * kWeights[i];
  int check = 11 - sum % 11;
  if (check == 10) check = 0;
  if (check == 11) check = 5;
  return "EA" + std::string(digits) + std::to_string(check) + "CN";
}

void BM_RenderLabel(benchmark::State& state) {
  auto renderer = LabelRenderer::Create({.compress = state.range(0) != 0});
  if (!renderer.ok()) {
    state.SkipWithError(renderer.status().ToString().c_str());
    return;
  }
  const v1::Order order = testing::SampleOrder();
  v1::SortRecord record = BenchRecord();
  uint32_t serial = 47'312'482;
  size_t bytes = 0;
  for (auto _ : state) {
    record.set_tracking_number(Tracking(serial++));
    auto pdf = (*renderer)->Render(order, record);
    if (!pdf.ok()) {
      state.SkipWithError(pdf.status().ToString().c_str());
      return;
    }
    bytes += pdf->size();
    benchmark::DoNotOptimize(pdf->data());
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
  state.counters["pdf_bytes"] =
      static_cast<double>(bytes) / static_cast<double>(std::max<int64_t>(state.iterations(), 1));
}
BENCHMARK(BM_RenderLabel)->ArgName("compress")->Arg(1)->Arg(0);

// One file per parcel in a fresh directory: render, write under a temporary name,
// rename. Arg 1 adds fsync of the file and the directory.
void BM_RenderAndWrite(benchmark::State& state) {
  const std::filesystem::path dir = std::filesystem::temp_directory_path() /
                                    ("sortline-label-bench-" + std::to_string(::getpid()));
  auto renderer = LabelRenderer::Create({});
  auto sink = OpenDirectorySink(dir.string(), {.fsync = state.range(0) != 0});
  if (!renderer.ok() || !sink.ok()) {
    state.SkipWithError("cannot create the renderer or the sink");
    return;
  }
  const v1::Order order = testing::SampleOrder();
  v1::SortRecord record = BenchRecord();
  uint32_t serial = 10'000'000;
  for (auto _ : state) {
    record.set_tracking_number(Tracking(serial++));
    auto pdf = (*renderer)->Render(order, record);
    if (!pdf.ok()) {
      state.SkipWithError(pdf.status().ToString().c_str());
      break;
    }
    auto ref = (*sink)->Write(record.tracking_number(), *pdf);
    if (!ref.ok()) {
      state.SkipWithError(ref.status().ToString().c_str());
      break;
    }
  }
  state.SetItemsProcessed(state.iterations());
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
}
BENCHMARK(BM_RenderAndWrite)->ArgName("fsync")->Arg(0)->Arg(1);

}  // namespace
}  // namespace sortline::label
