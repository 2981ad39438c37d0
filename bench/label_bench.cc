// Shipping labels: labels/s per template and output (one PDF per parcel, compressed or
// not; one multi-page PDF per batch, of one reference order or of varied festival
// orders; ZPL), rendering plus writing one file per parcel on tmpfs, and the ReportLab
// peer (bench/peers/) measured in the same run.
//
// `label_bench --fixed_work=batch|batch-uncompressed|parcel|zpl` renders a fixed 1,000
// labels instead (5 batches of 200, or 1,000 parcels or ZPL jobs, as the benchmarks do)
// for an instruction count that load does not disturb:
//   valgrind --tool=callgrind --toggle-collect='*FixedWork*' label_bench --fixed_work=batch
// and divide the collected instructions by 1,000. docs/labels.md has the figures.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include <benchmark/benchmark.h>
#include <unistd.h>

#include "bench/bench_orders.h"
#include "bench/bench_status.h"
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

std::string TemplateOf(const benchmark::State& state) {
  return TemplateNames()[static_cast<size_t>(state.range(0))];
}

void TemplateArgs(benchmark::internal::Benchmark* b, std::vector<int64_t> second) {
  for (size_t t = 0; t < TemplateNames().size(); ++t) {
    for (int64_t s : second) b->Args({static_cast<int64_t>(t), s});
  }
}

// The renderer `options` ask for; null (and the benchmark skipped with the reason) when
// it cannot be made.
std::unique_ptr<LabelRenderer> RendererOrSkip(benchmark::State& state,
                                              const RendererOptions& options) {
  return bench::ValueOrSkip(state, LabelRenderer::Create(options));
}

// One PDF per parcel, in memory. Args: template index, compress.
void BM_RenderLabel(benchmark::State& state) {
  std::unique_ptr<LabelRenderer> renderer =
      RendererOrSkip(state, {.compress = state.range(1) != 0, .template_name = TemplateOf(state)});
  if (renderer == nullptr) return;
  const v1::Order order = testing::SampleOrder();
  v1::SortRecord record = BenchRecord();
  uint32_t serial = 47'312'482;
  size_t bytes = 0;
  for (auto _ : state) {
    record.set_tracking_number(Tracking(serial++));
    auto pdf = renderer->Render(order, record);
    if (!bench::OkOrSkip(state, pdf)) return;
    bytes += pdf->size();
    benchmark::DoNotOptimize(pdf->data());
  }
  state.SetLabel(TemplateOf(state));
  state.SetItemsProcessed(state.iterations());
  state.counters["pdf_bytes"] =
      static_cast<double>(bytes) / static_cast<double>(std::max<int64_t>(state.iterations(), 1));
}
BENCHMARK(BM_RenderLabel)->ArgNames({"template", "compress"})->Apply([](auto* b) {
  TemplateArgs(b, {1, 0});
});

// One multi-page PDF per batch of 200 labels; items are labels. Args: template index,
// compress.
void BM_RenderBatch(benchmark::State& state) {
  constexpr int kBatch = 200;
  std::unique_ptr<LabelRenderer> renderer =
      RendererOrSkip(state, {.compress = state.range(1) != 0, .template_name = TemplateOf(state)});
  if (renderer == nullptr) return;
  const v1::Order order = testing::SampleOrder();
  std::vector<v1::SortRecord> records(kBatch, BenchRecord());
  std::vector<LabelInput> inputs;
  for (const v1::SortRecord& record : records) inputs.push_back({&order, &record});
  uint32_t serial = 20'000'000;
  size_t bytes = 0;
  for (auto _ : state) {
    state.PauseTiming();
    for (v1::SortRecord& record : records) record.set_tracking_number(Tracking(serial++));
    state.ResumeTiming();
    auto batch = renderer->RenderBatch(inputs, {});
    if (!batch.ok() || !batch->failed.empty()) {
      state.SkipWithError("batch failed");
      return;
    }
    bytes += batch->pdf.size();
  }
  state.SetLabel(TemplateOf(state));
  state.SetItemsProcessed(state.iterations() * kBatch);
  state.counters["pdf_bytes_per_label"] =
      static_cast<double>(bytes) /
      static_cast<double>(std::max<int64_t>(state.iterations(), 1) * kBatch);
}
BENCHMARK(BM_RenderBatch)->ArgNames({"template", "compress"})->Apply([](auto* b) {
  TemplateArgs(b, {1, 0});
});

// One multi-page PDF of 200 different festival orders (names, phones, addresses,
// services and weights vary; bench/bench_orders.h) sorted to 16 chutes, pages in chute
// order as a print wave; items are labels. Arg: compress.
void BM_RenderFestivalBatch(benchmark::State& state) {
  constexpr int kBatch = 200;
  std::unique_ptr<LabelRenderer> renderer =
      RendererOrSkip(state, {.compress = state.range(0) != 0});
  if (renderer == nullptr) return;
  std::vector<v1::Order> orders;
  std::vector<v1::SortRecord> records;
  for (int i = 0; i < kBatch; ++i) {
    orders.push_back(bench::FestivalOrder(i));
    v1::SortRecord record = BenchRecord();
    record.set_tracking_number(orders.back().tracking_number());
    record.set_chute("C-" + std::to_string(100 + i % 16));
    records.push_back(std::move(record));
  }
  std::vector<LabelInput> inputs;
  for (int i = 0; i < kBatch; ++i) inputs.push_back({&orders[i], &records[i]});
  size_t bytes = 0;
  for (auto _ : state) {
    auto batch = renderer->RenderBatch(inputs, {.chute_order = true});
    if (!batch.ok() || !batch->failed.empty()) {
      state.SkipWithError("batch failed");
      return;
    }
    bytes += batch->pdf.size();
  }
  state.SetItemsProcessed(state.iterations() * kBatch);
  state.counters["pdf_bytes_per_label"] =
      static_cast<double>(bytes) /
      static_cast<double>(std::max<int64_t>(state.iterations(), 1) * kBatch);
}
BENCHMARK(BM_RenderFestivalBatch)->ArgNames({"compress"})->Arg(1)->Arg(0);

// ZPL for a Zebra printer. Args: template index, dpi.
void BM_RenderZpl(benchmark::State& state) {
  std::unique_ptr<LabelRenderer> renderer =
      RendererOrSkip(state, {.template_name = TemplateOf(state)});
  if (renderer == nullptr) return;
  const v1::Order order = testing::SampleOrder();
  v1::SortRecord record = BenchRecord();
  uint32_t serial = 30'000'000;
  for (auto _ : state) {
    record.set_tracking_number(Tracking(serial++));
    auto zpl = renderer->RenderZpl(order, record, static_cast<int>(state.range(1)));
    if (!bench::OkOrSkip(state, zpl)) return;
    benchmark::DoNotOptimize(zpl->data());
  }
  state.SetLabel(TemplateOf(state));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_RenderZpl)->ArgNames({"template", "dpi"})->Apply([](auto* b) {
  TemplateArgs(b, {203, 300});
});

// Where per-parcel files go: tmpfs when the machine has it (the target is stated on
// tmpfs), else the temporary directory.
std::filesystem::path BenchDir() {
  std::error_code ec;
  const std::filesystem::path base =
      std::filesystem::is_directory("/dev/shm", ec) && ::access("/dev/shm", W_OK) == 0
          ? std::filesystem::path("/dev/shm")
          : std::filesystem::temp_directory_path();
  return base / ("sortline-label-bench-" + std::to_string(::getpid()));
}

// One file per parcel in a fresh directory: render, write under a temporary name,
// rename. Args: compress, fsync.
void BM_RenderAndWrite(benchmark::State& state) {
  const std::filesystem::path dir = BenchDir();
  std::unique_ptr<LabelRenderer> renderer =
      RendererOrSkip(state, {.compress = state.range(0) != 0});
  if (renderer == nullptr) return;
  auto sink = OpenDirectorySink(dir.string(), {.fsync = state.range(1) != 0});
  if (!bench::OkOrSkip(state, sink)) return;
  const v1::Order order = testing::SampleOrder();
  v1::SortRecord record = BenchRecord();
  uint32_t serial = 10'000'000;
  for (auto _ : state) {
    record.set_tracking_number(Tracking(serial++));
    auto pdf = renderer->Render(order, record);
    if (!bench::OkOrSkip(state, pdf)) break;
    auto ref = (*sink)->Write(record.tracking_number(), *pdf);
    if (!bench::OkOrSkip(state, ref)) break;
  }
  state.SetLabel(dir.parent_path().string());
  state.SetItemsProcessed(state.iterations());
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
}
BENCHMARK(BM_RenderAndWrite)
    ->ArgNames({"compress", "fsync"})
    ->Args({1, 0})
    ->Args({0, 0})
    ->Args({1, 1});

double CpuSeconds() {
  timespec ts{};
  ::clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

// The ReportLab peer (bench/peers/reportlab_label.py, python3-reportlab) renders the
// same reference label for one CPU second; sortline then renders it (default template,
// compressed, one PDF per parcel, like the peer) for one CPU second in this process.
// Counters: both rates and their ratio.
void BM_ReportLabPeer(benchmark::State& state) {
  double peer = 0;
  double ours = 0;
  for (auto _ : state) {
    const std::string command =
        "/usr/bin/python3 " SORTLINE_PEERS_DIR "/reportlab_label.py --seconds 1 2>/dev/null";
    FILE* pipe = ::popen(command.c_str(), "r");
    char buf[512] = {};
    const size_t n = pipe != nullptr ? std::fread(buf, 1, sizeof(buf) - 1, pipe) : 0;
    if (pipe == nullptr || ::pclose(pipe) != 0 ||
        std::sscanf(
            std::string(buf, n).substr(std::string(buf, n).find("\"labels_per_s\":") + 15).c_str(),
            "%lf", &peer) != 1) {
      state.SkipWithError("the ReportLab peer did not run (install python3-reportlab)");
      return;
    }
    std::unique_ptr<LabelRenderer> renderer = RendererOrSkip(state, {});
    if (renderer == nullptr) return;
    const v1::Order order = testing::SampleOrder();
    v1::SortRecord record = BenchRecord();
    uint32_t serial = 10'000'000;
    int64_t labels = 0;
    const double start = CpuSeconds();
    double elapsed = 0;
    while (elapsed < 1.0) {
      record.set_tracking_number(Tracking(serial++));
      auto pdf = renderer->Render(order, record);
      benchmark::DoNotOptimize(pdf);
      ++labels;
      if (labels % 64 == 0) elapsed = CpuSeconds() - start;
    }
    ours = static_cast<double>(labels) / elapsed;
  }
  state.counters["reportlab_labels_per_s"] = peer;
  state.counters["sortline_labels_per_s"] = ours;
  state.counters["ratio"] = peer > 0 ? ours / peer : 0;
}
BENCHMARK(BM_ReportLabPeer)->Iterations(1)->Unit(benchmark::kSecond);

// The fixed work of --fixed_work (see the top of the file), with a renderer made
// outside it (creation is not counted); false when a label fails.
[[gnu::noinline]] bool FixedWork(std::string_view kind, LabelRenderer& renderer) {
  constexpr int kLabels = 1000;
  constexpr int kBatch = 200;
  const v1::Order order = testing::SampleOrder();
  if (kind == "batch" || kind == "batch-uncompressed") {
    std::vector<v1::SortRecord> records(kBatch, BenchRecord());
    std::vector<LabelInput> inputs;
    for (const v1::SortRecord& record : records) inputs.push_back({&order, &record});
    uint32_t serial = 20'000'000;
    for (int b = 0; b < kLabels / kBatch; ++b) {
      for (v1::SortRecord& record : records) record.set_tracking_number(Tracking(serial++));
      auto batch = renderer.RenderBatch(inputs, {});
      if (!batch.ok() || !batch->failed.empty()) return false;
    }
    return true;
  }
  v1::SortRecord record = BenchRecord();
  uint32_t serial = kind == "zpl" ? 30'000'000 : 10'000'000;
  for (int i = 0; i < kLabels; ++i) {
    record.set_tracking_number(Tracking(serial++));
    const bool ok = kind == "zpl"      ? renderer.RenderZpl(order, record, 203).ok()
                    : kind == "parcel" ? renderer.Render(order, record).ok()
                                       : false;
    if (!ok) return false;
  }
  return true;
}

}  // namespace
}  // namespace sortline::label

int main(int argc, char** argv) {
  constexpr std::string_view kFixedWork = "--fixed_work=";
  if (argc == 2 && std::string_view(argv[1]).starts_with(kFixedWork)) {
    const std::string_view kind = std::string_view(argv[1]).substr(kFixedWork.size());
    auto renderer =
        sortline::label::LabelRenderer::Create({.compress = kind != "batch-uncompressed"});
    if (!renderer.ok() || !sortline::label::FixedWork(kind, **renderer)) {
      std::fprintf(stderr, "--fixed_work=%s failed (batch, batch-uncompressed, parcel, zpl)\n",
                   std::string(kind).c_str());
      return 1;
    }
    return 0;
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
