#include "pipeline/store/schema.h"

#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "pipeline/store/sqlite_db.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/testing.h"

namespace sortline::store::internal {
namespace {

using ::testing::HasSubstr;

constexpr int32_t kAppId = 0x12345678;

Status AddColumnOnce(Db& db) {
  SORTLINE_ASSIGN_OR_RETURN(bool present, HasColumn(db, "a", "y"));
  if (present) return Status::Ok();
  return db.Exec("ALTER TABLE a ADD COLUMN y INTEGER DEFAULT 7");
}

constexpr Migration kHistory[] = {
    {1, "CREATE TABLE a(x INTEGER); INSERT INTO a(x) VALUES(1);"},
    {2, "CREATE TABLE b(x INTEGER);"},
    {3, {}, AddColumnOnce},
};
constexpr SchemaSpec kSpec{"test db", kAppId, kHistory, {}};
// The same history two releases ago.
constexpr SchemaSpec kSpecAtVersion1{"test db", kAppId, std::span(kHistory).first(1), {}};

class SchemaTest : public ::testing::Test {
 protected:
  std::unique_ptr<Db> Open() {
    Result<std::unique_ptr<Db>> db = Db::Open(dir_.file("test.db"), {});
    EXPECT_TRUE(db.ok()) << db.status();
    return db.ok() ? std::move(db).value() : nullptr;
  }
  int64_t Version(Db& db) { return db.QueryInt("PRAGMA user_version").value(); }
  sortline::testing::TempDir dir_;
};

TEST_F(SchemaTest, ANewDatabaseRunsEveryMigrationAndRecordsTheLastVersion) {
  auto db = Open();
  ASSERT_OK_AND_ASSIGN(int32_t found, Migrate(*db, kSpec));
  EXPECT_EQ(found, 0);
  EXPECT_EQ(Version(*db), 3);
  EXPECT_EQ(db->QueryInt("PRAGMA application_id").value(), kAppId);
  EXPECT_EQ(db->QueryInt("SELECT y FROM a").value(), 7);
  ASSERT_OK_AND_ASSIGN(found, Migrate(*db, kSpec));
  EXPECT_EQ(found, 3) << "nothing left to run";
}

TEST_F(SchemaTest, AnOlderDatabaseRunsOnlyTheMigrationsAfterItsVersion) {
  {
    auto db = Open();
    ASSERT_OK(Migrate(*db, kSpecAtVersion1));
    ASSERT_OK(db->Exec("INSERT INTO a(x) VALUES(2)"));
  }
  auto db = Open();
  ASSERT_OK_AND_ASSIGN(int32_t found, Migrate(*db, kSpec));
  EXPECT_EQ(found, 1);
  EXPECT_EQ(Version(*db), 3);
  EXPECT_EQ(db->QueryInt("SELECT count(*) FROM a WHERE y = 7").value(), 2)
      << "version 1 is not run again: its row is not doubled";
  EXPECT_EQ(db->QueryInt("SELECT count(*) FROM b").value(), 0);
}

TEST_F(SchemaTest, AFailingMigrationLeavesTheDatabaseAtItsOldVersion) {
  {
    auto db = Open();
    ASSERT_OK(Migrate(*db, kSpecAtVersion1));
  }
  constexpr Migration kBroken[] = {kHistory[0], kHistory[1], {3, "ALTER TABLE nowhere ADD z"}};
  auto db = Open();
  Result<int32_t> failed = Migrate(*db, {"test db", kAppId, kBroken, {}});
  EXPECT_FALSE(failed.ok());
  EXPECT_THAT(failed.status().message(), HasSubstr("migrating test db from schema version 1 to 3"));
  EXPECT_EQ(Version(*db), 1);
  EXPECT_EQ(db->QueryInt("SELECT count(*) FROM sqlite_schema WHERE name = 'b'").value(), 0)
      << "version 2 was rolled back with the failed version 3";
  ASSERT_OK(Migrate(*db, kSpec));
  EXPECT_EQ(Version(*db), 3);
}

TEST_F(SchemaTest, ANewerDatabaseIsRefusedUntouched) {
  {
    auto db = Open();
    ASSERT_OK(Migrate(*db, kSpec));
  }
  auto db = Open();
  Status refused = Migrate(*db, kSpecAtVersion1).status();
  EXPECT_EQ(refused.code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(refused.message(),
            "test db schema version 3 is newer than this build's version 1: a newer sortline "
            "wrote it; run that release or newer");
  EXPECT_EQ(Version(*db), 3);
}

TEST_F(SchemaTest, ForeignDatabasesAreRefused) {
  {
    auto db = Open();
    ASSERT_OK(Migrate(*db, kSpec));
  }
  auto db = Open();
  Status other_app = Migrate(*db, {"other db", 0x1, kHistory, {}}).status();
  EXPECT_EQ(other_app.code(), StatusCode::kFailedPrecondition);
  EXPECT_THAT(other_app.message(), HasSubstr("another application"));

  ASSERT_OK_AND_ASSIGN(auto plain, Db::Open(dir_.file("other.db"), {}));
  ASSERT_OK(plain->Exec("CREATE TABLE someone_elses(x INTEGER)"));
  Status refused = Migrate(*plain, kSpec).status();
  EXPECT_EQ(refused.code(), StatusCode::kFailedPrecondition);
  EXPECT_THAT(refused.message(), HasSubstr("no sortline schema"));
}

TEST_F(SchemaTest, AHistoryWithAGapIsAnInternalError) {
  constexpr Migration kGap[] = {kHistory[0], kHistory[2]};
  auto db = Open();
  EXPECT_EQ(Migrate(*db, {"test db", kAppId, kGap, {}}).status().code(), StatusCode::kInternal);
  EXPECT_EQ(Version(*db), 0) << "nothing ran";
}

TEST_F(SchemaTest, PrepareNewRunsOnlyOnAnEmptyDatabase) {
  constexpr SchemaSpec kVacuum{"test db", kAppId, kHistory,
                               "PRAGMA auto_vacuum=INCREMENTAL; VACUUM"};
  {
    auto db = Open();
    ASSERT_OK(Migrate(*db, kVacuum));
    EXPECT_EQ(db->QueryInt("PRAGMA auto_vacuum").value(), 2);
  }
  ASSERT_OK_AND_ASSIGN(auto old, Db::Open(dir_.file("old.db"), {}));
  ASSERT_OK(Migrate(*old, kSpecAtVersion1));
  ASSERT_OK(Migrate(*old, kVacuum));
  EXPECT_EQ(old->QueryInt("PRAGMA auto_vacuum").value(), 0) << "an existing file is not rewritten";
}

}  // namespace
}  // namespace sortline::store::internal
