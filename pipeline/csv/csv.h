// pipeline/csv owns reading and writing CSV: the one place that knows libcsv. Here,
// records: RFC 4180 parsing with line numbers, comment lines, and writing quoted fields.
// pipeline/csv/table.h reads tables whose first row names their columns, with
// FILE:LINE:COLUMN problems. Whole-file reading is the file seam's
// (FileSystem::ReadFile in pipeline/base/file.h).
//
// Thread-safety: pure functions over their arguments.
#ifndef PIPELINE_CSV_CSV_H_
#define PIPELINE_CSV_CSV_H_

#include <functional>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "pipeline/base/status.h"

namespace sortline::csv {

// One parsed record. `line` is the 1-based line where the record starts.
struct CsvRow {
  size_t line = 0;
  std::vector<std::string> fields;
};

struct ParseOptions {
  // Lines whose first non-blank character is '#' are comments: libcsv never sees them
  // (a quote in a comment cannot open a field) and line numbers stay the file's.
  // Default false: '#' is data.
  bool comments = false;
};

// Calls `on_row` for every record of `text`, header included; blank lines are skipped.
// A UTF-8 byte order mark at the start is dropped, and so are the CRs of CRLF line
// ends. A non-OK status from `on_row` stops the parse and is returned as is.
// Malformed quoting and fields that are not valid UTF-8 are kInvalidArgument, as
// "SOURCE:LINE: problem" where `source` names the input.
Status ParseCsv(std::string_view text, std::string_view source,
                const std::function<Status(const CsvRow&)>& on_row, ParseOptions options = {});

// Reads `path` whole (DefaultFileSystem) and parses it; kNotFound / kIoError when it
// cannot be read.
Status ReadCsvFile(const std::string& path, const std::function<Status(const CsvRow&)>& on_row,
                   ParseOptions options = {});

// Appends `fields` as one record and a LF to `out`, each field quoted by libcsv when it
// holds a comma, a quote, CR or LF (quotes inside doubled), so that ParseCsv gives the
// fields back.
void AppendCsvRecord(std::initializer_list<std::string_view> fields, std::string* out);

}  // namespace sortline::csv

#endif  // PIPELINE_CSV_CSV_H_
