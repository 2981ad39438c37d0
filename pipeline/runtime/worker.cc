#include "pipeline/runtime/worker.h"

#include <atomic>
#include <cctype>
#include <chrono>
#include <random>
#include <set>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include <unistd.h>

#include "pipeline/base/clock.h"
#include "pipeline/metrics/http_server.h"
#include "pipeline/metrics/metrics.h"
#include "pipeline/runtime/observability.h"
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

// /healthz fails when the worker has not turned its loop (or heartbeated from inside a
// batch) for this long.
constexpr int64_t kStuckMs = 60'000;
// Messages taken from one intake before the next gets a turn.
constexpr int kDrainPerTurn = 16;
// The idle loop's wait for a message; a stop request is noticed within it.
constexpr milliseconds kIdleWait(200);
// A pause (PauseAlive) sleeps in slices this long, heartbeating between them.
constexpr milliseconds kPauseSlice(50);
// The wait for the dock's acknowledgement, in slices this long, heartbeating between.
constexpr milliseconds kAckSlice(100);
// The pause before resending records the dock refused (its disk full) or left unanswered.
constexpr milliseconds kDockResendPause(200);

// One intake the worker takes work from.
struct IntakeLink {
  std::string endpoint;
  std::unique_ptr<transport::ClientChannel> channel;
  Steady::time_point last_sent{};  // on the worker's Clock::Now
};

// The worker's metrics, registered once. Thread-safety: as metrics::Registry.
struct WorkerMetrics {
  explicit WorkerMetrics(metrics::Registry& r)
      : registry(r),
        batches(r.GetCounter("sortline_worker_batches_total",
                             "Work batches done and reported to their intake")),
        redone(r.GetCounter("sortline_worker_redone_batches_total",
                            "Work batches redone because the disk refused their labels")),
        lost(r.GetCounter("sortline_worker_orders_lost_total",
                          "Orders of a batch that reached no result (collecting it threw); "
                          "each is logged as an error")),
        label_bytes(
            r.GetCounter("sortline_worker_label_bytes_total", "Bytes of label files written")),
        labels_stage(Stage("labels")),
        dock_stage(Stage("dock")),
        batch_stage(Stage("batch")) {}

  metrics::Histogram& Stage(const std::string& stage) {
    return registry.GetHistogram(
        "sortline_worker_stage_seconds", "Time a work batch spends in each stage",
        metrics::Histogram::ExponentialBounds(0.001, 2, 16), {{"stage", stage}});
  }
  void CountOrder(v1::Outcome outcome) {
    std::string name = v1::Outcome_Name(outcome);
    if (name.starts_with("OUTCOME_")) name = name.substr(8);
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    registry
        .GetCounter("sortline_worker_orders_total", "Orders processed, by outcome",
                    {{"outcome", name}})
        .Add();
  }
  // The plan version in use, as an info series; the previous version's series goes.
  void SetPlan(const std::string& version) {
    if (version == plan_version) return;
    if (!plan_version.empty())
      registry.Remove("sortline_worker_plan_info", {{"version", plan_version}});
    plan_version = version;
    registry
        .GetGauge("sortline_worker_plan_info", "The sort plan version in use (value 1)",
                  {{"version", version}})
        .Set(1);
  }

  metrics::Registry& registry;
  metrics::Counter& batches;
  metrics::Counter& redone;
  metrics::Counter& lost;
  metrics::Counter& label_bytes;
  metrics::Histogram& labels_stage;
  metrics::Histogram& dock_stage;
  metrics::Histogram& batch_stage;
  std::string plan_version;  // the worker thread's only
};

class WorkerImpl final : public Worker {
 public:
  WorkerImpl(const model::DivisionTable& divisions, std::shared_ptr<const sort::PlanHolder> plans,
             WorkerOptions options, std::unique_ptr<metrics::Registry> registry,
             std::unique_ptr<label::LabelStore> labels)
      : divisions_(divisions),
        plans_(std::move(plans)),
        options_(std::move(options)),
        clock_(options_.clock != nullptr ? *options_.clock : SystemClock()),
        registry_(std::move(registry)),
        metrics_(*registry_),
        labels_(std::move(labels)) {}

  // Connects to every intake and the dock and starts the metrics server. Part of Open.
  Status Start(transport::Context& context, const std::vector<std::string>& intakes) {
    const transport::ChannelOptions intake_options = ObservedChannelOptions(
        options_.security.get(), options_.log, "intake", *registry_, "intake");
    const transport::ChannelOptions dock_options =
        ObservedChannelOptions(options_.security.get(), options_.log, "dock", *registry_, "dock");
    for (const std::string& endpoint : intakes) {
      SORTLINE_ASSIGN_OR_RETURN(
          std::unique_ptr<transport::ClientChannel> channel,
          transport::ClientChannel::Connect(context, endpoint, options_.name, intake_options));
      intakes_.push_back(IntakeLink{endpoint, std::move(channel)});
    }
    SORTLINE_ASSIGN_OR_RETURN(
        dock_, transport::ClientChannel::Connect(context, options_.dock_endpoint, options_.name,
                                                 dock_options));
    SORTLINE_ASSIGN_OR_RETURN(http_,
                              StartMetrics(
                                  options_.metrics_host, options_.metrics_port, *registry_,
                                  [this] { return Liveness(); }, [this] { return Readiness(); }));
    return Status::Ok();
  }

  ~WorkerImpl() override {
    http_.reset();  // no probe may look at this object once it is being destroyed
  }

  int metrics_port() const override { return http_ ? http_->port() : -1; }
  void RequestStop() override { stop_.store(true); }

  Status Run() override {
    std::string endpoints;
    for (const IntakeLink& intake : intakes_) endpoints += " " + intake.endpoint;
    Log(LogLevel::kInfo, "worker " + options_.name + ", intake" + (intakes_.size() > 1 ? "s" : "") +
                             endpoints + ", dock " + options_.dock_endpoint + ", " +
                             std::string(label::LabelFilesName(options_.flow.label_files)) +
                             " labels in " + options_.label_dir +
                             (http_ ? ", metrics on port " + std::to_string(http_->port()) : ""));
    serving_.store(true);
    std::vector<transport::ClientChannel*> channels;
    for (IntakeLink& intake : intakes_) channels.push_back(intake.channel.get());
    for (size_t i = 0; i < intakes_.size(); ++i) AnnounceCredit(i);
    Status served = Status::Ok();
    while (served.ok() && !stop_.load()) {
      metrics_.SetPlan(plans_->Get()->version());
      Result<std::vector<size_t>> readable = transport::WaitReadable({}, channels, kIdleWait);
      if (!readable.ok()) {
        served = readable.status().WithContext("worker wait");
        break;
      }
      KeepAlive();
      PruneLabels();
      for (size_t i : readable.value()) {
        served = TakeFromIntake(i);
        if (!served.ok()) break;
      }
    }
    serving_.store(false);
    Log(LogLevel::kInfo, "worker " + options_.name + " stopped");
    return served;
  }

 private:
  // Handles what intake `i` sent, a few messages at most. Non-OK only for data loss.
  Status TakeFromIntake(size_t i) {
    for (int taken = 0; taken < kDrainPerTurn && !stop_.load(); ++taken) {
      Result<std::optional<std::string>> in = intakes_[i].channel->Receive(milliseconds(0));
      if (!in.ok()) return in.status().WithContext("worker receive");
      if (!in.value().has_value()) return Status::Ok();
      Result<v1::WorkMessage> message = transport::Decode<v1::WorkMessage>(*in.value());
      if (!message.ok()) {
        Log(LogLevel::kWarning,
            "bad message from intake " + intakes_[i].endpoint + ": " + message.status().ToString());
        continue;
      }
      if (message->has_work()) {
        // Ask that intake for the next batch before working on this one, so it is queued
        // here when this one is done: at most two batches per intake are ever held.
        AnnounceCredit(i);
        SORTLINE_RETURN_IF_ERROR(Process(i, message->work()));
      } else if (message->has_heartbeat() && message->heartbeat().reannounce()) {
        Log(LogLevel::kWarning, "intake " + intakes_[i].endpoint +
                                    " does not know this worker (restarted?); announcing credit");
        AnnounceCredit(i);
      } else if (message->has_error()) {
        Log(LogLevel::kWarning, "intake " + intakes_[i].endpoint + " says: " + message->error());
      }
    }
    return Status::Ok();
  }

  // The probes (civetweb threads): atomics and the channels' thread-safe handshake().
  std::string Liveness() const {
    if (!serving_.load()) return "";
    const int64_t idle = SteadyMillis() - alive_ms_.load();
    if (idle > kStuckMs) return "worker has not turned for " + std::to_string(idle / 1000) + " s";
    return "";
  }
  std::string Readiness() const {
    if (!serving_.load()) return "worker is not serving (starting or stopping)";
    if (!dock_->handshake().succeeded) return "not connected to the dock";
    bool any_intake = false;
    for (const IntakeLink& intake : intakes_) any_intake |= intake.channel->handshake().succeeded;
    if (!any_intake) return "connected to no intake";
    if (labels_refused_.load()) return "the label directory refuses writes";
    return Liveness();
  }

  void Log(LogLevel level, const std::string& message) const {
    if (options_.log) options_.log(level, "worker", message);
  }

  void Probe(std::string_view point) const {
    if (options_.probe) options_.probe(point);
  }

  // Removes label files past the retention time, at most every prune_interval_ms (a
  // listing of the label directory), between batches. A refusal is logged and tried
  // again next time.
  void PruneLabels() {
    if (options_.label_retention_ms <= 0) return;
    const Steady::time_point now = clock_.Now();
    if (now < next_prune_) return;
    next_prune_ = now + milliseconds(options_.prune_interval_ms);
    // Files carry wall-clock times: the cut is on the wall clock, the pacing is not.
    Result<label::PruneStats> pruned =
        labels_->Prune(clock_.UnixMillis() - options_.label_retention_ms);
    if (!pruned.ok()) {
      Log(LogLevel::kError, "pruning old labels failed: " + pruned.status().ToString());
    } else if (pruned->label_files > 0) {
      Log(LogLevel::kInfo, "pruned " + std::to_string(pruned->label_files) + " label files and " +
                               std::to_string(pruned->index_logs) +
                               " index logs older than the retention time");
    }
  }

  void AnnounceCredit(size_t i) {
    v1::WorkMessage ready;
    ready.mutable_ready()->set_credit(options_.credit);
    SendToIntake(i, std::move(ready));
  }

  // A heartbeat to each intake that heard nothing for heartbeat_ms, naming the lease in
  // hand if it is that intake's: intake renews it on each one, so long waits (a full
  // disk, a slow dock) keep the work. Paced on the steady clock: a wall-clock step (NTP)
  // neither skips nor bunches heartbeats.
  void KeepAlive() {
    alive_ms_.store(SteadyMillis());
    const Steady::time_point now = clock_.Now();
    for (size_t i = 0; i < intakes_.size(); ++i) {
      if (now - intakes_[i].last_sent < milliseconds(options_.heartbeat_ms)) continue;
      v1::WorkMessage beat;
      beat.mutable_heartbeat()->set_sent_unix_ms(clock_.UnixMillis());
      if (lease_in_hand_ != 0 && lease_intake_ == i) {
        beat.mutable_heartbeat()->add_lease_ids(lease_in_hand_);
      }
      SendToIntake(i, std::move(beat));
    }
  }

  void SendToIntake(size_t i, v1::WorkMessage message) {
    Status sent = intakes_[i].channel->Send(transport::Encode(std::move(message)));
    intakes_[i].last_sent = clock_.Now();
    if (!sent.ok()) Log(LogLevel::kWarning, "intake unreachable: " + sent.ToString());
  }

  // Sleeps `pause`, heartbeating. False when asked to stop.
  bool PauseAlive(milliseconds pause) {
    const Steady::time_point until = clock_.Now() + pause;
    while (!stop_.load() && clock_.Now() < until) {
      KeepAlive();
      std::this_thread::sleep_for(kPauseSlice);
    }
    return !stop_.load();
  }

  // Renders, stores at dock and reports one WorkBatch. Non-OK only for data loss (a
  // failed fsync), which must end the process.
  Status Process(size_t intake, const v1::WorkBatch& work) {
    lease_in_hand_ = work.lease_id();
    lease_intake_ = intake;
    const Steady::time_point start = Steady::now();
    Log(LogLevel::kDebug, "lease " + std::to_string(work.lease_id()) + ": " +
                              std::to_string(work.orders_size()) + " orders from intake " +
                              intakes_[intake].endpoint);
    Status processed = ProcessLease(work);
    metrics_.batch_stage.Observe(SecondsSince(start));
    Log(LogLevel::kDebug, "lease " + std::to_string(work.lease_id()) + " done in " +
                              std::to_string(SecondsSince(start)).substr(0, 5) + " s");
    lease_in_hand_ = 0;
    return processed;
  }

  Status ProcessLease(const v1::WorkBatch& work) {
    Probe("before-render");
    Steady::time_point stage_start = Steady::now();
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
      metrics_.redone.Add();
      labels_refused_.store(true);
      if (!alarmed) {
        Log(LogLevel::kAlarm, "labels of lease " + std::to_string(work.lease_id()) +
                                  " could not be written (" + retry_reason_ +
                                  "); retrying while it lasts");
        alarmed = true;
      }
      if (!PauseAlive(milliseconds(options_.retry_pause_ms))) return Status::Ok();
    }
    labels_refused_.store(false);
    if (alarmed)
      Log(LogLevel::kInfo, "labels of lease " + std::to_string(work.lease_id()) + " written");
    metrics_.labels_stage.Observe(SecondsSince(stage_start));
    CountLabelBytes(records);
    Probe("after-labels");
    records.set_sequence(++sequence_);
    stage_start = Steady::now();
    if (records.records_size() > 0) {
      if (!StoreAtDock(records)) return Status::Ok();
      timings.RecordDockAck(Steady::now() - stage_start);
    }
    metrics_.dock_stage.Observe(SecondsSince(stage_start));
    Probe("after-dock-ack");
    for (const v1::OrderResult& result : done_message.done().results()) {
      metrics_.CountOrder(result.outcome());
    }
    timings.AddTo(done_message.mutable_done()->mutable_stage_timings());
    SendToIntake(lease_intake_, std::move(done_message));
    metrics_.batches.Add();
    return Status::Ok();
  }

  // Label bytes of a batch: each label file once (the parcels of a batch file share it).
  void CountLabelBytes(const v1::RecordBatch& records) {
    std::set<std::string_view> files;
    for (const v1::SortRecord& record : records.records()) {
      if (!record.label().path().empty() && files.insert(record.label().path()).second) {
        metrics_.label_bytes.Add(record.label().bytes());
      }
    }
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
    flow_options.on_lost = [this, &work](uint64_t index, const Status& why) {
      metrics_.lost.Add();
      Log(LogLevel::kError, "lease " + std::to_string(work.lease_id()) + ": order " +
                                (static_cast<int>(index) < work.orders_size()
                                     ? work.orders(static_cast<int>(index)).order_id()
                                     : std::to_string(index)) +
                                " lost: " + why.ToString());
    };
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
      if (!sent.ok()) Log(LogLevel::kWarning, "dock unreachable: " + sent.ToString());
      const Steady::time_point deadline = clock_.Now() + milliseconds(options_.dock_ack_timeout_ms);
      while (!stop_.load() && clock_.Now() < deadline) {
        KeepAlive();
        Result<std::optional<std::string>> in = dock_->Receive(kAckSlice);
        if (!in.ok()) {
          Log(LogLevel::kWarning, "dock receive failed: " + in.status().ToString());
          break;
        }
        if (!in.value().has_value()) continue;
        Result<v1::RecordsMessage> reply = transport::Decode<v1::RecordsMessage>(*in.value());
        if (!reply.ok()) continue;
        if (reply->has_error()) {
          // The dock withholds its acknowledgement (e.g. its disk is full): resend later.
          if (!refused)
            Log(LogLevel::kWarning, "dock refused records, will resend: " + reply->error());
          refused = true;
          break;
        }
        if (reply->has_stored() && reply->stored().sequence() == records.sequence()) {
          if (refused) Log(LogLevel::kInfo, "dock took the records it refused before");
          if (reply->stored().quarantined() > 0) {
            Log(LogLevel::kWarning, "dock quarantined " +
                                        std::to_string(reply->stored().quarantined()) +
                                        " conflicting records");
          }
          return true;
        }
        // An acknowledgement of an earlier resend: ignore.
      }
      if (!PauseAlive(kDockResendPause)) return false;
    }
    return false;
  }

  const model::DivisionTable& divisions_;
  std::shared_ptr<const sort::PlanHolder> plans_;  // each order takes the plan of its time
  const WorkerOptions options_;
  const Clock& clock_;  // paces heartbeats, pauses and resends
  // Declared before the channels: their monitor threads count into it until they close.
  std::unique_ptr<metrics::Registry> registry_;
  WorkerMetrics metrics_;
  std::unique_ptr<label::LabelStore> labels_;
  std::vector<IntakeLink> intakes_;
  std::unique_ptr<transport::ClientChannel> dock_;
  std::unique_ptr<metrics::HttpServer> http_;  // null without a metrics port
  // Record batch sequence numbers start at a random point: dock acknowledges by
  // sequence, and a worker restarted under the same name (the same routing id) must not
  // take the acknowledgement of its killed predecessor's batch for its own.
  uint64_t sequence_ = RandomStart();
  Steady::time_point next_prune_ = Steady::time_point::min();  // the first batch prunes
  uint64_t lease_in_hand_ = 0;                                 // the lease being worked on; 0: none
  size_t lease_intake_ = 0;                                    // the intake it came from
  std::atomic<bool> serving_{false};
  std::atomic<bool> labels_refused_{false};  // the batch in hand is being redone
  std::atomic<int64_t> alive_ms_{0};         // steady clock, for /healthz
  std::string retry_reason_;                 // why the last batch is being redone
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
  const std::vector<std::string> intakes = opts.intake_endpoints.empty()
                                               ? std::vector<std::string>{opts.intake_endpoint}
                                               : opts.intake_endpoints;
  auto worker =
      std::make_unique<WorkerImpl>(divisions, std::move(plans), std::move(opts),
                                   std::make_unique<metrics::Registry>(), std::move(labels));
  SORTLINE_RETURN_IF_ERROR(worker->Start(context, intakes));
  return std::unique_ptr<Worker>(std::move(worker));
}

}  // namespace sortline::runtime
