// Processes coming and going (issue 5): started in every order, restarted one by one
// during a run, and a worker frozen past its lease and thawed after its work was redone.
#include <algorithm>
#include <array>
#include <chrono>
#include <ostream>
#include <string>
#include <thread>

#include <gtest/gtest.h>
#include <signal.h>

#include "tests/fault/fault_harness.h"
#include "tests/testing/process.h"
#include "tests/testing/testing.h"

namespace sortline {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

// ---- every start order -------------------------------------------------------------

struct StartOrder {
  std::array<const char*, 3> daemons;  // "dock", "intake", "worker" in start order
  bool submitter_first;
};

void PrintTo(const StartOrder& order, std::ostream* out) {
  *out << (order.submitter_first ? "submitter, " : "") << order.daemons[0] << ", "
       << order.daemons[1] << ", " << order.daemons[2]
       << (order.submitter_first ? "" : ", submitter");
}

std::string StartOrderName(const ::testing::TestParamInfo<StartOrder>& info) {
  std::string name;
  for (const char* daemon : info.param.daemons) {
    std::string part = daemon;
    part[0] = static_cast<char>(std::toupper(part[0]));
    name += part;
  }
  return (info.param.submitter_first ? "SubmitterFirstThen" : "") + name +
         (info.param.submitter_first ? "" : "ThenSubmitter");
}

std::vector<StartOrder> AllStartOrders() {
  std::array<const char*, 3> daemons = {"dock", "intake", "worker"};
  std::sort(daemons.begin(), daemons.end(),
            [](const char* a, const char* b) { return std::string(a) < b; });
  std::vector<StartOrder> orders;
  do {
    orders.push_back({daemons, true});
    orders.push_back({daemons, false});
  } while (std::next_permutation(daemons.begin(), daemons.end(),
                                 [](const char* a, const char* b) { return std::string(a) < b; }));
  return orders;
}

class StartOrderTest : public testing::FaultTest,
                       public ::testing::WithParamInterface<StartOrder> {};

TEST_P(StartOrderTest, PipelineCompletesWhateverOrderItsProcessesStartIn) {
  ASSERT_TRUE(Generate(200, 505));
  testing::FaultPipeline& pipeline = NewPipeline();

  // Each process gets a moment alone, so the later ones really start after it.
  const milliseconds gap(400);
  if (GetParam().submitter_first) {
    pipeline.StartSubmit(orders().path);
    std::this_thread::sleep_for(gap);
  }
  for (const std::string daemon : GetParam().daemons) {
    if (daemon == "dock") pipeline.StartDock();
    if (daemon == "intake") pipeline.StartIntake();
    if (daemon == "worker") pipeline.StartWorker("w1");
    std::this_thread::sleep_for(gap);
  }
  if (!GetParam().submitter_first) pipeline.StartSubmit(orders().path);

  ASSERT_NO_FATAL_FAILURE(AwaitSubmit(seconds(150)));
  testing::Ledger ledger = OrdersLedger();
  ledger.sample = 1;
  ExpectCleanStopAndLedgerHolds(ledger);
}

INSTANTIATE_TEST_SUITE_P(Lifecycle, StartOrderTest, ::testing::ValuesIn(AllStartOrders()),
                         StartOrderName);

// ---- each process restarted in turn ------------------------------------------------

using Lifecycle = testing::FaultTest;

TEST_F(Lifecycle, EachProcessRestartedInTurnDuringARunLosesAndDoublesNothing) {
  // Enough orders that the last restart still falls mid-run: each restart lets the run
  // move on by 2,000-4,600 orders (measured), and 6,000 orders sometimes ended before w2's.
  ASSERT_TRUE(Generate(20000, 506));
  testing::FaultPipeline& pipeline = NewPipeline();
  pipeline.StartDaemons({"w1", "w2"});
  pipeline.StartSubmit(orders().path, {"--batch-size", "500"});

  // Each restart happens once the run has moved on since the last one: a clean stop
  // (SIGTERM, exit 0) mid-run, then a start on the same ports and files.
  int64_t mark = 0;
  for (const std::string role : {"dock", "intake", "w1", "w2"}) {
    const int64_t target = mark + 300;
    ASSERT_TRUE(testing::WaitFor(
        [&] { return testing::DockRecordCount(pipeline.dock_db()) >= target; }, seconds(120)))
        << "no progress before restarting " << role << "\n"
        << pipeline.Logs();
    EXPECT_TRUE(pipeline.Running("submit")) << "the run ended before " << role << " was restarted";
    pipeline.Signal(role, SIGTERM);
    std::optional<int> code = pipeline.WaitExit(role, seconds(30));
    ASSERT_TRUE(code.has_value()) << role << " did not stop on SIGTERM\n" << pipeline.Logs();
    EXPECT_EQ(*code, 0) << role << " on SIGTERM\n" << pipeline.Logs();
    if (role == "dock") pipeline.StartDock();
    if (role == "intake") pipeline.StartIntake();
    if (role == "w1" || role == "w2") pipeline.StartWorker(role);
    mark = testing::DockRecordCount(pipeline.dock_db());
  }

  ASSERT_NO_FATAL_FAILURE(AwaitSubmit(seconds(180)));
  ExpectCleanStopAndLedgerHolds();
}

// ---- a worker frozen past its lease ------------------------------------------------

TEST_F(Lifecycle, WorkerFrozenPastItsLeaseHasItsWorkReleasedAndItsLateResultsDeduplicated) {
  ASSERT_TRUE(Generate(1500, 507));
  const int metrics_port = testing::FreeLoopbackPort();
  testing::FaultPipelineOptions options;
  options.worker_credit = 32;
  options.metrics_port = metrics_port;
  testing::FaultPipeline& pipeline = NewPipeline(options);
  pipeline.StartDock();
  pipeline.StartIntake({"--max-per-lease", "32"});
  pipeline.StartWorker("w1");
  pipeline.StartWorker("w2");
  pipeline.StartSubmit(orders().path);

  // Freeze w1 as soon as it holds a lease, so it is mid-work.
  std::set<std::string> frozen_work;
  ASSERT_TRUE(testing::WaitFor(
      [&] {
        frozen_work = testing::OrdersLeasedTo(pipeline.intake_db(), "w1");
        if (frozen_work.empty()) return false;
        pipeline.Signal("w1", SIGSTOP);
        return true;
      },
      seconds(120)))
      << pipeline.Logs();

  // Its lease expires and w2 does its work: the whole run completes while w1 is frozen.
  ASSERT_NO_FATAL_FAILURE(AwaitSubmit(seconds(180), "while w1 was frozen"));

  // Thawed, w1 finishes what it held: its records reach the dock late and are taken as
  // the same records again (acknowledged, nothing stored or quarantined anew).
  const std::string before = testing::HttpGet(metrics_port, "/metrics");
  const double batches_before = testing::MetricValue(before, "sortline_dock_record_batches_total");
  const double stored_before = testing::MetricValue(before, "sortline_dock_records_stored_total");
  ASSERT_GE(batches_before, 0) << before;
  pipeline.Signal("w1", SIGCONT);
  EXPECT_TRUE(testing::WaitFor(
      [&] {
        return testing::MetricValue(testing::HttpGet(metrics_port, "/metrics"),
                                    "sortline_dock_record_batches_total") > batches_before;
      },
      seconds(30)))
      << "no late records from w1 reached the dock\n"
      << pipeline.Logs();
  const std::string after = testing::HttpGet(metrics_port, "/metrics");
  EXPECT_EQ(testing::MetricValue(after, "sortline_dock_records_stored_total"), stored_before)
      << after;
  std::this_thread::sleep_for(milliseconds(1000));  // w1's late WorkDone, which intake ignores
  EXPECT_TRUE(pipeline.Running("w1")) << pipeline.Logs();
  testing::Ledger ledger = OrdersLedger();
  ledger.must_decode = frozen_work;
  ledger.quarantined = 0;
  ExpectCleanStopAndLedgerHolds(ledger);
}

}  // namespace
}  // namespace sortline
