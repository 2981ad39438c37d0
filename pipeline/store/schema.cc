#include "pipeline/store/schema.h"

#include <string>

namespace sortline::store::internal {
namespace {

Status CheckHistory(const SchemaSpec& spec) {
  if (spec.migrations.empty()) return Internal(std::string(spec.name) + ": no schema migrations");
  for (size_t i = 0; i < spec.migrations.size(); ++i) {
    if (spec.migrations[i].version != static_cast<int32_t>(i + 1)) {
      return Internal(std::string(spec.name) + ": migration " + std::to_string(i) +
                      " is numbered " + std::to_string(spec.migrations[i].version) + ", expected " +
                      std::to_string(i + 1));
    }
  }
  return Status::Ok();
}

// The version recorded in the database, checked against `spec`; 0 for an empty one.
Result<int32_t> RecordedVersion(Db& db, const SchemaSpec& spec) {
  SORTLINE_ASSIGN_OR_RETURN(int64_t application_id, db.QueryInt("PRAGMA application_id"));
  SORTLINE_ASSIGN_OR_RETURN(int64_t version, db.QueryInt("PRAGMA user_version"));
  const int32_t current = CurrentVersion(spec);
  if (application_id == 0 && version == 0) {
    SORTLINE_ASSIGN_OR_RETURN(int64_t objects, db.QueryInt("SELECT count(*) FROM sqlite_schema"));
    if (objects != 0) {
      return FailedPrecondition("database has tables but no sortline schema version");
    }
    return 0;
  }
  if (application_id != spec.application_id) {
    return FailedPrecondition("database belongs to another application (application_id " +
                              std::to_string(application_id) + ", expected " +
                              std::to_string(spec.application_id) + " of a " +
                              std::string(spec.name) + ")");
  }
  if (version > current) {
    return FailedPrecondition(std::string(spec.name) + " schema version " +
                              std::to_string(version) + " is newer than this build's version " +
                              std::to_string(current) +
                              ": a newer sortline wrote it; run that release or newer");
  }
  if (version < 1) {
    return FailedPrecondition(std::string(spec.name) + " schema version " +
                              std::to_string(version) + " is not one sortline ever wrote");
  }
  return static_cast<int32_t>(version);
}

}  // namespace

int32_t CurrentVersion(const SchemaSpec& spec) {
  return spec.migrations.empty() ? 0 : spec.migrations.back().version;
}

Result<int32_t> Migrate(Db& db, const SchemaSpec& spec) {
  SORTLINE_RETURN_IF_ERROR(CheckHistory(spec));
  if (!spec.prepare_new.empty()) {
    SORTLINE_ASSIGN_OR_RETURN(const int32_t before, RecordedVersion(db, spec));
    if (before == 0) SORTLINE_RETURN_IF_ERROR(db.Exec(spec.prepare_new));
  }
  // The version is read inside the write transaction, so two connections opening one
  // database at once migrate it once: the second finds it current.
  SORTLINE_ASSIGN_OR_RETURN(Transaction txn, Transaction::Begin(db));
  SORTLINE_ASSIGN_OR_RETURN(const int32_t found, RecordedVersion(db, spec));
  const int32_t current = CurrentVersion(spec);
  if (found == current) {
    SORTLINE_RETURN_IF_ERROR(txn.Commit());
    return found;
  }
  for (const Migration& step : spec.migrations.subspan(static_cast<size_t>(found))) {
    const std::string context = "migrating " + std::string(spec.name) + " from schema version " +
                                std::to_string(found) + " to " + std::to_string(step.version);
    if (!step.sql.empty()) {
      if (Status s = db.Exec(step.sql); !s.ok()) return s.WithContext(context);
    }
    if (step.apply != nullptr) {
      if (Status s = step.apply(db); !s.ok()) return s.WithContext(context);
    }
  }
  SORTLINE_RETURN_IF_ERROR(db.Exec("PRAGMA application_id=" + std::to_string(spec.application_id) +
                                   ";PRAGMA user_version=" + std::to_string(current)));
  SORTLINE_RETURN_IF_ERROR(txn.Commit());
  return found;
}

Result<bool> HasColumn(Db& db, std::string_view table, std::string_view column) {
  SORTLINE_ASSIGN_OR_RETURN(
      Statement stmt, db.Prepare("SELECT count(*) FROM pragma_table_info(?1) WHERE name = ?2"));
  stmt.BindText(1, table).BindText(2, column);
  SORTLINE_ASSIGN_OR_RETURN(bool row, stmt.Step());
  return row && stmt.ColumnInt(0) > 0;
}

}  // namespace sortline::store::internal
