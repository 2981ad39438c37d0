// Reading CSV files with libcsv (RFC 4180 quoting), one callback per record.
//
// Thread-safety: pure functions over their arguments.
#ifndef PIPELINE_MODEL_CSV_H_
#define PIPELINE_MODEL_CSV_H_

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "pipeline/base/status.h"

namespace sortline::model {

// One parsed record. `line` is the 1-based line where the record starts.
struct CsvRow {
  size_t line = 0;
  std::vector<std::string> fields;
};

// Calls `on_row` for every record of `text`, header included; blank lines are skipped.
// A UTF-8 byte order mark at the start is dropped, and so are the CRs of CRLF line
// ends. A non-OK status from `on_row` stops the parse and is returned as is.
// Malformed quoting and fields that are not valid UTF-8 are kInvalidArgument, as
// "SOURCE:LINE: problem" where `source` names the input.
Status ParseCsv(std::string_view text, std::string_view source,
                const std::function<Status(const CsvRow&)>& on_row);

// Reads `path` whole and parses it; kNotFound / kIoError when it cannot be read.
Status ReadCsvFile(const std::string& path, const std::function<Status(const CsvRow&)>& on_row);

// Reads a whole file into memory.
Status ReadFileToString(const std::string& path, std::string* out);

}  // namespace sortline::model

#endif  // PIPELINE_MODEL_CSV_H_
