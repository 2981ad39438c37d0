// The durable stores: intake's journal taking submitted batches (the ack waits for this
// commit), leasing and completing work, and the dock's record store. Files live in a
// temporary directory on the machine's disk (TMPDIR), not in memory, since the figure
// that matters is what one fsync per batch costs.
//
// Arguments: orders (or records) per batch; the second argument of the journal benches
// is 1 for synchronous=FULL (durable on power loss) and 0 for NORMAL, measured in the
// same run so their ratio holds on a noisy machine.
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "bench/bench_status.h"
#include "pipeline/store/dock_store.h"
#include "pipeline/store/journal.h"
#include "tests/testing/testing.h"

namespace sortline::store {
namespace {

v1::Order NumberedOrder(int64_t i) {
  char id[32];
  std::snprintf(id, sizeof(id), "JD919-%010lld", static_cast<long long>(i));
  v1::Order order = testing::SampleOrder(id);
  order.set_created_unix_ms(order.created_unix_ms() + i);
  order.set_service(i % 4 == 0 ? v1::SERVICE_FRESH_PRODUCE : v1::SERVICE_STANDARD);
  order.mutable_parcel()->set_perishable(i % 4 == 0);
  return order;
}

v1::OrderBatch NumberedBatch(int64_t batch, int64_t size) {
  v1::OrderBatch out;
  out.set_batch_id("B" + std::to_string(batch));
  out.set_source("store_bench");
  for (int64_t i = 0; i < size; ++i) *out.add_orders() = NumberedOrder(batch * size + i);
  return out;
}

std::unique_ptr<Journal> OpenJournal(const testing::TempDir& dir, bool full,
                                     benchmark::State& state) {
  JournalOptions options;
  options.synchronous_full = full;
  return bench::ValueOrSkip(state, Journal::Open(dir.file("intake.db"), options));
}

// Submit: one transaction per batch, every order gets its tracking number. The batches
// are built outside the timed region.
void BM_JournalSubmit(benchmark::State& state) {
  const int64_t size = state.range(0);
  testing::TempDir dir;
  std::unique_ptr<Journal> journal = OpenJournal(dir, state.range(1) != 0, state);
  if (journal == nullptr) return;
  int64_t batch = 0;
  for (auto _ : state) {
    state.PauseTiming();
    v1::OrderBatch orders = NumberedBatch(batch++, size);
    state.ResumeTiming();
    Result<v1::SubmitReply> reply = journal->Submit(orders, {});
    if (!reply.ok() || reply->accepted() != static_cast<uint64_t>(size)) {
      state.SkipWithError("submit failed");
      return;
    }
  }
  state.SetItemsProcessed(state.iterations() * size);
  state.counters["batches/s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_JournalSubmit)
    ->ArgsProduct({{100, 1000, 5000}, {1, 0}})
    ->ArgNames({"orders", "full"})
    ->UseRealTime();

// Group commit: `batches` batches of 1,000 orders (several submitters at once) share
// one durable transaction, as intake journals what waits on its submit channel.
void BM_JournalSubmitGroup(benchmark::State& state) {
  const int64_t batches = state.range(0);
  constexpr int64_t kSize = 1000;
  testing::TempDir dir;
  std::unique_ptr<Journal> journal = OpenJournal(dir, true, state);
  if (journal == nullptr) return;
  int64_t next = 0;
  for (auto _ : state) {
    state.PauseTiming();
    std::vector<v1::OrderBatch> group;
    for (int64_t b = 0; b < batches; ++b) group.push_back(NumberedBatch(next++, kSize));
    std::vector<const v1::OrderBatch*> pointers;
    for (const v1::OrderBatch& batch : group) pointers.push_back(&batch);
    std::vector<std::vector<v1::OrderRejection>> none(group.size());
    state.ResumeTiming();
    if (!journal->SubmitGroup(pointers, none).ok()) {
      state.SkipWithError("submit failed");
      return;
    }
  }
  state.SetItemsProcessed(state.iterations() * batches * kSize);
}
BENCHMARK(BM_JournalSubmitGroup)->Arg(1)->Arg(8)->ArgName("batches")->UseRealTime();

// Lease then Complete of `size` orders: the journal's side of one WorkBatch.
void BM_JournalLeaseAndComplete(benchmark::State& state) {
  const int64_t size = state.range(0);
  testing::TempDir dir;
  std::unique_ptr<Journal> journal = OpenJournal(dir, true, state);
  if (journal == nullptr) return;
  int64_t batch = 0;
  int64_t now = 1'000;
  for (auto _ : state) {
    state.PauseTiming();
    if (!journal->Submit(NumberedBatch(batch++, size), {}).ok()) {
      state.SkipWithError("submit failed");
      return;
    }
    state.ResumeTiming();
    Result<v1::WorkBatch> work = journal->Lease("w1", static_cast<uint32_t>(size), ++now, 5'000);
    if (!work.ok() || work->orders_size() != size) {
      state.SkipWithError("lease failed");
      return;
    }
    v1::WorkDone done;
    done.set_lease_id(work->lease_id());
    for (const v1::Order& order : work->orders()) {
      v1::OrderResult* result = done.add_results();
      result->set_order_id(order.order_id());
      result->set_outcome(v1::OUTCOME_SORTED);
    }
    if (!journal->Complete(done).ok()) {
      state.SkipWithError("complete failed");
      return;
    }
  }
  state.SetItemsProcessed(state.iterations() * size);
}
BENCHMARK(BM_JournalLeaseAndComplete)->Arg(512)->ArgName("orders")->UseRealTime();

// The dock's records channel: one committed batch of new records per acknowledgement.
void BM_DockStoreRecords(benchmark::State& state) {
  const int64_t size = state.range(0);
  testing::TempDir dir;
  Result<std::unique_ptr<DockStore>> store = DockStore::Open(dir.file("dock.db"), {});
  if (!bench::OkOrSkip(state, store)) return;
  int64_t next = 0;
  for (auto _ : state) {
    state.PauseTiming();
    v1::RecordBatch batch;
    batch.set_sequence(static_cast<uint64_t>(next));
    for (int64_t i = 0; i < size; ++i, ++next) {
      char id[32];
      std::snprintf(id, sizeof(id), "JD919-%010lld", static_cast<long long>(next));
      v1::SortRecord* record = batch.add_records();
      record->set_order_id(id);
      record->set_tracking_number("T" + std::to_string(next));
      record->set_chute("C-" + std::to_string(next % 48));
      record->set_dock_door("D3");
      record->set_outcome(v1::OUTCOME_SORTED);
    }
    state.ResumeTiming();
    Result<v1::RecordsStored> stored = (*store)->Store(batch);
    if (!stored.ok() || stored->stored() != static_cast<uint32_t>(size)) {
      state.SkipWithError("store failed");
      return;
    }
  }
  state.SetItemsProcessed(state.iterations() * size);
}
BENCHMARK(BM_DockStoreRecords)->Arg(512)->ArgName("records")->UseRealTime();

}  // namespace
}  // namespace sortline::store
