// Every daemon observable and probe-able (issue 11): after a run through the processes,
// intake's Prometheus page counts what happened (batches and orders taken, leased, done,
// the backlog by class, journal commit latency, credit per worker) and its /healthz and
// /readyz probes answer on the same port.
#include <algorithm>
#include <cctype>
#include <chrono>
#include <set>
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
  testing::FaultPipelineOptions options;
  options.metrics_port = testing::FreeLoopbackPort();  // the dock's
  testing::FaultPipeline& pipeline = NewPipeline(options);
  const int port = testing::FreeLoopbackPort();
  pipeline.StartDock();
  pipeline.StartIntake({"--metrics-port", std::to_string(port)});
  ASSERT_TRUE(testing::WaitFor(
      [&] { return testing::HttpGet(port, "/readyz").find("200 OK") != std::string::npos; },
      seconds(30)))
      << pipeline.Logs();
  EXPECT_NE(testing::HttpGet(port, "/healthz").find("200 OK"), std::string::npos);
  const int worker_port = testing::FreeLoopbackPort();
  pipeline.StartWorker("w1", {"--metrics-port", std::to_string(worker_port)});
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

  // The worker's page: what it did, its stages, its plan; ready while connected.
  const std::string worker = testing::HttpGet(worker_port, "/metrics");
  auto counted = [&](const std::string& series) { return testing::SeriesValue(worker, series); };
  EXPECT_GE(counted("sortline_worker_orders_total{outcome=\"sorted\"}") +
                std::max(0.0, counted("sortline_worker_orders_total{outcome=\"no_rule\"}")) +
                std::max(0.0, counted("sortline_worker_orders_total{outcome=\"rejected\"}")),
            600)
      << worker;
  EXPECT_GE(counted("sortline_worker_batches_total"), 2) << worker;
  EXPECT_EQ(counted("sortline_worker_redone_batches_total"), 0) << worker;
  EXPECT_GT(counted("sortline_worker_label_bytes_total"), 600 * 1000) << worker;
  for (const char* stage : {"labels", "dock", "batch"}) {
    EXPECT_GE(counted(std::string("sortline_worker_stage_seconds_count{stage=\"") + stage + "\"}"),
              2)
        << stage << "\n"
        << worker;
  }
  EXPECT_NE(worker.find("sortline_worker_plan_info{version=\""), std::string::npos) << worker;
  EXPECT_NE(testing::HttpGet(worker_port, "/readyz").find("200 OK"), std::string::npos);
  EXPECT_NE(testing::HttpGet(worker_port, "/healthz").find("200 OK"), std::string::npos);

  // Every metric the Grafana dashboard charts is one a daemon serves (the dock's too).
  const std::string dashboard =
      testing::ReadFile(std::string(SORTLINE_SOURCE_DIR) + "/deploy/k8s/dashboards/sortline.json");
  ASSERT_FALSE(dashboard.empty());
  const std::string served = testing::HttpGet(port, "/metrics") + worker +
                             testing::HttpGet(options.metrics_port, "/metrics");
  std::set<std::string> charted;
  for (size_t at = dashboard.find("sortline_"); at != std::string::npos;
       at = dashboard.find("sortline_", at + 1)) {
    size_t end = at;
    while (end < dashboard.size() &&
           (std::isalnum(static_cast<unsigned char>(dashboard[end])) || dashboard[end] == '_')) {
      ++end;
    }
    std::string name = dashboard.substr(at, end - at);
    for (const char* suffix : {"_bucket", "_count", "_sum"}) {
      if (name.ends_with(suffix)) name.resize(name.size() - std::string(suffix).size());
    }
    charted.insert(name);
  }
  EXPECT_GE(charted.size(), 10u);
  for (const std::string& name : charted) {
    if (name == "sortline_handshakes_refused_total") continue;  // only once one is refused
    EXPECT_NE(served.find("# TYPE " + name + " "), std::string::npos)
        << "the dashboard charts " << name << ", which no daemon serves";
  }
  ExpectCleanStopAndLedgerHolds();
}

}  // namespace
}  // namespace sortline
