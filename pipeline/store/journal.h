// The intake journal: every accepted order, durable before it is acknowledged, with its
// tracking number (assigned once from a durable serial counter), lease and outcome.
// SQLite in WAL mode.
//
// Thread-safety: not thread-safe; one owner thread (the intake loop).
#ifndef PIPELINE_STORE_JOURNAL_H_
#define PIPELINE_STORE_JOURNAL_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "pipeline/base/result.h"
#include "pipeline/model/s10.h"
#include "proto/order.pb.h"
#include "proto/wire.pb.h"

namespace sortline::store {

struct JournalOptions {
  bool synchronous_full = true;  // PRAGMA synchronous=FULL (NORMAL may lose commits on power loss)
  model::S10Range tracking_range;  // where new tracking numbers come from (default EA...CN)
};

class Journal {
 public:
  // Opens or creates the journal at `path` (a file; ":memory:" for tests).
  static Result<std::unique_ptr<Journal>> Open(const std::string& path,
                                               const JournalOptions& options);
  virtual ~Journal() = default;

  // Journals `batch` in one transaction and returns the acknowledgement.
  // Orders whose index appears in `rejected` (decided by the caller's validation) are
  // not journaled and are listed in the reply as rejected. Order ids already journaled
  // (by this or an earlier batch) are listed as duplicates and not journaled again.
  // Orders without a tracking number get the next one from the durable counter.
  // Submitting a batch id again returns the stored reply of the first submission
  // unchanged, whatever the new content.
  virtual Result<v1::SubmitReply> Submit(const v1::OrderBatch& batch,
                                         const std::vector<v1::OrderRejection>& rejected) = 0;

  // Leases up to `max_orders` pending orders (or orders whose lease expired before
  // `now_ms`) to `worker` until `now_ms + lease_ms`. Perishable service classes first,
  // then the oldest. Returns an empty batch when there is nothing to do.
  virtual Result<v1::WorkBatch> Lease(std::string_view worker, uint32_t max_orders, int64_t now_ms,
                                      int64_t lease_ms) = 0;

  // Records the results of a lease. Results for orders already finished are ignored,
  // so late or repeated results are harmless.
  virtual Status Complete(const v1::WorkDone& done) = 0;

  // kNotFound for an unknown batch id.
  virtual Result<v1::BatchProgress> Progress(std::string_view batch_id) = 0;

  // Orders journaled and not yet finished (pending or leased).
  virtual Result<uint64_t> Outstanding() = 0;
};

}  // namespace sortline::store

#endif  // PIPELINE_STORE_JOURNAL_H_
