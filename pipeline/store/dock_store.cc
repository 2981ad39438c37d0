#include "pipeline/store/dock_store.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <utility>

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>

#include "pipeline/base/file.h"
#include "pipeline/store/schema.h"
#include "pipeline/store/sqlite_db.h"

namespace sortline::store {
namespace {

using internal::Db;
using internal::Statement;
using internal::Transaction;

constexpr int32_t kApplicationId = 0x534c4431;  // "SLD1"

// The schema's history. Released steps are never edited; a change is a new step at the
// end (docs/formats.md). Versions 2 and 3 first shipped as patches applied at every open
// of a store that still said version 1, so a store at version 1 may already hold them:
// those two steps accept that.
//
// Version 1, the records: `tracking` is NULL for a record without one, so such records do
// not collide. A quarantined record is kept once per distinct content, however often it
// is resent.
constexpr std::string_view kVersion1 = R"sql(
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

// Version 2, the dock's own state and its event log. Event ids are plain rowids: without
// AUTOINCREMENT's sqlite_sequence update per row, logging an event costs half as much.
// The first stores with these tables made `events` with AUTOINCREMENT and keep it; both
// read the same.
constexpr std::string_view kVersion2 = R"sql(
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

// The event log of an archive day file.
constexpr std::string_view kArchiveSchema = R"sql(
CREATE TABLE IF NOT EXISTS archive.events(
  id      INTEGER PRIMARY KEY,
  unix_ms INTEGER NOT NULL,
  kind    INTEGER NOT NULL,
  event   BLOB NOT NULL);
)sql";

constexpr int64_t kDayMs = 24LL * 3600 * 1000;
constexpr int64_t kEventsPerRetainStep = 50'000;  // rows per transaction: short write locks
constexpr std::string_view kArchivePrefix = "events-";
constexpr std::string_view kArchiveSuffix = ".db";

// Hub-time day number of `unix_ms` (days since 1970-01-01 in hub time).
int64_t DayOf(int64_t unix_ms, int64_t utc_offset_s) {
  const int64_t local = unix_ms + utc_offset_s * 1000;
  return (local >= 0 ? local : local - kDayMs + 1) / kDayMs;
}

int64_t DayStart(int64_t day, int64_t utc_offset_s) { return day * kDayMs - utc_offset_s * 1000; }

// "events-2026-11-30.db" for hub day `day`.
std::string ArchiveName(int64_t day) {
  const std::chrono::year_month_day date{std::chrono::sys_days{std::chrono::days{day}}};
  char name[40];
  std::snprintf(name, sizeof(name), "events-%04d-%02u-%02u.db", static_cast<int>(date.year()),
                static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()));
  return name;
}

// The hub day of an archive's name, or nothing when `name` is not one.
std::optional<int64_t> ArchiveDay(std::string_view name) {
  if (!name.starts_with(kArchivePrefix) || !name.ends_with(kArchiveSuffix)) return std::nullopt;
  int year = 0;
  unsigned month = 0;
  unsigned day = 0;
  const std::string date(name.substr(kArchivePrefix.size(),
                                     name.size() - kArchivePrefix.size() - kArchiveSuffix.size()));
  if (date.size() != 10 || std::sscanf(date.c_str(), "%4d-%2u-%2u", &year, &month, &day) != 3) {
    return std::nullopt;
  }
  const std::chrono::year_month_day ymd{std::chrono::year{year}, std::chrono::month{month},
                                        std::chrono::day{day}};
  if (!ymd.ok()) return std::nullopt;
  return std::chrono::sys_days{ymd}.time_since_epoch().count();
}

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
  Status ForEachStored(const std::function<bool(const v1::SortRecord&)>& fn) override;
  Status FillOrderIds(v1::Manifest* manifest) override;
  Result<uint64_t> RetainEvents(const Retention& retention) override;
  Status PersistEvents(const std::vector<v1::DockEvent>& events) override;
  Result<DockState> LoadState() override;
  Result<std::optional<v1::ParcelStatus>> FindParcel(std::string_view tracking) override;
  Result<uint64_t> EventCount() override;

 private:
  Result<v1::RecordsStored> StoreInTransaction(const v1::RecordBatch& batch,
                                               std::vector<int>* newly_stored);
  Status PersistInTransaction(const std::vector<v1::DockEvent>& events);
  // The record `sql` finds with ?1 = `key`, if any; an error names `what` and `key`.
  Result<std::optional<v1::SortRecord>> FindOne(std::string_view sql, std::string_view what,
                                                std::string_view key);
  Status Scan(std::string_view sql, const std::function<bool(const v1::SortRecord&)>& fn);
  // The first event id at or after `from_id` whose unix_ms is at least `unix_ms` (events
  // are logged in time order), or max id + 1.
  Result<int64_t> FirstEventAtOrAfter(int64_t from_id, int64_t unix_ms);
  Result<uint64_t> MoveEvents(int64_t from_id, int64_t to_id, bool archive);

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
                                                             std::string_view what,
                                                             std::string_view key) {
  auto find = [&]() -> Result<std::optional<v1::SortRecord>> {
    SORTLINE_ASSIGN_OR_RETURN(Statement statement, db_->Prepare(sql));
    statement.BindText(1, key);
    SORTLINE_ASSIGN_OR_RETURN(bool row, statement.Step());
    if (!row) return std::optional<v1::SortRecord>();
    SORTLINE_ASSIGN_OR_RETURN(v1::SortRecord record, ParseRecord(statement.ColumnBlob(0)));
    return std::optional<v1::SortRecord>(std::move(record));
  };
  Result<std::optional<v1::SortRecord>> found = find();
  if (!found.ok()) {
    return found.status().WithContext("dock find " + std::string(what) + " \"" + std::string(key) +
                                      "\"");
  }
  return found;
}

Result<std::optional<v1::SortRecord>> DockStoreImpl::FindByOrderId(std::string_view order_id) {
  return FindOne("SELECT record FROM records WHERE order_id = ?1", "order", order_id);
}

Result<std::optional<v1::SortRecord>> DockStoreImpl::FindByTracking(std::string_view tracking) {
  return FindOne("SELECT record FROM records WHERE tracking = ?1", "tracking", tracking);
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
  return Scan("SELECT record FROM records ORDER BY order_id", fn);
}

Status DockStoreImpl::ForEachStored(const std::function<bool(const v1::SortRecord&)>& fn) {
  return Scan("SELECT record FROM records ORDER BY rowid", fn);
}

Status DockStoreImpl::FillOrderIds(v1::Manifest* manifest) {
  for (v1::ParcelStatus& parcel : *manifest->mutable_parcels()) {
    if (!parcel.order_id().empty() || parcel.tracking_number().empty()) continue;
    SORTLINE_ASSIGN_OR_RETURN(Statement find,
                              db_->Prepare("SELECT order_id FROM records WHERE tracking = ?1"));
    find.BindText(1, parcel.tracking_number());
    Result<bool> row = find.Step();
    if (!row.ok()) return row.status().WithContext("dock order ids of a manifest");
    if (*row) parcel.set_order_id(std::string(find.ColumnText(0)));
  }
  return Status::Ok();
}

Status DockStoreImpl::Scan(std::string_view sql,
                           const std::function<bool(const v1::SortRecord&)>& fn) {
  Result<Statement> scan = db_->Prepare(sql);
  if (!scan.ok()) return scan.status().WithContext("dock scan");
  v1::SortRecord record;
  while (true) {
    Result<bool> row = scan->Step();
    if (!row.ok()) return row.status().WithContext("dock scan");
    if (!*row) return Status::Ok();
    // One message reused for every row: its strings keep their memory, so a scan of
    // millions of records (a restart) allocates almost nothing per row.
    std::string_view blob = scan->ColumnBlob(0);
    if (!record.ParseFromArray(blob.data(), static_cast<int>(blob.size()))) {
      return DataLoss("a stored record does not parse").WithContext("dock scan");
    }
    if (!fn(record)) return Status::Ok();
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
      db_->Prepare("INSERT INTO parcels(tracking, status, truck_id) VALUES(?1, ?2, ?3) "
                   "ON CONFLICT(tracking) DO UPDATE SET status = excluded.status, "
                   "truck_id = excluded.truck_id"));
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
        if (event.parcel().truck_id().empty()) {
          parcel.BindNull(3);
        } else {
          parcel.BindText(3, event.parcel().truck_id());
        }
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
    loaded = scan(
        "SELECT status FROM parcels WHERE truck_id IN "
        "(SELECT truck_id FROM trucks WHERE state = 1) ORDER BY tracking",
        [&](std::string_view b) { return parse_into(state.parcels, b); });
  }
  if (!loaded.ok()) return loaded.WithContext("dock load state");
  return state;
}

Result<std::optional<v1::ParcelStatus>> DockStoreImpl::FindParcel(std::string_view tracking) {
  SORTLINE_ASSIGN_OR_RETURN(Statement find,
                            db_->Prepare("SELECT status FROM parcels WHERE tracking = ?1"));
  find.BindText(1, tracking);
  SORTLINE_ASSIGN_OR_RETURN(bool row, find.Step());
  if (!row) return std::optional<v1::ParcelStatus>();
  v1::ParcelStatus parcel;
  std::string_view blob = find.ColumnBlob(0);
  if (!parcel.ParseFromArray(blob.data(), static_cast<int>(blob.size()))) {
    return DataLoss("a stored parcel does not parse");
  }
  return std::optional<v1::ParcelStatus>(std::move(parcel));
}

Result<int64_t> DockStoreImpl::FirstEventAtOrAfter(int64_t from_id, int64_t unix_ms) {
  SORTLINE_ASSIGN_OR_RETURN(int64_t end,
                            db_->QueryInt("SELECT ifnull(max(id), 0) + 1 FROM events"));
  int64_t low = from_id;
  int64_t high = end;  // invariant: events in [from_id, low) are before unix_ms
  while (low < high) {
    const int64_t mid = low + (high - low) / 2;
    SORTLINE_ASSIGN_OR_RETURN(
        Statement probe,
        db_->Prepare("SELECT id, unix_ms FROM events WHERE id >= ?1 ORDER BY id LIMIT 1"));
    probe.BindInt(1, mid);
    SORTLINE_ASSIGN_OR_RETURN(bool row, probe.Step());
    if (!row) {
      high = mid;
    } else if (probe.ColumnInt(1) < unix_ms) {
      low = probe.ColumnInt(0) + 1;
    } else {
      high = mid;
    }
  }
  return low;
}

Result<uint64_t> DockStoreImpl::MoveEvents(int64_t from_id, int64_t to_id, bool archive) {
  uint64_t moved = 0;
  for (int64_t low = from_id; low < to_id;) {
    const int64_t high = std::min(to_id, low + kEventsPerRetainStep);
    SORTLINE_ASSIGN_OR_RETURN(Transaction txn, Transaction::Begin(*db_));
    if (archive) {
      SORTLINE_ASSIGN_OR_RETURN(Statement copy,
                                db_->Prepare("INSERT INTO archive.events(unix_ms, kind, event) "
                                             "SELECT unix_ms, kind, event FROM main.events "
                                             "WHERE id >= ?1 AND id < ?2 ORDER BY id"));
      copy.BindInt(1, low).BindInt(2, high);
      SORTLINE_RETURN_IF_ERROR(copy.Run());
    }
    SORTLINE_ASSIGN_OR_RETURN(Statement remove,
                              db_->Prepare("DELETE FROM main.events WHERE id >= ?1 AND id < ?2"));
    remove.BindInt(1, low).BindInt(2, high);
    SORTLINE_RETURN_IF_ERROR(remove.Run());
    moved += static_cast<uint64_t>(db_->Changes());
    SORTLINE_RETURN_IF_ERROR(txn.Commit());
    low = high;
  }
  return moved;
}

Result<uint64_t> DockStoreImpl::RetainEvents(const Retention& retention) {
  const bool archive = !retention.archive_dir.empty();
  std::unique_ptr<Directory> dir;
  if (archive) {
    SORTLINE_ASSIGN_OR_RETURN(dir, DefaultFileSystem().OpenDirectory(retention.archive_dir));
  }
  uint64_t moved = 0;
  while (true) {
    SORTLINE_ASSIGN_OR_RETURN(int64_t first_id,
                              db_->QueryInt("SELECT ifnull(min(id), 0) FROM events"));
    if (first_id == 0) break;
    SORTLINE_ASSIGN_OR_RETURN(int64_t first_ms,
                              db_->QueryInt("SELECT unix_ms FROM events ORDER BY id LIMIT 1"));
    if (first_ms >= retention.today_start_unix_ms) break;
    const int64_t day = DayOf(first_ms, retention.utc_offset_s);
    const int64_t end_ms =
        std::min(DayStart(day + 1, retention.utc_offset_s), retention.today_start_unix_ms);
    SORTLINE_ASSIGN_OR_RETURN(int64_t end_id, FirstEventAtOrAfter(first_id, end_ms));
    if (end_id <= first_id) end_id = first_id + 1;  // out of order: move the first anyway
    if (archive) {
      const std::string path = retention.archive_dir + "/" + ArchiveName(day);
      SORTLINE_ASSIGN_OR_RETURN(Statement attach, db_->Prepare("ATTACH DATABASE ?1 AS archive"));
      attach.BindText(1, path);
      SORTLINE_RETURN_IF_ERROR(attach.Run());
      Status done = db_->Exec(kArchiveSchema);
      Result<uint64_t> step = done.ok() ? MoveEvents(first_id, end_id, true) : done;
      Status detached = db_->Exec("DETACH DATABASE archive");
      SORTLINE_RETURN_IF_ERROR(step.status());
      SORTLINE_RETURN_IF_ERROR(detached);
      moved += *step;
    } else {
      SORTLINE_ASSIGN_OR_RETURN(uint64_t step, MoveEvents(first_id, end_id, false));
      moved += step;
    }
  }
  if (archive) {
    SORTLINE_ASSIGN_OR_RETURN(std::vector<std::string> names, dir->List());
    const int64_t keep_day = DayOf(retention.keep_from_unix_ms, retention.utc_offset_s);
    for (const std::string& name : names) {
      std::optional<int64_t> day = ArchiveDay(name);
      if (day.has_value() && *day < keep_day) SORTLINE_RETURN_IF_ERROR(dir->Remove(name));
    }
    SORTLINE_RETURN_IF_ERROR(dir->Sync());
  }
  return moved;
}

Result<uint64_t> DockStoreImpl::EventCount() {
  Result<int64_t> count = db_->QueryInt("SELECT count(*) FROM events");
  if (!count.ok()) return count.status().WithContext("dock event count");
  return static_cast<uint64_t>(*count);
}

// Version 3: parcels carry their truck's id in a column of their own, filled from the
// blobs of the parcels already stored, so a restart reads only the parcels of the open
// trucks.
Status AddParcelTruckColumn(Db& db) {
  SORTLINE_ASSIGN_OR_RETURN(bool has, internal::HasColumn(db, "parcels", "truck_id"));
  if (!has) {
    SORTLINE_RETURN_IF_ERROR(db.Exec("ALTER TABLE parcels ADD COLUMN truck_id TEXT"));
    std::vector<std::pair<std::string, std::string>> trucks;  // tracking, truck id
    {
      SORTLINE_ASSIGN_OR_RETURN(Statement rows, db.Prepare("SELECT tracking, status FROM parcels"));
      while (true) {
        SORTLINE_ASSIGN_OR_RETURN(bool row, rows.Step());
        if (!row) break;
        v1::ParcelStatus parcel;
        std::string_view blob = rows.ColumnBlob(1);
        if (!parcel.ParseFromArray(blob.data(), static_cast<int>(blob.size()))) {
          return DataLoss("a stored parcel does not parse");
        }
        if (!parcel.truck_id().empty()) {
          trucks.emplace_back(std::string(rows.ColumnText(0)), parcel.truck_id());
        }
      }
    }
    for (const auto& [tracking, truck] : trucks) {
      SORTLINE_ASSIGN_OR_RETURN(Statement update,
                                db.Prepare("UPDATE parcels SET truck_id = ?2 WHERE tracking = ?1"));
      update.BindText(1, tracking).BindText(2, truck);
      SORTLINE_RETURN_IF_ERROR(update.Run());
    }
  }
  return db.Exec("CREATE INDEX IF NOT EXISTS parcels_truck ON parcels(truck_id)");
}

constexpr internal::Migration kMigrations[] = {
    {1, kVersion1},
    {2, kVersion2},
    {3, {}, AddParcelTruckColumn},
};

constexpr internal::SchemaSpec kDockSchema{"dock store", kApplicationId, kMigrations, {}};

}  // namespace

Result<std::unique_ptr<DockStore>> DockStore::Open(const std::string& path,
                                                   const DockStoreOptions& options) {
  internal::DbOptions db_options;
  db_options.synchronous_full = options.synchronous_full;
  db_options.cache_kib = options.cache_kib;
  Result<std::unique_ptr<Db>> db = Db::Open(path, db_options);
  if (!db.ok()) return db.status().WithContext("open dock store");
  Status schema = internal::Migrate(**db, kDockSchema).status();
  if (!schema.ok()) return schema.WithContext("open dock store " + path);
  return std::unique_ptr<DockStore>(new DockStoreImpl(std::move(db).value(), options));
}

}  // namespace sortline::store

namespace sortline::store {

Status ForEachArchivedEvent(const std::string& db_path, const std::string& archive_dir,
                            int64_t from_unix_ms, int64_t to_unix_ms,
                            const std::function<bool(const v1::DockEvent&)>& fn) {
  std::vector<std::string> paths;
  if (!archive_dir.empty()) {
    SORTLINE_ASSIGN_OR_RETURN(std::unique_ptr<Directory> dir,
                              DefaultFileSystem().OpenDirectory(archive_dir));
    SORTLINE_ASSIGN_OR_RETURN(std::vector<std::string> names, dir->List());
    std::sort(names.begin(), names.end());
    for (const std::string& name : names) {
      std::optional<int64_t> day = ArchiveDay(name);
      if (!day.has_value()) continue;
      // Any offset within a day either way: an archive's day may start before its name's.
      if (DayStart(*day + 2, 0) <= from_unix_ms || DayStart(*day - 1, 0) >= to_unix_ms) continue;
      paths.push_back(archive_dir + "/" + name);
    }
  }
  paths.push_back(db_path);
  internal::DbOptions options;
  options.synchronous_full = false;
  for (const std::string& path : paths) {
    SORTLINE_ASSIGN_OR_RETURN(std::unique_ptr<Db> db, Db::Open(path, options));
    SORTLINE_ASSIGN_OR_RETURN(Statement rows,
                              db->Prepare("SELECT event FROM events WHERE unix_ms >= ?1 AND "
                                          "unix_ms < ?2 ORDER BY id"));
    rows.BindInt(1, from_unix_ms).BindInt(2, to_unix_ms);
    while (true) {
      Result<bool> row = rows.Step();
      if (!row.ok()) return row.status().WithContext("events of " + path);
      if (!*row) break;
      v1::DockEvent event;
      std::string_view blob = rows.ColumnBlob(0);
      if (!event.ParseFromArray(blob.data(), static_cast<int>(blob.size()))) {
        return DataLoss("an event of " + path + " does not parse");
      }
      if (!fn(event)) return Status::Ok();
    }
  }
  return Status::Ok();
}

}  // namespace sortline::store
