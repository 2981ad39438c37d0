#include "pipeline/runtime/dock.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

#include <errno.h>
#include <pthread.h>
#include <sys/resource.h>
#include <unistd.h>

#include "pipeline/dock/engine.h"
#include "pipeline/dock/event_backlog.h"
#include "pipeline/dock/manifest_writer.h"
#include "pipeline/dock/record_index.h"
#include "pipeline/metrics/http_server.h"
#include "pipeline/metrics/metrics.h"
#include "pipeline/transport/envelope.h"
#include "proto/dock.pb.h"

namespace sortline::runtime {
namespace {

using std::chrono::milliseconds;
using Steady = std::chrono::steady_clock;

constexpr int kDrainPerTurn = 256;
constexpr size_t kEventsPerTransaction = 10'000;
constexpr std::chrono::seconds kStallSettle(1);
constexpr int kStoreThreadNice = 10;  // added to the process's nice value
constexpr std::array<v1::ChuteState, 3> kChuteStates = {v1::CHUTE_AVAILABLE, v1::CHUTE_FULL,
                                                        v1::CHUTE_FAULTED};
constexpr int kOutcomes = v1::DecisionOutcome_ARRAYSIZE;

// The dock's metrics, registered once. Thread-safety: as metrics::Registry.
struct DockMetrics {
  explicit DockMetrics(metrics::Registry& registry)
      : latency(registry.GetHistogram("sortline_dock_decision_latency_seconds",
                                      "Time from a sort request's arrival to its answer",
                                      metrics::Histogram::ExponentialBounds(5e-6, 1.5, 30))),
        repeated(registry.GetCounter("sortline_dock_repeated_transactions_total",
                                     "Repeated transaction ids answered from memory")),
        records(registry.GetCounter("sortline_dock_records_stored_total",
                                    "Sort records newly committed and indexed")),
        record_batches(registry.GetCounter("sortline_dock_record_batches_total",
                                           "Record batches acknowledged")),
        indexed(
            registry.GetGauge("sortline_dock_records_indexed", "Records in the in-memory index")),
        backlog(registry.GetGauge("sortline_dock_event_backlog", "Events waiting to be persisted")),
        events(registry.GetCounter("sortline_dock_events_persisted_total",
                                   "Events written to the store")),
        manifests(
            registry.GetCounter("sortline_dock_manifests_total", "Trucks closed with a manifest")),
        open_trucks(registry.GetGauge("sortline_dock_open_trucks", "Trucks loading now")),
        telegram_connections(
            registry.GetGauge("sortline_dock_telegram_connections", "Open telegram connections")),
        telegram_errors(
            registry.GetCounter("sortline_dock_telegram_errors_total", "Bad telegram frames")),
        store_stalled(registry.GetGauge(
            "sortline_dock_store_stalled",
            "1 while the store refuses writes (disk full): records are refused, events wait")),
        events_dropped(registry.GetCounter(
            "sortline_dock_events_dropped_total",
            "Decision events left out of the event log while the store refused writes")),
        pending(registry.GetGauge("sortline_dock_record_batches_pending",
                                  "Record batches received and not yet acknowledged")),
        pending_peak(registry.GetGauge("sortline_dock_record_batches_pending_peak",
                                       "Most record batches ever waiting at once")),
        refused_store(registry.GetCounter("sortline_dock_record_batches_refused_total",
                                          "Record batches answered with an error",
                                          {{"reason", "store"}})),
        refused_window(registry.GetCounter("sortline_dock_record_batches_refused_total",
                                           "Record batches answered with an error",
                                           {{"reason", "window"}})),
        refused_malformed(registry.GetCounter("sortline_dock_record_batches_refused_total",
                                              "Record batches answered with an error",
                                              {{"reason", "malformed"}})) {
    for (int outcome = 0; outcome < kOutcomes; ++outcome) {
      if (!v1::DecisionOutcome_IsValid(outcome)) continue;
      decisions[outcome] = &registry.GetCounter(
          "sortline_dock_decisions_total", "Scan-time decisions by outcome",
          {{"outcome", v1::DecisionOutcome_Name(static_cast<v1::DecisionOutcome>(outcome))}});
    }
  }

  std::array<metrics::Counter*, kOutcomes> decisions{};
  metrics::Histogram& latency;
  metrics::Counter& repeated;
  metrics::Counter& records;
  metrics::Counter& record_batches;
  metrics::Gauge& indexed;
  metrics::Gauge& backlog;
  metrics::Counter& events;
  metrics::Counter& manifests;
  metrics::Gauge& open_trucks;
  metrics::Gauge& telegram_connections;
  metrics::Counter& telegram_errors;
  metrics::Gauge& store_stalled;
  metrics::Counter& events_dropped;
  metrics::Gauge& pending;
  metrics::Gauge& pending_peak;
  metrics::Counter& refused_store;
  metrics::Counter& refused_window;
  metrics::Counter& refused_malformed;
};

class DockImpl final : public Dock {
 public:
  DockImpl(DockOptions options, std::unique_ptr<store::DockStore> store,
           std::unique_ptr<dock::RecordIndex> index,
           std::unique_ptr<transport::ServerChannel> records,
           std::unique_ptr<transport::ServerChannel> conveyor)
      : options_(std::move(options)),
        clock_(options_.clock != nullptr ? *options_.clock : SystemClock()),
        store_(std::move(store)),
        index_(std::move(index)),
        engine_(dock::Engine::Create(options_.config, *index_, clock_)),
        records_(std::move(records)),
        conveyor_(std::move(conveyor)),
        metrics_(registry_) {}

  Status Start(transport::Context& context) {
    SORTLINE_ASSIGN_OR_RETURN(store::DockStore::DockState state, store_->LoadState());
    for (const v1::ChuteStatus& chute : state.chutes) engine_->Restore(chute);
    for (const v1::TruckStatus& truck : state.trucks) engine_->Restore(truck);
    for (const v1::ParcelStatus& parcel : state.parcels) engine_->Restore(parcel);
    if (!options_.events_endpoint.empty()) {
      SORTLINE_ASSIGN_OR_RETURN(publisher_,
                                transport::Publisher::Bind(context, options_.events_endpoint));
    }
    if (options_.telegram_port >= 0) {
      dock::TelegramServerOptions telegram;
      telegram.host = options_.telegram_host;
      telegram.port = options_.telegram_port;
      telegram.byte_order = options_.telegram_byte_order;
      SORTLINE_ASSIGN_OR_RETURN(telegram_, dock::TelegramServer::Listen(telegram));
    }
    if (options_.metrics_port >= 0) {
      metrics::HttpServerOptions http;
      http.host = options_.metrics_host;
      http.port = options_.metrics_port;
      SORTLINE_ASSIGN_OR_RETURN(http_, metrics::HttpServer::Start(http, registry_));
    }
    metrics_.indexed.Set(static_cast<double>(index_->size()));
    return Status::Ok();
  }

  std::string records_endpoint() const override { return records_->endpoint(); }
  std::string conveyor_endpoint() const override { return conveyor_->endpoint(); }
  std::string events_endpoint() const override { return publisher_ ? publisher_->endpoint() : ""; }
  int telegram_port() const override { return telegram_ ? telegram_->port() : -1; }
  int metrics_port() const override { return http_ ? http_->port() : -1; }
  void RequestStop() override { stop_.store(true); }

  Status Run() override {
    Log("dock: records on " + records_->endpoint() + ", conveyor on " + conveyor_->endpoint() +
        (publisher_ ? ", events on " + publisher_->endpoint() : "") +
        (telegram_ ? ", telegrams on port " + std::to_string(telegram_->port()) : "") +
        (http_ ? ", metrics on port " + std::to_string(http_->port()) : "") + "; " +
        std::to_string(index_->size()) + " records indexed");
    store_stop_.store(false);
    std::thread store_thread([this] { StoreLoop(); });
    Status status = DecisionLoop();
    store_stop_.store(true);
    queue_cv_.notify_all();
    store_thread.join();
    if (status.ok()) status = store_status_;
    Log("dock: stopped");
    return status;
  }

 private:
  void Log(const std::string& line) const {
    if (options_.log) options_.log(line);
  }

  // ---- decision thread ---------------------------------------------------------------
  Status DecisionLoop() {
    std::vector<int> fds;
    if (telegram_) fds.push_back(telegram_->fd());
    Steady::time_point next_snapshot = Steady::now();
    snapshot_base_ = metrics_.latency.Read();
    snapshot_time_ = Steady::now();
    while (!stop_.load()) {
      Result<std::vector<size_t>> readable =
          transport::WaitReadable({conveyor_.get()}, {}, fds, milliseconds(20));
      if (!readable.ok()) return readable.status().WithContext("dock poll");
      for (size_t index : readable.value()) {
        if (index == 0) {
          for (int i = 0; i < kDrainPerTurn; ++i) {
            Result<std::optional<transport::Incoming>> in = conveyor_->Receive(milliseconds(0));
            if (!in.ok()) return in.status().WithContext("dock receive");
            if (!in.value().has_value()) break;
            HandleConveyor(*in.value());
          }
        } else {
          telegram_->Poll([this](const v1::SortRequest& request) {
            const Steady::time_point start = Steady::now();
            v1::SortResponse response = Decide(request);
            uint8_t exit =
                static_cast<uint8_t>(dock::ExitNumber(options_.config, response.chute()));
            metrics_.latency.Observe(std::chrono::duration<double>(Steady::now() - start).count());
            return exit;
          });
        }
      }
      HandOverEvents();
      if (Steady::now() >= next_snapshot) {
        next_snapshot = Steady::now() + milliseconds(options_.snapshot_every_ms);
        engine_->Tick();
        HandOverEvents();
        PublishSnapshot();
      }
      if (!store_status_ok_.load()) RequestStop();
    }
    HandOverEvents();
    return Status::Ok();
  }

  v1::SortResponse Decide(const v1::SortRequest& request) {
    bool repeated = false;
    v1::SortResponse response = engine_->Decide(request, &repeated);
    if (repeated) {
      metrics_.repeated.Add();
    } else if (response.outcome() >= 0 && response.outcome() < kOutcomes &&
               metrics_.decisions[response.outcome()] != nullptr) {
      metrics_.decisions[response.outcome()]->Add();
    }
    return response;
  }

  void HandleConveyor(const transport::Incoming& in) {
    const Steady::time_point start = Steady::now();
    v1::ConveyorMessage reply;
    Result<v1::ConveyorMessage> message = transport::Decode<v1::ConveyorMessage>(in.payload);
    bool decision = false;
    if (!message.ok()) {
      reply.set_error(message.status().ToString());
    } else if (message->has_sort_request()) {
      *reply.mutable_sort_response() = Decide(message->sort_request());
      decision = true;
    } else if (message->has_chute_event()) {
      Status applied = engine_->Apply(message->chute_event());
      if (applied.ok()) {
        reply.set_ack("chute " + message->chute_event().chute());
      } else {
        reply.set_error(applied.ToString());
      }
    } else if (message->has_divert_confirm()) {
      Status applied = engine_->Apply(message->divert_confirm());
      if (applied.ok()) {
        reply.set_ack("transaction " + std::to_string(message->divert_confirm().transaction_id()));
      } else {
        reply.set_error(applied.ToString());
      }
    } else {
      reply.set_error("expected a sort request, chute event or divert confirmation");
    }
    conveyor_->Send(in.peer, transport::Encode(std::move(reply))).IgnoreError();
    if (decision) {
      metrics_.latency.Observe(std::chrono::duration<double>(Steady::now() - start).count());
    }
  }

  // Moves the engine's events to the store thread and publishes the ones dashboards
  // follow (decisions and parcels are too many to publish one by one).
  void HandOverEvents() {
    std::vector<v1::DockEvent> events = engine_->TakeEvents();
    if (events.empty()) return;
    if (publisher_) {
      for (v1::DockEvent& event : events) {
        const char* topic = event.has_chute()      ? "chute"
                            : event.has_truck()    ? "truck"
                            : event.has_manifest() ? "manifest"
                                                   : nullptr;
        if (topic != nullptr) publisher_->Publish(topic, transport::Encode(event));
      }
    }
    std::lock_guard<std::mutex> lock(queue_mu_);
    if (queue_.empty()) {
      queue_.swap(events);
    } else {
      for (v1::DockEvent& event : events) queue_.push_back(std::move(event));
    }
  }

  void PublishSnapshot() {
    std::vector<v1::TruckStatus> trucks = engine_->OpenTrucks();
    metrics_.open_trucks.Set(static_cast<double>(trucks.size()));
    if (telegram_) {
      metrics_.telegram_connections.Set(static_cast<double>(telegram_->connections()));
      const uint64_t errors = telegram_->counters().errors;
      metrics_.telegram_errors.Add(errors - telegram_errors_seen_);
      telegram_errors_seen_ = errors;
    }
    std::vector<v1::ChuteStatus> chutes = engine_->Chutes();
    for (const v1::ChuteStatus& chute : chutes) {
      ChuteGauges& gauges = ChuteGaugesFor(chute.chute());
      for (size_t i = 0; i < kChuteStates.size(); ++i) {
        gauges.state[i]->Set(chute.state() == kChuteStates[i] ? 1 : 0);
      }
      gauges.fill->Set(chute.fill());
    }
    if (!publisher_) return;
    const Steady::time_point now = Steady::now();
    const double seconds =
        std::max(1e-3, std::chrono::duration<double>(now - snapshot_time_).count());
    metrics::Histogram::Snapshot latency = metrics_.latency.Read();
    metrics::Histogram::Snapshot interval = latency.Since(snapshot_base_);
    v1::DockEvent event;
    event.set_unix_ms(clock_.UnixMillis());
    v1::DockSnapshot& snapshot = *event.mutable_snapshot();
    snapshot.set_unix_ms(event.unix_ms());
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
    snapshot.set_records_indexed(index_->size());
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

  // The gauges of one chute, registered on first sight and then updated without the
  // registry's lock (a scrape holds it while rendering).
  struct ChuteGauges {
    std::array<metrics::Gauge*, 3> state{};
    metrics::Gauge* fill = nullptr;
  };
  ChuteGauges& ChuteGaugesFor(const std::string& chute) {
    auto it = chute_gauges_.find(chute);
    if (it != chute_gauges_.end()) return it->second;
    ChuteGauges& gauges = chute_gauges_[chute];
    for (size_t i = 0; i < kChuteStates.size(); ++i) {
      gauges.state[i] =
          &registry_.GetGauge("sortline_dock_chute_state", "1 for the state each chute is in",
                              {{"chute", chute}, {"state", v1::ChuteState_Name(kChuteStates[i])}});
    }
    gauges.fill = &registry_.GetGauge("sortline_dock_chute_fill", "Parcels in each chute's bag",
                                      {{"chute", chute}});
    return gauges;
  }

  // ---- store thread ------------------------------------------------------------------
  void StoreLoop() {
    // Under CPU contention the decisions go first: this thread runs at a lower priority
    // than the rest of the dock (Linux applies nice per thread), relative to the
    // process's, so a dock started with a raised priority keeps this gap. Failing to
    // lower it costs only that preference.
    pthread_setname_np(pthread_self(), "dock-store");
    const id_t self = static_cast<id_t>(::gettid());
    errno = 0;
    const int nice = ::getpriority(PRIO_PROCESS, self);
    if (errno == 0) ::setpriority(PRIO_PROCESS, self, std::min(19, nice + kStoreThreadNice));
    Steady::time_point next_flush = Steady::now() + milliseconds(options_.event_flush_ms);
    Steady::time_point next_retry = Steady::now();
    while (true) {
      const bool stopping = store_stop_.load();
      if (!stopping && store_status_ok_.load()) {
        ReceiveRecords(pending_.empty() ? milliseconds(5) : milliseconds(0));
        if (!pending_.empty() && store_status_ok_.load()) StoreOneBatch();
      }
      const Steady::time_point now = Steady::now();
      if (stopping || now >= next_flush) {
        next_flush = now + milliseconds(options_.event_flush_ms);
        TakeEvents();
        if (store_status_ok_.load() && (!stalled_ || stopping || now >= next_retry)) {
          if (!PersistBacklog(stopping)) next_retry = now + milliseconds(options_.store_retry_ms);
        }
        metrics_.backlog.Set(static_cast<double>(backlog_.size()));
      }
      if (stopping) {
        if (!backlog_.empty()) {
          Fail(ResourceExhausted(std::to_string(backlog_.size()) +
                                 " events not persisted at stop: the store refuses writes"));
        }
        return;
      }
      if (!store_status_ok_.load()) {
        std::unique_lock<std::mutex> lock(queue_mu_);
        queue_cv_.wait_for(lock, milliseconds(50), [this] { return store_stop_.load(); });
      }
    }
  }

  void Fail(const Status& status) {
    if (!store_status_ok_.exchange(false)) return;
    store_status_ = status;
    Log("dock: store failed, stopping: " + status.ToString());
  }

  // A refusal that may pass (disk full, busy, I/O trouble short of a failed write):
  // nothing is acknowledged meanwhile and everything is retried.
  static bool MayPass(const Status& status) {
    return status.code() == StatusCode::kResourceExhausted ||
           status.code() == StatusCode::kUnavailable || status.code() == StatusCode::kIoError;
  }

  void NoteStalled(const Status& status) {
    last_refusal_ = Steady::now();
    if (stalled_) return;
    stalled_ = true;
    stalled_since_ = Steady::now();
    metrics_.store_stalled.Set(1);
    Log("dock: ALARM store refuses writes; records are refused and events wait in memory "
        "until it has room again: " +
        status.ToString());
  }

  // A committed record batch ends a stall; committed events end it only once no write
  // was refused for kStallSettle (a full disk may still take a small transaction).
  void NoteWritable(bool records) {
    if (!stalled_) return;
    if (!records && Steady::now() - last_refusal_ < kStallSettle) return;
    stalled_ = false;
    metrics_.store_stalled.Set(0);
    const auto stalled_ms =
        std::chrono::duration_cast<milliseconds>(Steady::now() - stalled_since_).count();
    Log("dock: store writable again after " + std::to_string(stalled_ms) + " ms; " +
        std::to_string(backlog_.size()) + " events still to persist, " +
        std::to_string(backlog_.decisions_dropped()) + " decision events dropped in all");
  }

  // Moves the decision thread's events into the backlog, writing closed trucks'
  // manifests (once each, whatever the store does).
  void TakeEvents() {
    std::vector<v1::DockEvent> events;
    {
      std::lock_guard<std::mutex> lock(queue_mu_);
      events.swap(queue_);
    }
    if (events.empty()) return;
    for (const v1::DockEvent& event : events) {
      if (!event.has_manifest()) continue;
      Status written = dock::WriteManifest(options_.manifest_dir, event.manifest());
      if (!written.ok()) {
        Log("dock: ALARM manifest not written: " + written.ToString());
      } else {
        metrics_.manifests.Add();
        Log("dock: truck " + event.manifest().truck().truck_id() + " closed with " +
            std::to_string(event.manifest().parcels_size()) + " parcels");
      }
    }
    const uint64_t dropped_before = backlog_.decisions_dropped();
    backlog_.Add(std::move(events));
    const uint64_t dropped = backlog_.decisions_dropped() - dropped_before;
    if (dropped > 0) {
      if (metrics_.events_dropped.value() == 0) {
        Log("dock: ALARM " + std::to_string(options_.max_event_backlog) +
            " events wait for the store: decision events are dropped from the log from now "
            "on; chute, parcel and truck states are kept");
      }
      metrics_.events_dropped.Add(dropped);
    }
  }

  // Persists the backlog in transactions of kEventsPerTransaction: one when `all` is
  // false (records get their turn), every one otherwise. False when the store refused.
  bool PersistBacklog(bool all) {
    while (!backlog_.empty()) {
      std::vector<v1::DockEvent> events = backlog_.Take(kEventsPerTransaction);
      Status persisted = store_->PersistEvents(events);
      if (!persisted.ok()) {
        backlog_.PutBack(std::move(events));
        if (MayPass(persisted)) {
          NoteStalled(persisted);
        } else {
          Fail(persisted);
        }
        return false;
      }
      metrics_.events.Add(events.size());
      NoteWritable(false);
      if (!all) break;
    }
    return true;
  }

  // Reads record batches until max_pending_record_batches are waiting or none is left,
  // waiting up to `timeout` for the first.
  void ReceiveRecords(milliseconds timeout) {
    while (pending_.size() <
           static_cast<size_t>(std::max(1, options_.max_pending_record_batches))) {
      Result<std::optional<transport::Incoming>> in = records_->Receive(timeout);
      timeout = milliseconds(0);
      if (!in.ok()) {
        Fail(in.status().WithContext("dock records receive"));
        return;
      }
      if (!in.value().has_value()) return;
      Admit(std::move(*in.value()));
    }
  }

  // Queues a batch, one in flight per sender (until its answer is sent): a sender's
  // second batch meanwhile is refused; a resend of the one in flight (the same bytes)
  // is answered by its acknowledgement.
  void Admit(transport::Incoming in) {
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
      Reply(in.peer, "one record batch at a time: batch " +
                         std::to_string(flying->second.sequence) + " is not acknowledged yet");
      return;
    }
    in_flight_.emplace(in.peer, InFlight{message->batch().sequence(), std::move(in.payload)});
    pending_.push_back(PendingBatch{std::move(in.peer), std::move(*message->mutable_batch())});
    metrics_.pending.Set(static_cast<double>(pending_.size()));
    if (static_cast<double>(pending_.size()) > metrics_.pending_peak.value()) {
      metrics_.pending_peak.Set(static_cast<double>(pending_.size()));
    }
  }

  void Reply(const std::string& peer, std::string error) {
    v1::RecordsMessage reply;
    reply.set_error(std::move(error));
    Status sent = records_->Send(peer, transport::Encode(std::move(reply)));
    if (!sent.ok()) Log("dock: reply lost: " + sent.ToString());
  }

  // Commits, indexes and acknowledges the oldest pending batch. A refused batch is
  // answered with an error and its sender resends it; data loss stops the dock with the
  // batch unacknowledged.
  void StoreOneBatch() {
    PendingBatch batch = std::move(pending_.front());
    pending_.pop_front();
    metrics_.pending.Set(static_cast<double>(pending_.size()));
    if (options_.probe) options_.probe("before-commit");
    newly_stored_.clear();
    Result<v1::RecordsStored> stored = store_->Store(batch.records, &newly_stored_);
    v1::RecordsMessage reply;
    if (stored.ok()) {
      for (int index : newly_stored_) index_->Add(batch.records.records(index));
      metrics_.records.Add(newly_stored_.size());
      metrics_.record_batches.Add();
      metrics_.indexed.Set(static_cast<double>(index_->size()));
      NoteWritable(true);
      if (options_.probe) options_.probe("after-commit");
      *reply.mutable_stored() = std::move(stored).value();
      if (reply.stored().quarantined() > 0) {
        Log("dock: ALARM " + std::to_string(reply.stored().quarantined()) +
            " records conflict with stored ones; quarantined");
      }
    } else if (stored.status().code() == StatusCode::kDataLoss) {
      Fail(stored.status());
      return;
    } else {
      metrics_.refused_store.Add();
      if (MayPass(stored.status())) {
        NoteStalled(stored.status());
      } else {
        Log("dock: records not stored: " + stored.status().ToString());
      }
      reply.set_error(stored.status().ToString());
    }
    Status sent = records_->Send(batch.peer, transport::Encode(std::move(reply)));
    if (!sent.ok()) Log("dock: acknowledgement lost: " + sent.ToString());
    in_flight_.erase(batch.peer);
  }

  struct PendingBatch {
    std::string peer;
    v1::RecordBatch records;
  };
  struct InFlight {
    uint64_t sequence;
    std::string payload;  // as received, to recognise a resend
  };

  const DockOptions options_;
  const Clock& clock_;
  std::unique_ptr<store::DockStore> store_;  // store thread (after Start)
  std::unique_ptr<dock::RecordIndex> index_;
  std::unique_ptr<dock::Engine> engine_;                // decision thread
  std::unique_ptr<transport::ServerChannel> records_;   // store thread
  std::unique_ptr<transport::ServerChannel> conveyor_;  // decision thread
  std::unique_ptr<transport::Publisher> publisher_;     // decision thread
  std::unique_ptr<dock::TelegramServer> telegram_;      // decision thread
  metrics::Registry registry_;
  DockMetrics metrics_;
  std::unique_ptr<metrics::HttpServer> http_;
  std::atomic<bool> stop_{false};

  std::mutex queue_mu_;
  std::condition_variable queue_cv_;
  std::vector<v1::DockEvent> queue_;  // guarded by queue_mu_
  std::atomic<bool> store_stop_{false};
  std::atomic<bool> store_status_ok_{true};
  Status store_status_;  // written by the store thread before it ends; read after join

  // Store thread.
  std::vector<int> newly_stored_;
  std::deque<PendingBatch> pending_;
  std::map<std::string, InFlight> in_flight_;  // by sender: read, not yet answered
  dock::EventBacklog backlog_{options_.max_event_backlog};
  bool stalled_ = false;
  Steady::time_point stalled_since_;
  Steady::time_point last_refusal_;

  // Decision thread: the previous snapshot's reference points.
  metrics::Histogram::Snapshot snapshot_base_;
  Steady::time_point snapshot_time_;
  uint64_t snapshot_decisions_ = 0;
  uint64_t snapshot_records_ = 0;
  uint64_t telegram_errors_seen_ = 0;
  std::map<std::string, ChuteGauges> chute_gauges_;
};

}  // namespace

Result<std::unique_ptr<Dock>> Dock::Open(transport::Context& context, const DockOptions& options) {
  SORTLINE_ASSIGN_OR_RETURN(std::unique_ptr<store::DockStore> store,
                            store::DockStore::Open(options.store_path, options.store));
  auto index = std::make_unique<dock::RecordIndex>(options.config.expected_parcels);
  Status indexed = store->ForEach([&](const v1::SortRecord& record) {
    index->Add(record);
    return true;
  });
  if (!indexed.ok()) return indexed.WithContext("dock index");
  transport::ChannelOptions records_options;
  records_options.security = options.security.get();
  records_options.peer_role = "worker";
  records_options.log = options.log;  // refused handshakes, with their likely cause
  // Each sender has one batch in flight (the dock refuses a second), so a well-behaved
  // sender never has more than one message queued here; a small queue per connection
  // keeps a surge of senders, well-behaved or not, on their side of the wire.
  records_options.receive_high_water_mark = 4;
  SORTLINE_ASSIGN_OR_RETURN(
      std::unique_ptr<transport::ServerChannel> records,
      transport::ServerChannel::Bind(context, options.records_endpoint, records_options));
  transport::ChannelOptions conveyor_options;
  conveyor_options.security = options.security.get();
  conveyor_options.peer_role = "conveyor";
  conveyor_options.log = options.log;
  SORTLINE_ASSIGN_OR_RETURN(
      std::unique_ptr<transport::ServerChannel> conveyor,
      transport::ServerChannel::Bind(context, options.conveyor_endpoint, conveyor_options));
  auto dock = std::make_unique<DockImpl>(options, std::move(store), std::move(index),
                                         std::move(records), std::move(conveyor));
  SORTLINE_RETURN_IF_ERROR(dock->Start(context));
  return std::unique_ptr<Dock>(std::move(dock));
}

}  // namespace sortline::runtime
