// The dock's record store: one SortRecord per order id, durable before acknowledged;
// and the dock's own state (chutes, trucks, parcels) with the log of its events, so a
// restarted dock carries on where it stopped. SQLite in WAL mode.
//
// The event log is a table of this store; RetainEvents moves whole past days of it into
// one archive file a day (an SQLite database with the same events table) and removes
// archives past their time, so neither the store nor the disk grows with the weeks.
//
// Thread-safety: not thread-safe; one owner thread. Several DockStores may be open on
// one file at once (the dock's records and events threads each own one): their writes
// take turns (busy timeout of the connection).
#ifndef PIPELINE_STORE_DOCK_STORE_H_
#define PIPELINE_STORE_DOCK_STORE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pipeline/base/clock.h"
#include "pipeline/base/result.h"
#include "proto/dock.pb.h"
#include "proto/record.pb.h"
#include "proto/wire.pb.h"

namespace sortline::store {

struct DockStoreOptions {
  bool synchronous_full = true;  // PRAGMA synchronous=FULL
  // Page cache of the connection. A dock's transactions are a record batch or 10,000
  // events (about a megabyte each): 16 MiB holds them and the index pages they touch
  // without spilling, where SQLite's store default of 64 MiB would cost the dock (two
  // connections) another 96 MiB in a long run.
  int cache_kib = 16 * 1024;
  // Stamps stored and quarantined records. nullptr = SystemClock(). Borrowed; must outlive
  // the store.
  const Clock* clock = nullptr;
};

class DockStore {
 public:
  // Opens or creates the store at `path` (":memory:" for tests).
  static Result<std::unique_ptr<DockStore>> Open(const std::string& path,
                                                 const DockStoreOptions& options);
  virtual ~DockStore() = default;

  // Stores a batch in one transaction, idempotent by order id: a record equal to the
  // stored one counts as unchanged; a different record for a stored order id goes to the
  // quarantine table (never replacing the stored one). Returns only after the commit.
  virtual Result<v1::RecordsStored> Store(const v1::RecordBatch& batch) = 0;
  // As Store, and appends to `newly_stored` (when not null) the indices into
  // batch.records() of the records stored by this call.
  virtual Result<v1::RecordsStored> Store(const v1::RecordBatch& batch,
                                          std::vector<int>* newly_stored) = 0;

  virtual Result<std::optional<v1::SortRecord>> FindByOrderId(std::string_view order_id) = 0;
  virtual Result<std::optional<v1::SortRecord>> FindByTracking(std::string_view tracking) = 0;
  virtual Result<uint64_t> Count() = 0;
  virtual Result<uint64_t> QuarantineCount() = 0;
  // Calls `fn` for every stored record in order-id order; stops early when it returns false.
  virtual Status ForEach(const std::function<bool(const v1::SortRecord&)>& fn) = 0;
  // As ForEach, in the order the records were stored (a sequential read of the table:
  // what a restarting dock rebuilds its index with).
  virtual Status ForEachStored(const std::function<bool(const v1::SortRecord&)>& fn) = 0;
  // Sets each parcel's order_id from its stored record (by tracking number); parcels
  // without one are left as they are.
  virtual Status FillOrderIds(v1::Manifest* manifest) = 0;

  // Appends `events` to the event log and applies their state (chute, parcel, truck,
  // manifest) to the state tables, in one transaction. Decisions are logged only.
  virtual Status PersistEvents(const std::vector<v1::DockEvent>& events) = 0;
  // The persisted state: every chute, every truck (open and closed), and the parcels
  // loaded onto the open trucks. (The other parcels' states stay in the store, for
  // traceability: a restarted dock needs none of them.)
  struct DockState {
    std::vector<v1::ChuteStatus> chutes;
    std::vector<v1::TruckStatus> trucks;
    std::vector<v1::ParcelStatus> parcels;
  };
  virtual Result<DockState> LoadState() = 0;
  // The last state persisted for the parcel `tracking` (kept after its truck left).
  virtual Result<std::optional<v1::ParcelStatus>> FindParcel(std::string_view tracking) = 0;
  virtual Result<uint64_t> EventCount() = 0;

  // Event retention. Moves the events of every whole day before `today_start_unix_ms`
  // into `<archive_dir>/events-YYYY-MM-DD.db` (the day in hub time: `utc_offset_s`),
  // one transaction per day, appending to an archive that exists; with an empty
  // archive_dir they are deleted instead. Then deletes the archives of days before
  // `keep_from_unix_ms`. Returns the events moved or deleted from the store.
  struct Retention {
    std::string archive_dir;  // "": no archives, events past today are deleted
    int64_t today_start_unix_ms = 0;
    int64_t keep_from_unix_ms = 0;  // archives of days before it are deleted
    int64_t utc_offset_s = 8 * 3600;
  };
  virtual Result<uint64_t> RetainEvents(const Retention& retention) = 0;
};

// Calls `fn` for each event of the store at `db_path` and of the archives in
// `archive_dir` ("" : none) with from_unix_ms <= unix_ms < to_unix_ms, archives first
// (oldest day first), then the store; stops early when `fn` returns false. Opens
// everything read-only: a running dock may be writing meanwhile.
Status ForEachArchivedEvent(const std::string& db_path, const std::string& archive_dir,
                            int64_t from_unix_ms, int64_t to_unix_ms,
                            const std::function<bool(const v1::DockEvent&)>& fn);

}  // namespace sortline::store

#endif  // PIPELINE_STORE_DOCK_STORE_H_
