// Internal to runtime::Dock: its Prometheus metrics, registered once, and the per-chute
// gauges of the status page.
//
// Thread-safety: DockMetrics is as metrics::Registry (every member may be updated from
// any thread); ChuteGauges belongs to the decision thread.
#ifndef PIPELINE_RUNTIME_INTERNAL_DOCK_METRICS_H_
#define PIPELINE_RUNTIME_INTERNAL_DOCK_METRICS_H_

#include <array>
#include <map>
#include <string>
#include <vector>

#include "pipeline/metrics/metrics.h"
#include "proto/dock.pb.h"
#include "proto/wire.pb.h"

namespace sortline::runtime::internal {

inline constexpr int kOutcomes = v1::DecisionOutcome_ARRAYSIZE;

struct DockMetrics {
  explicit DockMetrics(metrics::Registry& registry);

  std::array<metrics::Counter*, kOutcomes> decisions{};
  metrics::Histogram& latency;
  metrics::Counter& repeated;
  metrics::Counter& records;
  metrics::Counter& record_batches;
  metrics::Gauge& indexed;
  metrics::Gauge& index_bytes;
  metrics::Gauge& backlog;
  metrics::Counter& events;
  metrics::Counter& events_retired;
  metrics::Counter& manifests;
  metrics::Gauge& manifests_waiting;
  metrics::Gauge& open_trucks;
  metrics::Gauge& telegram_connections;
  metrics::Counter& telegram_errors;
  metrics::Gauge& store_stalled;
  metrics::Counter& events_dropped;
  metrics::Gauge& pending;
  metrics::Gauge& pending_peak;
  metrics::Counter& refused_store;
  metrics::Counter& refused_window;
  metrics::Counter& refused_malformed;
  metrics::Counter& plan_reloads;
  metrics::Counter& transactions_forgotten;
  // Replies the channel refused (the peer gone, its queue full), by channel.
  metrics::Counter& conveyor_replies_lost;
  metrics::Counter& record_replies_lost;
};

// The gauges of each chute, registered on first sight and then updated without the
// registry's lock (a scrape holds it while rendering).
class ChuteGauges {
 public:
  explicit ChuteGauges(metrics::Registry& registry) : registry_(registry) {}
  void Update(const std::vector<v1::ChuteStatus>& chutes);

 private:
  struct Gauges {
    std::array<metrics::Gauge*, 3> state{};
    metrics::Gauge* fill = nullptr;
  };
  metrics::Registry& registry_;
  std::map<std::string, Gauges> gauges_;
};

}  // namespace sortline::runtime::internal

#endif  // PIPELINE_RUNTIME_INTERNAL_DOCK_METRICS_H_
