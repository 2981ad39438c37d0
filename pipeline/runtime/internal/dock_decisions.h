// Internal to runtime::Dock: the decision loop, on the thread that calls Dock::Run. It
// owns the conveyor ROUTER and the telegram server and polls them together with the
// records handoff's wakeup (one zmq_poll over ZeroMQ sockets and raw descriptors), so a
// request is read, decided and answered by this one thread. Records reach its index
// and its events leave it through Handoffs it only ever tries (never waits for); the
// indexing work per turn is bounded (kIndexPerTurn). It also switches to a new plan
// when one appears in the plan holder, closes departing trucks, and publishes snapshots
// and metrics.
//
// Thread-safety: Run() runs on one thread, which owns every member but the shared
// links, metrics and health (thread-safe).
#ifndef PIPELINE_RUNTIME_INTERNAL_DOCK_DECISIONS_H_
#define PIPELINE_RUNTIME_INTERNAL_DOCK_DECISIONS_H_

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "pipeline/base/rate_limited_log.h"
#include "pipeline/dock/engine.h"
#include "pipeline/dock/telegram.h"
#include "pipeline/runtime/dock.h"
#include "pipeline/runtime/internal/dock_handoff.h"
#include "pipeline/runtime/internal/dock_metrics.h"
#include "pipeline/runtime/internal/dock_records.h"
#include "pipeline/transport/channel.h"

namespace sortline::runtime::internal {

class DecisionLoop {
 public:
  // Everything is borrowed and must outlive Run; `telegram` and `publisher` may be null.
  DecisionLoop(const DockOptions& options, const Clock& clock, dock::Engine& engine,
               transport::ServerChannel& conveyor, dock::TelegramServer* telegram,
               transport::Publisher* publisher, IndexLink& index, Handoff<v1::DockEvent>& events,
               metrics::Registry& registry, DockMetrics& metrics, DockHealth& health);

  // Serves until `stop` is set or the health fails; hands every remaining event over
  // before returning. Non-OK when the conveyor channel fails.
  Status Run(const std::atomic<bool>& stop);

 private:
  using Steady = std::chrono::steady_clock;
  void Log(LogLevel level, const std::string& message) const;
  void HandleConveyor(const transport::Incoming& in);
  // Sends `reply` to `peer`; a reply the channel refuses is counted and logged.
  void Reply(const std::string& peer, v1::ConveyorMessage reply);
  uint8_t HandleTelegram(const v1::SortRequest& request);
  // Counts a decision and its latency from `start` (its arrival).
  void Count(v1::DecisionOutcome outcome, bool repeated, Steady::time_point start);
  // Indexes up to kIndexPerTurn handed-over records; true when more are waiting.
  bool IndexSome();
  void HandOverEvents(bool wait);
  void CheckPlan();
  void Periodic();
  void PublishSnapshot();

  const DockOptions& options_;
  const Clock& clock_;
  dock::Engine& engine_;
  transport::ServerChannel& conveyor_;
  dock::TelegramServer* telegram_;
  transport::Publisher* publisher_;
  IndexLink& index_;
  Handoff<v1::DockEvent>& events_;
  DockMetrics& metrics_;
  DockHealth& health_;
  ChuteGauges chute_gauges_;
  // Lost conveyor replies come in floods (a scanner gone with requests queued).
  RateLimitedLog lost_replies_log_;

  std::vector<dock::IndexedRecord> incoming_;  // taken from the handoff, not yet indexed
  size_t incoming_next_ = 0;
  uint64_t indexed_ = 0;
  std::vector<v1::DockEvent> outgoing_;         // not yet handed to the events thread
  std::shared_ptr<const sort::SortPlan> plan_;  // the one the engine serves
  Steady::time_point next_plan_check_;
  Steady::time_point next_snapshot_;
  metrics::Histogram::Snapshot snapshot_base_;
  Steady::time_point snapshot_time_;
  uint64_t snapshot_decisions_ = 0;
  uint64_t snapshot_records_ = 0;
  uint64_t telegram_errors_seen_ = 0;
  uint64_t forgotten_seen_ = 0;
};

}  // namespace sortline::runtime::internal

#endif  // PIPELINE_RUNTIME_INTERNAL_DOCK_DECISIONS_H_
