// Internal to runtime::Dock: event persistence, the events thread. Takes the decision
// thread's events in batches, writes closed trucks' manifests (retried while the disk
// refuses them, with an ALARM), persists the events and the state they carry, and
// applies the event retention.
//
// Thread-safety: Run() runs on the events thread, which owns the store connection, the
// manifest directory, the backlog and every member; the handoff and metrics it shares
// are thread-safe.
#ifndef PIPELINE_RUNTIME_INTERNAL_DOCK_EVENTS_H_
#define PIPELINE_RUNTIME_INTERNAL_DOCK_EVENTS_H_

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "pipeline/base/file.h"
#include "pipeline/base/thread_annotations.h"
#include "pipeline/dock/event_backlog.h"
#include "pipeline/runtime/dock.h"
#include "pipeline/runtime/internal/dock_handoff.h"
#include "pipeline/runtime/internal/dock_metrics.h"
#include "pipeline/store/dock_store.h"

namespace sortline::runtime::internal {

class EventWriter {
 public:
  // Everything is borrowed and must outlive Run.
  EventWriter(const DockOptions& options, const Clock& clock, store::DockStore& store,
              Directory& manifests, Handoff<v1::DockEvent>& events, DockMetrics& metrics,
              DockHealth& health);

  // Persists until Stop, then what is left: every event handed over before Stop.
  void Run();
  // Ends Run after its last round (thread-safe).
  void Stop() EXCLUDES(stop_mu_);

 private:
  using Steady = std::chrono::steady_clock;
  void Log(LogLevel level, const std::string& message) const;
  bool Stopping() EXCLUDES(stop_mu_);
  void TakeEvents();
  // Writes `manifest`; false when the disk refused (it waits then) or failed.
  bool Write(v1::Manifest& manifest);
  void RetryManifests();
  bool PersistBacklog(bool all);
  void Retain();
  void NoteStalled(const Status& status);
  void NoteWritable(bool drained);

  const DockOptions& options_;
  const Clock& clock_;
  store::DockStore& store_;
  Directory& manifests_;
  Handoff<v1::DockEvent>& events_;
  DockMetrics& metrics_;
  DockHealth& health_;

  Mutex stop_mu_;
  std::condition_variable stop_cv_;
  bool stop_ GUARDED_BY(stop_mu_) = false;

  std::vector<v1::DockEvent> taken_;
  dock::EventBacklog backlog_;
  std::deque<v1::Manifest> waiting_manifests_;  // refused by the disk, retried
  Steady::time_point next_manifest_retry_;
  Steady::time_point next_retention_;
  bool stalled_ = false;
  Steady::time_point stalled_since_;
  Steady::time_point last_refusal_;
};

}  // namespace sortline::runtime::internal

#endif  // PIPELINE_RUNTIME_INTERNAL_DOCK_EVENTS_H_
