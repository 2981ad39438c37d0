// Every daemon observable and probe-able (issue 11): after a run through the processes,
// intake's Prometheus page counts what happened (batches and orders taken, leased, done,
// the backlog by class, journal commit latency, credit per worker) and its /healthz and
// /readyz probes answer on the same port.
#include <chrono>
#include <string>

#include <gtest/gtest.h>

#include "tests/fault/fault_harness.h"
#include "tests/testing/process.h"

namespace sortline {
namespace {

using std::chrono::seconds;

using Observability = testing::FaultTest;

TEST_F(Observability, IntakeMetricsCountTheRunAndItsProbesAnswer_Issue11) {
  ASSERT_TRUE(Generate(600, 517));
  testing::FaultPipeline& pipeline = NewPipeline();
  const int port = testing::FreeLoopbackPort();
  pipeline.StartDock();
  pipeline.StartIntake({"--metrics-port", std::to_string(port)});
  ASSERT_TRUE(testing::WaitFor(
      [&] { return testing::HttpGet(port, "/readyz").find("200 OK") != std::string::npos; },
      seconds(30)))
      << pipeline.Logs();
  EXPECT_NE(testing::HttpGet(port, "/healthz").find("200 OK"), std::string::npos);
  pipeline.StartWorker("w1");
  pipeline.StartSubmit(orders().path, {"--batch-size", "200"});
  ASSERT_NO_FATAL_FAILURE(AwaitSubmit(seconds(120)));

  auto value = [&](const std::string& series) {
    return testing::SeriesValue(testing::HttpGet(port, "/metrics"), series);
  };
  EXPECT_EQ(value("sortline_intake_batches_received_total"), 3);
  EXPECT_EQ(value("sortline_intake_orders_accepted_total"), 600);
  EXPECT_EQ(value("sortline_intake_orders_rejected_total"), 0);
  EXPECT_GE(value("sortline_intake_orders_leased_total"), 600);
  EXPECT_GE(value("sortline_intake_leases_total"), 2);  // 512 orders per lease at most
  EXPECT_GE(value("sortline_intake_orders_done_total"), 600);
  EXPECT_EQ(value("sortline_intake_orders_failed_total"), 0);
  EXPECT_GE(value("sortline_intake_journal_commit_seconds_count{operation=\"submit\"}"), 1);
  EXPECT_GE(value("sortline_intake_journal_commit_seconds_count{operation=\"lease\"}"), 2);
  EXPECT_GE(value("sortline_intake_journal_commit_seconds_count{operation=\"complete\"}"), 2);
  EXPECT_GE(value("sortline_intake_worker_credit_orders{worker=\"w1\"}"), 0);
  // The backlog gauges are refreshed every 2 s: the run's end shows within a few.
  EXPECT_TRUE(testing::WaitFor(
      [&] {
        return value("sortline_intake_backlog_orders{class=\"ordinary\",state=\"pending\"}") == 0 &&
               value("sortline_intake_backlog_orders{class=\"perishable\",state=\"pending\"}") ==
                   0 &&
               value("sortline_intake_backlog_orders{class=\"any\",state=\"leased\"}") == 0 &&
               value("sortline_intake_workers") == 1;
      },
      seconds(10)))
      << testing::HttpGet(port, "/metrics");
  EXPECT_NE(testing::HttpGet(port, "/readyz").find("200 OK"), std::string::npos);
  ExpectCleanStopAndLedgerHolds();
}

}  // namespace
}  // namespace sortline
