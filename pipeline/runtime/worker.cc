#include "pipeline/runtime/worker.h"

#include <atomic>
#include <chrono>
#include <utility>

#include <unistd.h>

#include "pipeline/base/clock.h"
#include "pipeline/transport/envelope.h"

namespace sortline::runtime {
namespace {

using std::chrono::milliseconds;

constexpr int64_t kHeartbeatMs = 1000;
// An idle worker repeats its credit this often, so a restarted intake learns it.
constexpr int64_t kReannounceMs = 3000;

class WorkerImpl final : public Worker {
 public:
  WorkerImpl(const model::DivisionTable& divisions, std::shared_ptr<const sort::PlanHolder> plans,
             WorkerOptions options, std::unique_ptr<label::LabelSink> sink,
             std::unique_ptr<transport::ClientChannel> intake,
             std::unique_ptr<transport::ClientChannel> dock)
      : divisions_(divisions),
        plans_(std::move(plans)),
        options_(std::move(options)),
        sink_(std::move(sink)),
        intake_(std::move(intake)),
        dock_(std::move(dock)) {}

  void RequestStop() override { stop_.store(true); }

  Status Run() override {
    Log("worker " + options_.name + ": intake " + options_.intake_endpoint + ", dock " +
        options_.dock_endpoint + ", labels in " + options_.label_dir);
    AnnounceCredit();
    while (!stop_.load()) {
      Result<std::optional<std::string>> in = intake_->Receive(milliseconds(200));
      if (!in.ok()) return in.status().WithContext("worker receive");
      int64_t now = SystemClock().UnixMillis();
      if (!in.value().has_value()) {
        if (now - last_sent_ms_ >= kReannounceMs) {
          AnnounceCredit();
        } else if (now - last_sent_ms_ >= kHeartbeatMs) {
          v1::WorkMessage beat;
          beat.mutable_heartbeat()->set_sent_unix_ms(now);
          SendToIntake(std::move(beat));
        }
        continue;
      }
      Result<v1::WorkMessage> message = transport::Decode<v1::WorkMessage>(*in.value());
      if (!message.ok()) {
        Log("worker: bad message from intake: " + message.status().ToString());
        continue;
      }
      if (message->has_work()) {
        // Ask for the next batch before working on this one, so it is queued here when
        // this one is done: at most two batches are ever held.
        AnnounceCredit();
        Process(message->work());
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

  void AnnounceCredit() {
    v1::WorkMessage ready;
    ready.mutable_ready()->set_credit(options_.credit);
    SendToIntake(std::move(ready));
  }

  void SendToIntake(v1::WorkMessage message) {
    Status sent = intake_->Send(transport::Encode(std::move(message)));
    last_sent_ms_ = SystemClock().UnixMillis();
    if (!sent.ok()) Log("worker: intake unreachable: " + sent.ToString());
  }

  void Process(const v1::WorkBatch& work) {
    v1::RecordBatch records;
    records.set_sequence(++sequence_);
    v1::WorkMessage done_message;
    v1::WorkDone* done = done_message.mutable_done();
    done->set_lease_id(work.lease_id());

    flow::FlowDeps deps;
    deps.divisions = &divisions_;
    deps.plan = [this] { return plans_->Get(); };
    deps.sink = sink_.get();
    int next = 0;
    Status ran = flow::RunOrderFlow(
        options_.flow, deps,
        [&](flow::FlowItem& item) {
          if (next >= work.orders_size()) return false;
          item.order = work.orders(next++);
          return true;
        },
        [&](flow::FlowItem&& item) {
          v1::OrderResult* result = done->add_results();
          result->set_order_id(item.order.order_id());
          result->set_outcome(item.record.outcome());
          result->set_reason(item.record.reason());
          // A parcel that could not be labelled is not on the conveyor: no record.
          if (item.record.outcome() != v1::OUTCOME_FAILED) {
            *records.add_records() = std::move(item.record);
          }
        });
    if (!ran.ok()) {
      // Nothing was processed; the lease expires and another worker takes the orders.
      Log("worker: flow could not run: " + ran.ToString());
      return;
    }
    if (records.records_size() > 0 && !StoreAtDock(records)) return;
    SendToIntake(std::move(done_message));
  }

  // Sends the records until dock acknowledges their commit. False when stopping first.
  bool StoreAtDock(const v1::RecordBatch& records) {
    v1::RecordsMessage message;
    *message.mutable_batch() = records;
    const std::string payload = transport::Encode(std::move(message));
    while (!stop_.load()) {
      Status sent = dock_->Send(payload);
      if (!sent.ok()) Log("worker: dock unreachable: " + sent.ToString());
      auto deadline = std::chrono::steady_clock::now() + milliseconds(options_.dock_ack_timeout_ms);
      while (!stop_.load() && std::chrono::steady_clock::now() < deadline) {
        Result<std::optional<std::string>> in = dock_->Receive(milliseconds(100));
        if (!in.ok()) {
          Log("worker: dock receive failed: " + in.status().ToString());
          break;
        }
        if (!in.value().has_value()) continue;
        Result<v1::RecordsMessage> reply = transport::Decode<v1::RecordsMessage>(*in.value());
        if (!reply.ok()) continue;
        if (reply->has_error()) {
          Log("worker: dock refused records: " + reply->error());
          break;  // resend after a pause: the dock may be out of space
        }
        if (reply->has_stored() && reply->stored().sequence() == records.sequence()) {
          if (reply->stored().quarantined() > 0) {
            Log("worker: dock quarantined " + std::to_string(reply->stored().quarantined()) +
                " conflicting records");
          }
          return true;
        }
        // An acknowledgement of an earlier resend: ignore.
      }
      if (!stop_.load()) ::usleep(200'000);
    }
    return false;
  }

  const model::DivisionTable& divisions_;
  std::shared_ptr<const sort::PlanHolder> plans_;  // each order takes the plan of its time
  const WorkerOptions options_;
  std::unique_ptr<label::LabelSink> sink_;
  std::unique_ptr<transport::ClientChannel> intake_;
  std::unique_ptr<transport::ClientChannel> dock_;
  uint64_t sequence_ = 0;
  int64_t last_sent_ms_ = 0;
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
  WorkerOptions opts = options;
  if (opts.name.empty()) {
    static std::atomic<int> counter{0};
    opts.name = "worker-" + std::to_string(::getpid()) + "-" + std::to_string(counter++);
  }
  label::SinkOptions sink_options;
  sink_options.fsync = opts.fsync_labels;
  SORTLINE_ASSIGN_OR_RETURN(std::unique_ptr<label::LabelSink> sink,
                            label::OpenDirectorySink(opts.label_dir, sink_options));
  SORTLINE_ASSIGN_OR_RETURN(
      std::unique_ptr<transport::ClientChannel> intake,
      transport::ClientChannel::Connect(context, opts.intake_endpoint, opts.name));
  SORTLINE_ASSIGN_OR_RETURN(
      std::unique_ptr<transport::ClientChannel> dock,
      transport::ClientChannel::Connect(context, opts.dock_endpoint, opts.name));
  return std::unique_ptr<Worker>(new WorkerImpl(divisions, std::move(plans), std::move(opts),
                                                std::move(sink), std::move(intake),
                                                std::move(dock)));
}

}  // namespace sortline::runtime
