#include "pipeline/metrics/metrics.h"

#include <atomic>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "pipeline/metrics/http_server.h"
#include "tests/testing/process.h"
#include "tests/testing/status_matchers.h"

namespace sortline::metrics {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(Metrics, RendersCountersGaugesAndCumulativeHistograms) {
  Registry registry;
  registry.GetCounter("decisions_total", "Decisions", {{"outcome", "SORTED"}}).Add(3);
  registry.GetCounter("decisions_total", "Decisions", {{"outcome", "NO_READ"}}).Add();
  registry.GetGauge("chute_fill", "Fill", {{"chute", "C\"1"}}).Set(7);
  Histogram& latency = registry.GetHistogram("latency_seconds", "Latency", {0.001, 0.01});
  latency.Observe(0.0005);
  latency.Observe(0.005);
  latency.Observe(5);
  std::string text = registry.Render();
  EXPECT_NE(text.find("# TYPE decisions_total counter\n"), std::string::npos) << text;
  EXPECT_NE(text.find("decisions_total{outcome=\"SORTED\"} 3\n"), std::string::npos);
  EXPECT_NE(text.find("decisions_total{outcome=\"NO_READ\"} 1\n"), std::string::npos);
  EXPECT_EQ(text.find("# TYPE decisions_total"), text.rfind("# TYPE decisions_total"))
      << "one TYPE line per family";
  EXPECT_NE(text.find("chute_fill{chute=\"C\\\"1\"} 7\n"), std::string::npos) << text;
  EXPECT_NE(text.find("latency_seconds_bucket{le=\"0.001\"} 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("latency_seconds_bucket{le=\"0.01\"} 2\n"), std::string::npos);
  EXPECT_NE(text.find("latency_seconds_bucket{le=\"+Inf\"} 3\n"), std::string::npos);
  EXPECT_NE(text.find("latency_seconds_count 3\n"), std::string::npos);
}

TEST(Metrics, RemovedSeriesIsNoLongerRenderedWhileItsFamilyStays_Issue11) {
  Registry registry;
  registry.GetGauge("sortline_test_credit_orders", "Credit", {{"worker", "w1"}}).Set(5);
  registry.GetGauge("sortline_test_credit_orders", "Credit", {{"worker", "w2"}}).Set(7);
  registry.Remove("sortline_test_credit_orders", {{"worker", "w1"}});
  const std::string text = registry.Render();
  EXPECT_THAT(text, Not(HasSubstr("w1")));
  EXPECT_THAT(text, HasSubstr("sortline_test_credit_orders{worker=\"w2\"} 7\n"));
}

TEST(Metrics, HistogramQuantilesComeFromTheBuckets) {
  Histogram histogram(Histogram::ExponentialBounds(1, 2, 10));
  for (int i = 0; i < 990; ++i) histogram.Observe(1);
  for (int i = 0; i < 10; ++i) histogram.Observe(100);
  Histogram::Snapshot snapshot = histogram.Read();
  EXPECT_EQ(snapshot.Quantile(0.5), 1);
  EXPECT_EQ(snapshot.Quantile(0.999), 128);
  histogram.Observe(3);
  Histogram::Snapshot delta = histogram.Read().Since(snapshot);
  EXPECT_EQ(delta.count, 1u);
  EXPECT_EQ(delta.Quantile(0.5), 4);
}

TEST(MetricsHttp, ServesTheRegistryOverLoopback) {
  Registry registry;
  Counter& counter = registry.GetCounter("sortline_test_total", "A test counter");
  HttpServerOptions options;
  options.port = 0;
  auto server = HttpServer::Start(options, registry);
  ASSERT_OK(server);
  ASSERT_GT((*server)->port(), 0);
  counter.Add(42);
  std::string response = testing::HttpGet((*server)->port(), "/metrics");
  EXPECT_NE(response.find("200 OK"), std::string::npos) << response;
  EXPECT_NE(response.find("text/plain; version=0.0.4"), std::string::npos) << response;
  EXPECT_NE(response.find("sortline_test_total 42\n"), std::string::npos) << response;
  EXPECT_EQ(testing::HttpGet((*server)->port(), "/nothing-here").find("sortline_test_total"),
            std::string::npos);
}

// Issue 11: the probes Kubernetes asks, on the same port as /metrics.
TEST(MetricsHttp, ProbesAnswer200WhenTheirCheckPassesAnd503WithTheProblemWhenNot_Issue11) {
  Registry registry;
  std::atomic<bool> journal_open{false};
  HttpServerOptions options;
  options.port = 0;
  options.readiness = [&] { return journal_open.load() ? "" : std::string("journal not open"); };
  auto server = HttpServer::Start(options, registry);
  ASSERT_OK(server);
  const int port = (*server)->port();

  std::string alive = testing::HttpGet(port, "/healthz");
  EXPECT_THAT(alive, HasSubstr("200 OK"));
  std::string not_ready = testing::HttpGet(port, "/readyz");
  EXPECT_THAT(not_ready, HasSubstr("503 Service Unavailable"));
  EXPECT_THAT(not_ready, HasSubstr("journal not open"));
  journal_open = true;
  EXPECT_THAT(testing::HttpGet(port, "/readyz"), HasSubstr("200 OK"));
}

TEST(MetricsHttp, LivenessCheckFailingAnswers503_Issue11) {
  Registry registry;
  HttpServerOptions options;
  options.port = 0;
  options.liveness = [] { return std::string("main loop stuck for 31 s"); };
  auto server = HttpServer::Start(options, registry);
  ASSERT_OK(server);
  std::string response = testing::HttpGet((*server)->port(), "/healthz");
  EXPECT_THAT(response, HasSubstr("503"));
  EXPECT_THAT(response, HasSubstr("main loop stuck for 31 s"));
  // Without a readiness check the server is ready.
  EXPECT_THAT(testing::HttpGet((*server)->port(), "/readyz"), HasSubstr("200 OK"));
}

}  // namespace
}  // namespace sortline::metrics
