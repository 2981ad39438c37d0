#include "pipeline/runtime/intake.h"

#include <atomic>
#include <chrono>
#include <map>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

#include "pipeline/base/text.h"
#include "pipeline/metrics/http_server.h"
#include "pipeline/metrics/metrics.h"
#include "pipeline/model/orders.h"
#include "pipeline/runtime/observability.h"
#include "pipeline/runtime/stage_timings.h"
#include "pipeline/transport/envelope.h"

namespace sortline::runtime {
namespace {

using std::chrono::milliseconds;

// How often the journal is asked for work when nothing new arrived: catches leases
// that expired while every worker was idle.
constexpr milliseconds kIdleLeaseCheck(1000);
// The idle loop's wait for a message; a stop request is noticed within it.
constexpr milliseconds kIdleWait(100);
// Orders journaled in one group commit at most; more wait for the next turn.
constexpr size_t kMaxOrdersPerCommit = 20'000;
// Messages handled from one channel before the other gets a turn.
constexpr int kDrainPerTurn = 64;
// How often the backlog gauges are refreshed from the journal.
constexpr int64_t kBacklogRefreshMs = 2000;
// /healthz fails when the serving loop has not turned for this long.
constexpr int64_t kStuckLoopMs = 30'000;

using Steady = std::chrono::steady_clock;

// The intake's metrics, registered once. Thread-safety: as metrics::Registry.
struct IntakeMetrics {
  explicit IntakeMetrics(metrics::Registry& r)
      : registry(r),
        batches_received(r.GetCounter("sortline_intake_batches_received_total",
                                      "Order batches journaled and acknowledged")),
        batches_refused(r.GetCounter("sortline_intake_batches_refused_total",
                                     "Order batches refused (journal full or failing)")),
        orders_accepted(r.GetCounter("sortline_intake_orders_accepted_total",
                                     "Orders journaled from acknowledged batches")),
        orders_rejected(r.GetCounter("sortline_intake_orders_rejected_total",
                                     "Orders refused at intake (invalid or duplicate tracking)")),
        leases(r.GetCounter("sortline_intake_leases_total", "Work batches leased to workers")),
        orders_leased(r.GetCounter("sortline_intake_orders_leased_total",
                                   "Orders leased to workers (a redelivery counts again)")),
        orders_done(r.GetCounter("sortline_intake_orders_done_total",
                                 "Orders workers reported done (record stored at the dock)")),
        orders_failed(
            r.GetCounter("sortline_intake_orders_failed_total", "Orders workers reported failed")),
        pending_perishable(r.GetGauge("sortline_intake_backlog_orders",
                                      "Unfinished orders in the journal",
                                      {{"class", "perishable"}, {"state", "pending"}})),
        pending_ordinary(r.GetGauge("sortline_intake_backlog_orders",
                                    "Unfinished orders in the journal",
                                    {{"class", "ordinary"}, {"state", "pending"}})),
        leased(r.GetGauge("sortline_intake_backlog_orders", "Unfinished orders in the journal",
                          {{"class", "any"}, {"state", "leased"}})),
        submit_commit(Commit("submit")),
        lease_commit(Commit("lease")),
        complete_commit(Commit("complete")),
        workers(r.GetGauge("sortline_intake_workers", "Workers heard from within their lease")) {}

  metrics::Histogram& Commit(const std::string& operation) {
    return registry.GetHistogram("sortline_intake_journal_commit_seconds",
                                 "Journal transactions, from begin to durable commit",
                                 metrics::Histogram::ExponentialBounds(0.0005, 2, 14),
                                 {{"operation", operation}});
  }
  metrics::Gauge& Credit(const std::string& worker) {
    return registry.GetGauge("sortline_intake_worker_credit_orders",
                             "Orders a worker may still be sent (its credit)",
                             {{"worker", worker}});
  }
  void ForgetWorker(const std::string& worker) {
    registry.Remove("sortline_intake_worker_credit_orders", {{"worker", worker}});
  }

  metrics::Registry& registry;
  metrics::Counter& batches_received;
  metrics::Counter& batches_refused;
  metrics::Counter& orders_accepted;
  metrics::Counter& orders_rejected;
  metrics::Counter& leases;
  metrics::Counter& orders_leased;
  metrics::Counter& orders_done;
  metrics::Counter& orders_failed;
  metrics::Gauge& pending_perishable;
  metrics::Gauge& pending_ordinary;
  metrics::Gauge& leased;
  metrics::Histogram& submit_commit;
  metrics::Histogram& lease_commit;
  metrics::Histogram& complete_commit;
  metrics::Gauge& workers;
};

class IntakeImpl final : public Intake {
 public:
  IntakeImpl(const model::DivisionTable& divisions, IntakeOptions options, Clock& clock,
             std::unique_ptr<metrics::Registry> registry, std::unique_ptr<store::Journal> journal)
      : divisions_(divisions),
        options_(std::move(options)),
        clock_(clock),
        registry_(std::move(registry)),
        metrics_(*registry_),
        journal_(std::move(journal)) {}

  // Binds the channels and starts the metrics server. Part of Open.
  Status Start(transport::Context& context) {
    const transport::ChannelOptions submit_options = ObservedChannelOptions(
        options_.security.get(), options_.log, "submitter", *registry_, "submit");
    const transport::ChannelOptions work_options =
        ObservedChannelOptions(options_.security.get(), options_.log, "worker", *registry_, "work");
    SORTLINE_ASSIGN_OR_RETURN(
        submit_, transport::ServerChannel::Bind(context, options_.submit_endpoint, submit_options));
    SORTLINE_ASSIGN_OR_RETURN(
        work_, transport::ServerChannel::Bind(context, options_.work_endpoint, work_options));
    SORTLINE_ASSIGN_OR_RETURN(http_,
                              StartMetrics(
                                  options_.metrics_host, options_.metrics_port, *registry_,
                                  [this] { return Liveness(); }, [this] { return Readiness(); }));
    return Status::Ok();
  }

  ~IntakeImpl() override {
    http_.reset();  // no probe may look at this object once it is being destroyed
  }

  std::string submit_endpoint() const override { return submit_->endpoint(); }
  std::string work_endpoint() const override { return work_->endpoint(); }
  int metrics_port() const override { return http_ ? http_->port() : -1; }
  void RequestStop() override { stop_.store(true); }

  Status Run() override {
    Log(LogLevel::kInfo, "submit on " + submit_->endpoint() + ", work on " + work_->endpoint() +
                             (http_ ? ", metrics on port " + std::to_string(http_->port()) : ""));
    serving_.store(true);
    Status served = Serve();
    serving_.store(false);
    return served;
  }

 private:
  // The probes (civetweb threads): only atomics are read.
  std::string Liveness() const {
    if (!serving_.load()) return "";
    const int64_t idle = SteadyMillis() - loop_turned_ms_.load();
    if (idle > kStuckLoopMs) {
      return "intake loop has not turned for " + std::to_string(idle / 1000) + " s";
    }
    return "";
  }
  std::string Readiness() const {
    if (!serving_.load()) return "intake is not serving (starting or stopping)";
    if (journal_refusing_.load()) return "the journal refuses batches (full or failing)";
    return Liveness();
  }

  Status Serve() {
    while (!stop_.load()) {
      loop_turned_ms_.store(SteadyMillis());
      RefreshBacklog();
      Result<std::vector<size_t>> readable =
          transport::WaitReadable({submit_.get(), work_.get()}, {}, kIdleWait);
      if (!readable.ok()) return readable.status().WithContext("intake poll");
      for (size_t index : readable.value()) {
        if (index == 0) {
          SORTLINE_RETURN_IF_ERROR(HandleSubmits());
          continue;
        }
        for (int i = 0; i < kDrainPerTurn; ++i) {
          Result<std::optional<transport::Incoming>> in = work_->Receive(milliseconds(0));
          if (!in.ok()) return in.status().WithContext("intake receive");
          if (!in.value().has_value()) break;
          SORTLINE_RETURN_IF_ERROR(HandleWork(*in.value()));
        }
      }
      SORTLINE_RETURN_IF_ERROR(Dispatch());
      ForgetSilentWorkers();
      SORTLINE_RETURN_IF_ERROR(PruneJournal());
    }
    Log(LogLevel::kInfo, "stopped");
    return Status::Ok();
  }

  void RefreshBacklog() {
    const int64_t now = SteadyMillis();
    if (now - backlog_refreshed_ms_ < kBacklogRefreshMs) return;
    backlog_refreshed_ms_ = now;
    Result<store::JournalBacklog> backlog = journal_->Backlog();
    if (!backlog.ok()) return;  // a gauge left stale is no reason to stop serving
    metrics_.pending_perishable.Set(static_cast<double>(backlog->pending_perishable));
    metrics_.pending_ordinary.Set(static_cast<double>(backlog->pending_ordinary));
    metrics_.leased.Set(static_cast<double>(backlog->leased));
    metrics_.workers.Set(static_cast<double>(workers_.size()));
  }

  struct Peer {
    uint32_t credit = 0;
    Steady::time_point last_seen{};  // on the intake's Clock::Now
    bool announced = false;          // sent Ready to this intake since it met the worker
  };

  void Log(LogLevel level, const std::string& message) const {
    if (options_.log) options_.log(level, "intake", message);
  }

  // A batch waiting for the group commit, and who asked.
  struct PendingBatch {
    std::string peer;
    v1::SubmitRequest request;
    std::vector<v1::OrderRejection> rejected;
  };

  // Takes what waits on the submit channel: progress questions are answered at once,
  // batches are validated and journaled together in one transaction (group commit), then
  // each is acknowledged. Non-OK only for faults that must stop the process (data loss).
  Status HandleSubmits() {
    std::vector<PendingBatch> group;
    size_t orders = 0;
    for (int i = 0; i < kDrainPerTurn && orders < kMaxOrdersPerCommit; ++i) {
      Result<std::optional<transport::Incoming>> in = submit_->Receive(milliseconds(0));
      if (!in.ok()) return in.status().WithContext("intake receive");
      if (!in.value().has_value()) break;
      std::optional<PendingBatch> batch = TakeSubmit(std::move(*in.value()));
      if (!batch.has_value()) continue;
      orders += static_cast<size_t>(batch->request.batch().orders_size());
      group.push_back(std::move(*batch));
    }
    if (group.empty()) return Status::Ok();
    std::vector<const v1::OrderBatch*> batches;
    std::vector<std::vector<v1::OrderRejection>> rejected;
    for (PendingBatch& pending : group) {
      batches.push_back(&pending.request.batch());
      rejected.push_back(std::move(pending.rejected));
    }
    const Steady::time_point commit_start = Steady::now();
    Result<std::vector<v1::SubmitReply>> stored = journal_->SubmitGroup(batches, rejected);
    metrics_.submit_commit.Observe(SecondsSince(commit_start));
    if (!stored.ok() && stored.status().code() == StatusCode::kDataLoss) return stored.status();
    if (stored.ok()) {
      if (journal_full_) Log(LogLevel::kInfo, "journal takes batches again");
      journal_full_ = false;
    } else {
      const bool passing = stored.status().code() == StatusCode::kResourceExhausted;
      if (passing && !journal_full_) {
        Log(LogLevel::kAlarm,
            "journal full, batches are refused until space returns: " + stored.status().ToString());
      } else if (!passing) {
        Log(LogLevel::kWarning,
            std::to_string(group.size()) + " batches not journaled: " + stored.status().ToString());
      }
      journal_full_ = passing;
    }
    journal_refusing_.store(!stored.ok());
    if (stored.ok()) {
      metrics_.batches_received.Add(group.size());
      for (const v1::SubmitReply& reply : *stored) {
        metrics_.orders_accepted.Add(reply.accepted());
        metrics_.orders_rejected.Add(static_cast<uint64_t>(reply.rejected_size()));
      }
    } else {
      metrics_.batches_refused.Add(group.size());
    }
    for (size_t i = 0; i < group.size(); ++i) {
      v1::SubmitReply reply;
      if (stored.ok()) {
        reply = std::move(stored->at(i));
        if (reply.accepted() > 0) work_may_be_waiting_ = true;
      } else {
        reply.set_batch_id(group[i].request.batch().batch_id());
        reply.set_error(stored.status().ToString());
        reply.set_retry(journal_full_);
      }
      Reply(group[i].peer, std::move(reply));
    }
    return Status::Ok();
  }

  // A batch to journal, or empty when the request was answered already (malformed, a
  // progress question, a batch without id).
  std::optional<PendingBatch> TakeSubmit(transport::Incoming in) {
    v1::SubmitReply reply;
    Result<v1::SubmitRequest> request = transport::Decode<v1::SubmitRequest>(in.payload);
    if (!request.ok()) {
      reply.set_error(request.status().ToString());
    } else if (request->has_batch()) {
      const v1::OrderBatch& batch = request->batch();
      reply.set_batch_id(batch.batch_id());
      if (batch.batch_id().empty()) {
        reply.set_error("batch id is empty");
      } else {
        PendingBatch pending{std::move(in.peer), std::move(request).value(), {}};
        const v1::OrderBatch& orders = pending.request.batch();
        for (int i = 0; i < orders.orders_size(); ++i) {
          Status valid = model::ValidateOrder(orders.orders(i), divisions_);
          if (valid.ok()) valid = model::CheckOrderLimits(orders.orders(i), options_.order_limits);
          if (valid.ok()) continue;
          v1::OrderRejection& r = pending.rejected.emplace_back();
          r.set_order_id(orders.orders(i).order_id());
          r.set_index(static_cast<uint32_t>(i));
          r.set_reason(valid.message());
        }
        return pending;
      }
    } else if (request->has_progress_batch_id()) {
      reply.set_batch_id(request->progress_batch_id());
      Result<v1::BatchProgress> progress = journal_->Progress(request->progress_batch_id());
      if (progress.ok()) {
        *reply.mutable_progress() = std::move(progress).value();
      } else {
        reply.set_error(progress.status().ToString());
      }
    } else if (request->kind_case() == v1::SubmitRequest::kStageTimings) {
      *reply.mutable_stage_timings() = stage_timings_;
    } else {
      reply.set_error("empty submit request");
    }
    Reply(in.peer, std::move(reply));
    return std::nullopt;
  }

  void Reply(const std::string& peer, v1::SubmitReply reply) {
    Status sent = submit_->Send(peer, transport::Encode(std::move(reply)));
    if (!sent.ok()) Log(LogLevel::kWarning, "reply to submitter lost: " + sent.ToString());
  }

  Status HandleWork(const transport::Incoming& in) {
    Result<v1::WorkMessage> message = transport::Decode<v1::WorkMessage>(in.payload);
    if (!message.ok()) {
      v1::WorkMessage error;
      error.set_error(message.status().ToString());
      work_->Send(in.peer, transport::Encode(std::move(error))).IgnoreError();
      return Status::Ok();
    }
    const int64_t now = clock_.UnixMillis();
    Peer& peer = workers_[in.peer];
    peer.last_seen = clock_.Now();
    switch (message->kind_case()) {
      case v1::WorkMessage::kReady:
        peer.credit = message->ready().credit();
        metrics_.Credit(in.peer).Set(peer.credit);
        peer.announced = true;
        work_may_be_waiting_ = true;  // new credit: look at the journal on this turn
        break;
      case v1::WorkMessage::kHeartbeat: {
        // The worker keeps exactly the leases it says it holds.
        const auto& held = message->heartbeat().lease_ids();
        Result<uint64_t> renewed = journal_->Renew(
            in.peer, std::vector<uint64_t>(held.begin(), held.end()), now, options_.lease_ms);
        if (!renewed.ok()) {
          if (renewed.status().code() == StatusCode::kDataLoss) return renewed.status();
          Log(LogLevel::kError, "leases not renewed: " + renewed.status().ToString());
        }
        v1::WorkMessage beat;
        beat.mutable_heartbeat()->set_sent_unix_ms(now);
        // A worker that has not announced its credit to this intake (it restarted, or
        // forgot the worker while it was silent) may hold credit intake does not know.
        beat.mutable_heartbeat()->set_reannounce(!peer.announced);
        work_->Send(in.peer, transport::Encode(std::move(beat))).IgnoreError();
        break;
      }
      case v1::WorkMessage::kDone: {
        const Steady::time_point commit_start = Steady::now();
        Status completed = journal_->Complete(message->done());
        metrics_.complete_commit.Observe(SecondsSince(commit_start));
        if (completed.ok()) {
          AddTimings(message->done().stage_timings(), &stage_timings_);
          for (const v1::OrderResult& result : message->done().results()) {
            (result.outcome() == v1::OUTCOME_FAILED ? metrics_.orders_failed : metrics_.orders_done)
                .Add();
          }
        }
        if (!completed.ok()) {
          if (completed.code() == StatusCode::kDataLoss) return completed;
          // Not recorded: the lease expires and the work is redone, idempotently.
          Log(LogLevel::kError, "results of lease " + std::to_string(message->done().lease_id()) +
                                    " not recorded: " + completed.ToString());
        }
        break;
      }
      default:
        break;
    }
    return Status::Ok();
  }

  // Leases journaled work to workers that have credit.
  Status Dispatch() {
    const Steady::time_point tick = clock_.Now();
    if (!work_may_be_waiting_ && tick - last_idle_check_ < kIdleLeaseCheck) return Status::Ok();
    last_idle_check_ = tick;
    // Leases are journaled with wall-clock deadlines (they outlive this process).
    int64_t now = clock_.UnixMillis();
    work_may_be_waiting_ = false;
    for (auto it = workers_.begin(); it != workers_.end();) {
      Peer& peer = it->second;
      if (peer.credit == 0) {
        ++it;
        continue;
      }
      uint32_t want = std::min(peer.credit, options_.max_orders_per_lease);
      const Steady::time_point commit_start = Steady::now();
      Result<v1::WorkBatch> batch = journal_->Lease(it->first, want, now, options_.lease_ms);
      metrics_.lease_commit.Observe(SecondsSince(commit_start));
      if (!batch.ok()) {
        if (batch.status().code() == StatusCode::kDataLoss) return batch.status();
        Log(LogLevel::kError, "lease failed: " + batch.status().ToString());
        return Status::Ok();
      }
      uint32_t n = static_cast<uint32_t>(batch->orders_size());
      if (n == 0) return Status::Ok();  // nothing left for anyone
      v1::WorkMessage message;
      *message.mutable_work() = std::move(batch).value();
      Status sent = work_->Send(it->first, transport::Encode(std::move(message)));
      if (!sent.ok()) {
        // The worker is gone; its lease expires and the orders go to others.
        Log(LogLevel::kWarning,
            "worker " + it->first + " unreachable, dropped: " + sent.ToString());
        metrics_.ForgetWorker(it->first);
        it = workers_.erase(it);
        continue;
      }
      Log(LogLevel::kDebug, "lease " + std::to_string(message.work().lease_id()) + ": " +
                                std::to_string(n) + " orders to worker " + it->first);
      peer.credit -= std::min(peer.credit, n);  // a redelivered lease may exceed the credit
      metrics_.leases.Add();
      metrics_.orders_leased.Add(n);
      metrics_.Credit(it->first).Set(peer.credit);
      // More may be waiting: look again on the next turn without the idle delay.
      work_may_be_waiting_ = true;
      ++it;
    }
    return Status::Ok();
  }

  // Retention: removes the orders of batches complete for longer than retention_ms, a
  // few batches per turn so that submits and workers keep being served, and looks
  // again every prune_interval_ms once nothing is left. Non-OK only for data loss.
  Status PruneJournal() {
    if (options_.retention_ms <= 0) return Status::Ok();
    const Steady::time_point tick = clock_.Now();
    if (!prune_more_ && tick < next_prune_) return Status::Ok();
    next_prune_ = tick + milliseconds(options_.prune_interval_ms);
    // Completion times are journaled on the wall clock: the cut is on it, the pacing not.
    const int64_t now = clock_.UnixMillis();
    constexpr uint32_t kBatchesPerTurn = 8;
    Result<store::JournalPruned> pruned =
        journal_->Prune(now - options_.retention_ms, kBatchesPerTurn);
    if (!pruned.ok()) {
      if (pruned.status().code() == StatusCode::kDataLoss) return pruned.status();
      Log(LogLevel::kError, "pruning the journal failed: " + pruned.status().ToString());
      prune_more_ = false;
      return Status::Ok();
    }
    pruned_batches_ += pruned->batches;
    pruned_orders_ += pruned->orders;
    prune_more_ = pruned->batches == kBatchesPerTurn;
    if (!prune_more_ && pruned_batches_ > 0) {
      Log(LogLevel::kInfo, "pruned " + std::to_string(pruned_orders_) + " orders of " +
                               std::to_string(pruned_batches_) +
                               " batches complete for longer than the retention time");
      pruned_batches_ = 0;
      pruned_orders_ = 0;
    }
    return Status::Ok();
  }

  void ForgetSilentWorkers() {
    const Steady::time_point now = clock_.Now();
    for (auto it = workers_.begin(); it != workers_.end();) {
      if (now - it->second.last_seen > milliseconds(options_.lease_ms)) {
        Log(LogLevel::kWarning, "worker " + it->first + " silent past its lease, forgotten");
        metrics_.ForgetWorker(it->first);
        it = workers_.erase(it);
      } else {
        ++it;
      }
    }
  }

  const model::DivisionTable& divisions_;
  const IntakeOptions options_;
  Clock& clock_;
  // Declared before the channels: their monitor threads count into it until they close.
  std::unique_ptr<metrics::Registry> registry_;
  IntakeMetrics metrics_;
  std::unique_ptr<store::Journal> journal_;
  std::unique_ptr<transport::ServerChannel> submit_;
  std::unique_ptr<transport::ServerChannel> work_;
  std::unique_ptr<metrics::HttpServer> http_;  // null without a metrics port
  std::atomic<bool> serving_{false};
  std::atomic<bool> journal_refusing_{false};  // the last group commit failed
  std::atomic<int64_t> loop_turned_ms_{0};     // steady clock
  int64_t backlog_refreshed_ms_ = 0;
  std::map<std::string, Peer> workers_;
  bool work_may_be_waiting_ = true;
  bool journal_full_ = false;      // the last Submit was refused for space: alarm raised
  StageTimingList stage_timings_;  // of every WorkDone since start, for the submitters
  Steady::time_point last_idle_check_{};
  Steady::time_point next_prune_ = Steady::time_point::min();  // the first turn prunes
  bool prune_more_ = false;  // the last prune was cut short: go on next turn
  uint64_t pruned_batches_ = 0;
  uint64_t pruned_orders_ = 0;
  std::atomic<bool> stop_{false};
};

}  // namespace

Result<model::S10Range> TrackingShard(const model::S10Range& whole, const std::string& spec,
                                      const std::string& host_name) {
  const auto number = [](std::string_view text) -> std::optional<uint32_t> {
    const std::optional<uint64_t> value = ParseDigits(text);
    if (!value.has_value() || *value > 999'999'999) return std::nullopt;
    return static_cast<uint32_t>(*value);
  };
  const size_t slash = spec.find('/');
  const std::string problem = "tracking shard \"" + spec + "\": ";
  if (slash == std::string::npos) return InvalidArgument(problem + "expected N/M or auto/M");
  std::optional<uint32_t> shards = number(std::string_view(spec).substr(slash + 1));
  if (!shards.has_value() || *shards == 0) return InvalidArgument(problem + "M is not a count");
  std::optional<uint32_t> shard;
  if (spec.substr(0, slash) == "auto") {
    const size_t dash = host_name.rfind('-');
    if (dash != std::string::npos) shard = number(std::string_view(host_name).substr(dash + 1));
    if (!shard.has_value()) {
      return InvalidArgument(problem + "host name \"" + host_name + "\" does not end in -N");
    }
  } else {
    shard = number(std::string_view(spec).substr(0, slash));
    if (!shard.has_value()) return InvalidArgument(problem + "N is not a number");
  }
  if (*shard >= *shards) return InvalidArgument(problem + "N must be below M");
  const uint64_t size = uint64_t{whole.last} - whole.first + 1;
  const uint64_t share = size / *shards;
  if (share == 0) return InvalidArgument(problem + "more shards than serials");
  model::S10Range part = whole;
  part.first = static_cast<uint32_t>(whole.first + share * *shard);
  part.last = *shard + 1 == *shards ? whole.last : static_cast<uint32_t>(part.first + share - 1);
  return part;
}

Result<std::unique_ptr<Intake>> Intake::Open(transport::Context& context,
                                             const model::DivisionTable& divisions,
                                             const IntakeOptions& options, Clock& clock) {
  if (options.lease_ms <= 0) return InvalidArgument("lease must be positive");
  if (options.max_orders_per_lease == 0) return InvalidArgument("max orders per lease is 0");
  if (options.prune_interval_ms <= 0) return InvalidArgument("prune interval must be positive");
  SORTLINE_ASSIGN_OR_RETURN(std::unique_ptr<store::Journal> journal,
                            store::Journal::Open(options.journal_path, options.journal));
  auto intake = std::make_unique<IntakeImpl>(
      divisions, options, clock, std::make_unique<metrics::Registry>(), std::move(journal));
  SORTLINE_RETURN_IF_ERROR(intake->Start(context));
  return std::unique_ptr<Intake>(std::move(intake));
}

}  // namespace sortline::runtime
