// kill -9 of a worker at each step of a lease (issue 5): the worker kills itself with
// --fault-kill-at at an exact point while a second worker runs; intake re-leases its
// work after the lease and the other worker completes it.
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <set>
#include <string>

#include <gtest/gtest.h>
#include <signal.h>

#include "tests/fault/fault_harness.h"
#include "tests/testing/testing.h"

namespace sortline {
namespace {

using std::chrono::seconds;

class WorkerFault : public testing::FaultTest {
 protected:
  // Kills worker w1 at `point` (the `nth` time it gets there) mid-run and checks that w2
  // completes everything.
  void KillWorkerAt(const std::string& point, int nth) {
    ASSERT_TRUE(Generate(1500, 501));
    // Small leases so the killed worker's work is few labels, all of which get decoded.
    testing::FaultPipelineOptions options;
    options.worker_credit = 16;
    testing::FaultPipeline& pipeline = NewPipeline(options);
    pipeline.StartDock();
    pipeline.StartIntake({"--max-per-lease", "16"});
    pipeline.StartWorker("w1", {"--fault-kill-at", point + ":" + std::to_string(nth)});
    pipeline.StartWorker("w2");
    pipeline.StartSubmit(orders().path);

    std::optional<int> killed = pipeline.WaitExit("w1", seconds(120));
    ASSERT_TRUE(killed.has_value()) << "w1 never reached " << point << "\n" << pipeline.Logs();
    EXPECT_EQ(*killed, 128 + SIGKILL) << pipeline.Logs();
    // Read before the lease expires and the orders go to w2.
    const std::set<std::string> orphaned = testing::OrdersLeasedTo(pipeline.intake_db(), "w1");
    EXPECT_FALSE(orphaned.empty()) << "the journal shows no lease held by the killed worker";
    std::printf("w1 killed at %s held %zu orders\n", point.c_str(), orphaned.size());

    ASSERT_NO_FATAL_FAILURE(AwaitSubmit(seconds(180)));
    EXPECT_NE(pipeline.Log("submit").find("1500 orders read"), std::string::npos)
        << pipeline.Log("submit");
    testing::Ledger ledger = OrdersLedger();
    ledger.must_decode = orphaned;
    ExpectCleanStopAndLedgerHolds(ledger);
  }
};

TEST_F(WorkerFault, WorkerKilledBeforeRenderingHasItsLeaseCompletedByAnother) {
  KillWorkerAt("before-render", 2);
}

TEST_F(WorkerFault, WorkerKilledBetweenLabelWriteAndDockAckHasItsLeaseCompletedByAnother) {
  KillWorkerAt("after-labels", 2);
}

TEST_F(WorkerFault, WorkerKilledAfterDockAckBeforeWorkDoneHasItsLeaseCompletedByAnother) {
  KillWorkerAt("after-dock-ack", 2);
}

TEST_F(WorkerFault, ABatchFileTornByKillIsNeverReferencedAndIsSweptOnRestartIssue10) {
  // Leases of 512 orders make batch files of about a megabyte, half of which is in the
  // temporary when w1 kills itself mid-write.
  ASSERT_TRUE(Generate(3000, 502));
  testing::FaultPipeline& pipeline = NewPipeline();
  pipeline.StartDock();
  pipeline.StartIntake();
  pipeline.StartWorker("w1", {"--fault-kill-at", "mid-label-write:2"});
  pipeline.StartSubmit(orders().path);
  std::optional<int> killed = pipeline.WaitExit("w1", seconds(120));
  ASSERT_TRUE(killed.has_value()) << "w1 never reached mid-label-write\n" << pipeline.Logs();
  EXPECT_EQ(*killed, 128 + SIGKILL) << pipeline.Logs();
  const std::set<std::string> orphaned = testing::OrdersLeasedTo(pipeline.intake_db(), "w1");
  EXPECT_FALSE(orphaned.empty());
  size_t torn = 0;
  for (const auto& entry : std::filesystem::directory_iterator(pipeline.labels_dir())) {
    const std::string name = entry.path().filename().string();
    if (name.starts_with(".batch-") && name.find(".pdf.tmp.") != std::string::npos) {
      EXPECT_GT(entry.file_size(), 0u) << name << ": part of the batch was written";
      ++torn;
    }
  }
  EXPECT_EQ(torn, 1u) << "the torn batch file is a temporary";

  // The same worker comes back: it sweeps its dead predecessor's temporary, and its lease
  // goes (whole) to whoever asks once it expires.
  pipeline.StartWorker("w1");
  ASSERT_NO_FATAL_FAILURE(AwaitSubmit(seconds(180)));
  testing::Ledger ledger = OrdersLedger();
  ledger.must_decode = orphaned;
  ExpectCleanStopAndLedgerHolds(ledger);
}

}  // namespace
}  // namespace sortline
