#include "pipeline/runtime/worker.h"

#include <atomic>
#include <chrono>
#include <random>
#include <utility>

#include <unistd.h>

#include "pipeline/base/clock.h"
#include "pipeline/runtime/stage_timings.h"
#include "pipeline/transport/envelope.h"

namespace sortline::runtime {
namespace {

using std::chrono::milliseconds;
using Steady = std::chrono::steady_clock;

// How a batch went through the flow.
enum class FlowVerdict {
  kDone,     // every order has its outcome; records and results are ready
  kRetry,    // the disk refused a label: redo the whole batch later
  kStopped,  // asked to stop while waiting
};

// True for label write refusals that pass (disk full, a directory briefly missing): the
// order is fine, the batch is redone. Render failures and bad orders are not retried.
bool IsPassingWriteFailure(const Status& status) {
  return status.code() == StatusCode::kResourceExhausted || status.code() == StatusCode::kIoError;
}

uint64_t RandomStart() {
  std::random_device random;
  return (uint64_t{random()} << 32) | random();
}

class WorkerImpl final : public Worker {
 public:
  WorkerImpl(const model::DivisionTable& divisions, std::shared_ptr<const sort::PlanHolder> plans,
             WorkerOptions options, std::unique_ptr<label::LabelStore> labels,
             std::unique_ptr<transport::ClientChannel> intake,
             std::unique_ptr<transport::ClientChannel> dock)
      : divisions_(divisions),
        plans_(std::move(plans)),
        options_(std::move(options)),
        labels_(std::move(labels)),
        intake_(std::move(intake)),
        dock_(std::move(dock)) {}

  void RequestStop() override { stop_.store(true); }

  Status Run() override {
    Log("worker " + options_.name + ": intake " + options_.intake_endpoint + ", dock " +
        options_.dock_endpoint + ", " +
        std::string(label::LabelFilesName(options_.flow.label_files)) + " labels in " +
        options_.label_dir);
    AnnounceCredit();
    while (!stop_.load()) {
      Result<std::optional<std::string>> in = intake_->Receive(milliseconds(200));
      if (!in.ok()) return in.status().WithContext("worker receive");
      KeepAlive();
      PruneLabels();
      if (!in.value().has_value()) continue;
      Result<v1::WorkMessage> message = transport::Decode<v1::WorkMessage>(*in.value());
      if (!message.ok()) {
        Log("worker: bad message from intake: " + message.status().ToString());
        continue;
      }
      if (message->has_work()) {
        // Ask for the next batch before working on this one, so it is queued here when
        // this one is done: at most two batches are ever held.
        AnnounceCredit();
        SORTLINE_RETURN_IF_ERROR(Process(message->work()));
      } else if (message->has_heartbeat() && message->heartbeat().reannounce()) {
        Log("worker: intake does not know this worker (restarted?); announcing credit");
        AnnounceCredit();
      } else if (message->has_error()) {
        Log("worker: intake says: " + message->error());
      }
    }
    Log("worker " + options_.name + ": stopped");
    return Status::Ok();
  }

 private:
  void Log(const std::string& line) const {
    if (options_.log) options_.log(line);
  }

  void Probe(std::string_view point) const {
    if (options_.probe) options_.probe(point);
  }

  // Removes label files past the retention time, at most every prune_interval_ms (a
  // listing of the label directory), between batches. A refusal is logged and tried
  // again next time.
  void PruneLabels() {
    if (options_.label_retention_ms <= 0) return;
    const int64_t now = SystemClock().UnixMillis();
    if (now - last_prune_ms_ < options_.prune_interval_ms) return;
    last_prune_ms_ = now;
    Result<label::PruneStats> pruned = labels_->Prune(now - options_.label_retention_ms);
    if (!pruned.ok()) {
      Log("worker: pruning old labels failed: " + pruned.status().ToString());
    } else if (pruned->label_files > 0) {
      Log("worker: pruned " + std::to_string(pruned->label_files) + " label files and " +
          std::to_string(pruned->index_logs) + " index logs older than the retention time");
    }
  }

  void AnnounceCredit() {
    v1::WorkMessage ready;
    ready.mutable_ready()->set_credit(options_.credit);
    SendToIntake(std::move(ready));
  }

  // A heartbeat when nothing went to intake for heartbeat_ms, naming the lease in hand:
  // intake renews it on each one, so long waits (a full disk, a slow dock) keep the work.
  void KeepAlive() {
    int64_t now = SystemClock().UnixMillis();
    if (now - last_sent_ms_ < options_.heartbeat_ms) return;
    v1::WorkMessage beat;
    beat.mutable_heartbeat()->set_sent_unix_ms(now);
    if (lease_in_hand_ != 0) beat.mutable_heartbeat()->add_lease_ids(lease_in_hand_);
    SendToIntake(std::move(beat));
  }

  void SendToIntake(v1::WorkMessage message) {
    Status sent = intake_->Send(transport::Encode(std::move(message)));
    last_sent_ms_ = SystemClock().UnixMillis();
    if (!sent.ok()) Log("worker: intake unreachable: " + sent.ToString());
  }

  // Sleeps `pause`, heartbeating. False when asked to stop.
  bool PauseAlive(milliseconds pause) {
    const Steady::time_point until = Steady::now() + pause;
    while (!stop_.load() && Steady::now() < until) {
      KeepAlive();
      ::usleep(50'000);
    }
    return !stop_.load();
  }

  // Renders, stores at dock and reports one WorkBatch. Non-OK only for data loss (a
  // failed fsync), which must end the process.
  Status Process(const v1::WorkBatch& work) {
    lease_in_hand_ = work.lease_id();
    Status processed = ProcessLease(work);
    lease_in_hand_ = 0;
    return processed;
  }

  Status ProcessLease(const v1::WorkBatch& work) {
    Probe("before-render");
    v1::RecordBatch records;
    v1::WorkMessage done_message;
    // How long this lease's stages took; goes to intake with its WorkDone.
    StageTimings timings(options_.flow.label_files == label::LabelFiles::kPerParcel);
    bool alarmed = false;
    while (true) {
      Status fatal = Status::Ok();
      FlowVerdict verdict = RunFlow(work, records, *done_message.mutable_done(), fatal, timings);
      if (!fatal.ok())
        return fatal.WithContext("worker: label of lease " + std::to_string(work.lease_id()));
      if (verdict == FlowVerdict::kStopped) return Status::Ok();
      if (verdict == FlowVerdict::kDone) break;
      if (!alarmed) {
        Log("worker: ALARM labels of lease " + std::to_string(work.lease_id()) +
            " could not be written (" + retry_reason_ + "); retrying while it lasts");
        alarmed = true;
      }
      if (!PauseAlive(milliseconds(options_.retry_pause_ms))) return Status::Ok();
    }
    if (alarmed) Log("worker: labels of lease " + std::to_string(work.lease_id()) + " written");
    Probe("after-labels");
    records.set_sequence(++sequence_);
    if (records.records_size() > 0) {
      const Steady::time_point sent = Steady::now();
      if (!StoreAtDock(records)) return Status::Ok();
      timings.RecordDockAck(Steady::now() - sent);
    }
    Probe("after-dock-ack");
    timings.AddTo(done_message.mutable_done()->mutable_stage_timings());
    SendToIntake(std::move(done_message));
    return Status::Ok();
  }

  // Runs the batch through the flow into `records` (what goes to dock) and `done` (every
  // order's outcome for intake). `fatal` is set on data loss.
  FlowVerdict RunFlow(const v1::WorkBatch& work, v1::RecordBatch& records, v1::WorkDone& done,
                      Status& fatal, StageTimings& timings) {
    records.Clear();
    done.Clear();
    done.set_lease_id(work.lease_id());
    bool retry = false;
    flow::FlowDeps deps;
    deps.divisions = &divisions_;
    deps.plan = [this] { return plans_->Get(); };
    deps.labels = labels_.get();
    int next = 0;
    // The callbacks run one at a time on TBB threads while this thread waits in
    // RunOrderFlow, so the intake socket is never used by two threads at once.
    flow::FlowOptions flow_options = options_.flow;
    flow_options.timer = &timings;
    Status ran = flow::RunOrderFlow(
        flow_options, deps,
        [&](flow::FlowItem& item) {
          if (next >= work.orders_size()) return false;
          item.order = work.orders(next++);
          return true;
        },
        [&](flow::FlowItem&& item) {
          KeepAlive();
          if (item.status.code() == StatusCode::kDataLoss) {
            if (fatal.ok()) fatal = item.status;
            return;
          }
          if (IsPassingWriteFailure(item.status)) {
            retry = true;
            retry_reason_ = item.status.ToString();
            return;
          }
          v1::OrderResult* result = done.add_results();
          result->set_order_id(item.order.order_id());
          result->set_outcome(item.record.outcome());
          result->set_reason(item.record.reason());
          // A parcel that could not be labelled is not on the conveyor: no record.
          if (item.record.outcome() != v1::OUTCOME_FAILED) {
            *records.add_records() = std::move(item.record);
          }
        });
    if (!ran.ok()) {
      // The flow could not start (e.g. no renderer): the same as a refused disk, redo.
      retry_reason_ = ran.ToString();
      return stop_.load() ? FlowVerdict::kStopped : FlowVerdict::kRetry;
    }
    if (!fatal.ok()) return FlowVerdict::kDone;
    if (retry) return stop_.load() ? FlowVerdict::kStopped : FlowVerdict::kRetry;
    return FlowVerdict::kDone;
  }

  // Sends the records until dock acknowledges their commit. False when stopping first.
  bool StoreAtDock(const v1::RecordBatch& records) {
    v1::RecordsMessage message;
    *message.mutable_batch() = records;
    const std::string payload = transport::Encode(std::move(message));
    bool refused = false;
    while (!stop_.load()) {
      Status sent = dock_->Send(payload);
      if (!sent.ok()) Log("worker: dock unreachable: " + sent.ToString());
      const Steady::time_point deadline =
          Steady::now() + milliseconds(options_.dock_ack_timeout_ms);
      while (!stop_.load() && Steady::now() < deadline) {
        KeepAlive();
        Result<std::optional<std::string>> in = dock_->Receive(milliseconds(100));
        if (!in.ok()) {
          Log("worker: dock receive failed: " + in.status().ToString());
          break;
        }
        if (!in.value().has_value()) continue;
        Result<v1::RecordsMessage> reply = transport::Decode<v1::RecordsMessage>(*in.value());
        if (!reply.ok()) continue;
        if (reply->has_error()) {
          // The dock withholds its acknowledgement (e.g. its disk is full): resend later.
          if (!refused) Log("worker: dock refused records, will resend: " + reply->error());
          refused = true;
          break;
        }
        if (reply->has_stored() && reply->stored().sequence() == records.sequence()) {
          if (refused) Log("worker: dock took the records it refused before");
          if (reply->stored().quarantined() > 0) {
            Log("worker: dock quarantined " + std::to_string(reply->stored().quarantined()) +
                " conflicting records");
          }
          return true;
        }
        // An acknowledgement of an earlier resend: ignore.
      }
      if (!PauseAlive(milliseconds(200))) return false;
    }
    return false;
  }

  const model::DivisionTable& divisions_;
  std::shared_ptr<const sort::PlanHolder> plans_;  // each order takes the plan of its time
  const WorkerOptions options_;
  std::unique_ptr<label::LabelStore> labels_;
  std::unique_ptr<transport::ClientChannel> intake_;
  std::unique_ptr<transport::ClientChannel> dock_;
  // Record batch sequence numbers start at a random point: dock acknowledges by
  // sequence, and a worker restarted under the same name (the same routing id) must not
  // take the acknowledgement of its killed predecessor's batch for its own.
  uint64_t sequence_ = RandomStart();
  int64_t last_sent_ms_ = 0;
  int64_t last_prune_ms_ = 0;
  uint64_t lease_in_hand_ = 0;  // the lease being worked on; 0: none
  std::string retry_reason_;    // why the last batch is being redone
  std::atomic<bool> stop_{false};
};

}  // namespace

Result<std::unique_ptr<Worker>> Worker::Open(transport::Context& context,
                                             const model::DivisionTable& divisions,
                                             std::shared_ptr<const sort::SortPlan> plan,
                                             const WorkerOptions& options) {
  if (plan == nullptr) return InvalidArgument("worker: no sort plan");
  return Open(context, divisions, std::make_shared<const sort::PlanHolder>(std::move(plan)),
              options);
}

Result<std::unique_ptr<Worker>> Worker::Open(transport::Context& context,
                                             const model::DivisionTable& divisions,
                                             std::shared_ptr<const sort::PlanHolder> plans,
                                             const WorkerOptions& options) {
  if (plans == nullptr || plans->Get() == nullptr) {
    return InvalidArgument("worker: no sort plan");
  }
  if (options.credit == 0) return InvalidArgument("worker: credit must be positive");
  if (options.heartbeat_ms <= 0) return InvalidArgument("worker: heartbeat must be positive");
  WorkerOptions opts = options;
  if (opts.name.empty()) {
    static std::atomic<int> counter{0};
    opts.name = "worker-" + std::to_string(::getpid()) + "-" + std::to_string(counter++);
  }
  label::LabelStoreOptions store_options;
  store_options.durable = opts.fsync_labels;
  store_options.file_system = opts.file_system;
  store_options.probe = opts.probe;
  SORTLINE_ASSIGN_OR_RETURN(std::unique_ptr<label::LabelStore> labels,
                            label::LabelStore::Open(opts.label_dir, store_options));
  transport::ChannelOptions intake_options;
  intake_options.security = opts.security.get();
  intake_options.peer_role = "intake";
  transport::ChannelOptions dock_options = intake_options;
  dock_options.peer_role = "dock";
  SORTLINE_ASSIGN_OR_RETURN(
      std::unique_ptr<transport::ClientChannel> intake,
      transport::ClientChannel::Connect(context, opts.intake_endpoint, opts.name, intake_options));
  SORTLINE_ASSIGN_OR_RETURN(
      std::unique_ptr<transport::ClientChannel> dock,
      transport::ClientChannel::Connect(context, opts.dock_endpoint, opts.name, dock_options));
  return std::unique_ptr<Worker>(new WorkerImpl(divisions, std::move(plans), std::move(opts),
                                                std::move(labels), std::move(intake),
                                                std::move(dock)));
}

}  // namespace sortline::runtime
