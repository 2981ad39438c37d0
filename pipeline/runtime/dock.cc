#include "pipeline/runtime/dock.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <thread>
#include <utility>
#include <vector>

#include "pipeline/dock/engine.h"
#include "pipeline/metrics/http_server.h"
#include "pipeline/metrics/metrics.h"
#include "pipeline/runtime/internal/dock_decisions.h"
#include "pipeline/runtime/internal/dock_events.h"
#include "pipeline/runtime/internal/dock_handoff.h"
#include "pipeline/runtime/internal/dock_metrics.h"
#include "pipeline/runtime/internal/dock_records.h"

namespace sortline::runtime {
namespace {

using internal::DecisionLoop;
using internal::DockHealth;
using internal::DockMetrics;
using internal::EventWriter;
using internal::Handoff;
using internal::IndexLink;
using internal::RecordIntake;
using Steady = std::chrono::steady_clock;

// What Open builds, handed to the service whole.
struct Parts {
  std::unique_ptr<store::DockStore> records_store;  // the records thread's connection
  std::unique_ptr<store::DockStore> events_store;   // the events thread's connection
  std::unique_ptr<dock::Engine> engine;
  std::unique_ptr<transport::ServerChannel> records;
  std::unique_ptr<transport::ServerChannel> conveyor;
  std::unique_ptr<transport::Publisher> publisher;
  std::unique_ptr<dock::TelegramServer> telegram;
  std::unique_ptr<Directory> manifests;
  std::unique_ptr<IndexLink> link;
  double open_seconds = 0;
};

// Thread-safety: see dock.h. The parts are each owned by the thread that uses them (see
// the internal classes); this class owns them all and joins the threads.
class DockImpl final : public Dock {
 public:
  DockImpl(DockOptions options, Parts parts)
      : options_(std::move(options)),
        clock_(options_.clock != nullptr ? *options_.clock : SystemClock()),
        parts_(std::move(parts)),
        metrics_(registry_),
        intake_(options_, *parts_.records_store, *parts_.records, *parts_.link, metrics_, health_),
        writer_(options_, clock_, *parts_.events_store, *parts_.manifests, events_, metrics_,
                health_),
        decisions_(options_, clock_, *parts_.engine, *parts_.conveyor, parts_.telegram.get(),
                   parts_.publisher.get(), *parts_.link, events_, registry_, metrics_, health_) {
    metrics_.indexed.Set(static_cast<double>(parts_.engine->index().size()));
    metrics_.index_bytes.Set(static_cast<double>(parts_.engine->index().table_bytes()));
  }

  Status StartMetrics() {
    if (options_.metrics_port < 0) return Status::Ok();
    metrics::HttpServerOptions http;
    http.host = options_.metrics_host;
    http.port = options_.metrics_port;
    SORTLINE_ASSIGN_OR_RETURN(http_, metrics::HttpServer::Start(http, registry_));
    return Status::Ok();
  }

  std::string records_endpoint() const override { return parts_.records->endpoint(); }
  std::string conveyor_endpoint() const override { return parts_.conveyor->endpoint(); }
  std::string events_endpoint() const override {
    return parts_.publisher ? parts_.publisher->endpoint() : "";
  }
  int telegram_port() const override { return parts_.telegram ? parts_.telegram->port() : -1; }
  int metrics_port() const override { return http_ ? http_->port() : -1; }
  double open_seconds() const override { return parts_.open_seconds; }
  void RequestStop() override { stop_.store(true); }

  Status Run() override {
    const dock::DockConfig& config = parts_.engine->config();
    Log(LogLevel::kInfo,
        "records on " + parts_.records->endpoint() + ", conveyor on " +
            parts_.conveyor->endpoint() +
            (parts_.publisher ? ", events on " + parts_.publisher->endpoint() : "") +
            (parts_.telegram ? ", telegrams on port " + std::to_string(parts_.telegram->port())
                             : "") +
            (http_ ? ", metrics on port " + std::to_string(http_->port()) : "") + "; " +
            (config.planned
                 ? "plan " + config.plan_version + " (" + std::to_string(config.chutes.size()) +
                       " chutes, " + std::to_string(config.doors.size()) + " doors)"
                 : "no plan") +
            "; " + std::to_string(parts_.engine->index().size()) + " records indexed in " +
            std::to_string(parts_.open_seconds).substr(0, 5) + " s");
    std::atomic<bool> records_stop{false};
    std::thread records_thread([this, &records_stop] {
      internal::LowerThreadPriority("dock-records");
      intake_.Run(records_stop);
    });
    std::thread events_thread([this] { writer_.Run(); });
    Status status = decisions_.Run(stop_);
    records_stop.store(true);
    records_thread.join();
    writer_.Stop();
    events_thread.join();
    if (status.ok() && !health_.ok()) status = health_.status();
    Log(LogLevel::kInfo, "stopped");
    return status;
  }

 private:
  void Log(LogLevel level, const std::string& message) const {
    if (options_.log) options_.log(level, "dock", message);
  }

  const DockOptions options_;
  const Clock& clock_;
  Parts parts_;
  metrics::Registry registry_;
  DockMetrics metrics_;
  DockHealth health_;
  Handoff<v1::DockEvent> events_;
  RecordIntake intake_;
  EventWriter writer_;
  DecisionLoop decisions_;
  std::unique_ptr<metrics::HttpServer> http_;
  std::atomic<bool> stop_{false};
};

// Indexes every record of `store` into `engine`, in two stages on two threads: one scans
// the store and parses the records, the calling thread indexes them (a restart on ten
// million records is mostly these two, each about half).
Status IndexStore(store::DockStore& store, dock::Engine& engine) {
  constexpr size_t kChunk = 4096;
  constexpr size_t kChunksAhead = 8;
  // Parsed chunks from the scanning thread to the indexing one, and emptied chunks back.
  struct ChunkQueue {
    Mutex mu;
    std::condition_variable cv;
    std::deque<std::vector<dock::IndexedRecord>> chunks GUARDED_BY(mu);
    std::vector<std::vector<dock::IndexedRecord>> spare GUARDED_BY(mu);
    bool done GUARDED_BY(mu) = false;
  } queue;
  Status scanned;
  std::thread scanner([&] {
    std::vector<dock::IndexedRecord> chunk(kChunk);
    size_t used = 0;
    auto hand_over = [&] {
      chunk.resize(used);
      MutexLock lock(queue.mu);
      while (queue.chunks.size() >= kChunksAhead) queue.cv.wait(lock.native());
      queue.chunks.push_back(std::move(chunk));
      if (!queue.spare.empty()) {
        chunk = std::move(queue.spare.back());
        queue.spare.pop_back();
      } else {
        chunk.clear();
      }
      chunk.resize(kChunk);
      used = 0;
      queue.cv.notify_all();
    };
    scanned = store.ForEachStored([&](const v1::SortRecord& record) {
      dock::ToIndexed(record, &chunk[used++]);
      if (used == kChunk) hand_over();
      return true;
    });
    if (used > 0) hand_over();
    MutexLock lock(queue.mu);
    queue.done = true;
    queue.cv.notify_all();
  });
  while (true) {
    std::vector<dock::IndexedRecord> chunk;
    {
      MutexLock lock(queue.mu);
      while (queue.chunks.empty() && !queue.done) queue.cv.wait(lock.native());
      if (queue.chunks.empty()) break;
      chunk = std::move(queue.chunks.front());
      queue.chunks.pop_front();
      queue.cv.notify_all();
    }
    for (const dock::IndexedRecord& item : chunk) engine.AddRecord(item);
    MutexLock lock(queue.mu);
    queue.spare.push_back(std::move(chunk));
  }
  scanner.join();
  if (!scanned.ok()) return scanned.WithContext("dock index");
  return Status::Ok();
}

// The engine with the configuration (from the plan when there is one), the records of
// the store indexed and the dock's state restored.
Result<std::unique_ptr<dock::Engine>> BuildEngine(const DockOptions& options, const Clock& clock,
                                                  store::DockStore& store) {
  dock::DockConfig config = options.config;
  if (options.plans) config = dock::ConfigFromPlan(*options.plans->Get(), options.config);
  SORTLINE_ASSIGN_OR_RETURN(uint64_t stored, store.Count());
  config.expected_parcels = std::max(config.expected_parcels, stored + stored / 4);
  std::unique_ptr<dock::Engine> engine = dock::Engine::Create(config, clock);
  SORTLINE_RETURN_IF_ERROR(IndexStore(store, *engine));
  SORTLINE_ASSIGN_OR_RETURN(store::DockStore::DockState state, store.LoadState());
  for (const v1::ChuteStatus& chute : state.chutes) engine->Restore(chute);
  for (const v1::TruckStatus& truck : state.trucks) engine->Restore(truck);
  for (const v1::ParcelStatus& parcel : state.parcels) engine->Restore(parcel);
  return engine;
}

}  // namespace

Result<std::unique_ptr<Dock>> Dock::Open(transport::Context& context, const DockOptions& options) {
  const Steady::time_point began = Steady::now();
  const Clock& clock = options.clock != nullptr ? *options.clock : SystemClock();
  Parts parts;
  SORTLINE_ASSIGN_OR_RETURN(parts.records_store,
                            store::DockStore::Open(options.store_path, options.store));
  SORTLINE_ASSIGN_OR_RETURN(parts.engine, BuildEngine(options, clock, *parts.records_store));
  if (options.store_path == ":memory:") {
    return InvalidArgument("the dock's store must be a file: its threads open it twice");
  }
  SORTLINE_ASSIGN_OR_RETURN(parts.events_store,
                            store::DockStore::Open(options.store_path, options.store));
  FileSystem& files = options.file_system != nullptr ? *options.file_system : DefaultFileSystem();
  SORTLINE_ASSIGN_OR_RETURN(parts.manifests, files.OpenDirectory(options.manifest_dir));
  SORTLINE_ASSIGN_OR_RETURN(internal::Wakeup records_ready, internal::Wakeup::Create());
  SORTLINE_ASSIGN_OR_RETURN(internal::Wakeup indexed_wakeup, internal::Wakeup::Create());
  parts.link = std::make_unique<IndexLink>(std::move(records_ready), std::move(indexed_wakeup));

  transport::ChannelOptions records_options;
  records_options.security = options.security.get();
  records_options.peer_role = "worker";
  records_options.log = options.log;  // refused handshakes, with their likely cause
  // Each sender has one batch in flight (the dock refuses a second), so a well-behaved
  // sender never has more than one message queued here; a small queue per connection
  // keeps a surge of senders, well-behaved or not, on their side of the wire.
  records_options.receive_high_water_mark = 4;
  SORTLINE_ASSIGN_OR_RETURN(parts.records, transport::ServerChannel::Bind(
                                               context, options.records_endpoint, records_options));
  transport::ChannelOptions conveyor_options;
  conveyor_options.security = options.security.get();
  conveyor_options.peer_role = "conveyor";
  conveyor_options.log = options.log;
  SORTLINE_ASSIGN_OR_RETURN(
      parts.conveyor,
      transport::ServerChannel::Bind(context, options.conveyor_endpoint, conveyor_options));
  if (!options.events_endpoint.empty()) {
    SORTLINE_ASSIGN_OR_RETURN(parts.publisher,
                              transport::Publisher::Bind(context, options.events_endpoint));
  }
  if (options.telegram_port >= 0) {
    dock::TelegramServerOptions telegram;
    telegram.host = options.telegram_host;
    telegram.port = options.telegram_port;
    telegram.byte_order = options.telegram_byte_order;
    SORTLINE_ASSIGN_OR_RETURN(parts.telegram, dock::TelegramServer::Listen(telegram));
  }
  parts.open_seconds = std::chrono::duration<double>(Steady::now() - began).count();
  auto dock = std::make_unique<DockImpl>(options, std::move(parts));
  SORTLINE_RETURN_IF_ERROR(dock->StartMetrics());
  return std::unique_ptr<Dock>(std::move(dock));
}

}  // namespace sortline::runtime
