// pipeline/store owns durable state in SQLite, the only folder that knows it: the
// intake journal (here), the dock store (dock_store.h) and the connection they share
// (sqlite_db.h).
//
// The intake journal: every accepted order, durable before it is acknowledged, with its
// tracking number (assigned once from a durable serial counter), lease and outcome,
// kept until its batch has been complete for the retention time (Prune).
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

#include "pipeline/base/clock.h"
#include "pipeline/base/result.h"
#include "pipeline/model/s10.h"
#include "proto/order.pb.h"
#include "proto/wire.pb.h"

namespace sortline::store {

struct JournalOptions {
  bool synchronous_full = true;  // PRAGMA synchronous=FULL (NORMAL may lose commits on power loss)
  model::S10Range tracking_range;  // where new tracking numbers come from (default EA...CN)
  // Size cap of the database file: a Submit that would grow it past this fails with
  // kResourceExhausted and journals nothing. 0 = no cap (the disk is the limit).
  uint64_t max_bytes = 0;
  // SQLite page cache of the connection. The working set is the tail of the table and
  // the order id index; a large group commit needs room for its dirty pages.
  int cache_kib = 64 * 1024;
  // Stamps batches with their submission time. nullptr = SystemClock(). Borrowed; must
  // outlive the Journal.
  const Clock* clock = nullptr;
};

// What Journal::Prune removed.
struct JournalPruned {
  uint64_t batches = 0;  // batches whose orders were removed
  uint64_t orders = 0;   // order rows removed
};

// Orders waiting in the journal, by the classes Lease orders them by.
struct JournalBacklog {
  uint64_t pending_perishable = 0;  // fresh produce, cold chain, perishable parcels
  uint64_t pending_ordinary = 0;
  uint64_t leased = 0;  // handed to a worker, not finished (expired leases included)
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
  // Orders without a tracking number get the next one from the durable counter; a
  // pre-assigned valid number is kept. The journal itself also rejects an order with an
  // empty order id, an invalid pre-assigned tracking number, or one already used by
  // another order. Rejections are listed by index.
  // Submitting a batch id again returns the stored reply of the first submission
  // unchanged, whatever the new content. kInvalidArgument (nothing journaled) for an
  // empty batch id or a rejection index outside the batch; kResourceExhausted when the
  // tracking range is spent or the journal is full.
  virtual Result<v1::SubmitReply> Submit(const v1::OrderBatch& batch,
                                         const std::vector<v1::OrderRejection>& rejected) = 0;

  // Group commit: journals several batches in one transaction, so they share one fsync,
  // and returns their replies in order, each exactly as Submit would have answered it
  // (a batch id repeated within the group is answered from its first occurrence).
  // `rejected[i]` belongs to `*batches[i]`. Errors as Submit, for the whole group: when
  // any batch is invalid or the transaction fails, nothing is journaled.
  virtual Result<std::vector<v1::SubmitReply>> SubmitGroup(
      const std::vector<const v1::OrderBatch*>& batches,
      const std::vector<std::vector<v1::OrderRejection>>& rejected) = 0;

  // Leases work to `worker` until `now_ms + lease_ms`: the oldest lease that expired
  // before `now_ms`, whole and under a new lease id (so a redelivered batch is the same
  // batch: the same orders, the same batch label file; it may exceed `max_orders`), else
  // up to `max_orders` pending orders, perishable service classes first, then the oldest.
  // Returns an empty batch (lease_id 0) when there is nothing to do.
  virtual Result<v1::WorkBatch> Lease(std::string_view worker, uint32_t max_orders, int64_t now_ms,
                                      int64_t lease_ms) = 0;

  // Extends the unexpired leases `lease_ids` held by `worker` to `now_ms + lease_ms`: a
  // worker that keeps reporting the leases it holds keeps its work however long the batch
  // takes (e.g. while the dock's disk is full). Returns how many orders were renewed.
  // Leases already expired, or held by another worker, are left alone.
  virtual Result<uint64_t> Renew(std::string_view worker, const std::vector<uint64_t>& lease_ids,
                                 int64_t now_ms, int64_t lease_ms) = 0;

  // Records the results of a lease in one transaction. OUTCOME_SORTED, _NO_RULE and
  // _REJECTED finish the order as done (its record is at the dock), from this lease or an
  // expired one; OUTCOME_FAILED finishes it as failed only while `done.lease_id` is still
  // its lease, because a newer lease may yet succeed. Results for orders already finished
  // and for unknown order ids are ignored, so late or repeated results are harmless.
  // kInvalidArgument (nothing recorded) for a result without a valid outcome.
  virtual Status Complete(const v1::WorkDone& done) = 0;

  // Totals of a batch, with every failed order (id, index in the batch, reason).
  // kNotFound for an unknown batch id.
  virtual Result<v1::BatchProgress> Progress(std::string_view batch_id) = 0;

  // Retention: removes the order rows of up to `max_batches` batches that completed
  // (every order done or failed) before `completed_before_ms`, oldest first, and hands
  // the freed pages back to the file system (journals created since issue 10 shrink;
  // older ones reuse the pages). Each batch keeps its row: its id still gets the stored
  // reply on a resubmission, and Progress still gives its totals, no longer the list of
  // its failures. An order id of a pruned batch is no longer known as a duplicate.
  // Call repeatedly until it prunes nothing; each call is one transaction.
  virtual Result<JournalPruned> Prune(int64_t completed_before_ms, uint32_t max_batches) = 0;

  // Orders journaled and not yet finished (pending or leased).
  virtual Result<uint64_t> Outstanding() = 0;

  // The unfinished orders by class. Reads the partial indexes: cost grows with the
  // backlog, so call it every few seconds, not per message.
  virtual Result<JournalBacklog> Backlog() = 0;
};

}  // namespace sortline::store

#endif  // PIPELINE_STORE_JOURNAL_H_
