// sortline-dock, the loading-dock conveyor controller: stores sort records durably
// (idempotent by order id) and acknowledges them after the commit; answers the
// conveyor's "which chute for this parcel?" from an in-memory index of the committed
// records (pipeline/dock/engine.h), over ZeroMQ and over the binary TCP telegram
// protocol; follows chute events and divert confirmations, loads trucks at the dock
// doors and writes their manifests; publishes events and serves Prometheus metrics.
//
// Threads: Run() answers the conveyor on the calling thread and never touches disk; a
// second thread it starts takes records (commit, index, acknowledge: the sender waits
// for each acknowledgement, so intake is paced by the commits and nothing queues without
// bound) and persists the decision thread's events in batches, writing manifests.
// A record is in the index before its acknowledgement is sent.
//
// Thread-safety: Run() owns the sockets, the store and the engine; only RequestStop()
// and the accessors may be called from other threads.
#ifndef PIPELINE_RUNTIME_DOCK_H_
#define PIPELINE_RUNTIME_DOCK_H_

#include <functional>
#include <memory>
#include <string>

#include "pipeline/base/clock.h"
#include "pipeline/base/result.h"
#include "pipeline/dock/config.h"
#include "pipeline/dock/telegram.h"
#include "pipeline/store/dock_store.h"
#include "pipeline/transport/channel.h"

namespace sortline::runtime {

struct DockOptions {
  std::string records_endpoint = "tcp://127.0.0.1:5560";   // ROUTER, workers send records
  std::string conveyor_endpoint = "tcp://127.0.0.1:5561";  // ROUTER, scanner gateway asks
  std::string events_endpoint;         // PUB for dashboards, e.g. "tcp://127.0.0.1:5562"; "": none
  std::string store_path = "dock.db";  // SQLite record and state store
  store::DockStoreOptions store;
  dock::DockConfig config;                 // chutes, doors, special chutes, tolerances
  std::string manifest_dir = "manifests";  // closed trucks' CSV and PDF manifests
  int telegram_port = -1;                  // TCP telegram server; -1: none, 0: any free port
  std::string telegram_host = "127.0.0.1";
  dock::ByteOrder telegram_byte_order = dock::ByteOrder::kBigEndian;
  int metrics_port = -1;  // Prometheus HTTP /metrics; -1: none, 0: any free port
  std::string metrics_host = "127.0.0.1";
  int event_flush_ms = 20;       // events are persisted at least this often, in batches
  int snapshot_every_ms = 1000;  // DockSnapshot on the events endpoint; trucks' departures
  // Time for events and truck departures. nullptr = SystemClock(). Borrowed.
  const Clock* clock = nullptr;
  std::function<void(const std::string&)> log;  // operational messages; null: silent
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

  // Serves until RequestStop; persists the remaining events before returning. Non-OK
  // when the store failed in a way that risks losing data.
  virtual Status Run() = 0;
  virtual void RequestStop() = 0;
};

}  // namespace sortline::runtime

#endif  // PIPELINE_RUNTIME_DOCK_H_
