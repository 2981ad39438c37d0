#include "pipeline/runtime/internal/dock_records.h"

#include <algorithm>
#include <utility>

#include "pipeline/transport/envelope.h"
#include "proto/wire.pb.h"

namespace sortline::runtime::internal {
namespace {

using std::chrono::milliseconds;
using Steady = std::chrono::steady_clock;
// The wait for a records message when none is pending; short, because the same turn
// hands the indexed records' acknowledgements back (the wakeup fd cuts it short too).
constexpr milliseconds kIdleWait(5);

}  // namespace

RecordIntake::RecordIntake(const DockOptions& options, store::DockStore& store,
                           transport::ServerChannel& channel, IndexLink& link, DockMetrics& metrics,
                           DockHealth& health)
    : options_(options),
      store_(store),
      channel_(channel),
      link_(link),
      metrics_(metrics),
      health_(health) {}

void RecordIntake::Log(LogLevel level, const std::string& message) const {
  if (options_.log) options_.log(level, "dock", message);
}

void RecordIntake::Run(const std::atomic<bool>& stop) {
  while (!stop.load() && health_.ok()) {
    const milliseconds wait = pending_.empty() ? kIdleWait : milliseconds(0);
    Result<std::vector<size_t>> readable =
        transport::WaitReadable({&channel_}, {}, {link_.indexed_wakeup.fd()}, wait);
    if (!readable.ok()) {
      health_.Fail(readable.status().WithContext("dock records poll"));
      return;
    }
    link_.indexed_wakeup.Clear();
    AcknowledgeIndexed();
    ReceiveRecords();
    if (!pending_.empty() && health_.ok()) StoreOneBatch();
  }
}

// Reads record batches until max_pending_record_batches are held or none is left.
void RecordIntake::ReceiveRecords() {
  while (Held() < static_cast<size_t>(std::max(1, options_.max_pending_record_batches))) {
    Result<std::optional<transport::Incoming>> in = channel_.Receive(milliseconds(0));
    if (!in.ok()) {
      health_.Fail(in.status().WithContext("dock records receive"));
      return;
    }
    if (!in.value().has_value()) return;
    Admit(std::move(*in.value()));
  }
}

// Queues a batch, one in flight per sender (until its answer is sent): a sender's
// second batch meanwhile is refused; a resend of the one in flight (the same bytes) is
// answered by its acknowledgement.
void RecordIntake::Admit(transport::Incoming in) {
  Result<v1::RecordsMessage> message = transport::Decode<v1::RecordsMessage>(in.payload);
  if (!message.ok() || !message->has_batch()) {
    metrics_.refused_malformed.Add();
    Reply(in.peer, message.ok() ? "expected a record batch" : message.status().ToString());
    return;
  }
  auto flying = in_flight_.find(in.peer);
  if (flying != in_flight_.end()) {
    if (flying->second.payload == in.payload) return;
    metrics_.refused_window.Add();
    Reply(in.peer, "one record batch at a time: batch " + std::to_string(flying->second.sequence) +
                       " is not acknowledged yet");
    return;
  }
  in_flight_.emplace(in.peer, InFlight{message->batch().sequence(), std::move(in.payload)});
  pending_.push_back(PendingBatch{std::move(in.peer), std::move(*message->mutable_batch())});
  metrics_.pending.Set(static_cast<double>(Held()));
  if (static_cast<double>(Held()) > metrics_.pending_peak.value()) {
    metrics_.pending_peak.Set(static_cast<double>(Held()));
  }
}

void RecordIntake::Reply(const std::string& peer, std::string error) {
  v1::RecordsMessage reply;
  reply.set_error(std::move(error));
  Status sent = channel_.Send(peer, transport::Encode(std::move(reply)));
  if (!sent.ok()) {
    metrics_.record_replies_lost.Add();
    Log(LogLevel::kWarning, "records reply lost: " + sent.ToString());
  }
}

void RecordIntake::Answer(const std::string& peer, v1::RecordsMessage reply) {
  Status sent = channel_.Send(peer, transport::Encode(std::move(reply)));
  if (!sent.ok()) {
    metrics_.record_replies_lost.Add();
    Log(LogLevel::kWarning, "records acknowledgement lost: " + sent.ToString());
  }
  in_flight_.erase(peer);
  metrics_.pending.Set(static_cast<double>(Held()));
}

// Commits the oldest pending batch and hands its new records to the index; it is
// acknowledged once they are indexed. A refused batch is answered with an error and its
// sender resends it; data loss stops the dock with the batch unacknowledged.
void RecordIntake::StoreOneBatch() {
  PendingBatch batch = std::move(pending_.front());
  pending_.pop_front();
  if (options_.probe) options_.probe("before-commit");
  newly_stored_.clear();
  Result<v1::RecordsStored> stored = store_.Store(batch.records, &newly_stored_);
  v1::RecordsMessage reply;
  if (!stored.ok()) {
    if (stored.status().code() == StatusCode::kDataLoss) {
      if (health_.Fail(stored.status())) {
        Log(LogLevel::kError, "store failed, stopping: " + stored.status().ToString());
      }
      return;
    }
    metrics_.refused_store.Add();
    if (MayPass(stored.status())) {
      NoteStalled(stored.status());
    } else {
      Log(LogLevel::kWarning, "records not stored: " + stored.status().ToString());
    }
    reply.set_error(stored.status().ToString());
    Answer(batch.peer, std::move(reply));
    return;
  }
  NoteWritable();
  for (int index : newly_stored_) {
    dock::ToIndexed(batch.records.records(index), &handing_.emplace_back());
  }
  handed_ += handing_.size();
  link_.records.Put(handing_);
  metrics_.records.Add(newly_stored_.size());
  metrics_.record_batches.Add();
  if (options_.probe) options_.probe("after-commit");
  *reply.mutable_stored() = std::move(stored).value();
  if (reply.stored().quarantined() > 0) {
    Log(LogLevel::kAlarm, std::to_string(reply.stored().quarantined()) +
                              " records conflict with stored ones; quarantined");
  }
  awaiting_.push_back(Awaiting{std::move(batch.peer), std::move(reply), handed_});
  if (!newly_stored_.empty()) link_.records_ready.Signal();
  AcknowledgeIndexed();
}

void RecordIntake::AcknowledgeIndexed() {
  const uint64_t indexed = link_.indexed.load(std::memory_order_acquire);
  while (!awaiting_.empty() && awaiting_.front().target <= indexed) {
    Awaiting done = std::move(awaiting_.front());
    awaiting_.pop_front();
    Answer(done.peer, std::move(done.reply));
  }
}

void RecordIntake::NoteStalled(const Status& status) {
  metrics_.store_stalled.Set(health_.SetStalled(DockHealth::kRecords, true) ? 1 : 0);
  if (stalled_) return;
  stalled_ = true;
  stalled_since_ = Steady::now();
  Log(LogLevel::kAlarm, "store refuses record batches; they are refused until it has room again: " +
                            status.ToString());
}

void RecordIntake::NoteWritable() {
  if (!stalled_) return;
  stalled_ = false;
  metrics_.store_stalled.Set(health_.SetStalled(DockHealth::kRecords, false) ? 1 : 0);
  const auto ms = std::chrono::duration_cast<milliseconds>(Steady::now() - stalled_since_).count();
  Log(LogLevel::kInfo, "store takes records again after " + std::to_string(ms) + " ms");
}

}  // namespace sortline::runtime::internal
