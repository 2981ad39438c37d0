// The dock's scan-time decision path in-process: the decision engine over an index of
// a festival day's records, the index's lookups while records are being added, and the
// telegram codec.
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "pipeline/base/clock.h"
#include "pipeline/dock/engine.h"
#include "pipeline/dock/record_index.h"
#include "pipeline/dock/telegram.h"

namespace sortline::dock {
namespace {

constexpr int kRecords = 200'000;

std::string Tracking(int i) {
  char tracking[16];
  std::snprintf(tracking, sizeof(tracking), "EA%09dCN", i);
  return tracking;
}

v1::SortRecord MakeRecord(int i) {
  v1::SortRecord record;
  record.set_order_id("JD919-" + std::to_string(i));
  record.set_tracking_number(Tracking(i));
  record.set_chute("C" + std::to_string(100 + i % 120));
  record.set_dock_door("D" + std::to_string(1 + i % 12));
  record.set_route("R" + std::to_string(i % 40));
  record.set_weight_g(500 + i % 5000);
  record.set_outcome(v1::OUTCOME_SORTED);
  return record;
}

// An engine over `config` that knows a festival day's records.
std::unique_ptr<Engine> FestivalEngine(const DockConfig& config) {
  std::unique_ptr<Engine> engine = Engine::Create(config, SystemClock());
  IndexedRecord item;
  for (int i = 0; i < kRecords; ++i) {
    ToIndexed(MakeRecord(i), &item);
    engine->AddRecord(item);
  }
  return engine;
}

const Engine& FestivalIndex() {
  static const Engine* engine = FestivalEngine(DockConfig{}).release();
  return *engine;
}

// A festival engine whose chutes never fill.
std::unique_ptr<Engine> UnboundedEngine() {
  DockConfig config;
  config.default_capacity = 1'000'000'000;
  return FestivalEngine(config);
}

// A request of scanner S1 with one barcode, to be filled in.
v1::SortRequest ScanRequest() {
  v1::SortRequest request;
  request.set_scanner_id("S1");
  request.add_barcodes("");
  return request;
}

void BM_DecideKnownParcel(benchmark::State& state) {
  auto engine = UnboundedEngine();
  v1::SortRequest request = ScanRequest();
  request.set_weight_g(1000);
  uint64_t txn = 0;
  for (auto _ : state) {
    request.set_transaction_id(++txn);
    request.set_barcodes(0, Tracking(static_cast<int>(txn % kRecords)));
    v1::SortResponse response = engine->Decide(request, nullptr);
    benchmark::DoNotOptimize(response);
    if (txn % 1024 == 0) engine->TakeEvents();
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_DecideKnownParcel);

void BM_DecideAndConfirm(benchmark::State& state) {
  auto engine = UnboundedEngine();
  v1::SortRequest request = ScanRequest();
  v1::DivertConfirm confirm;
  confirm.set_scanner_id("S1");
  confirm.set_result(v1::DivertConfirm::SORTED);
  uint64_t txn = 0;
  for (auto _ : state) {
    request.set_transaction_id(++txn);
    request.set_barcodes(0, Tracking(static_cast<int>(txn % kRecords)));
    v1::SortResponse response = engine->Decide(request, nullptr);
    confirm.set_transaction_id(txn);
    confirm.set_chute(response.chute());
    benchmark::DoNotOptimize(engine->Apply(confirm));
    if (txn % 1024 == 0) engine->TakeEvents();
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_DecideAndConfirm);

void BM_IndexFind(benchmark::State& state) {
  const RecordIndex& index = FestivalIndex().index();
  std::vector<std::string> keys;
  for (int i = 0; i < 4096; ++i) keys.push_back(Tracking((i * 7919) % kRecords));
  size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(index.Find(keys[i++ % keys.size()]));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_IndexFind);

void BM_IndexAdd(benchmark::State& state) {
  RecordIndex index;
  std::vector<IndexedRecord> items(4096);
  for (int i = 0; i < 4096; ++i) ToIndexed(MakeRecord(i), &items[static_cast<size_t>(i)]);
  int i = 0;
  for (auto _ : state) {
    IndexedRecord& item = items[static_cast<size_t>(i % 4096)];
    char tracking[16];
    std::snprintf(tracking, sizeof(tracking), "EB%09dCN", i++);
    item.tracking_number = tracking;
    benchmark::DoNotOptimize(index.Add(item));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_IndexAdd);

void BM_TelegramDecode(benchmark::State& state) {
  TelegramRequest request;
  request.product_code = 123456;
  request.weight_g = 1500;
  request.barcodes = {"EA000000014CN", "6901234567892"};
  const std::string frame = EncodeRequest(request, ByteOrder::kBigEndian);
  for (auto _ : state) {
    Result<v1::SortRequest> decoded = DecodeRequest(frame, ByteOrder::kBigEndian);
    benchmark::DoNotOptimize(decoded);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_TelegramDecode);

}  // namespace
}  // namespace sortline::dock
