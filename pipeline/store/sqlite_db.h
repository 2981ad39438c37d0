// Internal to store/: a move-only owner of one SQLite connection with a cache of
// prepared statements, a cursor over one statement, and a scoped write transaction.
// SQLite result codes become Status values here and nowhere else.
//
// The header forward-declares the SQLite handle types so that only store/*.cc include
// <sqlite3.h>.
//
// Thread-safety: a Db and everything obtained from it belong to one thread at a time.
#ifndef PIPELINE_STORE_SQLITE_DB_H_
#define PIPELINE_STORE_SQLITE_DB_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include "pipeline/base/result.h"
#include "pipeline/base/status.h"

struct sqlite3;
struct sqlite3_stmt;

namespace sortline::store::internal {

// Maps an SQLite result code (primary or extended) to a Status whose message is
// "<operation>: <detail>". SQLITE_FULL and SQLITE_NOMEM -> kResourceExhausted; SQLITE_IOERR,
// SQLITE_CANTOPEN and SQLITE_READONLY -> kIoError; SQLITE_CORRUPT and SQLITE_NOTADB ->
// kDataLoss; SQLITE_BUSY and SQLITE_LOCKED -> kUnavailable; SQLITE_CONSTRAINT ->
// kFailedPrecondition; anything else -> kInternal.
Status SqliteStatus(int rc, std::string_view operation, std::string_view detail);

struct SqliteCloser {
  void operator()(sqlite3* db) const;
};
struct SqliteFinalizer {
  void operator()(sqlite3_stmt* stmt) const;
};
using DbHandle = std::unique_ptr<sqlite3, SqliteCloser>;
using StmtHandle = std::unique_ptr<sqlite3_stmt, SqliteFinalizer>;

struct DbOptions {
  bool synchronous_full = true;  // PRAGMA synchronous=FULL, else NORMAL
  int busy_timeout_ms = 5000;    // how long a write waits for another connection's lock
  uint64_t max_bytes = 0;        // PRAGMA max_page_count from this; 0 = no limit
  // Page cache per connection (PRAGMA cache_size). SQLite's 2 MiB default makes a large
  // transaction (a group commit of many batches) spill pages into the WAL before its
  // commit, writing them twice.
  int cache_kib = 64 * 1024;
};

class Db;

// A cursor over one prepared statement. Destroying it (or Reset) resets the statement
// and clears its bindings, so a cached statement is always handed out clean.
// Bind errors are kept and reported by the next Step/Run.
// REQUIRES: the Db outlives the Statement.
class Statement {
 public:
  Statement(Statement&& other) noexcept;
  Statement& operator=(Statement&&) = delete;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  ~Statement();

  // Parameter indices are 1-based, as in SQLite. Text and blobs are copied.
  Statement& BindInt(int index, int64_t value);
  Statement& BindText(int index, std::string_view value);
  Statement& BindBlob(int index, std::string_view value);
  Statement& BindNull(int index);

  // true: a row is available through the Column accessors; false: the statement is done.
  Result<bool> Step();
  // Steps to completion, discarding any rows.
  Status Run();
  // Ready to bind and step again.
  void Reset();

  // Column indices are 0-based. The views stay valid until the next Step or Reset.
  int64_t ColumnInt(int column) const;
  std::string_view ColumnText(int column) const;
  std::string_view ColumnBlob(int column) const;
  bool ColumnIsNull(int column) const;

 private:
  friend class Db;
  // `in_use` is the cache slot's flag (cleared on destruction); `owned` is set for a
  // statement prepared outside the cache.
  Statement(sqlite3* db, sqlite3_stmt* stmt, bool* in_use, StmtHandle owned);
  Status Error(int rc) const;
  void KeepBindError(int rc, int index);

  sqlite3* db_;
  sqlite3_stmt* stmt_;
  bool* in_use_;
  StmtHandle owned_;
  Status bind_error_;
};

// One connection. Statements are prepared once and cached by their SQL text.
class Db {
 public:
  // Opens or creates `path` and applies journal_mode=WAL (a file must actually end up in
  // WAL mode; ":memory:" cannot), synchronous, busy_timeout, foreign_keys=ON, and
  // max_page_count.
  static Result<std::unique_ptr<Db>> Open(const std::string& path, const DbOptions& options);

  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;

  // A statement for `sql` (one SQL statement). When the cached one is already in use
  // (a nested query), a fresh uncached one is prepared.
  Result<Statement> Prepare(std::string_view sql);

  // Runs one or more SQL statements that return no rows needed by the caller.
  Status Exec(std::string_view sql);

  // The value of the first column of the first row of `sql`, e.g. a PRAGMA.
  Result<int64_t> QueryInt(std::string_view sql);
  Result<std::string> QueryText(std::string_view sql);

  // Rows changed by the most recent INSERT, UPDATE or DELETE.
  int64_t Changes() const;
  // True while a transaction is open.
  bool InTransaction() const;
  // The journal mode in effect ("wal", "memory", ...).
  const std::string& journal_mode() const { return journal_mode_; }

  sqlite3* handle() const { return db_.get(); }

 private:
  struct CachedStatement {
    StmtHandle stmt;
    bool in_use = false;
  };
  // Lets the cache be searched with a string_view, without building a string per lookup.
  struct SqlHash {
    using is_transparent = void;
    size_t operator()(std::string_view sql) const { return std::hash<std::string_view>{}(sql); }
  };
  explicit Db(DbHandle db) : db_(std::move(db)) {}
  Result<StmtHandle> PrepareHandle(std::string_view sql);

  DbHandle db_;
  std::string journal_mode_;
  // Declared after db_ so the statements are finalized before the connection closes.
  std::unordered_map<std::string, std::unique_ptr<CachedStatement>, SqlHash, std::equal_to<>>
      cache_;
};

// A write transaction (BEGIN IMMEDIATE, so the write lock is taken up front and a busy
// database fails at Begin, not halfway). Rolled back on destruction unless committed.
// REQUIRES: the Db outlives the Transaction; no other transaction is open.
class Transaction {
 public:
  static Result<Transaction> Begin(Db& db);
  Transaction(Transaction&& other) noexcept;
  Transaction& operator=(Transaction&&) = delete;
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  ~Transaction();

  // Durable (per the synchronous setting) once this returns OK. On failure the
  // transaction is rolled back.
  Status Commit();

 private:
  explicit Transaction(Db* db) : db_(db) {}
  void Rollback();
  Db* db_;
};

}  // namespace sortline::store::internal

#endif  // PIPELINE_STORE_SQLITE_DB_H_
