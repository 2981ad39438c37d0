#include "pipeline/store/journal.h"

#include <algorithm>
#include <array>
#include <map>
#include <utility>

#include "pipeline/store/schema.h"
#include "pipeline/store/sqlite_db.h"

namespace sortline::store {
namespace {

using internal::Db;
using internal::Statement;
using internal::Transaction;

constexpr int32_t kApplicationId = 0x534c4a31;  // "SLJ1"

// orders.priority: lower goes first.
constexpr int64_t kPerishable = 0;
constexpr int64_t kOrdinary = 1;

constexpr char kLeaseCounter[] = "lease_id";

// orders.state: 0 pending, 1 leased, 2 done (the record is at the dock: sorted, no rule or
// rejected), 3 failed. The states are literals in the SQL so that the planner can match
// the partial indexes.
// The rowid `seq` grows with arrival (Prune deletes old batches' rows; once every row
// is gone numbering may start again, which orders nothing wrongly); a
// batch's orders are the seq range [first_seq, last_seq] (NULL once pruned, or for
// batches journaled before version 3), and completed_ms is when its last order finished.
// The partial indexes hold only the rows a query looks for: pending orders by priority
// and age, leased orders by expiry and by lease id, failed orders by batch.
//
// The schema's history. Released steps are never edited; a change is a new step at the
// end (docs/formats.md). Versions 2 and 3 first shipped as patches applied at every open
// of a journal that still said version 1, so a journal at version 1 may already hold
// them: those two steps accept that.
constexpr std::string_view kVersion1 = R"sql(
CREATE TABLE batches(
  id         INTEGER PRIMARY KEY,
  batch_id   TEXT NOT NULL UNIQUE,
  created_ms INTEGER NOT NULL,
  total      INTEGER NOT NULL DEFAULT 0,
  done       INTEGER NOT NULL DEFAULT 0,
  failed     INTEGER NOT NULL DEFAULT 0,
  reply      BLOB NOT NULL);
CREATE TABLE orders(
  seq              INTEGER PRIMARY KEY,
  order_id         TEXT NOT NULL UNIQUE,
  tracking         TEXT NOT NULL UNIQUE,
  batch            INTEGER NOT NULL REFERENCES batches(id),
  batch_index      INTEGER NOT NULL,
  priority         INTEGER NOT NULL,
  state            INTEGER NOT NULL,
  lease_id         INTEGER,
  lease_worker     TEXT,
  lease_expires_ms INTEGER,
  outcome          INTEGER,
  reason           TEXT,
  payload          BLOB NOT NULL);
CREATE INDEX orders_pending ON orders(priority, seq) WHERE state = 0;
CREATE INDEX orders_leased ON orders(lease_expires_ms) WHERE state = 1;
CREATE INDEX orders_failed ON orders(batch, seq) WHERE state = 3;
CREATE TABLE counters(
  name  TEXT PRIMARY KEY,
  value INTEGER NOT NULL) WITHOUT ROWID;
)sql";

// Version 2 (lease renewal): Renew finds a lease's orders by id.
constexpr std::string_view kVersion2 =
    "CREATE INDEX IF NOT EXISTS orders_lease ON orders(lease_id) WHERE state = 1";

// Version 3 (retention, issue 10): a batch's seq range and completion time, and the
// batches Prune may take.
Status AddRetention(Db& db) {
  for (std::string_view column : {"completed_ms", "first_seq", "last_seq"}) {
    SORTLINE_ASSIGN_OR_RETURN(bool present, internal::HasColumn(db, "batches", column));
    if (present) continue;
    SORTLINE_RETURN_IF_ERROR(
        db.Exec("ALTER TABLE batches ADD COLUMN " + std::string(column) + " INTEGER"));
  }
  return db.Exec(
      "CREATE INDEX IF NOT EXISTS batches_prunable ON batches(completed_ms) "
      "WHERE first_seq IS NOT NULL");
}

constexpr internal::Migration kMigrations[] = {
    {1, kVersion1},
    {2, kVersion2},
    {3, {}, AddRetention},
};

// A new journal is made with auto_vacuum=INCREMENTAL, so that pruned pages can be handed
// back to the file system; in WAL mode the setting takes effect through a VACUUM, which
// costs nothing on an empty database. Journals made before version 3 keep
// auto_vacuum=NONE (switching needs a VACUUM of the whole file): Prune's pages are reused.
constexpr internal::SchemaSpec kJournalSchema{"journal", kApplicationId, kMigrations,
                                              "PRAGMA auto_vacuum=INCREMENTAL; VACUUM"};

bool IsPerishable(const v1::Order& order) {
  return order.service() == v1::SERVICE_FRESH_PRODUCE ||
         order.service() == v1::SERVICE_COLD_CHAIN || order.parcel().perishable();
}

std::string SerialCounterName(const model::S10Range& range) {
  return "s10:" + range.prefix + ":" + range.country;
}

Result<int64_t> ReadCounter(Db& db, std::string_view name, int64_t missing) {
  SORTLINE_ASSIGN_OR_RETURN(Statement stmt,
                            db.Prepare("SELECT value FROM counters WHERE name = ?1"));
  stmt.BindText(1, name);
  SORTLINE_ASSIGN_OR_RETURN(bool row, stmt.Step());
  return row ? stmt.ColumnInt(0) : missing;
}

Status WriteCounter(Db& db, std::string_view name, int64_t value) {
  SORTLINE_ASSIGN_OR_RETURN(Statement stmt,
                            db.Prepare("INSERT INTO counters(name, value) VALUES(?1, ?2) "
                                       "ON CONFLICT(name) DO UPDATE SET value = excluded.value"));
  stmt.BindText(1, name).BindInt(2, value);
  return stmt.Run();
}

// Appends `tracking` as field 8 (tracking_number) to a serialized Order that lacks one,
// which parses as the order with its number set (and, as 8 is the highest field number,
// gives the same bytes as serializing that order). Saves copying every order to set it.
// REQUIRES: tracking.size() < 128 (a one-byte length; S10 numbers have 13 characters).
void AppendTrackingNumber(std::string_view tracking, std::string* payload) {
  static_assert(v1::Order::kTrackingNumberFieldNumber == 8);
  constexpr char kTag = (8 << 3) | 2;  // field 8, length-delimited
  payload->push_back(kTag);
  payload->push_back(static_cast<char>(tracking.size()));
  payload->append(tracking);
}

v1::OrderRejection Rejection(const v1::Order& order, uint32_t index, std::string reason) {
  v1::OrderRejection rejection;
  rejection.set_order_id(order.order_id());
  rejection.set_index(index);
  rejection.set_reason(std::move(reason));
  return rejection;
}

// Thread-safety: as Journal, one owner thread; it owns the connection and its statements.
class JournalImpl final : public Journal {
 public:
  JournalImpl(std::unique_ptr<Db> db, JournalOptions options)
      : db_(std::move(db)),
        options_(std::move(options)),
        clock_(options_.clock != nullptr ? *options_.clock : SystemClock()),
        serial_counter_(SerialCounterName(options_.tracking_range)) {}

  Result<v1::SubmitReply> Submit(const v1::OrderBatch& batch,
                                 const std::vector<v1::OrderRejection>& rejected) override;
  Result<std::vector<v1::SubmitReply>> SubmitGroup(
      const std::vector<const v1::OrderBatch*>& batches,
      const std::vector<std::vector<v1::OrderRejection>>& rejected) override;
  Result<v1::WorkBatch> Lease(std::string_view worker, uint32_t max_orders, int64_t now_ms,
                              int64_t lease_ms) override;
  Result<uint64_t> Renew(std::string_view worker, const std::vector<uint64_t>& lease_ids,
                         int64_t now_ms, int64_t lease_ms) override;
  Status Complete(const v1::WorkDone& done) override;
  Result<v1::BatchProgress> Progress(std::string_view batch_id) override;
  Result<JournalPruned> Prune(int64_t completed_before_ms, uint32_t max_batches) override;
  Result<uint64_t> Outstanding() override;
  Result<JournalBacklog> Backlog() override;

 private:
  // The rows of one batch, inside the caller's transaction.
  Result<v1::SubmitReply> SubmitRows(const v1::OrderBatch& batch,
                                     const std::vector<const v1::OrderRejection*>& rejected_at);
  Result<v1::WorkBatch> LeaseInTransaction(std::string_view worker, uint32_t max_orders,
                                           int64_t now_ms, int64_t lease_ms);
  Status CompleteInTransaction(const v1::WorkDone& done);

  enum class Insertion { kInserted, kDuplicate, kTrackingTaken };
  // Inserts one order with `tracking` (preassigned, or when empty the next number of
  // `issuer`, written to *tracking). `insert` and `exists` are the prepared
  // statements of SubmitRows.
  Result<Insertion> InsertOrder(const v1::Order& order, uint32_t index, int64_t batch_key,
                                model::S10Issuer& issuer, Statement& insert, Statement& exists,
                                std::string* tracking);

  std::unique_ptr<Db> db_;
  JournalOptions options_;
  const Clock& clock_;
  std::string serial_counter_;
  // Reused serialization buffer, so Submit does not allocate one per order.
  std::string payload_;
};

namespace {

// Each order's rejection by index. kInvalidArgument for an empty batch id or an index
// outside the batch.
Result<std::vector<const v1::OrderRejection*>> RejectionsByIndex(
    const v1::OrderBatch& batch, const std::vector<v1::OrderRejection>& rejected) {
  const std::string context = "journal submit batch \"" + batch.batch_id() + "\"";
  if (batch.batch_id().empty()) return InvalidArgument(context + ": batch_id is empty");
  std::vector<const v1::OrderRejection*> rejected_at(batch.orders_size(), nullptr);
  for (const v1::OrderRejection& rejection : rejected) {
    if (rejection.index() >= rejected_at.size()) {
      return InvalidArgument(context + ": rejection index " + std::to_string(rejection.index()) +
                             " is outside the batch of " + std::to_string(rejected_at.size()));
    }
    if (rejected_at[rejection.index()] == nullptr) rejected_at[rejection.index()] = &rejection;
  }
  return rejected_at;
}

}  // namespace

Result<v1::SubmitReply> JournalImpl::Submit(const v1::OrderBatch& batch,
                                            const std::vector<v1::OrderRejection>& rejected) {
  Result<std::vector<v1::SubmitReply>> replies = SubmitGroup({&batch}, {rejected});
  if (!replies.ok()) return replies.status();
  return std::move(replies->front());
}

Result<std::vector<v1::SubmitReply>> JournalImpl::SubmitGroup(
    const std::vector<const v1::OrderBatch*>& batches,
    const std::vector<std::vector<v1::OrderRejection>>& rejected) {
  if (batches.size() != rejected.size()) {
    return InvalidArgument("journal submit: " + std::to_string(batches.size()) + " batches with " +
                           std::to_string(rejected.size()) + " rejection lists");
  }
  std::vector<std::vector<const v1::OrderRejection*>> rejected_at;
  rejected_at.reserve(batches.size());
  for (size_t i = 0; i < batches.size(); ++i) {
    SORTLINE_ASSIGN_OR_RETURN(rejected_at.emplace_back(),
                              RejectionsByIndex(*batches[i], rejected[i]));
  }
  const std::string context = batches.size() == 1
                                  ? "journal submit batch \"" + batches[0]->batch_id() + "\""
                                  : "journal submit of " + std::to_string(batches.size()) +
                                        " batches from \"" + batches[0]->batch_id() + "\"";
  Result<Transaction> txn = Transaction::Begin(*db_);
  if (!txn.ok()) return txn.status().WithContext(context);
  std::vector<v1::SubmitReply> replies;
  replies.reserve(batches.size());
  for (size_t i = 0; i < batches.size(); ++i) {
    Result<v1::SubmitReply> reply = SubmitRows(*batches[i], rejected_at[i]);
    if (!reply.ok()) return reply.status().WithContext(context);
    replies.push_back(std::move(reply).value());
  }
  if (Status committed = txn->Commit(); !committed.ok()) return committed.WithContext(context);
  return replies;
}

Result<v1::SubmitReply> JournalImpl::SubmitRows(
    const v1::OrderBatch& batch, const std::vector<const v1::OrderRejection*>& rejected_at) {
  {
    SORTLINE_ASSIGN_OR_RETURN(Statement find,
                              db_->Prepare("SELECT reply FROM batches WHERE batch_id = ?1"));
    find.BindText(1, batch.batch_id());
    SORTLINE_ASSIGN_OR_RETURN(bool found, find.Step());
    if (found) {
      v1::SubmitReply stored;
      std::string_view bytes = find.ColumnBlob(0);
      if (!stored.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
        return DataLoss("the stored reply does not parse");
      }
      return stored;
    }
  }

  int64_t batch_key = 0;
  {
    SORTLINE_ASSIGN_OR_RETURN(Statement insert,
                              db_->Prepare("INSERT INTO batches(batch_id, created_ms, reply) "
                                           "VALUES(?1, ?2, x'') RETURNING id"));
    insert.BindText(1, batch.batch_id()).BindInt(2, clock_.UnixMillis());
    SORTLINE_ASSIGN_OR_RETURN(bool row, insert.Step());
    if (!row) return Internal("inserting the batch returned no id");
    batch_key = insert.ColumnInt(0);
  }

  const model::S10Range& range = options_.tracking_range;
  SORTLINE_ASSIGN_OR_RETURN(int64_t next_serial, ReadCounter(*db_, serial_counter_, range.first));
  next_serial = std::max<int64_t>(next_serial, range.first);
  // A counter past the range leaves nothing to issue; the issuer reports that on Next.
  next_serial = std::min<int64_t>(next_serial, int64_t{range.last} + 1);
  SORTLINE_ASSIGN_OR_RETURN(model::S10Issuer issuer,
                            model::S10Issuer::Create(range, static_cast<uint32_t>(next_serial)));

  SORTLINE_ASSIGN_OR_RETURN(
      Statement insert,
      db_->Prepare("INSERT INTO orders(order_id, tracking, batch, batch_index, priority, state, "
                   "payload) VALUES(?1, ?2, ?3, ?4, ?5, 0, ?6) ON CONFLICT DO NOTHING"));
  // Asked only when an insert did nothing, to tell a duplicate from a taken number.
  SORTLINE_ASSIGN_OR_RETURN(Statement exists,
                            db_->Prepare("SELECT 1 FROM orders WHERE order_id = ?1"));

  SORTLINE_ASSIGN_OR_RETURN(const int64_t seq_before,
                            db_->QueryInt("SELECT coalesce(max(seq), 0) FROM orders"));
  v1::SubmitReply reply;
  reply.set_schema_version(v1::SCHEMA_VERSION_CURRENT);
  reply.set_batch_id(batch.batch_id());
  uint64_t accepted = 0;
  for (int i = 0; i < batch.orders_size(); ++i) {
    const v1::Order& order = batch.orders(i);
    const auto index = static_cast<uint32_t>(i);
    if (const v1::OrderRejection* rejection = rejected_at[index]; rejection != nullptr) {
      v1::OrderRejection* listed = reply.add_rejected();
      *listed = *rejection;
      if (listed->order_id().empty()) listed->set_order_id(order.order_id());
      continue;
    }
    if (order.order_id().empty()) {
      *reply.add_rejected() = Rejection(order, index, "order_id is empty");
      continue;
    }
    if (!order.tracking_number().empty()) {
      if (Status valid = model::ValidateS10(order.tracking_number()); !valid.ok()) {
        *reply.add_rejected() = Rejection(order, index, "tracking_number: " + valid.message());
        continue;
      }
    }
    std::string tracking = order.tracking_number();
    SORTLINE_ASSIGN_OR_RETURN(
        Insertion result, InsertOrder(order, index, batch_key, issuer, insert, exists, &tracking));
    if (result == Insertion::kDuplicate) {
      reply.add_duplicates(order.order_id());
      continue;
    }
    if (result == Insertion::kTrackingTaken) {
      *reply.add_rejected() =
          Rejection(order, index, "tracking number " + tracking + " belongs to another order");
      continue;
    }
    ++accepted;
  }
  SORTLINE_RETURN_IF_ERROR(WriteCounter(*db_, serial_counter_, issuer.next_serial()));

  std::sort(reply.mutable_rejected()->begin(), reply.mutable_rejected()->end(),
            [](const v1::OrderRejection& a, const v1::OrderRejection& b) {
              return a.index() < b.index();
            });
  reply.set_accepted(accepted);
  v1::BatchProgress* progress = reply.mutable_progress();
  progress->set_batch_id(batch.batch_id());
  progress->set_total(accepted);
  progress->set_complete(accepted == 0);

  {
    std::string bytes;
    if (!reply.SerializeToString(&bytes)) return Internal("the reply does not serialize");
    SORTLINE_ASSIGN_OR_RETURN(const int64_t seq_after,
                              db_->QueryInt("SELECT coalesce(max(seq), 0) FROM orders"));
    SORTLINE_ASSIGN_OR_RETURN(
        Statement update,
        db_->Prepare("UPDATE batches SET total = ?1, reply = ?2, first_seq = ?3, last_seq = ?4, "
                     "completed_ms = ?5 WHERE id = ?6"));
    update.BindInt(1, static_cast<int64_t>(accepted)).BindBlob(2, bytes);
    if (accepted > 0) {
      update.BindInt(3, seq_before + 1).BindInt(4, seq_after).BindNull(5);
    } else {
      update.BindNull(3).BindNull(4).BindInt(5, clock_.UnixMillis());  // complete at once
    }
    update.BindInt(6, batch_key);
    SORTLINE_RETURN_IF_ERROR(update.Run());
  }
  return reply;
}

Result<JournalImpl::Insertion> JournalImpl::InsertOrder(const v1::Order& order, uint32_t index,
                                                        int64_t batch_key, model::S10Issuer& issuer,
                                                        Statement& insert, Statement& exists,
                                                        std::string* tracking) {
  const bool preassigned = !tracking->empty();
  payload_.clear();
  if (!order.AppendToString(&payload_)) {
    return Internal("order \"" + order.order_id() + "\" does not serialize");
  }
  const size_t order_bytes = payload_.size();
  const uint32_t serial_before = issuer.next_serial();
  while (true) {
    if (!preassigned) {
      SORTLINE_ASSIGN_OR_RETURN(*tracking, issuer.Next());
      payload_.resize(order_bytes);
      AppendTrackingNumber(*tracking, &payload_);
    }
    insert.Reset();
    insert.BindText(1, order.order_id())
        .BindText(2, *tracking)
        .BindInt(3, batch_key)
        .BindInt(4, index)
        .BindInt(5, IsPerishable(order) ? kPerishable : kOrdinary)
        .BindBlob(6, payload_);
    SORTLINE_RETURN_IF_ERROR(insert.Run());
    if (db_->Changes() == 1) return Insertion::kInserted;
    exists.Reset();
    exists.BindText(1, order.order_id());
    SORTLINE_ASSIGN_OR_RETURN(bool duplicate, exists.Step());
    if (duplicate) {
      // A duplicate keeps no number: the next order gets the one it was issued.
      if (!preassigned) {
        SORTLINE_ASSIGN_OR_RETURN(issuer,
                                  model::S10Issuer::Create(options_.tracking_range, serial_before));
      }
      return Insertion::kDuplicate;
    }
    if (preassigned) return Insertion::kTrackingTaken;
    // The issued number is taken by an order that arrived with it: skip it.
  }
}

Result<v1::WorkBatch> JournalImpl::Lease(std::string_view worker, uint32_t max_orders,
                                         int64_t now_ms, int64_t lease_ms) {
  Result<v1::WorkBatch> work = LeaseInTransaction(worker, max_orders, now_ms, lease_ms);
  if (!work.ok()) return work.status().WithContext("journal lease for " + std::string(worker));
  return work;
}

Result<v1::WorkBatch> JournalImpl::LeaseInTransaction(std::string_view worker, uint32_t max_orders,
                                                      int64_t now_ms, int64_t lease_ms) {
  v1::WorkBatch work;
  if (max_orders == 0) return work;
  SORTLINE_ASSIGN_OR_RETURN(Transaction txn, Transaction::Begin(*db_));
  // The oldest expired lease, if any, is leased again whole, before anything pending:
  // its orders come back together, so they render the same batch label file (whose name
  // and bytes come from the batch's tracking numbers) and the same records, whatever of
  // them was stored before the lease expired. It may exceed `max_orders` (a lease was at
  // most the worker's credit when first leased). Its new lease id makes a late failure
  // report of the old lease count for nothing.
  int64_t expired_lease = 0;
  {
    SORTLINE_ASSIGN_OR_RETURN(
        Statement expired,
        db_->Prepare("SELECT lease_id FROM orders WHERE state = 1 AND lease_expires_ms < ?1 "
                     "ORDER BY lease_expires_ms LIMIT 1"));
    expired.BindInt(1, now_ms);
    SORTLINE_ASSIGN_OR_RETURN(bool row, expired.Step());
    if (row) expired_lease = expired.ColumnInt(0);
  }

  std::vector<int64_t> seqs;
  {
    SORTLINE_ASSIGN_OR_RETURN(
        Statement pick,
        db_->Prepare(expired_lease != 0
                         ? "SELECT seq, payload FROM orders WHERE state = 1 AND lease_id = ?1 "
                           "ORDER BY seq"
                         : "SELECT seq, payload FROM orders WHERE state = 0 "
                           "ORDER BY priority, seq LIMIT ?1"));
    pick.BindInt(1, expired_lease != 0 ? expired_lease : int64_t{max_orders});
    while (true) {
      SORTLINE_ASSIGN_OR_RETURN(bool row, pick.Step());
      if (!row) break;
      seqs.push_back(pick.ColumnInt(0));
      std::string_view payload = pick.ColumnBlob(1);
      if (!work.add_orders()->ParseFromArray(payload.data(), static_cast<int>(payload.size()))) {
        return DataLoss("journaled order #" + std::to_string(seqs.back()) + " does not parse");
      }
    }
  }
  if (seqs.empty()) {
    SORTLINE_RETURN_IF_ERROR(txn.Commit());
    return work;
  }

  SORTLINE_ASSIGN_OR_RETURN(int64_t last_lease, ReadCounter(*db_, kLeaseCounter, 0));
  const int64_t lease_id = last_lease + 1;
  SORTLINE_RETURN_IF_ERROR(WriteCounter(*db_, kLeaseCounter, lease_id));
  const int64_t expires = now_ms + lease_ms;
  SORTLINE_ASSIGN_OR_RETURN(
      Statement mark, db_->Prepare("UPDATE orders SET state = 1, lease_id = ?1, lease_worker = ?2, "
                                   "lease_expires_ms = ?3 WHERE seq = ?4"));
  for (int64_t seq : seqs) {
    mark.Reset();
    mark.BindInt(1, lease_id).BindText(2, worker).BindInt(3, expires).BindInt(4, seq);
    SORTLINE_RETURN_IF_ERROR(mark.Run());
  }
  SORTLINE_RETURN_IF_ERROR(txn.Commit());
  work.set_lease_id(static_cast<uint64_t>(lease_id));
  work.set_lease_expires_unix_ms(expires);
  return work;
}

Result<uint64_t> JournalImpl::Renew(std::string_view worker, const std::vector<uint64_t>& lease_ids,
                                    int64_t now_ms, int64_t lease_ms) {
  if (lease_ids.empty()) return uint64_t{0};
  const std::string context = "journal renew leases of " + std::string(worker);
  Result<Transaction> txn = Transaction::Begin(*db_);
  if (!txn.ok()) return txn.status().WithContext(context);
  SORTLINE_ASSIGN_OR_RETURN(
      Statement renew,
      db_->Prepare("UPDATE orders SET lease_expires_ms = ?1 WHERE state = 1 AND lease_id = ?2 "
                   "AND lease_worker = ?3 AND lease_expires_ms >= ?4"));
  uint64_t renewed = 0;
  for (uint64_t lease_id : lease_ids) {
    renew.Reset();
    renew.BindInt(1, now_ms + lease_ms)
        .BindInt(2, static_cast<int64_t>(lease_id))
        .BindText(3, worker)
        .BindInt(4, now_ms);
    if (Status ran = renew.Run(); !ran.ok()) return ran.WithContext(context);
    renewed += static_cast<uint64_t>(db_->Changes());
  }
  if (Status committed = txn->Commit(); !committed.ok()) return committed.WithContext(context);
  return renewed;
}

Status JournalImpl::Complete(const v1::WorkDone& done) {
  const std::string context = "journal complete lease " + std::to_string(done.lease_id());
  for (const v1::OrderResult& result : done.results()) {
    if (result.outcome() == v1::OUTCOME_UNSPECIFIED || !v1::Outcome_IsValid(result.outcome())) {
      return InvalidArgument(context + ": order \"" + result.order_id() + "\" has no outcome");
    }
  }
  return CompleteInTransaction(done).WithContext(context);
}

Status JournalImpl::CompleteInTransaction(const v1::WorkDone& done) {
  SORTLINE_ASSIGN_OR_RETURN(Transaction txn, Transaction::Begin(*db_));
  // A success is taken from any lease, current or expired: the record is at the dock.
  // A failure counts only from the current lease, since a newer lease may still succeed.
  SORTLINE_ASSIGN_OR_RETURN(
      Statement succeed, db_->Prepare("UPDATE orders SET state = 2, outcome = ?1, reason = ?2 "
                                      "WHERE order_id = ?3 AND state IN (0, 1) RETURNING batch"));
  SORTLINE_ASSIGN_OR_RETURN(Statement fail,
                            db_->Prepare("UPDATE orders SET state = 3, outcome = ?1, reason = ?2 "
                                         "WHERE order_id = ?3 AND state = 1 AND lease_id = ?4 "
                                         "RETURNING batch"));
  // batch key -> (done, failed) added by this call.
  std::map<int64_t, std::pair<int64_t, int64_t>> counts;
  for (const v1::OrderResult& result : done.results()) {
    const bool failed = result.outcome() == v1::OUTCOME_FAILED;
    Statement& update = failed ? fail : succeed;
    update.Reset();
    update.BindInt(1, result.outcome()).BindText(2, result.reason()).BindText(3, result.order_id());
    if (failed) update.BindInt(4, static_cast<int64_t>(done.lease_id()));
    SORTLINE_ASSIGN_OR_RETURN(bool row, update.Step());
    if (!row) continue;  // unknown order, already finished, or a stale failure
    auto& [done_count, failed_count] = counts[update.ColumnInt(0)];
    (failed ? failed_count : done_count) += 1;
    SORTLINE_RETURN_IF_ERROR(update.Run());
  }
  SORTLINE_ASSIGN_OR_RETURN(
      Statement tally,
      db_->Prepare("UPDATE batches SET done = done + ?1, failed = failed + ?2 WHERE id = ?3"));
  SORTLINE_ASSIGN_OR_RETURN(
      Statement completed,
      db_->Prepare("UPDATE batches SET completed_ms = ?1 WHERE id = ?2 AND completed_ms IS NULL "
                   "AND done + failed >= total"));
  const int64_t now = clock_.UnixMillis();
  for (const auto& [batch, added] : counts) {
    tally.Reset();
    tally.BindInt(1, added.first).BindInt(2, added.second).BindInt(3, batch);
    SORTLINE_RETURN_IF_ERROR(tally.Run());
    completed.Reset();
    completed.BindInt(1, now).BindInt(2, batch);
    SORTLINE_RETURN_IF_ERROR(completed.Run());
  }
  return txn.Commit();
}

Result<v1::BatchProgress> JournalImpl::Progress(std::string_view batch_id) {
  const std::string context = "journal progress of batch \"" + std::string(batch_id) + "\"";
  v1::BatchProgress progress;
  progress.set_batch_id(std::string(batch_id));
  int64_t batch_key = 0;
  {
    Result<Statement> find =
        db_->Prepare("SELECT id, total, done, failed FROM batches WHERE batch_id = ?1");
    if (!find.ok()) return find.status().WithContext(context);
    find->BindText(1, batch_id);
    Result<bool> row = find->Step();
    if (!row.ok()) return row.status().WithContext(context);
    if (!*row) return NotFound(context + ": no such batch");
    batch_key = find->ColumnInt(0);
    progress.set_total(static_cast<uint64_t>(find->ColumnInt(1)));
    progress.set_done(static_cast<uint64_t>(find->ColumnInt(2)));
    progress.set_failed(static_cast<uint64_t>(find->ColumnInt(3)));
  }
  progress.set_complete(progress.done() + progress.failed() == progress.total());
  Result<Statement> failures = db_->Prepare(
      "SELECT order_id, batch_index, reason FROM orders WHERE batch = ?1 AND state = 3 "
      "ORDER BY seq");
  if (!failures.ok()) return failures.status().WithContext(context);
  failures->BindInt(1, batch_key);
  while (true) {
    Result<bool> row = failures->Step();
    if (!row.ok()) return row.status().WithContext(context);
    if (!*row) break;
    v1::OrderRejection* failure = progress.add_failures();
    failure->set_order_id(std::string(failures->ColumnText(0)));
    failure->set_index(static_cast<uint32_t>(failures->ColumnInt(1)));
    failure->set_reason(std::string(failures->ColumnText(2)));
  }
  return progress;
}

Result<JournalPruned> JournalImpl::Prune(int64_t completed_before_ms, uint32_t max_batches) {
  const std::string context = "journal prune";
  JournalPruned pruned;
  {
    Result<Transaction> txn = Transaction::Begin(*db_);
    if (!txn.ok()) return txn.status().WithContext(context);
    Result<Statement> pick = db_->Prepare(
        "SELECT id, first_seq, last_seq FROM batches WHERE first_seq IS NOT NULL AND "
        "completed_ms < ?1 ORDER BY completed_ms LIMIT ?2");
    if (!pick.ok()) return pick.status().WithContext(context);
    pick->BindInt(1, completed_before_ms).BindInt(2, max_batches);
    std::vector<std::array<int64_t, 3>> batches;
    while (true) {
      Result<bool> row = pick->Step();
      if (!row.ok()) return row.status().WithContext(context);
      if (!*row) break;
      batches.push_back({pick->ColumnInt(0), pick->ColumnInt(1), pick->ColumnInt(2)});
    }
    if (batches.empty()) return pruned;
    Result<Statement> remove = db_->Prepare("DELETE FROM orders WHERE seq BETWEEN ?1 AND ?2");
    Result<Statement> mark =
        db_->Prepare("UPDATE batches SET first_seq = NULL, last_seq = NULL WHERE id = ?1");
    if (!remove.ok()) return remove.status().WithContext(context);
    if (!mark.ok()) return mark.status().WithContext(context);
    for (const auto& [id, first, last] : batches) {
      remove->Reset();
      remove->BindInt(1, first).BindInt(2, last);
      if (Status s = remove->Run(); !s.ok()) return s.WithContext(context);
      pruned.orders += static_cast<uint64_t>(db_->Changes());
      mark->Reset();
      mark->BindInt(1, id);
      if (Status s = mark->Run(); !s.ok()) return s.WithContext(context);
      ++pruned.batches;
    }
    if (Status s = txn->Commit(); !s.ok()) return s.WithContext(context);
  }
  // Freed pages go back to the file system where the journal was made with
  // auto_vacuum=INCREMENTAL (a no-op elsewhere: the pages are reused).
  if (Status s = db_->Exec("PRAGMA incremental_vacuum"); !s.ok()) return s.WithContext(context);
  return pruned;
}

Result<uint64_t> JournalImpl::Outstanding() {
  Result<int64_t> count = db_->QueryInt(
      "SELECT (SELECT count(*) FROM orders WHERE state = 0) + "
      "(SELECT count(*) FROM orders WHERE state = 1)");
  if (!count.ok()) return count.status().WithContext("journal outstanding");
  return static_cast<uint64_t>(*count);
}

Result<JournalBacklog> JournalImpl::Backlog() {
  JournalBacklog backlog;
  SORTLINE_ASSIGN_OR_RETURN(
      Statement pending,
      db_->Prepare("SELECT priority, count(*) FROM orders WHERE state = 0 GROUP BY priority"));
  while (true) {
    Result<bool> row = pending.Step();
    if (!row.ok()) return row.status().WithContext("journal backlog");
    if (!*row) break;
    const uint64_t count = static_cast<uint64_t>(pending.ColumnInt(1));
    if (pending.ColumnInt(0) == kPerishable) {
      backlog.pending_perishable += count;
    } else {
      backlog.pending_ordinary += count;
    }
  }
  Result<int64_t> leased = db_->QueryInt("SELECT count(*) FROM orders WHERE state = 1");
  if (!leased.ok()) return leased.status().WithContext("journal backlog");
  backlog.leased = static_cast<uint64_t>(*leased);
  return backlog;
}

}  // namespace

Result<std::unique_ptr<Journal>> Journal::Open(const std::string& path,
                                               const JournalOptions& options) {
  const std::string context = "open journal " + path;
  Result<model::S10Issuer> issuer =
      model::S10Issuer::Create(options.tracking_range, options.tracking_range.first);
  if (!issuer.ok()) return issuer.status().WithContext(context + ": tracking_range");
  internal::DbOptions db_options;
  db_options.synchronous_full = options.synchronous_full;
  db_options.max_bytes = options.max_bytes;
  db_options.cache_kib = options.cache_kib;
  Result<std::unique_ptr<Db>> db = Db::Open(path, db_options);
  if (!db.ok()) return db.status().WithContext("open journal");
  Status schema = internal::Migrate(**db, kJournalSchema).status();
  if (!schema.ok()) return schema.WithContext(context);
  return std::unique_ptr<Journal>(new JournalImpl(std::move(db).value(), options));
}

}  // namespace sortline::store
