// The dock's record store: one SortRecord per order id, durable before acknowledged;
// and the dock's own state (chutes, trucks, parcels) with the log of its events, so a
// restarted dock carries on where it stopped. SQLite in WAL mode.
//
// Thread-safety: not thread-safe; one owner thread (the dock loop).
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

  // Appends `events` to the event log and applies their state (chute, parcel, truck,
  // manifest) to the state tables, in one transaction. Decisions are logged only.
  virtual Status PersistEvents(const std::vector<v1::DockEvent>& events) = 0;
  // The persisted state: every chute, every truck (open and closed), every parcel with a
  // state.
  struct DockState {
    std::vector<v1::ChuteStatus> chutes;
    std::vector<v1::TruckStatus> trucks;
    std::vector<v1::ParcelStatus> parcels;
  };
  virtual Result<DockState> LoadState() = 0;
  virtual Result<uint64_t> EventCount() = 0;
};

}  // namespace sortline::store

#endif  // PIPELINE_STORE_DOCK_STORE_H_
