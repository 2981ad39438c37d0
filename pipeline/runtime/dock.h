// sortline-dock, the loading-dock conveyor controller: stores sort records durably
// (idempotent by order id) and acknowledges them after the commit; answers the
// conveyor's "which chute for this parcel?" from an in-memory index of the committed
// records (pipeline/dock/engine.h), over ZeroMQ and over the binary TCP telegram
// protocol; follows chute events and divert confirmations, loads trucks at the dock
// doors and writes their manifests; publishes events and serves Prometheus metrics.
//
// Threads (docs/dock.md has the picture):
//   - decision (the thread calling Run): owns the conveyor ROUTER, the telegram
//     connections (polled together with zmq_poll), the engine and its record index, the
//     events PUB. It never touches disk and never waits on another thread: records come
//     to it and events leave it through bounded-time handoffs (internal/dock_handoff.h).
//   - records: owns the records ROUTER and a store connection; commits each batch, hands
//     its new records to the decision thread and acknowledges the batch once they are
//     indexed. Each sender has one batch in flight and the dock reads at most
//     max_pending_record_batches ahead, so intake is paced by the commits and nothing
//     queues without bound.
//   - events: owns a second store connection and the manifest directory; persists the
//     decision thread's events in batches, writes manifests (retried while the disk
//     refuses them), and applies the event retention.
// When the store is full the decisions carry on from memory; records are refused until
// it has room again. With a plan holder, a plan switched into it reaches the decision
// thread within 100 ms and applies between two decisions (dock::Engine::Reconfigure).
//
// Thread-safety: Run() owns everything; only RequestStop() and the accessors may be
// called from other threads.
#ifndef PIPELINE_RUNTIME_DOCK_H_
#define PIPELINE_RUNTIME_DOCK_H_

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "pipeline/base/clock.h"
#include "pipeline/base/file.h"
#include "pipeline/base/log.h"
#include "pipeline/base/result.h"
#include "pipeline/dock/config.h"
#include "pipeline/dock/telegram.h"
#include "pipeline/sort/plan_holder.h"
#include "pipeline/store/dock_store.h"
#include "pipeline/transport/channel.h"

namespace sortline::runtime {

struct DockOptions {
  std::string records_endpoint = "tcp://127.0.0.1:5560";   // ROUTER, workers send records
  std::string conveyor_endpoint = "tcp://127.0.0.1:5561";  // ROUTER, scanner gateway asks
  std::string events_endpoint;         // PUB for dashboards, e.g. "tcp://127.0.0.1:5562"; "": none
  std::string store_path = "dock.db";  // SQLite record and state store
  store::DockStoreOptions store;
  dock::DockConfig config;  // chutes, doors, special chutes, tolerances
  // The sort plan (shared with a reloader). Set: the chutes and doors come from it
  // (dock::ConfigFromPlan over `config`), and from each plan switched into it. Null:
  // `config` as it is.
  std::shared_ptr<sort::PlanHolder> plans;
  // Event retention (off by default: a library user keeps every event). On, the events
  // thread moves the events of past days (hub time) out of the store every
  // check_every_s: into one archive file a day in archive_dir, or deleted when
  // archive_dir is ""; archives older than keep_days are deleted.
  struct Retention {
    bool enabled = false;
    std::string archive_dir;
    int keep_days = 30;
    int check_every_s = 600;
  } retention;
  std::string manifest_dir = "manifests";  // closed trucks' CSV and PDF manifests
  int telegram_port = -1;                  // TCP telegram server; -1: none, 0: any free port
  std::string telegram_host = "127.0.0.1";
  dock::ByteOrder telegram_byte_order = dock::ByteOrder::kBigEndian;
  int metrics_port = -1;  // Prometheus HTTP /metrics; -1: none, 0: any free port
  std::string metrics_host = "127.0.0.1";
  int event_flush_ms = 20;       // events are persisted at least this often, in batches
  int snapshot_every_ms = 1000;  // DockSnapshot on the events endpoint; trucks' departures
  // Record intake's flow control: each sender may have one batch unacknowledged (the
  // acknowledgement is its credit for the next; a second batch meanwhile is refused with
  // an error, a resend of the same sequence is absorbed). At most this many batches,
  // across all senders, are read and not yet acknowledged; past it the dock stops
  // reading and its senders wait on the wire.
  int max_pending_record_batches = 16;
  // When the store refuses writes for a reason that may pass (disk full, busy, an I/O
  // error other than a failed write or fsync): records are refused with an error (the
  // sender resends later), events wait in memory (see dock::EventBacklog for the bound)
  // and are retried this often, and sortline_dock_store_stalled is 1. Manifests the
  // disk refuses are retried this often too. Data loss (a failed write or fsync,
  // corruption) stops the dock instead.
  int store_retry_ms = 200;
  size_t max_event_backlog = 200'000;
  // Fault injection for tests: called on the store thread with "before-commit" (a
  // record batch is about to be committed) and "after-commit" (committed and indexed,
  // not yet acknowledged). Null: none.
  std::function<void(std::string_view point)> probe;
  // Stamps events, truck departures and the retention cut (UnixMillis) and paces
  // snapshots, plan checks, retention, store and manifest retries and stall settling
  // (Clock::Now, steady).
  // Borrowed; nullptr: SystemClock().
  const Clock* clock = nullptr;
  // Where manifests are written. nullptr = DefaultFileSystem(). Borrowed.
  FileSystem* file_system = nullptr;
  LogSink log;  // operational messages at their levels (pipeline/base/log.h); null: silent
  // CURVE on the tcp:// records and conveyor channels: senders of records need a key
  // listed under "worker", scanner gateways one under "conveyor". null or disabled:
  // plaintext. The events feed (dashboards only) and the telegram adapter (PLCs that
  // speak plain TCP) are not covered: keep them on a trusted network.
  std::shared_ptr<const transport::Security> security;
};

class Dock {
 public:
  // Opens the store, rebuilds the index and the engine's state from it, and binds
  // every endpoint.
  static Result<std::unique_ptr<Dock>> Open(transport::Context& context,
                                            const DockOptions& options);
  virtual ~Dock() = default;

  virtual std::string records_endpoint() const = 0;
  virtual std::string conveyor_endpoint() const = 0;
  virtual std::string events_endpoint() const = 0;  // "" when none
  virtual int telegram_port() const = 0;            // -1 when none
  virtual int metrics_port() const = 0;             // -1 when none
  // Seconds Open took to rebuild the index and state from the store.
  virtual double open_seconds() const = 0;

  // Serves until RequestStop; persists the remaining events before returning. Non-OK
  // when the store failed in a way that risks losing data.
  virtual Status Run() = 0;
  virtual void RequestStop() = 0;
};

}  // namespace sortline::runtime

#endif  // PIPELINE_RUNTIME_DOCK_H_
