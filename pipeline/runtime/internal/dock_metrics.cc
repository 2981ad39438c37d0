#include "pipeline/runtime/internal/dock_metrics.h"

namespace sortline::runtime::internal {
namespace {

constexpr std::array<v1::ChuteState, 3> kChuteStates = {v1::CHUTE_AVAILABLE, v1::CHUTE_FULL,
                                                        v1::CHUTE_FAULTED};

metrics::Counter& Refused(metrics::Registry& registry, const std::string& reason) {
  return registry.GetCounter("sortline_dock_record_batches_refused_total",
                             "Record batches answered with an error", {{"reason", reason}});
}

}  // namespace

DockMetrics::DockMetrics(metrics::Registry& registry)
    : latency(registry.GetHistogram("sortline_dock_decision_latency_seconds",
                                    "Time from a sort request's arrival to its answer",
                                    metrics::Histogram::ExponentialBounds(5e-6, 1.5, 30))),
      repeated(registry.GetCounter("sortline_dock_repeated_transactions_total",
                                   "Repeated transaction ids answered from memory")),
      records(registry.GetCounter("sortline_dock_records_stored_total",
                                  "Sort records newly committed and indexed")),
      record_batches(
          registry.GetCounter("sortline_dock_record_batches_total", "Record batches acknowledged")),
      indexed(registry.GetGauge("sortline_dock_records_indexed", "Records in the in-memory index")),
      index_bytes(registry.GetGauge("sortline_dock_index_bytes",
                                    "Memory of the record index's slot tables")),
      backlog(registry.GetGauge("sortline_dock_event_backlog", "Events waiting to be persisted")),
      events(registry.GetCounter("sortline_dock_events_persisted_total",
                                 "Events written to the store")),
      events_retired(registry.GetCounter(
          "sortline_dock_events_retired_total",
          "Events of past days moved out of the store (archived, or deleted without an archive)")),
      manifests(
          registry.GetCounter("sortline_dock_manifests_total", "Trucks closed with a manifest")),
      manifests_waiting(registry.GetGauge("sortline_dock_manifests_waiting",
                                          "Manifests the disk refused, retried until written (an "
                                          "ALARM line when the first waits)")),
      open_trucks(registry.GetGauge("sortline_dock_open_trucks", "Trucks loading now")),
      telegram_connections(
          registry.GetGauge("sortline_dock_telegram_connections", "Open telegram connections")),
      telegram_errors(
          registry.GetCounter("sortline_dock_telegram_errors_total", "Bad telegram frames")),
      store_stalled(registry.GetGauge(
          "sortline_dock_store_stalled",
          "1 while the store refuses writes (disk full): records are refused, events wait")),
      events_dropped(registry.GetCounter(
          "sortline_dock_events_dropped_total",
          "Decision events left out of the event log while the store refused writes")),
      pending(registry.GetGauge("sortline_dock_record_batches_pending",
                                "Record batches received and not yet acknowledged")),
      pending_peak(registry.GetGauge("sortline_dock_record_batches_pending_peak",
                                     "Most record batches ever waiting at once")),
      refused_store(Refused(registry, "store")),
      refused_window(Refused(registry, "window")),
      refused_malformed(Refused(registry, "malformed")),
      plan_reloads(registry.GetCounter("sortline_dock_plan_reloads_total",
                                       "Sort plans switched to after the first")),
      transactions_forgotten(registry.GetCounter(
          "sortline_dock_transactions_forgotten_total",
          "Scan transactions forgotten before their divert was confirmed (the table was full)")),
      conveyor_replies_lost(registry.GetCounter(
          "sortline_dock_replies_lost_total",
          "Replies the channel refused (the peer gone or its queue full); each is logged",
          {{"channel", "conveyor"}})),
      record_replies_lost(registry.GetCounter(
          "sortline_dock_replies_lost_total",
          "Replies the channel refused (the peer gone or its queue full); each is logged",
          {{"channel", "records"}})) {
  for (int outcome = 0; outcome < kOutcomes; ++outcome) {
    if (!v1::DecisionOutcome_IsValid(outcome)) continue;
    decisions[outcome] = &registry.GetCounter(
        "sortline_dock_decisions_total", "Scan-time decisions by outcome",
        {{"outcome", v1::DecisionOutcome_Name(static_cast<v1::DecisionOutcome>(outcome))}});
  }
}

void ChuteGauges::Update(const std::vector<v1::ChuteStatus>& chutes) {
  for (const v1::ChuteStatus& chute : chutes) {
    auto it = gauges_.find(chute.chute());
    if (it == gauges_.end()) {
      Gauges& made = gauges_[chute.chute()];
      for (size_t i = 0; i < kChuteStates.size(); ++i) {
        made.state[i] = &registry_.GetGauge(
            "sortline_dock_chute_state", "1 for the state each chute is in",
            {{"chute", chute.chute()}, {"state", v1::ChuteState_Name(kChuteStates[i])}});
      }
      made.fill = &registry_.GetGauge("sortline_dock_chute_fill", "Parcels in each chute's bag",
                                      {{"chute", chute.chute()}});
      it = gauges_.find(chute.chute());
    }
    for (size_t i = 0; i < kChuteStates.size(); ++i) {
      it->second.state[i]->Set(chute.state() == kChuteStates[i] ? 1 : 0);
    }
    it->second.fill->Set(chute.fill());
  }
}

}  // namespace sortline::runtime::internal
