#include "pipeline/store/dock_store.h"

#include <chrono>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "pipeline/model/s10.h"
#include "pipeline/store/journal.h"
#include "pipeline/store/sqlite_db.h"
#include "tests/testing/fake_clock.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/store_fixture.h"
#include "tests/testing/testing.h"

namespace sortline::store {
namespace {

using ::testing::ElementsAre;

v1::SortRecord Record(const std::string& order_id, uint32_t serial) {
  v1::SortRecord record;
  record.set_order_id(order_id);
  record.set_tracking_number(model::FormatS10("EA", serial, "CN"));
  record.set_chute("C-17");
  record.set_sort_code("710-05-12");
  record.set_dock_door("D3");
  record.set_route("XA-WN-01");
  record.mutable_label()->set_path("labels/" + order_id + ".pdf");
  record.mutable_label()->set_content_hash("0123456789abcdef");
  record.mutable_label()->set_bytes(23'456);
  record.set_plan_version("fedcba9876543210");
  record.set_outcome(v1::OUTCOME_SORTED);
  record.set_division_code("610502");
  record.set_weight_g(2500);
  return record;
}

v1::RecordBatch Batch(uint64_t sequence, const std::vector<v1::SortRecord>& records) {
  v1::RecordBatch batch;
  batch.set_sequence(sequence);
  for (const v1::SortRecord& record : records) *batch.add_records() = record;
  return batch;
}

// A store's answer to a batch in one line, so that a test states all of it at once.
std::string Answer(const v1::RecordsStored& reply) {
  return "sequence " + std::to_string(reply.sequence()) + ": " + std::to_string(reply.stored()) +
         " stored, " + std::to_string(reply.unchanged()) + " unchanged, " +
         std::to_string(reply.quarantined()) + " quarantined";
}

// What a store holds in one line: its records and its quarantined ones (or the error).
std::string Holding(DockStore& store) {
  Result<uint64_t> records = store.Count();
  if (!records.ok()) return records.status().ToString();
  Result<uint64_t> quarantined = store.QuarantineCount();
  if (!quarantined.ok()) return quarantined.status().ToString();
  return std::to_string(*records) + " records, " + std::to_string(*quarantined) + " quarantined";
}

class DockStoreTest : public sortline::testing::StoreFileTest<DockStore, DockStoreOptions> {
 protected:
  DockStoreTest() : StoreFileTest("dock.db") {}
};

TEST_F(DockStoreTest, StoringTheSameRecordsAgainLeavesThemUnchanged) {
  auto store = Open();
  ASSERT_NE(store, nullptr);
  v1::RecordBatch batch = Batch(7, {Record("A", 1), Record("B", 2)});
  ASSERT_OK_AND_ASSIGN(v1::RecordsStored first, store->Store(batch));
  EXPECT_EQ(Answer(first), "sequence 7: 2 stored, 0 unchanged, 0 quarantined");

  batch.set_sequence(8);
  ASSERT_OK_AND_ASSIGN(v1::RecordsStored again, store->Store(batch));
  EXPECT_EQ(Answer(again), "sequence 8: 0 stored, 2 unchanged, 0 quarantined");
  EXPECT_EQ(Holding(*store), "2 records, 0 quarantined");
}

TEST_F(DockStoreTest, ConflictingRecordIsQuarantinedAndTheStoredOneKept) {
  auto store = Open();
  ASSERT_NE(store, nullptr);
  ASSERT_OK(store->Store(Batch(1, {Record("A", 1)})));
  v1::SortRecord changed = Record("A", 1);
  changed.set_chute("C-99");
  ASSERT_OK_AND_ASSIGN(v1::RecordsStored reply, store->Store(Batch(2, {changed, Record("B", 2)})));
  EXPECT_EQ(Answer(reply), "sequence 2: 1 stored, 0 unchanged, 1 quarantined");
  ASSERT_OK_AND_ASSIGN(auto found, store->FindByOrderId("A"));
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->chute(), "C-17");
  EXPECT_EQ(Holding(*store), "2 records, 1 quarantined");

  // A resent conflicting record is reported again but kept once.
  ASSERT_OK_AND_ASSIGN(v1::RecordsStored resent, store->Store(Batch(3, {changed})));
  EXPECT_EQ(Answer(resent), "sequence 3: 0 stored, 0 unchanged, 1 quarantined");
  EXPECT_EQ(Holding(*store), "2 records, 1 quarantined");
}

TEST_F(DockStoreTest, TrackingNumberOfAnotherOrderIsQuarantined) {
  auto store = Open();
  ASSERT_NE(store, nullptr);
  ASSERT_OK(store->Store(Batch(1, {Record("A", 1)})));
  ASSERT_OK_AND_ASSIGN(v1::RecordsStored reply, store->Store(Batch(2, {Record("B", 1)})));
  EXPECT_EQ(Answer(reply), "sequence 2: 0 stored, 0 unchanged, 1 quarantined");
  ASSERT_OK_AND_ASSIGN(auto b, store->FindByOrderId("B"));
  EXPECT_FALSE(b.has_value());
  ASSERT_OK_AND_ASSIGN(auto by_tracking, store->FindByTracking(model::FormatS10("EA", 1, "CN")));
  ASSERT_TRUE(by_tracking.has_value());
  EXPECT_EQ(by_tracking->order_id(), "A");
}

TEST_F(DockStoreTest, RecordsWithoutTrackingNumberDoNotCollide) {
  auto store = Open();
  ASSERT_NE(store, nullptr);
  v1::SortRecord a = Record("A", 1);
  a.clear_tracking_number();
  a.set_outcome(v1::OUTCOME_REJECTED);
  v1::SortRecord b = a;
  b.set_order_id("B");
  ASSERT_OK_AND_ASSIGN(v1::RecordsStored reply, store->Store(Batch(1, {a, b})));
  EXPECT_EQ(reply.stored(), 2u);
  ASSERT_OK_AND_ASSIGN(auto none, store->FindByTracking(""));
  EXPECT_FALSE(none.has_value());
}

TEST_F(DockStoreTest, FindsRecordsByOrderIdAndByTracking) {
  auto store = Open();
  ASSERT_NE(store, nullptr);
  v1::SortRecord a = Record("A", 1);
  ASSERT_OK(store->Store(Batch(1, {a, Record("B", 2)})));
  ASSERT_OK_AND_ASSIGN(auto by_id, store->FindByOrderId("A"));
  ASSERT_TRUE(by_id.has_value());
  EXPECT_EQ(by_id->SerializeAsString(), a.SerializeAsString());
  ASSERT_OK_AND_ASSIGN(auto by_tracking, store->FindByTracking(Record("B", 2).tracking_number()));
  ASSERT_TRUE(by_tracking.has_value());
  EXPECT_EQ(by_tracking->order_id(), "B");
  ASSERT_OK_AND_ASSIGN(auto missing, store->FindByOrderId("C"));
  EXPECT_FALSE(missing.has_value());
  ASSERT_OK_AND_ASSIGN(auto unknown, store->FindByTracking(model::FormatS10("EA", 3, "CN")));
  EXPECT_FALSE(unknown.has_value());
}

TEST_F(DockStoreTest, ForEachVisitsRecordsInOrderIdOrderAndCanStop) {
  auto store = Open();
  ASSERT_NE(store, nullptr);
  ASSERT_OK(store->Store(Batch(1, {Record("m", 1), Record("b", 2), Record("x", 3)})));
  ASSERT_OK(store->Store(Batch(2, {Record("a", 4)})));
  std::vector<std::string> all;
  ASSERT_OK(store->ForEach([&](const v1::SortRecord& r) {
    all.push_back(r.order_id());
    return true;
  }));
  EXPECT_THAT(all, ElementsAre("a", "b", "m", "x"));
  std::vector<std::string> first_two;
  ASSERT_OK(store->ForEach([&](const v1::SortRecord& r) {
    first_two.push_back(r.order_id());
    return first_two.size() < 2;
  }));
  EXPECT_THAT(first_two, ElementsAre("a", "b"));
}

TEST_F(DockStoreTest, RecordsSurviveReopenAndTheDatabaseIsIntact) {
  {
    auto store = Open();
    ASSERT_NE(store, nullptr);
    std::vector<v1::SortRecord> records;
    for (uint32_t i = 0; i < 300; ++i) records.push_back(Record("R" + std::to_string(i), i + 1));
    ASSERT_OK(store->Store(Batch(1, records)));
    v1::SortRecord changed = Record("R5", 6);
    changed.set_dock_door("D9");
    ASSERT_OK(store->Store(Batch(2, {changed})));
  }
  {
    auto store = Open();
    ASSERT_NE(store, nullptr);
    EXPECT_EQ(Holding(*store), "300 records, 1 quarantined");
    ASSERT_OK_AND_ASSIGN(auto r5, store->FindByOrderId("R5"));
    ASSERT_TRUE(r5.has_value());
    EXPECT_EQ(r5->dock_door(), "D3");
  }
  ASSERT_OK_AND_ASSIGN(auto db, internal::Db::Open(path(), {}));
  EXPECT_EQ(db->journal_mode(), "wal");
  ASSERT_OK_AND_ASSIGN(std::string integrity, db->QueryText("PRAGMA integrity_check"));
  EXPECT_EQ(integrity, "ok");
}

TEST_F(DockStoreTest, RecordsAreStampedByTheGivenClock) {
  sortline::testing::FakeClock clock(1'726'704'000'123);
  DockStoreOptions options;
  options.clock = &clock;
  {
    ASSERT_OK_AND_ASSIGN(auto store, DockStore::Open(path(), options));
    ASSERT_OK(store->Store(Batch(1, {Record("A", 1)})));
  }
  ASSERT_OK_AND_ASSIGN(auto db, internal::Db::Open(path(), {}));
  ASSERT_OK_AND_ASSIGN(int64_t stamp, db->QueryInt("SELECT stored_ms FROM records"));
  EXPECT_EQ(stamp, 1'726'704'000'123);
}

TEST_F(DockStoreTest, JournalFileIsRefusedAsADockStore) {
  {
    Result<std::unique_ptr<Journal>> journal = Journal::Open(path(), {});
    ASSERT_OK(journal);
  }
  Result<std::unique_ptr<DockStore>> store = DockStore::Open(path(), {});
  EXPECT_EQ(store.status().code(), StatusCode::kFailedPrecondition) << store.status();
}

}  // namespace
}  // namespace sortline::store
