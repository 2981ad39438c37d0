#include "pipeline/runtime/intake.h"

#include <atomic>
#include <chrono>
#include <map>
#include <optional>
#include <utility>
#include <vector>

#include "pipeline/model/orders.h"
#include "pipeline/runtime/stage_timings.h"
#include "pipeline/transport/envelope.h"

namespace sortline::runtime {
namespace {

using std::chrono::milliseconds;

// How often the journal is asked for work when nothing new arrived: catches leases
// that expired while every worker was idle.
constexpr int64_t kIdleLeaseCheckMs = 1000;
// Orders journaled in one group commit at most; more wait for the next turn.
constexpr size_t kMaxOrdersPerCommit = 20'000;
// Messages handled from one channel before the other gets a turn.
constexpr int kDrainPerTurn = 64;

class IntakeImpl final : public Intake {
 public:
  IntakeImpl(const model::DivisionTable& divisions, IntakeOptions options, Clock& clock,
             std::unique_ptr<store::Journal> journal,
             std::unique_ptr<transport::ServerChannel> submit,
             std::unique_ptr<transport::ServerChannel> work)
      : divisions_(divisions),
        options_(std::move(options)),
        clock_(clock),
        journal_(std::move(journal)),
        submit_(std::move(submit)),
        work_(std::move(work)) {}

  std::string submit_endpoint() const override { return submit_->endpoint(); }
  std::string work_endpoint() const override { return work_->endpoint(); }
  void RequestStop() override { stop_.store(true); }

  Status Run() override {
    Log("intake: submit on " + submit_->endpoint() + ", work on " + work_->endpoint());
    while (!stop_.load()) {
      Result<std::vector<size_t>> readable =
          transport::WaitReadable({submit_.get(), work_.get()}, {}, milliseconds(100));
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
    Log("intake: stopped");
    return Status::Ok();
  }

 private:
  struct Peer {
    uint32_t credit = 0;
    int64_t last_seen_ms = 0;
    bool announced = false;  // sent Ready to this intake since it met the worker
  };

  void Log(const std::string& line) const {
    if (options_.log) options_.log(line);
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
    Result<std::vector<v1::SubmitReply>> stored = journal_->SubmitGroup(batches, rejected);
    if (!stored.ok() && stored.status().code() == StatusCode::kDataLoss) return stored.status();
    if (stored.ok()) {
      if (journal_full_) Log("intake: journal takes batches again");
      journal_full_ = false;
    } else {
      const bool passing = stored.status().code() == StatusCode::kResourceExhausted;
      if (passing && !journal_full_) {
        Log("intake: ALARM journal full, batches are refused until space returns: " +
            stored.status().ToString());
      } else if (!passing) {
        Log("intake: " + std::to_string(group.size()) +
            " batches not journaled: " + stored.status().ToString());
      }
      journal_full_ = passing;
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
    if (!sent.ok()) Log("intake: reply to submitter lost: " + sent.ToString());
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
    peer.last_seen_ms = now;
    switch (message->kind_case()) {
      case v1::WorkMessage::kReady:
        peer.credit = message->ready().credit();
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
          Log("intake: leases not renewed: " + renewed.status().ToString());
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
        Status completed = journal_->Complete(message->done());
        if (completed.ok()) AddTimings(message->done().stage_timings(), &stage_timings_);
        if (!completed.ok()) {
          if (completed.code() == StatusCode::kDataLoss) return completed;
          // Not recorded: the lease expires and the work is redone, idempotently.
          Log("intake: results of lease " + std::to_string(message->done().lease_id()) +
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
    int64_t now = clock_.UnixMillis();
    if (!work_may_be_waiting_ && now - last_idle_check_ms_ < kIdleLeaseCheckMs) {
      return Status::Ok();
    }
    last_idle_check_ms_ = now;
    work_may_be_waiting_ = false;
    for (auto it = workers_.begin(); it != workers_.end();) {
      Peer& peer = it->second;
      if (peer.credit == 0) {
        ++it;
        continue;
      }
      uint32_t want = std::min(peer.credit, options_.max_orders_per_lease);
      Result<v1::WorkBatch> batch = journal_->Lease(it->first, want, now, options_.lease_ms);
      if (!batch.ok()) {
        if (batch.status().code() == StatusCode::kDataLoss) return batch.status();
        Log("intake: lease failed: " + batch.status().ToString());
        return Status::Ok();
      }
      uint32_t n = static_cast<uint32_t>(batch->orders_size());
      if (n == 0) return Status::Ok();  // nothing left for anyone
      v1::WorkMessage message;
      *message.mutable_work() = std::move(batch).value();
      Status sent = work_->Send(it->first, transport::Encode(std::move(message)));
      if (!sent.ok()) {
        // The worker is gone; its lease expires and the orders go to others.
        Log("intake: worker " + it->first + " unreachable, dropped: " + sent.ToString());
        it = workers_.erase(it);
        continue;
      }
      peer.credit -= std::min(peer.credit, n);  // a redelivered lease may exceed the credit
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
    const int64_t now = clock_.UnixMillis();
    if (!prune_more_ && now - last_prune_ms_ < options_.prune_interval_ms) return Status::Ok();
    last_prune_ms_ = now;
    constexpr uint32_t kBatchesPerTurn = 8;
    Result<store::JournalPruned> pruned =
        journal_->Prune(now - options_.retention_ms, kBatchesPerTurn);
    if (!pruned.ok()) {
      if (pruned.status().code() == StatusCode::kDataLoss) return pruned.status();
      Log("intake: pruning the journal failed: " + pruned.status().ToString());
      prune_more_ = false;
      return Status::Ok();
    }
    pruned_batches_ += pruned->batches;
    pruned_orders_ += pruned->orders;
    prune_more_ = pruned->batches == kBatchesPerTurn;
    if (!prune_more_ && pruned_batches_ > 0) {
      Log("intake: pruned " + std::to_string(pruned_orders_) + " orders of " +
          std::to_string(pruned_batches_) + " batches complete for longer than the retention time");
      pruned_batches_ = 0;
      pruned_orders_ = 0;
    }
    return Status::Ok();
  }

  void ForgetSilentWorkers() {
    int64_t now = clock_.UnixMillis();
    for (auto it = workers_.begin(); it != workers_.end();) {
      if (now - it->second.last_seen_ms > options_.lease_ms) {
        Log("intake: worker " + it->first + " silent past its lease, forgotten");
        it = workers_.erase(it);
      } else {
        ++it;
      }
    }
  }

  const model::DivisionTable& divisions_;
  const IntakeOptions options_;
  Clock& clock_;
  std::unique_ptr<store::Journal> journal_;
  std::unique_ptr<transport::ServerChannel> submit_;
  std::unique_ptr<transport::ServerChannel> work_;
  std::map<std::string, Peer> workers_;
  bool work_may_be_waiting_ = true;
  bool journal_full_ = false;      // the last Submit was refused for space: alarm raised
  StageTimingList stage_timings_;  // of every WorkDone since start, for the submitters
  int64_t last_idle_check_ms_ = 0;
  int64_t last_prune_ms_ = 0;
  bool prune_more_ = false;  // the last prune was cut short: go on next turn
  uint64_t pruned_batches_ = 0;
  uint64_t pruned_orders_ = 0;
  std::atomic<bool> stop_{false};
};

}  // namespace

Result<std::unique_ptr<Intake>> Intake::Open(transport::Context& context,
                                             const model::DivisionTable& divisions,
                                             const IntakeOptions& options, Clock& clock) {
  if (options.lease_ms <= 0) return InvalidArgument("lease must be positive");
  if (options.max_orders_per_lease == 0) return InvalidArgument("max orders per lease is 0");
  if (options.prune_interval_ms <= 0) return InvalidArgument("prune interval must be positive");
  SORTLINE_ASSIGN_OR_RETURN(std::unique_ptr<store::Journal> journal,
                            store::Journal::Open(options.journal_path, options.journal));
  transport::ChannelOptions submit_options;
  submit_options.security = options.security.get();
  submit_options.peer_role = "submitter";
  transport::ChannelOptions work_options = submit_options;
  work_options.peer_role = "worker";
  SORTLINE_ASSIGN_OR_RETURN(
      std::unique_ptr<transport::ServerChannel> submit,
      transport::ServerChannel::Bind(context, options.submit_endpoint, submit_options));
  SORTLINE_ASSIGN_OR_RETURN(
      std::unique_ptr<transport::ServerChannel> work,
      transport::ServerChannel::Bind(context, options.work_endpoint, work_options));
  return std::unique_ptr<Intake>(new IntakeImpl(divisions, options, clock, std::move(journal),
                                                std::move(submit), std::move(work)));
}

}  // namespace sortline::runtime
