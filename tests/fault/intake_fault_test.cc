// kill -9 of intake (issue 5): restarted on the same ports and journal it resumes where
// it stopped, and a submitter that retries a batch id gets that batch's answer.
#include <chrono>
#include <string>
#include <thread>

#include <gtest/gtest.h>
#include <signal.h>

#include "tests/fault/fault_harness.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/testing.h"

namespace sortline {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

using IntakeFault = testing::FaultTest;

TEST_F(IntakeFault, IntakeKilledWhileSubmitWaitsResumesFromItsJournalAndSubmitSucceeds) {
  ASSERT_TRUE(Generate(4000, 503));
  testing::FaultPipeline& pipeline = NewPipeline();
  pipeline.StartDaemons({"w1", "w2"});
  pipeline.StartSubmit(orders().path, {"--batch-size", "500"});

  // Kill once some batches are journaled and some orders are done, with more to come.
  ASSERT_TRUE(testing::WaitFor(
      [&] {
        Result<int64_t> batches =
            testing::QueryInt(pipeline.intake_db(), "SELECT count(*) FROM batches");
        return batches.ok() && *batches >= 2 && testing::DockRecordCount(pipeline.dock_db()) > 0;
      },
      seconds(120)))
      << pipeline.Logs();
  ASSERT_TRUE(pipeline.Running("submit")) << "the run ended before intake could be killed";
  pipeline.Kill("intake");
  const int64_t done_at_crash = testing::DockRecordCount(pipeline.dock_db());
  std::this_thread::sleep_for(milliseconds(1500));  // the submitter waits on a dead intake
  EXPECT_TRUE(pipeline.Running("submit")) << pipeline.Logs();
  pipeline.StartIntake();

  ASSERT_NO_FATAL_FAILURE(AwaitSubmit(seconds(180)));
  EXPECT_NE(pipeline.Log("submit").find("4000 orders read"), std::string::npos)
      << pipeline.Log("submit");
  EXPECT_LT(done_at_crash, 4000) << "intake was killed mid-run";
  EXPECT_EQ(pipeline.StopAll(), "") << pipeline.Logs();

  // 4000 orders in batches of 500: eight batches, none journaled twice.
  Result<int64_t> batches = testing::QueryInt(pipeline.intake_db(), "SELECT count(*) FROM batches");
  ASSERT_OK(batches);
  EXPECT_EQ(*batches, 8);
  testing::ExpectLedgerHolds(OrdersLedger());
}

TEST_F(IntakeFault, BatchAcknowledgedBeforeIntakeCrashGetsTheSameAnswerWhenResentAfterRestart) {
  ASSERT_TRUE(Generate(300, 504));
  std::vector<v1::Order> all = testing::ReadOrders(orders().path);
  testing::FaultPipeline& pipeline = NewPipeline();
  pipeline.StartDock();
  pipeline.StartIntake();

  // The batch holds an invalid order and a repeated id, so the answer has every part.
  v1::SubmitRequest request = testing::BatchOf("fault-intake-crash-1", all);
  v1::OrderBatch* batch = request.mutable_batch();
  *batch->add_orders() = all.front();  // a duplicate of the first order
  v1::Order invalid = all.back();
  invalid.set_order_id("FAULT-INVALID-1");
  invalid.mutable_recipient()->set_name("");
  *batch->add_orders() = invalid;

  Result<v1::SubmitReply> first =
      testing::AskIntake(pipeline.submit_endpoint(), request, "fault-intake-crash-1", seconds(30));
  ASSERT_OK(first) << "\n" << pipeline.Logs();
  ASSERT_EQ(first->error(), "") << first->ShortDebugString();
  EXPECT_EQ(first->accepted(), 300u) << first->ShortDebugString();
  EXPECT_EQ(first->duplicates_size(), 1) << first->ShortDebugString();
  EXPECT_EQ(first->rejected_size(), 1) << first->ShortDebugString();

  // Acknowledged means journaled: a crash right after it loses nothing, and the same
  // batch id resent to the restarted intake gets the same answer.
  pipeline.Kill("intake");
  pipeline.StartIntake();
  Result<v1::SubmitReply> again =
      testing::AskIntake(pipeline.submit_endpoint(), request, "fault-intake-crash-1", seconds(30));
  ASSERT_OK(again) << "\n" << pipeline.Logs();
  v1::SubmitReply first_answer = *first;
  v1::SubmitReply second_answer = *again;
  first_answer.clear_progress();  // progress moves on; the answer does not
  second_answer.clear_progress();
  EXPECT_EQ(second_answer.SerializeAsString(), first_answer.SerializeAsString())
      << "first: " << first->ShortDebugString() << "\nagain: " << again->ShortDebugString();

  // Then workers do the journaled orders, and nothing is doubled.
  pipeline.StartWorker("w1");
  ExpectBatchCompletes("fault-intake-crash-1");
  ExpectCleanStopAndLedgerHolds();
}

}  // namespace
}  // namespace sortline
