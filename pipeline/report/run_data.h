// What a run left behind, read back for the report: the summary that `sortline run`
// writes as RUN_DIR/summary.json (and `sortline submit --summary FILE` as FILE), and the
// dock records of RUN_DIR/records.jsonl counted in one streaming pass (memory grows with
// the number of chutes, doors and distinct label sizes, not with the records).
//
// Thread-safety: LoadRun is reentrant; a RunData is a value.
#ifndef PIPELINE_REPORT_RUN_DATA_H_
#define PIPELINE_REPORT_RUN_DATA_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "pipeline/base/result.h"
#include "proto/record.pb.h"
#include "proto/report.pb.h"

namespace sortline::report {

// Counts over every record of records.jsonl.
struct RecordCounts {
  uint64_t records = 0;
  std::map<std::string, uint64_t> by_chute;
  std::map<std::string, uint64_t> by_door;
  std::map<std::string, uint64_t> by_province;  // 2-digit GB/T 2260 code; "" when none
  std::map<std::string, uint64_t> by_outcome;   // Outcome name, e.g. OUTCOME_SORTED
  std::map<uint32_t, uint64_t> label_bytes;     // label size -> records with it
  std::map<std::string, uint64_t> plan_versions;
  uint64_t labels_in_batch_files = 0;  // LabelRef.page > 0
  uint64_t labels_in_own_files = 0;    // LabelRef.page == 0 with a path
  uint64_t label_files = 0;            // distinct LabelRef.path
  // A few records with a label to show as samples: the first of each outcome, then
  // sorted parcels of other dock doors, up to the number asked for.
  std::vector<v1::SortRecord> samples;
};

struct RunData {
  std::string dir;           // the run directory (of the summary file)
  std::string summary_path;  // what was read
  v1::RunSummary summary;
  std::string records_path;  // empty when the run has no records file
  RecordCounts records;
  std::string labels_dir;  // where LabelRef paths are relative to
};

struct LoadOptions {
  size_t samples = 4;  // records kept in RecordCounts::samples
};

// `path` is a run directory (its summary.json is read) or a summary file. Records come
// from the summary's records_path, else RUN_DIR/records.jsonl, when either exists.
// Errors: kNotFound without a summary; kInvalidArgument naming the file (and line) when
// the summary or a record is not valid JSON of its message.
Result<RunData> LoadRun(const std::string& path, const LoadOptions& options = {});

}  // namespace sortline::report

#endif  // PIPELINE_REPORT_RUN_DATA_H_
