// Internal to runtime::Dock: record intake, the records thread. Receives record
// batches, commits them, hands their new records to the decision thread's index and
// acknowledges each batch once its records are indexed (so a parcel whose record was
// acknowledged is known to the very next scan).
//
// Thread-safety: Run() runs on the records thread, which owns the records channel, the
// store connection and every member; the handoff, wakeups, counters and metrics it
// shares are thread-safe.
#ifndef PIPELINE_RUNTIME_INTERNAL_DOCK_RECORDS_H_
#define PIPELINE_RUNTIME_INTERNAL_DOCK_RECORDS_H_

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "pipeline/dock/record_index.h"
#include "pipeline/runtime/dock.h"
#include "pipeline/runtime/internal/dock_handoff.h"
#include "pipeline/runtime/internal/dock_metrics.h"
#include "pipeline/store/dock_store.h"
#include "pipeline/transport/channel.h"

namespace sortline::runtime::internal {

// What the records and decision threads share about the index.
struct IndexLink {
  IndexLink(Wakeup ready, Wakeup indexed_signal)
      : records_ready(std::move(ready)), indexed_wakeup(std::move(indexed_signal)) {}
  Handoff<dock::IndexedRecord> records;  // records thread -> decision thread
  Wakeup records_ready;                  // signalled by the records thread
  std::atomic<uint64_t> indexed{0};      // records indexed so far, by the decision thread
  Wakeup indexed_wakeup;                 // signalled by the decision thread
};

class RecordIntake {
 public:
  // Everything is borrowed and must outlive Run.
  RecordIntake(const DockOptions& options, store::DockStore& store,
               transport::ServerChannel& channel, IndexLink& link, DockMetrics& metrics,
               DockHealth& health);

  // Serves until `stop` is set or the store fails (recorded in the health). Batches not
  // acknowledged by then are resent by their senders.
  void Run(const std::atomic<bool>& stop);

 private:
  struct PendingBatch {
    std::string peer;
    v1::RecordBatch records;
  };
  struct Awaiting {  // committed, acknowledged once `indexed` reaches `target`
    std::string peer;
    v1::RecordsMessage reply;
    uint64_t target;
  };
  struct InFlight {
    uint64_t sequence;
    std::string payload;  // as received, to recognise a resend
  };

  void Log(LogLevel level, const std::string& message) const;
  void ReceiveRecords();
  void Admit(transport::Incoming in);
  void StoreOneBatch();
  void AcknowledgeIndexed();
  void Answer(const std::string& peer, v1::RecordsMessage reply);
  void Reply(const std::string& peer, std::string error);
  void NoteStalled(const Status& status);
  void NoteWritable();
  size_t Held() const { return pending_.size() + awaiting_.size(); }

  const DockOptions& options_;
  store::DockStore& store_;
  transport::ServerChannel& channel_;
  IndexLink& link_;
  DockMetrics& metrics_;
  DockHealth& health_;

  std::vector<int> newly_stored_;
  std::vector<dock::IndexedRecord> handing_;
  std::deque<PendingBatch> pending_;
  std::deque<Awaiting> awaiting_;
  std::map<std::string, InFlight> in_flight_;  // by sender: read, not yet answered
  uint64_t handed_ = 0;                        // records handed to the index so far
  bool stalled_ = false;
  std::chrono::steady_clock::time_point stalled_since_;
};

}  // namespace sortline::runtime::internal

#endif  // PIPELINE_RUNTIME_INTERNAL_DOCK_RECORDS_H_
