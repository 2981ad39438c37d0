// kill -9 of the dock just before and just after a commit (issue 5): restarted on the same
// ports and database, it holds everything it acknowledged, and the workers' resent
// records fill in the rest without doubling anything.
#include <chrono>
#include <string>

#include <gtest/gtest.h>
#include <signal.h>

#include "tests/fault/fault_harness.h"
#include "tests/testing/testing.h"

namespace sortline {
namespace {

using std::chrono::seconds;

void KillDockAt(const std::string& point) {
  testing::TempDir dir;
  testing::GeneratedOrders orders = testing::GenerateOrders(dir.file("orders.jsonl"), 2000, 502);
  ASSERT_FALSE(orders.ids.empty());

  testing::FaultPipelineOptions options;
  options.dir = dir.path().string();
  options.lease_ms = 2000;
  testing::FaultPipeline pipeline(options);
  // The third commit: some records are already stored and acknowledged by then.
  pipeline.StartDock({"--fault-kill-at", point + ":3"});
  pipeline.StartIntake();
  pipeline.StartWorker("w1");
  pipeline.StartWorker("w2");
  pipeline.StartSubmit(orders.path);

  std::optional<int> killed = pipeline.WaitExit("dock", seconds(120));
  ASSERT_TRUE(killed.has_value()) << "dock never reached " << point << "\n" << pipeline.Logs();
  EXPECT_EQ(*killed, 128 + SIGKILL) << pipeline.Logs();
  const int64_t at_crash = testing::DockRecordCount(pipeline.dock_db());
  EXPECT_GT(at_crash, 0) << "two commits were acknowledged before the crash";

  pipeline.StartDock();
  std::optional<int> submitted = pipeline.WaitExit("submit", seconds(180));
  ASSERT_TRUE(submitted.has_value()) << "submit did not finish\n" << pipeline.Logs();
  EXPECT_EQ(*submitted, 0) << pipeline.Logs();
  EXPECT_EQ(pipeline.StopAll(), "") << pipeline.Logs();

  testing::Ledger ledger = pipeline.LedgerFor(orders.ids);
  testing::ExpectLedgerHolds(ledger);
  if (::testing::Test::HasFailure()) ADD_FAILURE() << "logs:\n" << pipeline.Logs();
}

TEST(DockFault, DockKilledJustBeforeACommitLosesNothingAcknowledgedAfterRestart) {
  KillDockAt("before-commit");
}

TEST(DockFault, DockKilledJustAfterACommitLosesNothingAndDoublesNothingAfterRestart) {
  KillDockAt("after-commit");
}

}  // namespace
}  // namespace sortline
