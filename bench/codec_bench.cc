// Protobuf envelope codec throughput (work and records channels) and SortRequest /
// SortResponse round trips over ROUTER/DEALER, the conveyor's question per parcel.
#include <chrono>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>

#include <benchmark/benchmark.h>

#include "bench/bench_orders.h"
#include "bench/bench_status.h"
#include "pipeline/transport/channel.h"
#include "pipeline/transport/envelope.h"

namespace sortline::transport {
namespace {

constexpr int kBatchSize = 256;

v1::SortRecord MakeRecord(int i) {
  char id[32];
  std::snprintf(id, sizeof(id), "JD919-%08d", i);
  char tracking[16];
  std::snprintf(tracking, sizeof(tracking), "EA%08dCN", 10'000'000 + i);
  v1::SortRecord record;
  record.set_order_id(id);
  record.set_tracking_number(tracking);
  record.set_chute("C-" + std::to_string(i % 48));
  record.set_sort_code("710-05-12");
  record.set_dock_door("D3");
  record.set_route("西安-渭南-临渭");
  record.mutable_label()->set_path(std::string("labels/") + id + ".pdf");
  record.mutable_label()->set_content_hash("0123456789abcdef");
  record.mutable_label()->set_bytes(48'213);
  record.set_plan_version("fedcba9876543210");
  record.set_outcome(v1::OUTCOME_SORTED);
  record.set_division_code("610502");
  record.set_weight_g(500 + i % 5000);
  return record;
}

v1::WorkMessage MakeWorkMessage() { return bench::FestivalWorkMessage(kBatchSize); }

v1::RecordsMessage MakeRecordsMessage() {
  v1::RecordsMessage message;
  message.mutable_batch()->set_sequence(7);
  for (int i = 0; i < kBatchSize; ++i) *message.mutable_batch()->add_records() = MakeRecord(i);
  return message;
}

// Encode takes the envelope by value; a sender that keeps the batch (intake, for
// redelivery) pays the copy, so it is part of the measurement.
template <typename Envelope>
void EncodeBatch(benchmark::State& state, const Envelope& message) {
  size_t bytes = 0;
  for (auto _ : state) {
    std::string payload = Encode(message);
    bytes = payload.size();
    benchmark::DoNotOptimize(payload);
  }
  state.SetItemsProcessed(state.iterations() * kBatchSize);
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(bytes));
  state.counters["payload_bytes"] = static_cast<double>(bytes);
}

template <typename Envelope>
void DecodeBatch(benchmark::State& state, const Envelope& message) {
  const std::string payload = Encode(message);
  for (auto _ : state) {
    Result<Envelope> decoded = Decode<Envelope>(payload);
    if (!bench::OkOrSkip(state, decoded)) break;
    benchmark::DoNotOptimize(decoded);
  }
  state.SetItemsProcessed(state.iterations() * kBatchSize);
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(payload.size()));
}

void BM_EncodeWorkBatch256(benchmark::State& state) { EncodeBatch(state, MakeWorkMessage()); }
BENCHMARK(BM_EncodeWorkBatch256);

// The serialization alone, for a sender that moves the batch into Encode.
void BM_SerializeWorkBatch256(benchmark::State& state) {
  v1::WorkMessage message = MakeWorkMessage();
  message.set_schema_version(v1::SCHEMA_VERSION_CURRENT);
  for (auto _ : state) {
    std::string payload = message.SerializeAsString();
    benchmark::DoNotOptimize(payload);
  }
  state.SetItemsProcessed(state.iterations() * kBatchSize);
}
BENCHMARK(BM_SerializeWorkBatch256);

void BM_DecodeWorkBatch256(benchmark::State& state) { DecodeBatch(state, MakeWorkMessage()); }
BENCHMARK(BM_DecodeWorkBatch256);

void BM_EncodeRecordBatch256(benchmark::State& state) { EncodeBatch(state, MakeRecordsMessage()); }
BENCHMARK(BM_EncodeRecordBatch256);

void BM_DecodeRecordBatch256(benchmark::State& state) { DecodeBatch(state, MakeRecordsMessage()); }
BENCHMARK(BM_DecodeRecordBatch256);

// One scanner question and the dock's answer, both ends in this thread: encode, send,
// receive, decode, answer, and back. Time per iteration is the round-trip latency.
// Declaration order matters: the channels are destroyed before the context.
void SortRoundTrip(benchmark::State& state, const std::string& endpoint) {
  Result<std::unique_ptr<Context>> context = Context::Create();
  if (!bench::OkOrSkip(state, context)) return;
  ChannelOptions options;
  options.linger_ms = 0;
  Result<std::unique_ptr<ServerChannel>> dock = ServerChannel::Bind(**context, endpoint, options);
  if (!bench::OkOrSkip(state, dock)) return;
  Result<std::unique_ptr<ClientChannel>> scanner =
      ClientChannel::Connect(**context, (*dock)->endpoint(), "scanner-03", options);
  if (!bench::OkOrSkip(state, scanner)) return;
  constexpr std::chrono::milliseconds kTimeout(2000);
  v1::SortRequest request;
  request.set_scanner_id("scanner-03");
  request.add_barcodes("EA10000001CN");
  request.set_weight_g(2480);
  request.set_length_mm(301);
  request.set_width_mm(199);
  request.set_height_mm(152);
  uint64_t transaction = 0;
  for (auto _ : state) {
    request.set_transaction_id(++transaction);
    Status sent = (*scanner)->Send(Encode(request));
    Result<std::optional<Incoming>> incoming = (*dock)->Receive(kTimeout);
    if (!sent.ok() || !incoming.ok() || !incoming->has_value()) {
      state.SkipWithError("request lost");
      break;
    }
    Result<v1::SortRequest> asked = Decode<v1::SortRequest>((*incoming)->payload);
    if (!bench::OkOrSkip(state, asked)) break;
    v1::SortResponse response;
    response.set_transaction_id(asked->transaction_id());
    response.set_chute("C-17");
    response.set_outcome(v1::DECISION_SORTED);
    response.set_tracking_number(asked->barcodes(0));
    Status answered = (*dock)->Send((*incoming)->peer, Encode(std::move(response)));
    Result<std::optional<std::string>> reply = (*scanner)->Receive(kTimeout);
    if (!answered.ok() || !reply.ok() || !reply->has_value()) {
      state.SkipWithError("response lost");
      break;
    }
    Result<v1::SortResponse> decided = Decode<v1::SortResponse>(**reply);
    if (!decided.ok() || decided->transaction_id() != transaction) {
      state.SkipWithError("wrong response");
      break;
    }
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_SortRoundTripInproc(benchmark::State& state) {
  SortRoundTrip(state, "inproc://codec-bench-conveyor");
}
BENCHMARK(BM_SortRoundTripInproc)->UseRealTime();

void BM_SortRoundTripTcpLoopback(benchmark::State& state) {
  SortRoundTrip(state, "tcp://127.0.0.1:0");
}
BENCHMARK(BM_SortRoundTripTcpLoopback)->UseRealTime();

}  // namespace
}  // namespace sortline::transport
