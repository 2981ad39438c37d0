// sortline-worker: asks intake for work against its credit, runs each WorkBatch
// through the order flow (validate, assign, then the batch's labels rendered and stored
// as one durable unit, see label_store.h), sends the records to dock, and reports the
// work done to intake only after dock acknowledged them. It also removes label files
// older than the retention time.
//
// Faults: a label the disk refuses (full, or another I/O refusal) is not a failed
// parcel; the whole batch is redone after a pause, with an alarm, while heartbeats keep
// its lease. A failed fsync is data loss: Run returns kDataLoss and the process should
// exit; the batch is redone elsewhere once its lease expires. Heartbeats go to intake
// whenever the worker has been silent for `heartbeat_ms`, also while it renders and
// while it waits for dock.
//
// Thread-safety: Run() owns its sockets on the calling thread (the flow uses TBB
// threads inside); only RequestStop() may be called from other threads.
#ifndef PIPELINE_RUNTIME_WORKER_H_
#define PIPELINE_RUNTIME_WORKER_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "pipeline/base/clock.h"
#include "pipeline/base/file.h"
#include "pipeline/base/log.h"
#include "pipeline/base/result.h"
#include "pipeline/flow/order_flow.h"
#include "pipeline/label/label_store.h"
#include "pipeline/model/divisions.h"
#include "pipeline/sort/plan_holder.h"
#include "pipeline/sort/sort_plan.h"
#include "pipeline/transport/channel.h"

namespace sortline::runtime {

struct WorkerOptions {
  std::string intake_endpoint = "tcp://127.0.0.1:5551";  // intake's work channel
  // Several intakes (shards): the worker connects to each, announces its credit to each
  // and takes work from all of them (a work batch goes back to the intake it came from).
  // Empty: intake_endpoint alone.
  std::vector<std::string> intake_endpoints;
  std::string dock_endpoint = "tcp://127.0.0.1:5560";  // dock's records channel
  std::string name;                                    // routing id; empty: "worker-<pid>-<n>"
  std::string label_dir = "labels";                    // the label store's directory
  bool fsync_labels = true;  // labels durable (one flush per batch) before records are sent
  // How long label files are kept (then the worker removes them, and their index logs,
  // checking every `prune_interval_ms`). 0: kept for ever. Default 7 days.
  int64_t label_retention_ms = 7 * 24 * 3'600'000LL;
  int64_t prune_interval_ms = 600'000;
  FileSystem* file_system = nullptr;  // where labels are written; nullptr: the real one
  uint32_t credit = 512;              // orders asked for at a time
  int dock_ack_timeout_ms = 10'000;   // resend records to dock after this
  int heartbeat_ms = 1000;            // a heartbeat to intake when silent this long
  int retry_pause_ms = 1000;          // wait before redoing a batch the disk refused
  // Paces heartbeats, pauses, resends and pruning (Clock::Now, steady) and stamps
  // heartbeats and the retention cut (UnixMillis). Borrowed; nullptr: SystemClock().
  const Clock* clock = nullptr;
  flow::FlowOptions flow;  // label files (batch or per parcel), chute order, template, ZPL
  LogSink log;  // operational messages at their levels (pipeline/base/log.h); null: silent
  // Fault injection for tests; null: none. Called with "before-render" (a WorkBatch
  // arrived, nothing rendered yet), "mid-label-write" (part of its batch label file is in
  // the file's temporary), "after-labels" (its labels are written and fsynced, its
  // records not yet acknowledged by dock) and "after-dock-ack" (dock acknowledged,
  // WorkDone not yet sent to intake).
  std::function<void(std::string_view point)> probe;
  // CURVE on tcp:// endpoints: this worker's key pair, and the keys of the servers
  // listed under "intake" and "dock". null or disabled: plaintext.
  std::shared_ptr<const transport::Security> security;
  // Prometheus /metrics with /healthz and /readyz over HTTP; -1: none, 0: any free port.
  // Metrics, prefixed sortline_worker_: orders_total{outcome}, batches_total,
  // redone_batches_total (redone because the disk refused labels), label_bytes_total,
  // stage_seconds{stage} per work batch (labels: validate, assign, render and store;
  // dock: until the dock's acknowledgement; batch: arrival to WorkDone), plan_info{version};
  // and sortline_handshakes_refused_total{channel,reason} of its own connections.
  // /readyz: the dock and at least one intake connected, labels being written.
  int metrics_port = -1;
  std::string metrics_host = "127.0.0.1";
};

class Worker {
 public:
  // `divisions` and `plan` must outlive the Worker; so must `context`.
  static Result<std::unique_ptr<Worker>> Open(transport::Context& context,
                                              const model::DivisionTable& divisions,
                                              std::shared_ptr<const sort::SortPlan> plan,
                                              const WorkerOptions& options);
  // As above, with a plan that may be replaced while the worker runs (hot reload): each
  // order is assigned with the plan `plans` holds when the order reaches assignment.
  static Result<std::unique_ptr<Worker>> Open(transport::Context& context,
                                              const model::DivisionTable& divisions,
                                              std::shared_ptr<const sort::PlanHolder> plans,
                                              const WorkerOptions& options);
  virtual ~Worker() = default;

  // The metrics HTTP port; -1 when none.
  virtual int metrics_port() const = 0;

  // Works until RequestStop(); finishes the batch in hand first.
  virtual Status Run() = 0;
  virtual void RequestStop() = 0;
};

}  // namespace sortline::runtime

#endif  // PIPELINE_RUNTIME_WORKER_H_
