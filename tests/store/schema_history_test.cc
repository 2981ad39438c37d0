// Databases written by every earlier release open in this build (issue 15): each test
// makes a journal or dock store exactly as an older release made it (its SQL, copied
// from that release's pipeline/store, and the patches it applied at open), fills it with
// rows, then opens it with this build and checks the migration kept the rows usable.
#include <map>
#include <ostream>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "pipeline/model/s10.h"
#include "pipeline/store/dock_store.h"
#include "pipeline/store/journal.h"
#include "pipeline/store/sqlite_db.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/testing.h"

namespace sortline::store {
namespace {

using internal::Db;
using ::testing::HasSubstr;

constexpr int32_t kJournalId = 0x534c4a31;  // "SLJ1"
constexpr int32_t kDockId = 0x534c4431;     // "SLD1"
constexpr int64_t kCurrentJournalVersion = 3;
constexpr int64_t kCurrentDockVersion = 3;

// ---- what the releases wrote --------------------------------------------------------

// Journal schema version 1 as released in 61fb526 (store: SQLite WAL intake journal).
constexpr char kJournal61fb526[] = R"sql(
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

// 30e0980 (lease renewal) put the lease index into the version 1 schema and created it
// at every open of an older journal, still calling it version 1.
constexpr char kJournalLeaseIndex30e0980[] =
    "CREATE INDEX IF NOT EXISTS orders_lease ON orders(lease_id) WHERE state = 1";

// 2ae1911 (retention, issue 10) made new journals auto_vacuum=INCREMENTAL and added the
// retention columns and index at every open, still calling it version 1.
constexpr char kJournalRetention2ae1911[] = R"sql(
ALTER TABLE batches ADD COLUMN completed_ms INTEGER;
ALTER TABLE batches ADD COLUMN first_seq INTEGER;
ALTER TABLE batches ADD COLUMN last_seq INTEGER;
CREATE INDEX IF NOT EXISTS batches_prunable ON batches(completed_ms) WHERE first_seq IS NOT NULL;
)sql";

// Dock store schema version 1 as released in 61fb526.
constexpr char kDock61fb526[] = R"sql(
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

// 4c84d2c (the dock controller core) added the state tables at every open, events with
// AUTOINCREMENT; c2fb76d made events a plain rowid table. Both said version 1.
constexpr char kDockState4c84d2c[] = R"sql(
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
  id      INTEGER PRIMARY KEY AUTOINCREMENT,
  unix_ms INTEGER NOT NULL,
  kind    INTEGER NOT NULL,
  event   BLOB NOT NULL);
)sql";
constexpr char kDockStateC2fb76d[] = R"sql(
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

// 5afaeb3 (one plan for the centre) added parcels.truck_id and its index at every open.
constexpr char kDockTruckColumn5afaeb3[] = R"sql(
ALTER TABLE parcels ADD COLUMN truck_id TEXT;
CREATE INDEX IF NOT EXISTS parcels_truck ON parcels(truck_id);
)sql";

// How a release made a new database: `prepare` on the empty file, then the version 1
// schema with its header in one transaction (the EnsureSchema of those releases), then
// the patches it applied at open.
struct Release {
  std::string name;
  std::string prepare;
  std::string schema;
  int32_t application_id;
  std::vector<std::string> patches;
};

void MakeDatabase(const std::string& path, const Release& release) {
  ASSERT_OK_AND_ASSIGN(auto db, Db::Open(path, {}));
  if (!release.prepare.empty()) {
    ASSERT_OK(db->Exec(release.prepare));
  }
  ASSERT_OK(db->Exec("BEGIN IMMEDIATE"));
  ASSERT_OK(db->Exec(release.schema));
  ASSERT_OK(db->Exec("PRAGMA application_id=" + std::to_string(release.application_id) +
                     ";PRAGMA user_version=1"));
  ASSERT_OK(db->Exec("COMMIT"));
  for (const std::string& patch : release.patches) ASSERT_OK(db->Exec(patch));
}

// Names the release in gtest's messages instead of dumping the struct's bytes.
void PrintTo(const Release& release, std::ostream* out) { *out << release.name; }

std::string ReleaseName(const ::testing::TestParamInfo<Release>& release) {
  return release.param.name;
}

int64_t Pragma(const std::string& path, const std::string& pragma) {
  Result<std::unique_ptr<Db>> db = Db::Open(path, {});
  EXPECT_TRUE(db.ok()) << db.status();
  if (!db.ok()) return -1;
  Result<int64_t> value = (*db)->QueryInt("PRAGMA " + pragma);
  EXPECT_TRUE(value.ok()) << value.status();
  return value.ok() ? *value : -1;
}

// ---- journal ------------------------------------------------------------------------

std::vector<Release> JournalReleases() {
  const std::string v1 = kJournal61fb526;
  std::string with_lease = v1;
  with_lease.insert(with_lease.find("CREATE TABLE counters"),
                    "CREATE INDEX orders_lease ON orders(lease_id) WHERE state = 1;\n");
  return {
      {"61fb526_first_release", "", v1, kJournalId, {}},
      {"30e0980_lease_index", "", with_lease, kJournalId, {kJournalLeaseIndex30e0980}},
      {"2ae1911_retention",
       "PRAGMA auto_vacuum=INCREMENTAL; VACUUM",
       with_lease,
       kJournalId,
       {kJournalLeaseIndex30e0980, kJournalRetention2ae1911}},
  };
}

class OlderJournal : public ::testing::TestWithParam<Release> {
 protected:
  std::string path() const { return dir_.file("journal.db"); }

  // Batch "B1" of an older release: O1 pending, O2 leased until kLeasedUntil by w1, O3
  // done, O4 failed; the tracking counter says serial 5 is next, the last lease was 7.
  void FillAsTheReleaseDid() {
    ASSERT_OK_AND_ASSIGN(auto db, Db::Open(path(), {}));
    ASSERT_OK_AND_ASSIGN(model::S10Issuer issuer, model::S10Issuer::Create({}, 1));
    v1::SubmitReply reply;
    reply.set_schema_version(1);
    reply.set_batch_id("B1");
    reply.set_accepted(4);
    ASSERT_OK_AND_ASSIGN(auto batch,
                         db->Prepare("INSERT INTO batches(id, batch_id, created_ms, total, "
                                     "done, failed, reply) VALUES(1, 'B1', 1000, 4, 1, 1, ?1)"));
    batch.BindBlob(1, reply.SerializeAsString());
    ASSERT_OK(batch.Run());
    for (int i = 1; i <= 4; ++i) {
      v1::Order order = sortline::testing::SampleOrder("O" + std::to_string(i));
      ASSERT_OK_AND_ASSIGN(std::string tracking, issuer.Next());
      order.set_tracking_number(tracking);
      tracking_.push_back(tracking);
      ASSERT_OK_AND_ASSIGN(
          auto insert,
          db->Prepare("INSERT INTO orders(seq, order_id, tracking, batch, batch_index, priority, "
                      "state, lease_id, lease_worker, lease_expires_ms, outcome, reason, payload) "
                      "VALUES(?1, ?2, ?3, 1, ?4, 0, ?5, ?6, ?7, ?8, ?9, ?10, ?11)"));
      insert.BindInt(1, i).BindText(2, order.order_id()).BindText(3, tracking).BindInt(4, i - 1);
      const int state = i - 1;  // 0 pending, 1 leased, 2 done, 3 failed
      insert.BindInt(5, state);
      if (state == 1) {
        insert.BindInt(6, 7).BindText(7, "w1").BindInt(8, kLeasedUntil);
      } else {
        insert.BindNull(6).BindNull(7).BindNull(8);
      }
      if (state == 2) insert.BindInt(9, v1::OUTCOME_SORTED).BindNull(10);
      if (state == 3) insert.BindInt(9, v1::OUTCOME_FAILED).BindText(10, "label disk full");
      if (state < 2) insert.BindNull(9).BindNull(10);
      insert.BindBlob(11, order.SerializeAsString());
      ASSERT_OK(insert.Run());
    }
    ASSERT_OK(
        db->Exec("INSERT INTO counters(name, value) VALUES('s10:EA:CN', 5), ('lease_id', 7)"));
  }

  static constexpr int64_t kLeasedUntil = 4'000'000'000'000;  // far ahead of "now" below
  static constexpr int64_t kNow = 2'000'000'000'000;
  sortline::testing::TempDir dir_;
  std::vector<std::string> tracking_;
};

TEST_P(OlderJournal, MigratesToTheCurrentVersionWithEveryOrderUsable) {
  ASSERT_NO_FATAL_FAILURE(MakeDatabase(path(), GetParam()));
  ASSERT_NO_FATAL_FAILURE(FillAsTheReleaseDid());
  const int64_t auto_vacuum = Pragma(path(), "auto_vacuum");

  ASSERT_OK_AND_ASSIGN(auto journal, Journal::Open(path(), {}));
  ASSERT_OK_AND_ASSIGN(v1::BatchProgress progress, journal->Progress("B1"));
  EXPECT_EQ(progress.total(), 4u);
  EXPECT_EQ(progress.done(), 1u);
  EXPECT_EQ(progress.failed(), 1u);
  ASSERT_EQ(progress.failures_size(), 1);
  EXPECT_EQ(progress.failures(0).order_id(), "O4");
  EXPECT_EQ(progress.failures(0).reason(), "label disk full");

  ASSERT_OK_AND_ASSIGN(uint64_t renewed, journal->Renew("w1", {7}, kNow, 30'000));
  EXPECT_EQ(renewed, 1u) << "the old lease is found by its id";

  // A new batch: old order ids stay known, numbers continue from the stored counter.
  v1::OrderBatch batch;
  batch.set_batch_id("B2");
  *batch.add_orders() = sortline::testing::SampleOrder("O5");
  *batch.add_orders() = sortline::testing::SampleOrder("O3");
  ASSERT_OK_AND_ASSIGN(v1::SubmitReply reply, journal->Submit(batch, {}));
  EXPECT_EQ(reply.accepted(), 1u);
  ASSERT_EQ(reply.duplicates_size(), 1);
  EXPECT_EQ(reply.duplicates(0), "O3");

  // The pending old order and the new one are leased and finished.
  std::map<std::string, v1::Order> leased;
  for (int i = 0; i < 3; ++i) {
    ASSERT_OK_AND_ASSIGN(v1::WorkBatch work, journal->Lease("w2", 10, kNow, 30'000));
    if (work.orders_size() == 0) break;
    EXPECT_GT(work.lease_id(), 7u) << "lease ids continue from the stored counter";
    v1::WorkDone done;
    done.set_lease_id(work.lease_id());
    for (const v1::Order& order : work.orders()) {
      leased[order.order_id()] = order;
      v1::OrderResult* result = done.add_results();
      result->set_order_id(order.order_id());
      result->set_outcome(v1::OUTCOME_SORTED);
    }
    ASSERT_OK(journal->Complete(done));
  }
  ASSERT_EQ(leased.size(), 2u);
  ASSERT_EQ(leased.count("O1"), 1u);
  EXPECT_EQ(leased["O1"].tracking_number(), tracking_[0]);
  EXPECT_EQ(leased["O1"].recipient().detail(),
            sortline::testing::SampleOrder("O1").recipient().detail());
  ASSERT_OK_AND_ASSIGN(model::S10Issuer issuer, model::S10Issuer::Create({}, 5));
  ASSERT_OK_AND_ASSIGN(std::string fifth, issuer.Next());
  EXPECT_EQ(leased["O5"].tracking_number(), fifth);

  // The new batch is pruned; the old one stays whole (it has no seq range).
  ASSERT_OK_AND_ASSIGN(JournalPruned pruned, journal->Prune(kNow * 10, 10));
  EXPECT_EQ(pruned.batches, 1u);
  EXPECT_EQ(pruned.orders, 1u);
  ASSERT_OK_AND_ASSIGN(progress, journal->Progress("B1"));
  EXPECT_EQ(progress.done(), 2u);
  journal.reset();

  EXPECT_EQ(Pragma(path(), "user_version"), kCurrentJournalVersion);
  EXPECT_EQ(Pragma(path(), "application_id"), kJournalId);
  EXPECT_EQ(Pragma(path(), "auto_vacuum"), auto_vacuum) << "a migration never rewrites the file";
}

INSTANTIATE_TEST_SUITE_P(EveryRelease, OlderJournal, ::testing::ValuesIn(JournalReleases()),
                         ReleaseName);

// ---- dock store ---------------------------------------------------------------------

std::vector<Release> DockReleases() {
  return {
      {"61fb526_records_only", "", kDock61fb526, kDockId, {}},
      {"4c84d2c_state_tables_autoincrement_events", "", kDock61fb526, kDockId, {kDockState4c84d2c}},
      {"c2fb76d_state_tables", "", kDock61fb526, kDockId, {kDockStateC2fb76d}},
      {"5afaeb3_parcel_truck_column",
       "",
       kDock61fb526,
       kDockId,
       {kDockStateC2fb76d, kDockTruckColumn5afaeb3}},
  };
}

class OlderDockStore : public ::testing::TestWithParam<Release> {
 protected:
  std::string path() const { return dir_.file("dock.db"); }
  bool HasStateTables() const { return GetParam().patches.size() >= 1; }
  bool HasTruckColumn() const { return GetParam().patches.size() >= 2; }

  static v1::SortRecord Record(const std::string& order_id, const std::string& tracking) {
    v1::SortRecord record;
    record.set_order_id(order_id);
    record.set_tracking_number(tracking);
    record.set_chute("C051");
    record.set_dock_door("D01");
    record.set_outcome(v1::OUTCOME_SORTED);
    return record;
  }
  static v1::ParcelStatus Parcel(const std::string& tracking, const std::string& truck) {
    v1::ParcelStatus parcel;
    parcel.set_tracking_number(tracking);
    parcel.set_order_id("order-" + tracking);
    parcel.set_chute("C051");
    parcel.set_truck_id(truck);
    parcel.set_load_index(1);
    return parcel;
  }

  // Two records (one without a tracking number), one quarantined; with the state tables:
  // chute C051, truck D01-1 open with parcel P1, truck D02-1 departed with P2, 2 events.
  void FillAsTheReleaseDid() {
    ASSERT_OK_AND_ASSIGN(auto db, Db::Open(path(), {}));
    for (const v1::SortRecord& record : {Record("A", "EA000000014CN"), Record("B", "")}) {
      ASSERT_OK_AND_ASSIGN(auto insert,
                           db->Prepare("INSERT INTO records VALUES(?1, ?2, 'C051', 1, ?3, 1000)"));
      insert.BindText(1, record.order_id()).BindBlob(3, record.SerializeAsString());
      if (record.tracking_number().empty()) {
        insert.BindNull(2);
      } else {
        insert.BindText(2, record.tracking_number());
      }
      ASSERT_OK(insert.Run());
    }
    ASSERT_OK_AND_ASSIGN(auto quarantine,
                         db->Prepare("INSERT INTO quarantine(order_id, record, stored_ms, reason) "
                                     "VALUES('A', ?1, 2000, 'conflicts with the stored record')"));
    quarantine.BindBlob(1, Record("A", "EA000000028CN").SerializeAsString());
    ASSERT_OK(quarantine.Run());
    if (!HasStateTables()) return;

    v1::ChuteStatus chute;
    chute.set_chute("C051");
    chute.set_fill(1);
    ASSERT_OK_AND_ASSIGN(auto chutes, db->Prepare("INSERT INTO chutes VALUES('C051', ?1)"));
    chutes.BindBlob(1, chute.SerializeAsString());
    ASSERT_OK(chutes.Run());
    for (const auto& [id, state] : {std::pair<std::string, v1::TruckState>{"D01-1", v1::TRUCK_OPEN},
                                    {"D02-1", v1::TRUCK_CLOSED_DEPARTED}}) {
      v1::TruckStatus truck;
      truck.set_truck_id(id);
      truck.set_state(state);
      ASSERT_OK_AND_ASSIGN(auto trucks, db->Prepare("INSERT INTO trucks VALUES(?1, ?2, ?3)"));
      trucks.BindText(1, id).BindInt(2, state).BindBlob(3, truck.SerializeAsString());
      ASSERT_OK(trucks.Run());
    }
    for (const v1::ParcelStatus& parcel : {Parcel("P1", "D01-1"), Parcel("P2", "D02-1")}) {
      ASSERT_OK_AND_ASSIGN(auto parcels,
                           db->Prepare(HasTruckColumn() ? "INSERT INTO parcels VALUES(?1, ?2, ?3)"
                                                        : "INSERT INTO parcels VALUES(?1, ?2)"));
      parcels.BindText(1, parcel.tracking_number()).BindBlob(2, parcel.SerializeAsString());
      if (HasTruckColumn()) parcels.BindText(3, parcel.truck_id());
      ASSERT_OK(parcels.Run());
    }
    for (int i = 0; i < 2; ++i) {
      v1::DockEvent event;
      event.set_schema_version(1);
      event.set_unix_ms(1000 + i);
      *event.mutable_chute() = chute;
      ASSERT_OK_AND_ASSIGN(
          auto events, db->Prepare("INSERT INTO events(unix_ms, kind, event) VALUES(?1, 3, ?2)"));
      events.BindInt(1, event.unix_ms()).BindBlob(2, event.SerializeAsString());
      ASSERT_OK(events.Run());
    }
  }

  sortline::testing::TempDir dir_;
};

TEST_P(OlderDockStore, MigratesToTheCurrentVersionWithRecordsAndStateUsable) {
  ASSERT_NO_FATAL_FAILURE(MakeDatabase(path(), GetParam()));
  ASSERT_NO_FATAL_FAILURE(FillAsTheReleaseDid());

  DockStoreOptions options;
  options.synchronous_full = false;
  ASSERT_OK_AND_ASSIGN(auto store, DockStore::Open(path(), options));
  // A second connection on the same file, as the dock's events thread opens one.
  ASSERT_OK_AND_ASSIGN(auto second, DockStore::Open(path(), options));
  ASSERT_OK_AND_ASSIGN(uint64_t count, store->Count());
  EXPECT_EQ(count, 2u);
  ASSERT_OK_AND_ASSIGN(uint64_t quarantined, store->QuarantineCount());
  EXPECT_EQ(quarantined, 1u);
  ASSERT_OK_AND_ASSIGN(auto found, store->FindByTracking("EA000000014CN"));
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->order_id(), "A");
  ASSERT_OK_AND_ASSIGN(auto untracked, store->FindByOrderId("B"));
  ASSERT_TRUE(untracked.has_value());

  v1::RecordBatch batch;
  *batch.add_records() = Record("C", "EA000000031CN");
  ASSERT_OK_AND_ASSIGN(v1::RecordsStored stored, store->Store(batch));
  EXPECT_EQ(stored.stored(), 1u);

  ASSERT_OK_AND_ASSIGN(DockStore::DockState state, store->LoadState());
  ASSERT_OK_AND_ASSIGN(uint64_t events, store->EventCount());
  if (HasStateTables()) {
    ASSERT_EQ(state.chutes.size(), 1u);
    EXPECT_EQ(state.chutes[0].fill(), 1u);
    ASSERT_EQ(state.trucks.size(), 2u);
    ASSERT_EQ(state.parcels.size(), 1u) << "only the open truck's parcels, by the new column";
    EXPECT_EQ(state.parcels[0].tracking_number(), "P1");
    ASSERT_OK_AND_ASSIGN(auto departed, store->FindParcel("P2"));
    ASSERT_TRUE(departed.has_value());
    EXPECT_EQ(departed->truck_id(), "D02-1");
    EXPECT_EQ(events, 2u);
  } else {
    EXPECT_TRUE(state.chutes.empty());
    EXPECT_TRUE(state.parcels.empty());
    EXPECT_EQ(events, 0u);
  }

  v1::DockEvent parcel;
  parcel.set_unix_ms(5000);
  *parcel.mutable_parcel() = Parcel("P3", "D01-1");
  ASSERT_OK(second->PersistEvents({parcel}));
  ASSERT_OK_AND_ASSIGN(state, store->LoadState());
  bool loaded_new_parcel = false;
  for (const v1::ParcelStatus& p : state.parcels) loaded_new_parcel |= p.tracking_number() == "P3";
  if (HasStateTables()) {
    EXPECT_TRUE(loaded_new_parcel) << "a parcel persisted after migrating";
  }
  ASSERT_OK_AND_ASSIGN(uint64_t events_after, store->EventCount());
  EXPECT_EQ(events_after, events + 1);
  store.reset();
  second.reset();

  EXPECT_EQ(Pragma(path(), "user_version"), kCurrentDockVersion);
  EXPECT_EQ(Pragma(path(), "application_id"), kDockId);
}

INSTANTIATE_TEST_SUITE_P(EveryRelease, OlderDockStore, ::testing::ValuesIn(DockReleases()),
                         ReleaseName);

// ---- newer and foreign databases ----------------------------------------------------

// Creates `path` as this build does, then stamps it as a newer release would have left
// it (`newer_sql` ends by setting its user_version), and opens it again with this build.
template <typename Store>
Status OpenAfterANewerRelease(const std::string& path, const std::string& newer_sql) {
  if (auto created = Store::Open(path, {}); !created.ok()) return created.status();
  Result<std::unique_ptr<Db>> db = Db::Open(path, {});
  if (!db.ok()) return db.status();
  if (Status stamped = (*db)->Exec(newer_sql); !stamped.ok()) return stamped;
  db->reset();
  return Store::Open(path, {}).status();
}

TEST(SchemaHistory, AJournalFromANewerReleaseIsRefusedNamingBothVersionsIssue15) {
  sortline::testing::TempDir dir;
  const std::string path = dir.file("journal.db");
  const Status opened = OpenAfterANewerRelease<Journal>(
      path, "CREATE TABLE from_the_future(x); PRAGMA user_version=4");
  EXPECT_EQ(opened.code(), StatusCode::kFailedPrecondition);
  EXPECT_THAT(opened.message(),
              HasSubstr("journal schema version 4 is newer than this build's version 3"));
  EXPECT_THAT(opened.message(), HasSubstr(path));
  EXPECT_EQ(Pragma(path, "user_version"), 4) << "left as the newer release wrote it";
}

TEST(SchemaHistory, ADockStoreFromANewerReleaseIsRefusedNamingBothVersionsIssue15) {
  sortline::testing::TempDir dir;
  const Status opened =
      OpenAfterANewerRelease<DockStore>(dir.file("dock.db"), "PRAGMA user_version=9");
  EXPECT_EQ(opened.code(), StatusCode::kFailedPrecondition);
  EXPECT_THAT(opened.message(),
              HasSubstr("dock store schema version 9 is newer than this build's version 3"));
}

TEST(SchemaHistory, NewDatabasesAreCreatedAtTheCurrentVersion) {
  sortline::testing::TempDir dir;
  { ASSERT_OK(Journal::Open(dir.file("journal.db"), {})); }
  { ASSERT_OK(DockStore::Open(dir.file("dock.db"), {})); }
  EXPECT_EQ(Pragma(dir.file("journal.db"), "user_version"), kCurrentJournalVersion);
  EXPECT_EQ(Pragma(dir.file("journal.db"), "auto_vacuum"), 2) << "INCREMENTAL";
  EXPECT_EQ(Pragma(dir.file("dock.db"), "user_version"), kCurrentDockVersion);
}

}  // namespace
}  // namespace sortline::store
