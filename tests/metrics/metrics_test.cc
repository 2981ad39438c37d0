#include "pipeline/metrics/metrics.h"

#include <string>

#include <gtest/gtest.h>

#include "pipeline/metrics/http_server.h"
#include "tests/testing/process.h"

namespace sortline::metrics {
namespace {

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
  ASSERT_TRUE(server.ok()) << server.status();
  ASSERT_GT((*server)->port(), 0);
  counter.Add(42);
  std::string response = testing::HttpGet((*server)->port(), "/metrics");
  EXPECT_NE(response.find("200 OK"), std::string::npos) << response;
  EXPECT_NE(response.find("text/plain; version=0.0.4"), std::string::npos) << response;
  EXPECT_NE(response.find("sortline_test_total 42\n"), std::string::npos) << response;
  EXPECT_EQ(testing::HttpGet((*server)->port(), "/nothing-here").find("sortline_test_total"),
            std::string::npos);
}

}  // namespace
}  // namespace sortline::metrics
