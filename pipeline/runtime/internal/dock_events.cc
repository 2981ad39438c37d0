#include "pipeline/runtime/internal/dock_events.h"

#include <algorithm>
#include <utility>

#include "pipeline/dock/manifest_writer.h"

namespace sortline::runtime::internal {
namespace {

using std::chrono::milliseconds;

constexpr size_t kEventsPerTransaction = 10'000;
constexpr std::chrono::seconds kStallSettle(1);
constexpr int64_t kDayMs = 24LL * 3600 * 1000;

}  // namespace

EventWriter::EventWriter(const DockOptions& options, const Clock& clock, store::DockStore& store,
                         Directory& manifests, Handoff<v1::DockEvent>& events, DockMetrics& metrics,
                         DockHealth& health)
    : options_(options),
      clock_(clock),
      store_(store),
      manifests_(manifests),
      events_(events),
      metrics_(metrics),
      health_(health),
      backlog_(options.max_event_backlog) {}

void EventWriter::Log(LogLevel level, const std::string& message) const {
  if (options_.log) options_.log(level, "dock", message);
}

void EventWriter::Stop() {
  {
    MutexLock lock(stop_mu_);
    stop_ = true;
  }
  stop_cv_.notify_all();
}

bool EventWriter::Stopping() {
  const Steady::time_point deadline =
      Steady::now() + milliseconds(std::max(1, options_.event_flush_ms));
  MutexLock lock(stop_mu_);
  while (!stop_ && stop_cv_.wait_until(lock.native(), deadline) != std::cv_status::timeout) {
  }
  return stop_;
}

void EventWriter::Run() {
  LowerThreadPriority("dock-events");
  Steady::time_point next_retry = clock_.Now();
  next_retention_ = clock_.Now();
  while (true) {
    const bool stopping = Stopping();
    const Steady::time_point now = clock_.Now();
    TakeEvents();
    if (!waiting_manifests_.empty() && (stopping || now >= next_manifest_retry_)) {
      RetryManifests();
    }
    if (health_.ok() && (!stalled_ || stopping || now >= next_retry)) {
      if (!PersistBacklog(stopping)) next_retry = now + milliseconds(options_.store_retry_ms);
    }
    if (backlog_.empty()) NoteWritable(true);
    metrics_.backlog.Set(static_cast<double>(backlog_.size()));
    if (options_.retention.enabled && !stalled_ && health_.ok() && now >= next_retention_) {
      next_retention_ = now + std::chrono::seconds(std::max(1, options_.retention.check_every_s));
      Retain();
    }
    if (stopping) break;
  }
  if (!backlog_.empty()) {
    health_.Fail(ResourceExhausted(std::to_string(backlog_.size()) +
                                   " events not persisted at stop: the store refuses writes"));
  }
  if (!waiting_manifests_.empty()) {
    Log(LogLevel::kAlarm,
        std::to_string(waiting_manifests_.size()) +
            " manifests not written at stop: the disk refuses them (their trucks and parcels are "
            "in the store)");
  }
}

// Moves the decision thread's events into the backlog, writing closed trucks'
// manifests (once each, whatever the store does).
void EventWriter::TakeEvents() {
  events_.Take(taken_);
  if (taken_.empty()) return;
  for (v1::DockEvent& event : taken_) {
    if (!event.has_manifest()) continue;
    if (!Write(*event.mutable_manifest())) waiting_manifests_.push_back(event.manifest());
  }
  metrics_.manifests_waiting.Set(static_cast<double>(waiting_manifests_.size()));
  const uint64_t dropped_before = backlog_.decisions_dropped();
  backlog_.Add(std::move(taken_));
  taken_.clear();
  const uint64_t dropped = backlog_.decisions_dropped() - dropped_before;
  if (dropped > 0) {
    if (metrics_.events_dropped.value() == 0) {
      Log(LogLevel::kAlarm,
          std::to_string(options_.max_event_backlog) +
              " events wait for the store: decision events are dropped from the log from now "
              "on; chute, parcel and truck states are kept");
    }
    metrics_.events_dropped.Add(dropped);
  }
}

bool EventWriter::Write(v1::Manifest& manifest) {
  Status filled = store_.FillOrderIds(&manifest);
  if (!filled.ok()) Log(LogLevel::kWarning, "manifest without order ids: " + filled.ToString());
  Status written = dock::WriteManifest(manifests_, manifest);
  const std::string& id = manifest.truck().truck_id();
  if (written.ok()) {
    metrics_.manifests.Add();
    Log(LogLevel::kInfo, "truck " + id + " closed with " + std::to_string(manifest.parcels_size()) +
                             " parcels; manifest written");
    return true;
  }
  if (written.code() == StatusCode::kDataLoss) {
    if (health_.Fail(written))
      Log(LogLevel::kError, "manifest disk failed, stopping: " + written.ToString());
    return true;  // not retried: a failed flush is never retried
  }
  if (waiting_manifests_.empty()) {
    Log(LogLevel::kAlarm,
        "manifest of truck " + id +
            " not written, retried until the disk takes it: " + written.ToString());
  }
  next_manifest_retry_ = clock_.Now() + milliseconds(options_.store_retry_ms);
  return false;
}

void EventWriter::RetryManifests() {
  while (!waiting_manifests_.empty()) {
    if (!Write(waiting_manifests_.front())) break;
    waiting_manifests_.pop_front();
    if (waiting_manifests_.empty()) Log(LogLevel::kInfo, "every waiting manifest is written now");
  }
  metrics_.manifests_waiting.Set(static_cast<double>(waiting_manifests_.size()));
}

// Persists the backlog in transactions of kEventsPerTransaction: one when `all` is
// false, every one otherwise. False when the store refused.
bool EventWriter::PersistBacklog(bool all) {
  while (!backlog_.empty()) {
    std::vector<v1::DockEvent> events = backlog_.Take(kEventsPerTransaction);
    Status persisted = store_.PersistEvents(events);
    if (!persisted.ok()) {
      backlog_.PutBack(std::move(events));
      if (MayPass(persisted)) {
        NoteStalled(persisted);
      } else if (health_.Fail(persisted)) {
        Log(LogLevel::kError, "store failed, stopping: " + persisted.ToString());
      }
      return false;
    }
    metrics_.events.Add(events.size());
    NoteWritable(backlog_.empty());
    if (!all) break;
  }
  return true;
}

void EventWriter::Retain() {
  store::DockStore::Retention retention;
  retention.archive_dir = options_.retention.archive_dir;
  retention.utc_offset_s = options_.config.utc_offset_s;
  const int64_t now = clock_.UnixMillis();
  const int64_t local = now + retention.utc_offset_s * 1000;
  retention.today_start_unix_ms = local - local % kDayMs - retention.utc_offset_s * 1000;
  retention.keep_from_unix_ms =
      retention.today_start_unix_ms - static_cast<int64_t>(options_.retention.keep_days) * kDayMs;
  Result<uint64_t> moved = store_.RetainEvents(retention);
  if (!moved.ok()) {
    Log(LogLevel::kWarning, "event retention failed, retried later: " + moved.status().ToString());
    return;
  }
  if (*moved == 0) return;
  metrics_.events_retired.Add(*moved);
  Log(LogLevel::kInfo,
      std::to_string(*moved) + " events of past days " +
          (retention.archive_dir.empty() ? "deleted" : "archived in " + retention.archive_dir));
}

void EventWriter::NoteStalled(const Status& status) {
  last_refusal_ = clock_.Now();
  metrics_.store_stalled.Set(health_.SetStalled(DockHealth::kEvents, true) ? 1 : 0);
  if (stalled_) return;
  stalled_ = true;
  stalled_since_ = clock_.Now();
  Log(LogLevel::kAlarm,
      "store refuses writes; events wait in memory until it has room again: " + status.ToString());
}

// Committed events end a stall when they emptied the backlog, else only once no write was
// refused for kStallSettle (a full disk may still take a small transaction).
void EventWriter::NoteWritable(bool drained) {
  if (!stalled_ || (!drained && clock_.Now() - last_refusal_ < kStallSettle)) return;
  stalled_ = false;
  metrics_.store_stalled.Set(health_.SetStalled(DockHealth::kEvents, false) ? 1 : 0);
  const auto ms = std::chrono::duration_cast<milliseconds>(clock_.Now() - stalled_since_).count();
  Log(LogLevel::kInfo, "store writable again after " + std::to_string(ms) + " ms; " +
                           std::to_string(backlog_.size()) + " events still to persist, " +
                           std::to_string(backlog_.decisions_dropped()) +
                           " decision events dropped in all");
}

}  // namespace sortline::runtime::internal
