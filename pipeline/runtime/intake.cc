#include "pipeline/runtime/intake.h"

#include <atomic>
#include <chrono>
#include <map>
#include <utility>
#include <vector>

#include "pipeline/model/orders.h"
#include "pipeline/transport/envelope.h"

namespace sortline::runtime {
namespace {

using std::chrono::milliseconds;

// How often the journal is asked for work when nothing new arrived: catches leases
// that expired while every worker was idle.
constexpr int64_t kIdleLeaseCheckMs = 1000;
// A worker's leases are renewed at most this often (each renewal is a journal commit).
constexpr int64_t kRenewEveryMs = 500;
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
        transport::ServerChannel& channel = index == 0 ? *submit_ : *work_;
        for (int i = 0; i < kDrainPerTurn; ++i) {
          Result<std::optional<transport::Incoming>> in = channel.Receive(milliseconds(0));
          if (!in.ok()) return in.status().WithContext("intake receive");
          if (!in.value().has_value()) break;
          Status handled = index == 0 ? HandleSubmit(*in.value()) : HandleWork(*in.value());
          if (!handled.ok()) return handled;
        }
      }
      SORTLINE_RETURN_IF_ERROR(Dispatch());
      ForgetSilentWorkers();
    }
    Log("intake: stopped");
    return Status::Ok();
  }

 private:
  struct Peer {
    uint32_t credit = 0;
    int64_t last_seen_ms = 0;
    int64_t last_renewed_ms = 0;
  };

  void Log(const std::string& line) const {
    if (options_.log) options_.log(line);
  }

  // Returns non-OK only for faults that must stop the process (journal data loss).
  Status HandleSubmit(const transport::Incoming& in) {
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
        std::vector<v1::OrderRejection> rejected;
        for (int i = 0; i < batch.orders_size(); ++i) {
          Status valid = model::ValidateOrder(batch.orders(i), divisions_);
          if (valid.ok()) continue;
          v1::OrderRejection& r = rejected.emplace_back();
          r.set_order_id(batch.orders(i).order_id());
          r.set_index(static_cast<uint32_t>(i));
          r.set_reason(valid.message());
        }
        Result<v1::SubmitReply> stored = journal_->Submit(batch, rejected);
        if (!stored.ok()) {
          if (stored.status().code() == StatusCode::kDataLoss) return stored.status();
          const bool passing = stored.status().code() == StatusCode::kResourceExhausted;
          if (passing && !journal_full_) {
            Log("intake: ALARM journal full, batches are refused until space returns: " +
                stored.status().ToString());
          } else if (!passing) {
            Log("intake: batch " + batch.batch_id() +
                " not journaled: " + stored.status().ToString());
          }
          journal_full_ = passing;
          reply.set_error(stored.status().ToString());
          reply.set_retry(passing);
        } else {
          if (journal_full_) Log("intake: journal takes batches again");
          journal_full_ = false;
          reply = std::move(stored).value();
          if (reply.accepted() > 0) work_may_be_waiting_ = true;
        }
      }
    } else if (request->has_progress_batch_id()) {
      reply.set_batch_id(request->progress_batch_id());
      Result<v1::BatchProgress> progress = journal_->Progress(request->progress_batch_id());
      if (progress.ok()) {
        *reply.mutable_progress() = std::move(progress).value();
      } else {
        reply.set_error(progress.status().ToString());
      }
    } else {
      reply.set_error("empty submit request");
    }
    Status sent = submit_->Send(in.peer, transport::Encode(std::move(reply)));
    if (!sent.ok()) Log("intake: reply to submitter lost: " + sent.ToString());
    return Status::Ok();
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
    const bool known = workers_.contains(in.peer);
    Peer& peer = workers_[in.peer];
    peer.last_seen_ms = now;
    if (known && now - peer.last_renewed_ms >= kRenewEveryMs) {
      // Any sign of life keeps the worker's work leased to it.
      peer.last_renewed_ms = now;
      Result<uint64_t> renewed = journal_->Renew(in.peer, now, options_.lease_ms);
      if (!renewed.ok()) {
        if (renewed.status().code() == StatusCode::kDataLoss) return renewed.status();
        Log("intake: leases not renewed: " + renewed.status().ToString());
      }
    }
    switch (message->kind_case()) {
      case v1::WorkMessage::kReady:
        peer.credit = message->ready().credit();
        work_may_be_waiting_ = true;  // new credit: look at the journal on this turn
        break;
      case v1::WorkMessage::kHeartbeat: {
        v1::WorkMessage beat;
        beat.mutable_heartbeat()->set_sent_unix_ms(now);
        // A worker met first through a heartbeat (this intake restarted, or forgot it
        // while it was silent) holds credit intake does not know: ask for it.
        beat.mutable_heartbeat()->set_reannounce(!known);
        work_->Send(in.peer, transport::Encode(std::move(beat))).IgnoreError();
        break;
      }
      case v1::WorkMessage::kDone: {
        Status completed = journal_->Complete(message->done());
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
      peer.credit -= n;
      // More may be waiting: look again on the next turn without the idle delay.
      work_may_be_waiting_ = true;
      ++it;
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
  bool journal_full_ = false;  // the last Submit was refused for space: alarm raised
  int64_t last_idle_check_ms_ = 0;
  std::atomic<bool> stop_{false};
};

}  // namespace

Result<std::unique_ptr<Intake>> Intake::Open(transport::Context& context,
                                             const model::DivisionTable& divisions,
                                             const IntakeOptions& options, Clock& clock) {
  if (options.lease_ms <= 0) return InvalidArgument("lease must be positive");
  if (options.max_orders_per_lease == 0) return InvalidArgument("max orders per lease is 0");
  SORTLINE_ASSIGN_OR_RETURN(std::unique_ptr<store::Journal> journal,
                            store::Journal::Open(options.journal_path, options.journal));
  SORTLINE_ASSIGN_OR_RETURN(std::unique_ptr<transport::ServerChannel> submit,
                            transport::ServerChannel::Bind(context, options.submit_endpoint));
  SORTLINE_ASSIGN_OR_RETURN(std::unique_ptr<transport::ServerChannel> work,
                            transport::ServerChannel::Bind(context, options.work_endpoint));
  return std::unique_ptr<Intake>(new IntakeImpl(divisions, options, clock, std::move(journal),
                                                std::move(submit), std::move(work)));
}

}  // namespace sortline::runtime
