// pipeline/metrics owns process metrics (here) and serving them and the probes over
// HTTP (http_server.h, the only user of civetweb).
//
// Process metrics in the Prometheus text exposition format (version 0.0.4): counters,
// gauges and fixed-bucket histograms, each a series of one family (name + labels).
//
// Thread-safety: a Registry and every metric it hands out are thread-safe. Metrics are
// updated with relaxed atomics (a scrape sees each value whole, not all values at one
// instant). References returned by a Registry stay valid for its lifetime.
#ifndef PIPELINE_METRICS_METRICS_H_
#define PIPELINE_METRICS_METRICS_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "pipeline/base/thread_annotations.h"

namespace sortline::metrics {

using Labels = std::vector<std::pair<std::string, std::string>>;

class Counter {
 public:
  void Add(uint64_t n = 1) { value_.fetch_add(n, std::memory_order_relaxed); }
  uint64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> value_{0};
};

class Gauge {
 public:
  void Set(double v) { value_.store(v, std::memory_order_relaxed); }
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

// Cumulative buckets with the given upper bounds (ascending), plus +Inf.
class Histogram {
 public:
  explicit Histogram(std::vector<double> upper_bounds);
  Histogram(const Histogram&) = delete;
  Histogram& operator=(const Histogram&) = delete;

  void Observe(double value);

  struct Snapshot {
    std::vector<double> upper_bounds;
    std::vector<uint64_t> counts;  // per bucket (not cumulative); last is +Inf
    uint64_t count = 0;
    double sum = 0;
    // The upper bound of the bucket holding quantile `q` (0..1) of the observations; 0
    // when empty; the largest finite bound when it falls in +Inf.
    double Quantile(double q) const;
    // This snapshot minus an earlier one of the same histogram.
    Snapshot Since(const Snapshot& earlier) const;
  };
  Snapshot Read() const;

  // `count` bounds from `first`, each `factor` times the previous.
  static std::vector<double> ExponentialBounds(double first, double factor, int count);

 private:
  const std::vector<double> upper_bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> counts_;
  std::atomic<uint64_t> count_{0};
  std::atomic<double> sum_{0};
};

class Registry {
 public:
  Registry() = default;
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  // The series `name{labels}`, created on first use. A family's `help` is the one given
  // first. REQUIRES: `name` is a valid metric name and is used with one type only.
  Counter& GetCounter(const std::string& name, const std::string& help, const Labels& labels = {});
  Gauge& GetGauge(const std::string& name, const std::string& help, const Labels& labels = {});
  // `upper_bounds` apply when the series is created.
  Histogram& GetHistogram(const std::string& name, const std::string& help,
                          std::vector<double> upper_bounds, const Labels& labels = {});

  // Forgets the series `name{labels}` (e.g. of a peer that left), so it is no longer
  // rendered. References to it become invalid: drop them first. No-op when absent.
  void Remove(const std::string& name, const Labels& labels);

  // Every family in creation order, as Prometheus text.
  std::string Render() const;

 private:
  enum class Type { kCounter, kGauge, kHistogram };
  struct Series {
    Labels labels;
    std::unique_ptr<Counter> counter;
    std::unique_ptr<Gauge> gauge;
    std::unique_ptr<Histogram> histogram;
  };
  struct Family {
    std::string name;
    std::string help;
    Type type;
    std::vector<std::unique_ptr<Series>> series;
  };
  Series& Find(const std::string& name, const std::string& help, Type type, const Labels& labels)
      REQUIRES(mu_);

  mutable Mutex mu_;
  std::vector<std::unique_ptr<Family>> families_ GUARDED_BY(mu_);
};

}  // namespace sortline::metrics

#endif  // PIPELINE_METRICS_METRICS_H_
