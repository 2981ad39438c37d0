// sortline-intake: takes order batches on the submit channel, journals them durably
// before acknowledging, and hands work to workers against their credit on the work
// channel. It prunes batches complete for longer than the retention time.
//
// Metrics (Prometheus, see IntakeOptions::metrics_port), all prefixed sortline_intake_:
// batches_received_total, batches_refused_total, orders_accepted_total,
// orders_rejected_total, leases_total, orders_leased_total, orders_done_total,
// orders_failed_total (as workers report them; a redone order counts again),
// backlog_orders{class,state} (every 2 s), journal_commit_seconds{operation},
// worker_credit_orders{worker}, workers; and sortline_handshakes_refused_total{channel,
// reason}.
//
// Thread-safety: Run() owns the sockets and the journal on the calling thread; only
// RequestStop() may be called from other threads.
#ifndef PIPELINE_RUNTIME_INTAKE_H_
#define PIPELINE_RUNTIME_INTAKE_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "pipeline/base/clock.h"
#include "pipeline/base/log.h"
#include "pipeline/base/result.h"
#include "pipeline/model/divisions.h"
#include "pipeline/model/orders.h"
#include "pipeline/model/s10.h"
#include "pipeline/store/journal.h"
#include "pipeline/transport/channel.h"

namespace sortline::runtime {

struct IntakeOptions {
  std::string submit_endpoint = "tcp://127.0.0.1:5550";  // ROUTER, clients submit here
  std::string work_endpoint = "tcp://127.0.0.1:5551";    // ROUTER, workers connect here
  std::string journal_path = "intake.db";                // SQLite journal file
  store::JournalOptions journal;                         // durability, tracking range
  // A worker silent this long loses its leases and the work goes to others. Workers send
  // a heartbeat listing the leases they hold every second when otherwise silent, and
  // those leases are renewed.
  int64_t lease_ms = 5'000;
  uint32_t max_orders_per_lease = 512;  // one WorkBatch carries at most this many
  // Orders past these are refused as data errors (model::CheckOrderLimits), after
  // model::ValidateOrder; see OrderLimits for the defaults.
  model::OrderLimits order_limits;
  // Retention: the orders of a batch complete for this long are removed from the
  // journal (its totals and reply stay), looked for every `prune_interval_ms`.
  // 0: kept for ever. Default 7 days.
  int64_t retention_ms = 7 * 24 * 3'600'000LL;
  int64_t prune_interval_ms = 600'000;
  LogSink log;  // operational messages at their levels (pipeline/base/log.h); null: silent
  // CURVE on tcp:// endpoints: submitters need a key listed under "submitter", workers
  // one under "worker". null or disabled: plaintext.
  std::shared_ptr<const transport::Security> security;
  // Prometheus /metrics with the /healthz and /readyz probes over HTTP; -1: none, 0: any
  // free port (see metrics_port()).
  int metrics_port = -1;
  std::string metrics_host = "127.0.0.1";
};

// Several intakes must not issue the same tracking numbers: each takes its own share of
// the serials of `whole`. `spec` is "N/M" (share N of M, counting from 0) or "auto/M",
// where N is the number after the last '-' of `host_name` (a StatefulSet pod is named
// <set>-<ordinal>). The M shares are equal consecutive slices of [first, last].
// kInvalidArgument for a malformed spec, N >= M, or a host name without an ordinal.
Result<model::S10Range> TrackingShard(const model::S10Range& whole, const std::string& spec,
                                      const std::string& host_name);

class Intake {
 public:
  // Opens the journal and binds both channels. `divisions` validates incoming orders
  // and must outlive the Intake; so must `context` and `clock`.
  static Result<std::unique_ptr<Intake>> Open(transport::Context& context,
                                              const model::DivisionTable& divisions,
                                              const IntakeOptions& options,
                                              Clock& clock = SystemClock());
  virtual ~Intake() = default;

  // The endpoints actually bound (real ports when 0 was asked for).
  virtual std::string submit_endpoint() const = 0;
  virtual std::string work_endpoint() const = 0;
  // The metrics HTTP port; -1 when none. /healthz fails when the serving loop has not
  // turned for 30 s; /readyz fails until Run serves, and while the journal refuses
  // batches (full).
  virtual int metrics_port() const = 0;

  // Serves until RequestStop(); returns non-OK on a fatal journal or socket error.
  virtual Status Run() = 0;
  virtual void RequestStop() = 0;
};

}  // namespace sortline::runtime

#endif  // PIPELINE_RUNTIME_INTAKE_H_
