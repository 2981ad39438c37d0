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

class DockFault : public testing::FaultTest {
 protected:
  void KillDockAt(const std::string& point) {
    ASSERT_TRUE(Generate(2000, 502));
    testing::FaultPipeline& pipeline = NewPipeline();
    // The third commit: some records are already stored and acknowledged by then.
    pipeline.StartDock({"--fault-kill-at", point + ":3"});
    pipeline.StartIntake();
    pipeline.StartWorker("w1");
    pipeline.StartWorker("w2");
    pipeline.StartSubmit(orders().path);

    std::optional<int> killed = pipeline.WaitExit("dock", seconds(120));
    ASSERT_TRUE(killed.has_value()) << "dock never reached " << point << "\n" << pipeline.Logs();
    EXPECT_EQ(*killed, 128 + SIGKILL) << pipeline.Logs();
    const int64_t at_crash = testing::DockRecordCount(pipeline.dock_db());
    EXPECT_GT(at_crash, 0) << "two commits were acknowledged before the crash";

    pipeline.StartDock();
    ASSERT_NO_FATAL_FAILURE(AwaitSubmit(seconds(180)));
    ExpectCleanStopAndLedgerHolds();
  }
};

TEST_F(DockFault, DockKilledJustBeforeACommitLosesNothingAcknowledgedAfterRestart) {
  KillDockAt("before-commit");
}

TEST_F(DockFault, DockKilledJustAfterACommitLosesNothingAndDoublesNothingAfterRestart) {
  KillDockAt("after-commit");
}

}  // namespace
}  // namespace sortline
