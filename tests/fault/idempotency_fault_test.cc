// Nothing doubled (issue 5): the same batch submitted twice gets the same answer and
// journals nothing twice; two different orders under one order id end as one record,
// and at the dock the conflicting one goes to quarantine.
#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "pipeline/model/s10.h"
#include "pipeline/store/dock_store.h"
#include "tests/fault/fault_harness.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/testing.h"

namespace sortline {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

using Idempotency = testing::FaultTest;

TEST_F(Idempotency, SameBatchIdSubmittedTwiceGetsTheSameAnswerAndDoublesNothing) {
  ASSERT_TRUE(Generate(400, 510));
  const std::vector<v1::Order> all = testing::ReadOrders(orders().path);
  testing::FaultPipeline& pipeline = NewPipeline();
  pipeline.StartDaemons({"w1"});

  const v1::SubmitRequest request = testing::BatchOf("fault-same-batch", all);
  Result<v1::SubmitReply> first =
      testing::AskIntake(pipeline.submit_endpoint(), request, "fault-same-batch", seconds(30));
  ASSERT_OK(first) << "\n" << pipeline.Logs();
  ASSERT_EQ(first->error(), "");
  EXPECT_EQ(first->accepted(), 400u);
  EXPECT_EQ(first->duplicates_size(), 0);

  // Again at once (while the work is in flight), and again once it is done: the same
  // answer each time.
  Result<v1::SubmitReply> second =
      testing::AskIntake(pipeline.submit_endpoint(), request, "fault-same-batch", seconds(30));
  ASSERT_OK(second);
  ExpectBatchCompletes("fault-same-batch");
  Result<v1::SubmitReply> third =
      testing::AskIntake(pipeline.submit_endpoint(), request, "fault-same-batch", seconds(30));
  ASSERT_OK(third);
  for (v1::SubmitReply* reply : {&first.value(), &second.value(), &third.value()}) {
    reply->clear_progress();  // how far the batch is moves on; the answer does not
  }
  EXPECT_EQ(second->SerializeAsString(), first->SerializeAsString()) << second->ShortDebugString();
  EXPECT_EQ(third->SerializeAsString(), first->SerializeAsString()) << third->ShortDebugString();

  // `sortline submit` of a file holding the same orders: every order is a duplicate of
  // the journaled ones, nothing new is journaled or stored.
  pipeline.StartSubmit(orders().path);
  std::optional<int> submitted = pipeline.WaitExit("submit", seconds(120));
  ASSERT_TRUE(submitted.has_value()) << pipeline.Logs();
  std::this_thread::sleep_for(milliseconds(500));
  ExpectCleanStopAndLedgerHolds();
  Result<int64_t> journaled =
      testing::QueryInt(pipeline.intake_db(), "SELECT count(*) FROM orders");
  ASSERT_OK(journaled);
  EXPECT_EQ(*journaled, 400) << "orders journaled";
}

TEST_F(Idempotency, SameOrdersFileSubmittedTwiceDoublesNothing) {
  ASSERT_TRUE(Generate(1000, 511));
  testing::FaultPipeline& pipeline = NewPipeline();
  pipeline.StartDaemons({"w1", "w2"});

  std::string answers[2];
  for (std::string& answer : answers) {
    pipeline.StartSubmit(orders().path, {"--batch-size", "250"});
    ASSERT_NO_FATAL_FAILURE(AwaitSubmit(seconds(150)));
    answer = pipeline.Log("submit");
  }
  // The same batch ids (from the content) get the same answers: the second run sees
  // its batches as the ones already journaled, all ok.
  EXPECT_NE(answers[1].find("1000 orders read"), std::string::npos) << answers[1];
  EXPECT_EQ(pipeline.StopAll(), "") << pipeline.Logs();

  Result<int64_t> batches = testing::QueryInt(pipeline.intake_db(), "SELECT count(*) FROM batches");
  ASSERT_OK(batches);
  EXPECT_EQ(*batches, 4) << "batches journaled over two submissions";
  testing::ExpectLedgerHolds(OrdersLedger());
}

TEST_F(Idempotency, TwoDifferentOrdersUnderOneOrderIdInTwoBatchesEndAsOneRecord) {
  ASSERT_TRUE(Generate(100, 512));
  std::vector<v1::Order> all = testing::ReadOrders(orders().path);
  testing::FaultPipeline& pipeline = NewPipeline();
  pipeline.StartDaemons({"w1"});

  // Batch b carries a different order under the id of an order of batch a.
  v1::Order impostor = all[1];
  impostor.set_order_id(all[0].order_id());
  Result<v1::SubmitReply> a =
      testing::AskIntake(pipeline.submit_endpoint(), testing::BatchOf("fault-conflict-a", all),
                         "fault-conflict-a", seconds(30));
  ASSERT_OK(a);
  Result<v1::SubmitReply> b = testing::AskIntake(pipeline.submit_endpoint(),
                                                 testing::BatchOf("fault-conflict-b", {impostor}),
                                                 "fault-conflict-b", seconds(30));
  ASSERT_OK(b);
  EXPECT_EQ(b->accepted(), 0u) << b->ShortDebugString();
  ASSERT_EQ(b->duplicates_size(), 1) << b->ShortDebugString();
  EXPECT_EQ(b->duplicates(0), all[0].order_id());

  ExpectBatchCompletes("fault-conflict-a");
  ExpectCleanStopAndLedgerHolds();
  // The record is the first order's, not the impostor's.
  Result<std::unique_ptr<store::DockStore>> dock =
      store::DockStore::Open(pipeline.dock_db(), store::DockStoreOptions{});
  ASSERT_OK(dock);
  Result<std::optional<v1::SortRecord>> kept = (*dock)->FindByOrderId(all[0].order_id());
  ASSERT_TRUE(kept.ok() && kept->has_value());
  EXPECT_EQ((*kept)->weight_g(), all[0].parcel().weight_g());
}

TEST_F(Idempotency, TwoDifferentRecordsForOneOrderIdAtDockEndAsOneRecordAndOneQuarantineEntry) {
  testing::FaultPipeline& pipeline = NewPipeline();
  pipeline.StartDock();

  v1::SortRecord record;
  record.set_order_id("FAULT-CONFLICT-1");
  record.set_tracking_number(model::FormatS10("EA", 424242, "CN"));
  record.set_chute("C001");
  record.set_sort_code("710-01-01");
  record.set_outcome(v1::OUTCOME_SORTED);
  record.set_weight_g(1200);
  v1::SortRecord conflicting = record;
  conflicting.set_chute("C002");
  conflicting.set_sort_code("710-02-01");

  auto batch_of = [](uint64_t sequence, const v1::SortRecord& r) {
    v1::RecordBatch batch;
    batch.set_sequence(sequence);
    *batch.add_records() = r;
    return batch;
  };
  const std::string records = pipeline.records_endpoint();
  Result<v1::RecordsStored> stored =
      testing::StoreAtDock(records, batch_of(1, record), seconds(30));
  ASSERT_OK(stored) << "\n" << pipeline.Logs();
  EXPECT_EQ(stored->stored(), 1u) << stored->ShortDebugString();
  Result<v1::RecordsStored> conflict =
      testing::StoreAtDock(records, batch_of(2, conflicting), seconds(30));
  ASSERT_OK(conflict);
  EXPECT_EQ(conflict->quarantined(), 1u) << conflict->ShortDebugString();
  EXPECT_EQ(conflict->stored(), 0u) << conflict->ShortDebugString();
  // Resent, both are recognised: the same record unchanged, the same conflict kept once.
  Result<v1::RecordsStored> resent =
      testing::StoreAtDock(records, batch_of(3, record), seconds(30));
  ASSERT_OK(resent);
  EXPECT_EQ(resent->unchanged(), 1u) << resent->ShortDebugString();
  Result<v1::RecordsStored> reconflict =
      testing::StoreAtDock(records, batch_of(4, conflicting), seconds(30));
  ASSERT_OK(reconflict);
  EXPECT_EQ(reconflict->stored(), 0u) << reconflict->ShortDebugString();
  testing::Ledger ledger = pipeline.LedgerFor({"FAULT-CONFLICT-1"});
  ledger.intake_db = "";  // no intake in this test
  ledger.quarantined = 1;
  ExpectCleanStopAndLedgerHolds(ledger);
  Result<std::unique_ptr<store::DockStore>> dock =
      store::DockStore::Open(pipeline.dock_db(), store::DockStoreOptions{});
  ASSERT_OK(dock);
  Result<std::optional<v1::SortRecord>> kept = (*dock)->FindByOrderId("FAULT-CONFLICT-1");
  ASSERT_TRUE(kept.ok() && kept->has_value());
  EXPECT_EQ((*kept)->chute(), "C001") << "the stored record stays; the conflict is quarantined";
  EXPECT_GE(pipeline.CountInLog("dock", "level=alarm"), 1u) << "the conflict raises an alarm\n"
                                                            << pipeline.Log("dock");
}

}  // namespace
}  // namespace sortline
