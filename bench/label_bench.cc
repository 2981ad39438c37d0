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

namespace sortline::label {
namespace {

// The order of tests/testing SampleOrder(): a fresh-produce parcel from Guigang to
// 陕西省渭南市临渭区.
v1::Order BenchOrder() {
  v1::Order order;
  order.set_order_id("T0001");
  order.set_merchant("桂港助农旗舰店");
  order.set_created_unix_ms(1'726'704'000'000);
  order.set_service(v1::SERVICE_FRESH_PRODUCE);
  v1::Address* to = order.mutable_recipient();
  to->set_name("王秀英");
  to->set_phone("13812345678");
  to->set_division_code("610502");
  to->set_province("陕西省");
  to->set_city("渭南市");
  to->set_district("临渭区");
  to->set_street("杜桥街道");
  to->set_detail("朝阳大街12号3单元501室");
  v1::Address* from = order.mutable_sender();
  from->set_name("李建国");
  from->set_phone("13977512345");
  from->set_division_code("450802");
  from->set_province("广西壮族自治区");
  from->set_city("贵港市");
  from->set_district("港北区");
  from->set_detail("荷城大道88号");
  v1::Parcel* parcel = order.mutable_parcel();
  parcel->set_weight_g(2500);
  parcel->set_length_mm(300);
  parcel->set_width_mm(200);
  parcel->set_height_mm(150);
  parcel->set_contents("沙田柚 5斤");
  parcel->set_perishable(true);
  return order;
}

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
  const v1::Order order = BenchOrder();
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
  const v1::Order order = BenchOrder();
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
