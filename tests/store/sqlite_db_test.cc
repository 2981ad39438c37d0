#include "pipeline/store/sqlite_db.h"

#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sqlite3.h>

#include "tests/testing/status_matchers.h"
#include "tests/testing/testing.h"

namespace sortline::store::internal {
namespace {

using ::testing::HasSubstr;

TEST(SqliteStatus, MapsResultCodesToStatusCodes) {
  EXPECT_EQ(SqliteStatus(SQLITE_FULL, "op", "x").code(), StatusCode::kResourceExhausted);
  // A failed fsync or write is never retried: the owner stops and recovers (issue 5).
  EXPECT_EQ(SqliteStatus(SQLITE_IOERR_FSYNC, "op", "x").code(), StatusCode::kDataLoss);
  EXPECT_EQ(SqliteStatus(SQLITE_IOERR_DIR_FSYNC, "op", "x").code(), StatusCode::kDataLoss);
  EXPECT_EQ(SqliteStatus(SQLITE_IOERR_WRITE, "op", "x").code(), StatusCode::kDataLoss);
  EXPECT_EQ(SqliteStatus(SQLITE_IOERR_READ, "op", "x").code(), StatusCode::kIoError);
  EXPECT_EQ(SqliteStatus(SQLITE_IOERR, "op", "x").code(), StatusCode::kIoError);
  EXPECT_EQ(SqliteStatus(SQLITE_CORRUPT, "op", "x").code(), StatusCode::kDataLoss);
  EXPECT_EQ(SqliteStatus(SQLITE_NOTADB, "op", "x").code(), StatusCode::kDataLoss);
  EXPECT_EQ(SqliteStatus(SQLITE_BUSY_SNAPSHOT, "op", "x").code(), StatusCode::kUnavailable);
  EXPECT_EQ(SqliteStatus(SQLITE_CONSTRAINT_UNIQUE, "op", "x").code(),
            StatusCode::kFailedPrecondition);
  EXPECT_EQ(SqliteStatus(SQLITE_MISUSE, "op", "x").code(), StatusCode::kInternal);
  Status status = SqliteStatus(SQLITE_FULL, "insert order", "database or disk is full");
  EXPECT_EQ(status.message(), "insert order: database or disk is full (sqlite 13)");
}

class DbTest : public ::testing::Test {
 protected:
  std::string path() const { return dir_.file("test.db"); }
  sortline::testing::TempDir dir_;
};

TEST_F(DbTest, OpensInWalModeWithTheRequestedPragmas) {
  DbOptions options;
  options.synchronous_full = false;
  options.busy_timeout_ms = 1234;
  ASSERT_OK_AND_ASSIGN(auto db, Db::Open(path(), options));
  EXPECT_EQ(db->journal_mode(), "wal");
  ASSERT_OK_AND_ASSIGN(int64_t synchronous, db->QueryInt("PRAGMA synchronous"));
  EXPECT_EQ(synchronous, 1) << "NORMAL";
  ASSERT_OK_AND_ASSIGN(int64_t foreign_keys, db->QueryInt("PRAGMA foreign_keys"));
  EXPECT_EQ(foreign_keys, 1);
  ASSERT_OK_AND_ASSIGN(int64_t busy_timeout, db->QueryInt("PRAGMA busy_timeout"));
  EXPECT_EQ(busy_timeout, 1234);
}

TEST_F(DbTest, UncommittedTransactionIsRolledBack) {
  ASSERT_OK_AND_ASSIGN(auto db, Db::Open(path(), {}));
  ASSERT_OK(db->Exec("CREATE TABLE t(v INTEGER)"));
  {
    ASSERT_OK_AND_ASSIGN(Transaction txn, Transaction::Begin(*db));
    ASSERT_OK(db->Exec("INSERT INTO t VALUES(1)"));
    EXPECT_TRUE(db->InTransaction());
  }
  EXPECT_FALSE(db->InTransaction());
  ASSERT_OK_AND_ASSIGN(int64_t rows, db->QueryInt("SELECT count(*) FROM t"));
  EXPECT_EQ(rows, 0);
  {
    ASSERT_OK_AND_ASSIGN(Transaction txn, Transaction::Begin(*db));
    ASSERT_OK(db->Exec("INSERT INTO t VALUES(1)"));
    ASSERT_OK(txn.Commit());
  }
  ASSERT_OK_AND_ASSIGN(int64_t committed, db->QueryInt("SELECT count(*) FROM t"));
  EXPECT_EQ(committed, 1);
}

TEST_F(DbTest, FullDatabaseIsResourceExhaustedNamingTheStatement) {
  DbOptions options;
  options.max_bytes = 64 * 1024;
  ASSERT_OK_AND_ASSIGN(auto db, Db::Open(path(), options));
  ASSERT_OK(db->Exec("CREATE TABLE t(v BLOB)"));
  const std::string blob(4096, 'z');
  Status failure;
  for (int i = 0; i < 100 && failure.ok(); ++i) {
    ASSERT_OK_AND_ASSIGN(Transaction txn, Transaction::Begin(*db));
    ASSERT_OK_AND_ASSIGN(Statement insert, db->Prepare("INSERT INTO t(v) VALUES(?1)"));
    insert.BindBlob(1, blob);
    failure = insert.Run();
    if (failure.ok()) failure = txn.Commit();
  }
  EXPECT_EQ(failure.code(), StatusCode::kResourceExhausted) << failure;
  EXPECT_THAT(failure.message(), HasSubstr("INSERT INTO t"));
  EXPECT_THAT(failure.message(), HasSubstr("full"));
  EXPECT_FALSE(db->InTransaction());
}

TEST_F(DbTest, BindErrorIsReportedByStep) {
  ASSERT_OK_AND_ASSIGN(auto db, Db::Open(path(), {}));
  ASSERT_OK_AND_ASSIGN(Statement stmt, db->Prepare("SELECT ?1"));
  stmt.BindInt(5, 1);
  Result<bool> row = stmt.Step();
  EXPECT_FALSE(row.ok());
  EXPECT_THAT(row.status().message(), HasSubstr("bind parameter 5"));
  stmt.Reset();
  stmt.BindInt(1, 42);
  ASSERT_OK_AND_ASSIGN(bool has_row, stmt.Step());
  ASSERT_TRUE(has_row);
  EXPECT_EQ(stmt.ColumnInt(0), 42);
}

TEST_F(DbTest, StatementInUseIsNotHandedOutTwice) {
  ASSERT_OK_AND_ASSIGN(auto db, Db::Open(path(), {}));
  ASSERT_OK(db->Exec("CREATE TABLE t(v INTEGER); INSERT INTO t VALUES(1), (2), (3);"));
  constexpr std::string_view kScan = "SELECT v FROM t ORDER BY v";
  ASSERT_OK_AND_ASSIGN(Statement outer, db->Prepare(kScan));
  int pairs = 0;
  while (true) {
    ASSERT_OK_AND_ASSIGN(bool row, outer.Step());
    if (!row) break;
    const int64_t v = outer.ColumnInt(0);
    ASSERT_OK_AND_ASSIGN(Statement inner, db->Prepare(kScan));
    while (true) {
      ASSERT_OK_AND_ASSIGN(bool inner_row, inner.Step());
      if (!inner_row) break;
      ++pairs;
    }
    EXPECT_EQ(outer.ColumnInt(0), v);
  }
  EXPECT_EQ(pairs, 9);
}

}  // namespace
}  // namespace sortline::store::internal
