// Internal to store/: the schema of each SQLite database as a numbered history of
// migrations, and the one runner that brings a database up to this build's version.
//
// A database records which schema it holds in its header: PRAGMA application_id tells a
// journal from a dock store, PRAGMA user_version is the number of the last migration
// applied. Opening runs every migration after that number, all in one write
// transaction, so a database is either at its old version or at the new one, never in
// between (a crash or a failed step leaves it as it was). A schema change is only ever a
// new migration at the end of the list: released migrations are never edited, and no
// table or column is patched in outside the version.
//
// Thread-safety: pure functions over a Db the caller owns (see sqlite_db.h).
#ifndef PIPELINE_STORE_SCHEMA_H_
#define PIPELINE_STORE_SCHEMA_H_

#include <cstdint>
#include <span>
#include <string_view>

#include "pipeline/base/result.h"
#include "pipeline/base/status.h"
#include "pipeline/store/sqlite_db.h"

namespace sortline::store::internal {

// One step of a schema's history: takes a database from version `version - 1` to
// `version`. `sql` runs first (when not empty), then `apply` (when set) for what SQL
// alone cannot say: moving data, or tolerating what a release wrote outside the version.
struct Migration {
  int32_t version;
  std::string_view sql;
  Status (*apply)(Db& db) = nullptr;
};

struct SchemaSpec {
  std::string_view name;   // "journal", "dock store": names the database in errors
  int32_t application_id;  // PRAGMA application_id of this kind of database
  // Versions 1, 2, ... in order; the last one is the version this build writes.
  std::span<const Migration> migrations;
  // Runs on a new, empty database before its first table, outside any transaction
  // (settings such as auto_vacuum that only an empty database takes); may be empty.
  std::string_view prepare_new;
};

// The version this build writes: the last migration's.
int32_t CurrentVersion(const SchemaSpec& spec);

// Brings the database to CurrentVersion(spec): creates it in an empty database, runs the
// migrations after its recorded version in one transaction, or accepts it as it is.
// Returns the version found (0 for a new database).
// kFailedPrecondition, nothing changed, for: a database of another application; tables
// without a sortline schema version; a version newer than this build's (the error names
// both, as a newer release wrote it and this binary cannot know its format). A failing
// migration's error names the version it was migrating to; the database is left at its
// old version.
Result<int32_t> Migrate(Db& db, const SchemaSpec& spec);

// Whether `table` has a column named `column`. For migrations that must accept a
// database that already has the column (a release added it outside the version).
Result<bool> HasColumn(Db& db, std::string_view table, std::string_view column);

}  // namespace sortline::store::internal

#endif  // PIPELINE_STORE_SCHEMA_H_
