// Reading a CSV table whose first row names its columns: the one way the plan tables,
// the division tables and the keys table match their headers and report problems.
//
// A reader lists the columns it knows (an enum indexes them), matches the header row
// against them with a Header, then sees each data row through a Row: fields by column,
// typed getters, and problems located as "FILE:LINE:COLUMN: problem" (COLUMN is the
// 1-based CSV field; 1 when the column is absent) so that a spreadsheet user finds the
// cell.
//
// Thread-safety: a Header is immutable once built; a Row borrows its Header, its record
// and its problem list, and is used by one thread.
#ifndef PIPELINE_CSV_TABLE_H_
#define PIPELINE_CSV_TABLE_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "pipeline/csv/csv.h"

namespace sortline::csv {

// "SOURCE:LINE:COLUMN: ", or "SOURCE:LINE: " when `column` is 0: the start of a problem.
std::string Where(std::string_view source, size_t line, size_t column = 0);

// A column a table knows, by its header name.
struct Column {
  std::string_view name;
  bool required = false;
};

// What a header row says about a table's columns: which field holds each.
class Header {
 public:
  // What a header field naming none of the columns is.
  enum class Unknown { kProblem, kIgnored };

  // Matches `row` (the header) from `source` against `columns`, which must outlive the
  // Header. Appends to `problems`: with Unknown::kProblem each field naming no column
  // ("unknown column "x" in a rules table", at that field), then each required column
  // missing ("the rules table needs a column "x"", at column 1); `table` names the
  // table in them. A column named twice is read from its first field.
  Header(std::string_view source, std::string_view table, std::span<const Column> columns,
         const CsvRow& row, Unknown unknown, std::vector<std::string>* problems);

  // True when every required column is present and, with Unknown::kProblem, no field
  // is unknown.
  bool complete() const { return complete_; }
  bool has(size_t column) const { return field_[column] >= 0; }
  // The 1-based CSV field that holds `column`; 1 when the table lacks it.
  size_t field_number(size_t column) const;
  // The number of fields up to the last column present: a data row needs that many.
  size_t width() const;
  size_t line() const { return line_; }
  std::string_view source() const { return source_; }
  std::string_view name(size_t column) const { return columns_[column].name; }

 private:
  friend class Row;
  std::string_view source_;
  std::span<const Column> columns_;
  std::vector<int> field_;  // per column: its CSV field (0-based), -1 when absent
  size_t line_ = 0;
  bool complete_ = true;
};

// One data row seen through its table's Header.
class Row {
 public:
  // Borrows all three; `problems` receives what the getters find (may be null when the
  // reader calls none of Problem, Integer and PositiveDecimal).
  Row(const Header& header, const CsvRow& row, std::vector<std::string>* problems)
      : header_(header), row_(row), problems_(problems) {}

  // The field of `column`; empty when the table lacks the column or the row is short.
  std::string_view operator[](size_t column) const;
  bool empty(size_t column) const { return (*this)[column].empty(); }
  size_t line() const { return row_.line; }
  // The number of fields the record has.
  size_t size() const { return row_.fields.size(); }

  // The 1-based CSV field of `column` (Header::field_number).
  size_t field(size_t column) const { return header_.field_number(column); }
  // "SOURCE:LINE:COLUMN: " for `column`'s cell.
  std::string At(size_t column) const;
  // Appends At(column) + what to the problems.
  void Problem(size_t column, std::string_view what);

  // The field as a whole number in [min, max] (ParseInteger, pipeline/base/text.h). Otherwise
  // nullopt and the problem `NAME "VALUE" is not EXPECTED`.
  std::optional<int64_t> Integer(size_t column, int64_t min, int64_t max,
                                 std::string_view expected);
  // The field as a positive decimal of at most 3 decimals times `scale` ("12.5" at 1000:
  // 12500). Otherwise nullopt and the problem `NAME "VALUE" is not a positive number`.
  // REQUIRES: scale is 1000 or a larger power of ten.
  std::optional<int64_t> PositiveDecimal(size_t column, int64_t scale);

 private:
  const Header& header_;
  const CsvRow& row_;
  std::vector<std::string>* problems_;
};

}  // namespace sortline::csv

#endif  // PIPELINE_CSV_TABLE_H_
