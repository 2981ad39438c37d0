// The dock's record store: one SortRecord per order id, durable before acknowledged.
// SQLite in WAL mode.
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

#include "pipeline/base/clock.h"
#include "pipeline/base/result.h"
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

  virtual Result<std::optional<v1::SortRecord>> FindByOrderId(std::string_view order_id) = 0;
  virtual Result<std::optional<v1::SortRecord>> FindByTracking(std::string_view tracking) = 0;
  virtual Result<uint64_t> Count() = 0;
  virtual Result<uint64_t> QuarantineCount() = 0;
  // Calls `fn` for every stored record in order-id order; stops early when it returns false.
  virtual Status ForEach(const std::function<bool(const v1::SortRecord&)>& fn) = 0;
};

}  // namespace sortline::store

#endif  // PIPELINE_STORE_DOCK_STORE_H_
