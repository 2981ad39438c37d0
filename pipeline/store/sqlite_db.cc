#include "pipeline/store/sqlite_db.h"

#include <algorithm>
#include <utility>

#include <sqlite3.h>

namespace sortline::store::internal {
namespace {

// How much of a statement's SQL names the failing operation in an error message.
constexpr size_t kSqlExcerpt = 72;

StatusCode CodeFor(int rc) {
  // A failed fsync or write leaves the file's state unknown: retrying the fsync may
  // report success for data the kernel already dropped. The owner must stop and recover
  // from the database on restart, so these are data loss, never a retryable I/O error.
  switch (rc) {
    case SQLITE_IOERR_FSYNC:
    case SQLITE_IOERR_DIR_FSYNC:
    case SQLITE_IOERR_WRITE:
      return StatusCode::kDataLoss;
    default:
      break;
  }
  switch (rc & 0xff) {
    case SQLITE_FULL:
    case SQLITE_NOMEM:
      return StatusCode::kResourceExhausted;
    case SQLITE_IOERR:
    case SQLITE_CANTOPEN:
    case SQLITE_READONLY:
      return StatusCode::kIoError;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return StatusCode::kDataLoss;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return StatusCode::kUnavailable;
    case SQLITE_CONSTRAINT:
      return StatusCode::kFailedPrecondition;
    default:
      return StatusCode::kInternal;
  }
}

std::string Excerpt(sqlite3_stmt* stmt) {
  const char* sql = sqlite3_sql(stmt);
  if (sql == nullptr) return "statement";
  std::string_view text(sql);
  if (text.size() <= kSqlExcerpt) return std::string(text);
  return std::string(text.substr(0, kSqlExcerpt)) + "...";
}

}  // namespace

Status SqliteStatus(int rc, std::string_view operation, std::string_view detail) {
  std::string message(operation);
  message += ": ";
  message += detail;
  message += " (sqlite ";
  message += std::to_string(rc);
  message += ")";
  return Status(CodeFor(rc), std::move(message));
}

void SqliteCloser::operator()(sqlite3* db) const { sqlite3_close_v2(db); }
void SqliteFinalizer::operator()(sqlite3_stmt* stmt) const { sqlite3_finalize(stmt); }

// ---- Statement ----------------------------------------------------------------------

Statement::Statement(sqlite3* db, sqlite3_stmt* stmt, bool* in_use, StmtHandle owned)
    : db_(db), stmt_(stmt), in_use_(in_use), owned_(std::move(owned)) {}

Statement::Statement(Statement&& other) noexcept
    : db_(other.db_),
      stmt_(std::exchange(other.stmt_, nullptr)),
      in_use_(std::exchange(other.in_use_, nullptr)),
      owned_(std::move(other.owned_)),
      bind_error_(std::move(other.bind_error_)) {}

Statement::~Statement() {
  if (stmt_ == nullptr) return;
  Reset();
  if (in_use_ != nullptr) *in_use_ = false;
}

void Statement::KeepBindError(int rc, int index) {
  if (rc == SQLITE_OK || !bind_error_.ok()) return;
  bind_error_ = Error(rc).WithContext("bind parameter " + std::to_string(index));
}

Statement& Statement::BindInt(int index, int64_t value) {
  KeepBindError(sqlite3_bind_int64(stmt_, index, value), index);
  return *this;
}

Statement& Statement::BindText(int index, std::string_view value) {
  KeepBindError(
      sqlite3_bind_text64(stmt_, index, value.data(), value.size(), SQLITE_TRANSIENT, SQLITE_UTF8),
      index);
  return *this;
}

Statement& Statement::BindBlob(int index, std::string_view value) {
  // A zero-length blob with a null pointer would bind NULL; keep it an empty blob.
  static const char kEmpty = 0;
  const void* data = value.empty() ? &kEmpty : value.data();
  KeepBindError(sqlite3_bind_blob64(stmt_, index, data, value.size(), SQLITE_TRANSIENT), index);
  return *this;
}

Statement& Statement::BindNull(int index) {
  KeepBindError(sqlite3_bind_null(stmt_, index), index);
  return *this;
}

Result<bool> Statement::Step() {
  if (!bind_error_.ok()) return bind_error_;
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return Error(rc);
}

Status Statement::Run() {
  while (true) {
    SORTLINE_ASSIGN_OR_RETURN(bool row, Step());
    if (!row) return Status::Ok();
  }
}

void Statement::Reset() {
  // sqlite3_reset repeats the error of the last step, which Step already reported.
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
  bind_error_ = Status::Ok();
}

int64_t Statement::ColumnInt(int column) const { return sqlite3_column_int64(stmt_, column); }

std::string_view Statement::ColumnText(int column) const {
  const unsigned char* text = sqlite3_column_text(stmt_, column);
  if (text == nullptr) return {};
  return {reinterpret_cast<const char*>(text),
          static_cast<size_t>(sqlite3_column_bytes(stmt_, column))};
}

std::string_view Statement::ColumnBlob(int column) const {
  const void* blob = sqlite3_column_blob(stmt_, column);
  if (blob == nullptr) return {};
  return {static_cast<const char*>(blob), static_cast<size_t>(sqlite3_column_bytes(stmt_, column))};
}

bool Statement::ColumnIsNull(int column) const {
  return sqlite3_column_type(stmt_, column) == SQLITE_NULL;
}

Status Statement::Error(int rc) const {
  return SqliteStatus(rc, Excerpt(stmt_), sqlite3_errmsg(db_));
}

// ---- Db -----------------------------------------------------------------------------

Result<std::unique_ptr<Db>> Db::Open(const std::string& path, const DbOptions& options) {
  sqlite3* raw = nullptr;
  int rc =
      sqlite3_open_v2(path.c_str(), &raw,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  DbHandle handle(raw);  // SQLite allocates a handle even when the open fails
  if (rc != SQLITE_OK) {
    return SqliteStatus(rc, "open " + path,
                        raw != nullptr ? sqlite3_errmsg(raw) : sqlite3_errstr(rc));
  }
  sqlite3_extended_result_codes(raw, 1);
  sqlite3_busy_timeout(raw, options.busy_timeout_ms);
  std::unique_ptr<Db> db(new Db(std::move(handle)));

  auto context = [&path](const Status& s) { return s.WithContext("open " + path); };
  Result<std::string> mode = db->QueryText("PRAGMA journal_mode=WAL");
  if (!mode.ok()) return context(mode.status());
  db->journal_mode_ = *mode;
  // An in-memory database reports "memory" and cannot use WAL; a file must.
  if (db->journal_mode_ != "wal" && db->journal_mode_ != "memory") {
    return FailedPrecondition("open " + path + ": journal_mode is " + db->journal_mode_ +
                              ", WAL is required");
  }
  Status s =
      db->Exec(options.synchronous_full ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL");
  if (s.ok()) s = db->Exec("PRAGMA foreign_keys=ON");
  if (s.ok()) s = db->Exec("PRAGMA cache_size=-" + std::to_string(options.cache_kib));
  if (s.ok() && options.max_bytes > 0) {
    Result<int64_t> page_size = db->QueryInt("PRAGMA page_size");
    if (!page_size.ok()) return context(page_size.status());
    uint64_t pages = std::max<uint64_t>(1, options.max_bytes / static_cast<uint64_t>(*page_size));
    s = db->Exec("PRAGMA max_page_count=" + std::to_string(pages));
  }
  if (!s.ok()) return context(s);
  return db;
}

Result<StmtHandle> Db::PrepareHandle(std::string_view sql) {
  sqlite3_stmt* raw = nullptr;
  const char* tail = nullptr;
  int rc = sqlite3_prepare_v3(db_.get(), sql.data(), static_cast<int>(sql.size()),
                              SQLITE_PREPARE_PERSISTENT, &raw, &tail);
  StmtHandle stmt(raw);
  std::string_view excerpt = sql.substr(0, kSqlExcerpt);
  if (rc != SQLITE_OK) {
    return SqliteStatus(rc, "prepare " + std::string(excerpt), sqlite3_errmsg(db_.get()));
  }
  if (stmt == nullptr) return Internal("prepare: no statement in \"" + std::string(excerpt) + "\"");
  return stmt;
}

Result<Statement> Db::Prepare(std::string_view sql) {
  auto it = cache_.find(sql);
  if (it == cache_.end()) {
    SORTLINE_ASSIGN_OR_RETURN(StmtHandle stmt, PrepareHandle(sql));
    auto entry = std::make_unique<CachedStatement>();
    entry->stmt = std::move(stmt);
    it = cache_.emplace(std::string(sql), std::move(entry)).first;
  }
  CachedStatement& entry = *it->second;
  if (entry.in_use) {
    SORTLINE_ASSIGN_OR_RETURN(StmtHandle stmt, PrepareHandle(sql));
    sqlite3_stmt* raw = stmt.get();
    return Statement(db_.get(), raw, nullptr, std::move(stmt));
  }
  entry.in_use = true;
  return Statement(db_.get(), entry.stmt.get(), &entry.in_use, nullptr);
}

Status Db::Exec(std::string_view sql) {
  std::string text(sql);
  int rc = sqlite3_exec(db_.get(), text.c_str(), nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) {
    return SqliteStatus(rc, std::string(sql.substr(0, kSqlExcerpt)), sqlite3_errmsg(db_.get()));
  }
  return Status::Ok();
}

Result<int64_t> Db::QueryInt(std::string_view sql) {
  SORTLINE_ASSIGN_OR_RETURN(Statement stmt, Prepare(sql));
  SORTLINE_ASSIGN_OR_RETURN(bool row, stmt.Step());
  if (!row) return Internal(std::string(sql) + ": no row");
  return stmt.ColumnInt(0);
}

Result<std::string> Db::QueryText(std::string_view sql) {
  SORTLINE_ASSIGN_OR_RETURN(Statement stmt, Prepare(sql));
  SORTLINE_ASSIGN_OR_RETURN(bool row, stmt.Step());
  if (!row) return Internal(std::string(sql) + ": no row");
  return std::string(stmt.ColumnText(0));
}

int64_t Db::Changes() const { return sqlite3_changes64(db_.get()); }

bool Db::InTransaction() const { return sqlite3_get_autocommit(db_.get()) == 0; }

// ---- Transaction --------------------------------------------------------------------

Result<Transaction> Transaction::Begin(Db& db) {
  SORTLINE_ASSIGN_OR_RETURN(Statement begin, db.Prepare("BEGIN IMMEDIATE"));
  SORTLINE_RETURN_IF_ERROR(begin.Run());
  return Transaction(&db);
}

Transaction::Transaction(Transaction&& other) noexcept : db_(std::exchange(other.db_, nullptr)) {}

Transaction::~Transaction() {
  if (db_ != nullptr) Rollback();
}

Status Transaction::Commit() {
  Db* db = std::exchange(db_, nullptr);
  Status s;
  {
    Result<Statement> commit = db->Prepare("COMMIT");
    s = commit.ok() ? commit->Run() : commit.status();
  }
  // A failed COMMIT may leave the transaction open (e.g. SQLITE_BUSY); end it.
  if (!s.ok() && db->InTransaction()) {
    db_ = db;
    Rollback();
  }
  return s;
}

void Transaction::Rollback() {
  Db* db = std::exchange(db_, nullptr);
  // SQLite may already have rolled back after an I/O or full-disk error.
  if (!db->InTransaction()) return;
  // A failed ROLLBACK leaves nothing better to do; the next Begin reports the state.
  db->Exec("ROLLBACK").IgnoreError();
}

}  // namespace sortline::store::internal
