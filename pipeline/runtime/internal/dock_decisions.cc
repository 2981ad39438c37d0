#include "pipeline/runtime/internal/dock_decisions.h"

#include <algorithm>
#include <utility>

#include "pipeline/transport/envelope.h"
#include "proto/dock.pb.h"

namespace sortline::runtime::internal {
namespace {

using std::chrono::milliseconds;

constexpr int kDrainPerTurn = 256;  // conveyor messages read per turn
// Records indexed per turn: at most ~100 us of work between two polls of the conveyor.
constexpr size_t kIndexPerTurn = 1024;
constexpr milliseconds kPlanCheck(100);
constexpr milliseconds kIdleWait(20);

}  // namespace

DecisionLoop::DecisionLoop(const DockOptions& options, const Clock& clock, dock::Engine& engine,
                           transport::ServerChannel& conveyor, dock::TelegramServer* telegram,
                           transport::Publisher* publisher, IndexLink& index,
                           Handoff<v1::DockEvent>& events, metrics::Registry& registry,
                           DockMetrics& metrics, DockHealth& health)
    : options_(options),
      clock_(clock),
      engine_(engine),
      conveyor_(conveyor),
      telegram_(telegram),
      publisher_(publisher),
      index_(index),
      events_(events),
      metrics_(metrics),
      health_(health),
      chute_gauges_(registry),
      lost_replies_log_(options.log, RateLimit{}, clock) {
  if (options_.plans) plan_ = options_.plans->Get();
}

void DecisionLoop::Log(LogLevel level, const std::string& message) const {
  if (options_.log) options_.log(level, "dock", message);
}

Status DecisionLoop::Run(const std::atomic<bool>& stop) {
  std::vector<int> fds;
  if (telegram_ != nullptr) fds.push_back(telegram_->fd());
  const size_t records_ready = 1 + fds.size();
  fds.push_back(index_.records_ready.fd());
  next_snapshot_ = clock_.Now();
  next_plan_check_ = clock_.Now() + kPlanCheck;
  snapshot_base_ = metrics_.latency.Read();
  snapshot_time_ = clock_.Now();
  bool more_records = false;
  while (!stop.load() && health_.ok()) {
    const milliseconds wait = more_records ? milliseconds(0) : kIdleWait;
    Result<std::vector<size_t>> readable = transport::WaitReadable({&conveyor_}, {}, fds, wait);
    if (!readable.ok()) return readable.status().WithContext("dock poll");
    for (size_t index : readable.value()) {
      if (index == 0) {
        for (int i = 0; i < kDrainPerTurn; ++i) {
          Result<std::optional<transport::Incoming>> in = conveyor_.Receive(milliseconds(0));
          if (!in.ok()) return in.status().WithContext("dock receive");
          if (!in.value().has_value()) break;
          HandleConveyor(*in.value());
        }
      } else if (index == records_ready) {
        index_.records_ready.Clear();
      } else {
        telegram_->Poll([this](const v1::SortRequest& request) { return HandleTelegram(request); });
      }
    }
    more_records = IndexSome();
    HandOverEvents(false);
    if (clock_.Now() >= next_plan_check_) CheckPlan();
    if (clock_.Now() >= next_snapshot_) Periodic();
  }
  HandOverEvents(true);
  return Status::Ok();
}

void DecisionLoop::Count(v1::DecisionOutcome outcome, bool repeated, Steady::time_point start) {
  if (repeated) {
    metrics_.repeated.Add();
  } else if (outcome >= 0 && outcome < kOutcomes && metrics_.decisions[outcome] != nullptr) {
    metrics_.decisions[outcome]->Add();
  }
  metrics_.latency.Observe(std::chrono::duration<double>(Steady::now() - start).count());
}

uint8_t DecisionLoop::HandleTelegram(const v1::SortRequest& request) {
  const Steady::time_point start = Steady::now();
  bool repeated = false;
  v1::SortResponse response = engine_.Decide(request, &repeated);
  const auto exit = static_cast<uint8_t>(engine_.ExitNumberOf(response.chute()));
  Count(response.outcome(), repeated, start);
  return exit;
}

void DecisionLoop::HandleConveyor(const transport::Incoming& in) {
  const Steady::time_point start = Steady::now();
  v1::ConveyorMessage reply;
  Result<v1::ConveyorMessage> message = transport::Decode<v1::ConveyorMessage>(in.payload);
  auto acknowledge = [&reply](const Status& applied, std::string what) {
    if (applied.ok()) {
      reply.set_ack(std::move(what));
    } else {
      reply.set_error(applied.ToString());
    }
  };
  if (!message.ok()) {
    reply.set_error(message.status().ToString());
  } else if (message->has_sort_request()) {
    bool repeated = false;
    *reply.mutable_sort_response() = engine_.Decide(message->sort_request(), &repeated);
    const v1::DecisionOutcome outcome = reply.sort_response().outcome();
    Reply(in.peer, std::move(reply));
    Count(outcome, repeated, start);
    return;
  } else if (message->has_chute_event()) {
    acknowledge(engine_.Apply(message->chute_event()), "chute " + message->chute_event().chute());
  } else if (message->has_divert_confirm()) {
    acknowledge(engine_.Apply(message->divert_confirm()),
                "transaction " + std::to_string(message->divert_confirm().transaction_id()));
  } else if (message->has_door_event()) {
    acknowledge(engine_.Apply(message->door_event()), "door " + message->door_event().door());
  } else {
    reply.set_error("expected a sort request, chute event, divert confirmation or door event");
  }
  Reply(in.peer, std::move(reply));
}

void DecisionLoop::Reply(const std::string& peer, v1::ConveyorMessage reply) {
  Status sent = conveyor_.Send(peer, transport::Encode(std::move(reply)));
  if (sent.ok()) return;
  metrics_.conveyor_replies_lost.Add();
  lost_replies_log_.Log(LogLevel::kWarning, "dock", "conveyor reply lost: " + sent.ToString());
}

bool DecisionLoop::IndexSome() {
  if (incoming_next_ == incoming_.size()) {
    incoming_.clear();
    incoming_next_ = 0;
    if (index_.records.size() == 0 || !index_.records.TryTake(incoming_)) return false;
  }
  const size_t begin = incoming_next_;
  const size_t end = std::min(incoming_.size(), begin + kIndexPerTurn);
  for (; incoming_next_ < end; ++incoming_next_) engine_.AddRecord(incoming_[incoming_next_]);
  indexed_ += end - begin;
  index_.indexed.store(indexed_, std::memory_order_release);
  index_.indexed_wakeup.Signal();
  return incoming_next_ < incoming_.size() || index_.records.size() > 0;
}

void DecisionLoop::HandOverEvents(bool wait) {
  const size_t first_new = outgoing_.size();
  engine_.TakeEvents(outgoing_);
  if (outgoing_.empty()) return;
  if (publisher_ != nullptr) {
    // Dashboards follow chutes, trucks and manifests (decisions and parcels are too
    // many to publish one by one), each once: when taken from the engine.
    for (size_t i = first_new; i < outgoing_.size(); ++i) {
      const v1::DockEvent& event = outgoing_[i];
      const char* topic = event.has_chute()      ? "chute"
                          : event.has_truck()    ? "truck"
                          : event.has_manifest() ? "manifest"
                                                 : nullptr;
      if (topic != nullptr) publisher_->Publish(topic, transport::Encode(event));
    }
  }
  if (wait) {
    events_.Put(outgoing_);
  } else {
    events_.TryPut(outgoing_);
  }
}

void DecisionLoop::CheckPlan() {
  next_plan_check_ = clock_.Now() + kPlanCheck;
  if (!options_.plans) return;
  std::shared_ptr<const sort::SortPlan> plan = options_.plans->Get();
  if (plan == plan_) return;
  plan_ = std::move(plan);
  const std::string changes = engine_.Reconfigure(dock::ConfigFromPlan(*plan_, options_.config));
  metrics_.plan_reloads.Add();
  Log(LogLevel::kInfo, "now serving plan " + plan_->version() + " (" +
                           std::to_string(plan_->chutes().size()) + " chutes, " +
                           std::to_string(plan_->doors().size()) + " doors): " + changes);
}

void DecisionLoop::Periodic() {
  next_snapshot_ = clock_.Now() + milliseconds(options_.snapshot_every_ms);
  engine_.Tick();
  const uint64_t forgotten = engine_.transactions_forgotten_unconfirmed();
  metrics_.transactions_forgotten.Add(forgotten - forgotten_seen_);
  forgotten_seen_ = forgotten;
  metrics_.indexed.Set(static_cast<double>(engine_.index().size()));
  metrics_.index_bytes.Set(static_cast<double>(engine_.index().table_bytes()));
  PublishSnapshot();
}

void DecisionLoop::PublishSnapshot() {
  std::vector<v1::TruckStatus> trucks = engine_.OpenTrucks();
  metrics_.open_trucks.Set(static_cast<double>(trucks.size()));
  if (telegram_ != nullptr) {
    metrics_.telegram_connections.Set(static_cast<double>(telegram_->connections()));
    const uint64_t errors = telegram_->counters().errors;
    metrics_.telegram_errors.Add(errors - telegram_errors_seen_);
    telegram_errors_seen_ = errors;
  }
  std::vector<v1::ChuteStatus> chutes = engine_.Chutes();
  chute_gauges_.Update(chutes);
  if (publisher_ == nullptr) return;
  const Steady::time_point now = clock_.Now();
  const double seconds =
      std::max(1e-3, std::chrono::duration<double>(now - snapshot_time_).count());
  metrics::Histogram::Snapshot latency = metrics_.latency.Read();
  metrics::Histogram::Snapshot interval = latency.Since(snapshot_base_);
  v1::DockEvent event;
  event.set_unix_ms(clock_.UnixMillis());
  v1::DockSnapshot& snapshot = *event.mutable_snapshot();
  snapshot.set_unix_ms(event.unix_ms());
  snapshot.set_plan_version(engine_.config().plan_version);
  for (v1::ChuteStatus& chute : chutes) *snapshot.add_chutes() = std::move(chute);
  for (v1::TruckStatus& truck : trucks) *snapshot.add_open_trucks() = std::move(truck);
  uint64_t decisions = 0;
  for (int outcome = 0; outcome < kOutcomes; ++outcome) {
    if (metrics_.decisions[outcome] == nullptr) continue;
    const uint64_t count = metrics_.decisions[outcome]->value();
    decisions += count;
    if (count > 0) {
      (*snapshot.mutable_outcomes())[v1::DecisionOutcome_Name(
          static_cast<v1::DecisionOutcome>(outcome))] = count;
    }
  }
  const uint64_t records = metrics_.records.value();
  snapshot.set_decisions(decisions);
  snapshot.set_decisions_per_s(static_cast<double>(decisions - snapshot_decisions_) / seconds);
  snapshot.set_records_per_s(static_cast<double>(records - snapshot_records_) / seconds);
  snapshot.set_records_indexed(engine_.index().size());
  snapshot.set_latency_p50_us(interval.Quantile(0.5) * 1e6);
  snapshot.set_latency_p99_us(interval.Quantile(0.99) * 1e6);
  snapshot.set_latency_p999_us(interval.Quantile(0.999) * 1e6);
  snapshot.set_latency_max_us(interval.Quantile(1.0) * 1e6);
  snapshot.set_backlog(static_cast<uint64_t>(metrics_.backlog.value()));
  publisher_->Publish("snapshot", transport::Encode(std::move(event)));
  snapshot_base_ = std::move(latency);
  snapshot_time_ = now;
  snapshot_decisions_ = decisions;
  snapshot_records_ = records;
}

}  // namespace sortline::runtime::internal
