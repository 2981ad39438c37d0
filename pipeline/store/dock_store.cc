#include "pipeline/store/dock_store.h"

#include <utility>

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>

#include "pipeline/store/sqlite_db.h"

namespace sortline::store {
namespace {

using internal::Db;
using internal::Statement;
using internal::Transaction;

constexpr int32_t kApplicationId = 0x534c4431;  // "SLD1"
constexpr int32_t kSchemaVersion = 1;

// `tracking` is NULL for a record without one, so such records do not collide.
// A quarantined record is kept once per distinct content, however often it is resent.
constexpr std::string_view kSchema = R"sql(
CREATE TABLE records(
  order_id  TEXT PRIMARY KEY,
  tracking  TEXT UNIQUE,
  chute     TEXT NOT NULL,
  outcome   INTEGER NOT NULL,
  record    BLOB NOT NULL,
  stored_ms INTEGER NOT NULL);
CREATE TABLE quarantine(
  id        INTEGER PRIMARY KEY AUTOINCREMENT,
  order_id  TEXT NOT NULL,
  record    BLOB NOT NULL,
  stored_ms INTEGER NOT NULL,
  reason    TEXT NOT NULL);
CREATE INDEX quarantine_order ON quarantine(order_id);
)sql";

// The dock's own state, added after version 1 without changing it: created when missing.
// Event ids are plain rowids (events are never deleted, so they only grow): without
// AUTOINCREMENT's sqlite_sequence update per row, logging an event costs half as much.
// Stores created with AUTOINCREMENT keep it; both read the same.
constexpr std::string_view kStateSchema = R"sql(
CREATE TABLE IF NOT EXISTS chutes(
  chute  TEXT PRIMARY KEY,
  status BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS trucks(
  truck_id TEXT PRIMARY KEY,
  state    INTEGER NOT NULL,
  status   BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS parcels(
  tracking TEXT PRIMARY KEY,
  status   BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS events(
  id      INTEGER PRIMARY KEY,
  unix_ms INTEGER NOT NULL,
  kind    INTEGER NOT NULL,
  event   BLOB NOT NULL);
)sql";

// Equal records must give equal bytes, since "unchanged" is decided on the bytes.
bool SerializeDeterministic(const v1::SortRecord& record, std::string* out) {
  out->clear();
  google::protobuf::io::StringOutputStream stream(out);
  google::protobuf::io::CodedOutputStream coded(&stream);
  coded.SetSerializationDeterministic(true);
  return record.SerializeToCodedStream(&coded) && !coded.HadError();
}

Result<v1::SortRecord> ParseRecord(std::string_view bytes) {
  v1::SortRecord record;
  if (!record.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return DataLoss("a stored record does not parse");
  }
  return record;
}

// Thread-safety: as DockStore, one owner thread; it owns the connection and its statements.
class DockStoreImpl final : public DockStore {
 public:
  DockStoreImpl(std::unique_ptr<Db> db, const DockStoreOptions& options)
      : db_(std::move(db)), clock_(options.clock != nullptr ? *options.clock : SystemClock()) {}

  Result<v1::RecordsStored> Store(const v1::RecordBatch& batch) override {
    return Store(batch, nullptr);
  }
  Result<v1::RecordsStored> Store(const v1::RecordBatch& batch,
                                  std::vector<int>* newly_stored) override;
  Result<std::optional<v1::SortRecord>> FindByOrderId(std::string_view order_id) override;
  Result<std::optional<v1::SortRecord>> FindByTracking(std::string_view tracking) override;
  Result<uint64_t> Count() override;
  Result<uint64_t> QuarantineCount() override;
  Status ForEach(const std::function<bool(const v1::SortRecord&)>& fn) override;
  Status PersistEvents(const std::vector<v1::DockEvent>& events) override;
  Result<DockState> LoadState() override;
  Result<uint64_t> EventCount() override;

 private:
  Result<v1::RecordsStored> StoreInTransaction(const v1::RecordBatch& batch,
                                               std::vector<int>* newly_stored);
  Status PersistInTransaction(const std::vector<v1::DockEvent>& events);
  Result<std::optional<v1::SortRecord>> FindOne(std::string_view sql, std::string_view key);

  std::unique_ptr<Db> db_;
  const Clock& clock_;
  // Reused serialization buffers.
  std::string bytes_;
  std::string stored_bytes_;
};

Result<v1::RecordsStored> DockStoreImpl::Store(const v1::RecordBatch& batch,
                                               std::vector<int>* newly_stored) {
  const size_t before = newly_stored != nullptr ? newly_stored->size() : 0;
  Result<v1::RecordsStored> stored = StoreInTransaction(batch, newly_stored);
  if (!stored.ok() && newly_stored != nullptr) newly_stored->resize(before);
  if (!stored.ok()) {
    return stored.status().WithContext("dock store batch " + std::to_string(batch.sequence()));
  }
  return stored;
}

Result<v1::RecordsStored> DockStoreImpl::StoreInTransaction(const v1::RecordBatch& batch,
                                                            std::vector<int>* newly_stored) {
  const int64_t now = clock_.UnixMillis();
  SORTLINE_ASSIGN_OR_RETURN(Transaction txn, Transaction::Begin(*db_));
  SORTLINE_ASSIGN_OR_RETURN(
      Statement insert,
      db_->Prepare("INSERT INTO records(order_id, tracking, chute, outcome, record, stored_ms) "
                   "VALUES(?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT DO NOTHING"));
  SORTLINE_ASSIGN_OR_RETURN(Statement find,
                            db_->Prepare("SELECT record FROM records WHERE order_id = ?1"));
  SORTLINE_ASSIGN_OR_RETURN(
      Statement quarantine,
      db_->Prepare("INSERT INTO quarantine(order_id, record, stored_ms, reason) "
                   "SELECT ?1, ?2, ?3, ?4 WHERE NOT EXISTS "
                   "(SELECT 1 FROM quarantine WHERE order_id = ?1 AND record = ?2)"));
  auto to_quarantine = [&](const v1::SortRecord& record, const std::string& reason) {
    quarantine.Reset();
    quarantine.BindText(1, record.order_id())
        .BindBlob(2, bytes_)
        .BindInt(3, now)
        .BindText(4, reason);
    return quarantine.Run();
  };

  v1::RecordsStored reply;
  reply.set_sequence(batch.sequence());
  uint32_t stored = 0;
  uint32_t unchanged = 0;
  uint32_t quarantined = 0;
  for (int index = 0; index < batch.records_size(); ++index) {
    const v1::SortRecord& record = batch.records(index);
    if (!SerializeDeterministic(record, &bytes_)) {
      return Internal("record of order \"" + record.order_id() + "\" does not serialize");
    }
    if (record.order_id().empty()) {
      SORTLINE_RETURN_IF_ERROR(to_quarantine(record, "order_id is empty"));
      ++quarantined;
      continue;
    }
    insert.Reset();
    insert.BindText(1, record.order_id());
    if (record.tracking_number().empty()) {
      insert.BindNull(2);
    } else {
      insert.BindText(2, record.tracking_number());
    }
    insert.BindText(3, record.chute())
        .BindInt(4, record.outcome())
        .BindBlob(5, bytes_)
        .BindInt(6, now);
    SORTLINE_RETURN_IF_ERROR(insert.Run());
    if (db_->Changes() == 1) {
      ++stored;
      if (newly_stored != nullptr) newly_stored->push_back(index);
      continue;
    }
    find.Reset();
    find.BindText(1, record.order_id());
    SORTLINE_ASSIGN_OR_RETURN(bool known, find.Step());
    if (known && find.ColumnBlob(0) == bytes_) {
      ++unchanged;
      continue;
    }
    SORTLINE_RETURN_IF_ERROR(to_quarantine(
        record,
        known ? "conflicts with the stored record of this order"
              : "tracking number " + record.tracking_number() + " is stored for another order"));
    ++quarantined;
  }
  SORTLINE_RETURN_IF_ERROR(txn.Commit());
  reply.set_stored(stored);
  reply.set_unchanged(unchanged);
  reply.set_quarantined(quarantined);
  return reply;
}

Result<std::optional<v1::SortRecord>> DockStoreImpl::FindOne(std::string_view sql,
                                                             std::string_view key) {
  SORTLINE_ASSIGN_OR_RETURN(Statement find, db_->Prepare(sql));
  find.BindText(1, key);
  SORTLINE_ASSIGN_OR_RETURN(bool row, find.Step());
  if (!row) return std::optional<v1::SortRecord>();
  SORTLINE_ASSIGN_OR_RETURN(v1::SortRecord record, ParseRecord(find.ColumnBlob(0)));
  return std::optional<v1::SortRecord>(std::move(record));
}

Result<std::optional<v1::SortRecord>> DockStoreImpl::FindByOrderId(std::string_view order_id) {
  Result<std::optional<v1::SortRecord>> found =
      FindOne("SELECT record FROM records WHERE order_id = ?1", order_id);
  if (!found.ok()) {
    return found.status().WithContext("dock find order \"" + std::string(order_id) + "\"");
  }
  return found;
}

Result<std::optional<v1::SortRecord>> DockStoreImpl::FindByTracking(std::string_view tracking) {
  Result<std::optional<v1::SortRecord>> found =
      FindOne("SELECT record FROM records WHERE tracking = ?1", tracking);
  if (!found.ok()) {
    return found.status().WithContext("dock find tracking \"" + std::string(tracking) + "\"");
  }
  return found;
}

Result<uint64_t> DockStoreImpl::Count() {
  Result<int64_t> count = db_->QueryInt("SELECT count(*) FROM records");
  if (!count.ok()) return count.status().WithContext("dock count");
  return static_cast<uint64_t>(*count);
}

Result<uint64_t> DockStoreImpl::QuarantineCount() {
  Result<int64_t> count = db_->QueryInt("SELECT count(*) FROM quarantine");
  if (!count.ok()) return count.status().WithContext("dock quarantine count");
  return static_cast<uint64_t>(*count);
}

Status DockStoreImpl::ForEach(const std::function<bool(const v1::SortRecord&)>& fn) {
  Result<Statement> scan = db_->Prepare("SELECT record FROM records ORDER BY order_id");
  if (!scan.ok()) return scan.status().WithContext("dock scan");
  while (true) {
    Result<bool> row = scan->Step();
    if (!row.ok()) return row.status().WithContext("dock scan");
    if (!*row) return Status::Ok();
    Result<v1::SortRecord> record = ParseRecord(scan->ColumnBlob(0));
    if (!record.ok()) return record.status().WithContext("dock scan");
    if (!fn(*record)) return Status::Ok();
  }
}

Status DockStoreImpl::PersistEvents(const std::vector<v1::DockEvent>& events) {
  if (events.empty()) return Status::Ok();
  Status persisted = PersistInTransaction(events);
  if (!persisted.ok()) return persisted.WithContext("dock persist events");
  return Status::Ok();
}

Status DockStoreImpl::PersistInTransaction(const std::vector<v1::DockEvent>& events) {
  SORTLINE_ASSIGN_OR_RETURN(Transaction txn, Transaction::Begin(*db_));
  SORTLINE_ASSIGN_OR_RETURN(
      Statement log, db_->Prepare("INSERT INTO events(unix_ms, kind, event) VALUES(?1, ?2, ?3)"));
  SORTLINE_ASSIGN_OR_RETURN(
      Statement chute, db_->Prepare("INSERT INTO chutes(chute, status) VALUES(?1, ?2) "
                                    "ON CONFLICT(chute) DO UPDATE SET status = excluded.status"));
  SORTLINE_ASSIGN_OR_RETURN(
      Statement truck,
      db_->Prepare("INSERT INTO trucks(truck_id, state, status) VALUES(?1, ?2, ?3) "
                   "ON CONFLICT(truck_id) DO UPDATE SET state = excluded.state, "
                   "status = excluded.status"));
  SORTLINE_ASSIGN_OR_RETURN(
      Statement parcel,
      db_->Prepare("INSERT INTO parcels(tracking, status) VALUES(?1, ?2) "
                   "ON CONFLICT(tracking) DO UPDATE SET status = excluded.status"));
  auto upsert_truck = [&](const v1::TruckStatus& status) {
    truck.Reset();
    truck.BindText(1, status.truck_id())
        .BindInt(2, status.state())
        .BindBlob(3, status.SerializeAsString());
    return truck.Run();
  };
  for (const v1::DockEvent& event : events) {
    log.Reset();
    log.BindInt(1, event.unix_ms())
        .BindInt(2, event.kind_case())
        .BindBlob(3, event.SerializeAsString());
    SORTLINE_RETURN_IF_ERROR(log.Run());
    switch (event.kind_case()) {
      case v1::DockEvent::kChute:
        chute.Reset();
        chute.BindText(1, event.chute().chute()).BindBlob(2, event.chute().SerializeAsString());
        SORTLINE_RETURN_IF_ERROR(chute.Run());
        break;
      case v1::DockEvent::kParcel:
        parcel.Reset();
        parcel.BindText(1, event.parcel().tracking_number())
            .BindBlob(2, event.parcel().SerializeAsString());
        SORTLINE_RETURN_IF_ERROR(parcel.Run());
        break;
      case v1::DockEvent::kTruck:
        SORTLINE_RETURN_IF_ERROR(upsert_truck(event.truck()));
        break;
      case v1::DockEvent::kManifest:
        SORTLINE_RETURN_IF_ERROR(upsert_truck(event.manifest().truck()));
        break;
      default:
        break;
    }
  }
  return txn.Commit();
}

Result<DockStore::DockState> DockStoreImpl::LoadState() {
  DockState state;
  auto scan = [&](std::string_view sql, auto add) -> Status {
    SORTLINE_ASSIGN_OR_RETURN(Statement rows, db_->Prepare(sql));
    while (true) {
      SORTLINE_ASSIGN_OR_RETURN(bool row, rows.Step());
      if (!row) return Status::Ok();
      std::string_view blob = rows.ColumnBlob(0);
      SORTLINE_RETURN_IF_ERROR(add(blob));
    }
  };
  auto parse_into = [](auto& list, std::string_view blob) -> Status {
    list.emplace_back();
    if (!list.back().ParseFromArray(blob.data(), static_cast<int>(blob.size()))) {
      return DataLoss("a stored dock state row does not parse");
    }
    return Status::Ok();
  };
  Status loaded = scan("SELECT status FROM chutes ORDER BY chute",
                       [&](std::string_view b) { return parse_into(state.chutes, b); });
  if (loaded.ok()) {
    loaded = scan("SELECT status FROM trucks ORDER BY truck_id",
                  [&](std::string_view b) { return parse_into(state.trucks, b); });
  }
  if (loaded.ok()) {
    loaded = scan("SELECT status FROM parcels ORDER BY tracking",
                  [&](std::string_view b) { return parse_into(state.parcels, b); });
  }
  if (!loaded.ok()) return loaded.WithContext("dock load state");
  return state;
}

Result<uint64_t> DockStoreImpl::EventCount() {
  Result<int64_t> count = db_->QueryInt("SELECT count(*) FROM events");
  if (!count.ok()) return count.status().WithContext("dock event count");
  return static_cast<uint64_t>(*count);
}

}  // namespace

Result<std::unique_ptr<DockStore>> DockStore::Open(const std::string& path,
                                                   const DockStoreOptions& options) {
  internal::DbOptions db_options;
  db_options.synchronous_full = options.synchronous_full;
  Result<std::unique_ptr<Db>> db = Db::Open(path, db_options);
  if (!db.ok()) return db.status().WithContext("open dock store");
  Status schema = internal::EnsureSchema(**db, {kApplicationId, kSchemaVersion, kSchema});
  if (!schema.ok()) return schema.WithContext("open dock store " + path);
  Status state_schema = (*db)->Exec(kStateSchema);
  if (!state_schema.ok()) return state_schema.WithContext("open dock store " + path);
  return std::unique_ptr<DockStore>(new DockStoreImpl(std::move(db).value(), options));
}

}  // namespace sortline::store
