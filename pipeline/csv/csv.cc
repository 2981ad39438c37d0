#include "pipeline/csv/csv.h"

#include <algorithm>
#include <memory>
#include <string>
#include <utility>

#include <csv.h>

#include "pipeline/base/file.h"
#include "pipeline/base/text.h"

namespace sortline::csv {
namespace {

constexpr std::string_view kUtf8Bom = "\xEF\xBB\xBF";
// Input is handed to libcsv in slices of this size so that a failing row callback
// stops the parse within one slice instead of at the end of a large file.
constexpr size_t kSliceBytes = 64 * 1024;

size_t CountNewlines(const char* data, size_t len) {
  size_t n = 0;
  for (size_t i = 0; i < len; ++i) n += data[i] == '\n';
  return n;
}

// `text` with its comment lines emptied (their LF kept), so that libcsv never sees them
// and line numbers stay those of the file.
std::string BlankComments(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  size_t pos = 0;
  while (pos < text.size()) {
    const size_t end = text.find('\n', pos);
    const size_t next = end == std::string_view::npos ? text.size() : end + 1;
    const std::string_view line = text.substr(pos, next - pos);
    const size_t first = line.find_first_not_of(" \t");
    if (first != std::string_view::npos && line[first] == '#') {
      if (end != std::string_view::npos) out += '\n';
    } else {
      out.append(line);
    }
    pos = next;
  }
  return out;
}

struct ParserDeleter {
  void operator()(csv_parser* p) const {
    csv_free(p);
    delete p;
  }
};

// State shared with libcsv's C callbacks through their `void*` argument.
class RowCollector {
 public:
  RowCollector(std::string_view source, const std::function<Status(const CsvRow&)>& on_row)
      : source_(source), on_row_(on_row) {
    row_.line = 1;
  }

  static void OnField(void* data, size_t len, void* self) {
    static_cast<RowCollector*>(self)->Field(static_cast<const char*>(data), len);
  }
  static void OnRecordEnd(int terminator, void* self) {
    static_cast<RowCollector*>(self)->RecordEnd(terminator);
  }

  // The first error: a bad field or the callback's own failure. Later rows are dropped.
  const Status& status() const { return status_; }
  // The line where the record being collected started.
  size_t record_line() const { return row_.line; }

 private:
  void Field(const char* data, size_t len) {
    if (!status_.ok()) return;
    std::string_view field(len == 0 ? "" : data, len);
    if (!IsValidUtf8(field)) {
      status_ = InvalidArgument(std::string(source_) + ":" + std::to_string(row_.line) +
                                ": field " + std::to_string(row_.fields.size() + 1) +
                                " is not valid UTF-8 (save the file as UTF-8)");
      return;
    }
    row_.fields.emplace_back(field);
    // Newlines inside quoted fields reach us only as field data.
    line_ += CountNewlines(field.data(), field.size());
    in_record_ = true;
  }

  // With CSV_REPALL_NL libcsv reports every unquoted CR and LF, blank lines included,
  // so the line count stays exact; a record starts on the line after the previous end.
  void RecordEnd(int terminator) {
    if (status_.ok() && in_record_) {
      status_ = on_row_(row_);
    }
    row_.fields.clear();
    in_record_ = false;
    if (terminator == '\n') ++line_;
    row_.line = line_;
  }

  std::string_view source_;
  const std::function<Status(const CsvRow&)>& on_row_;
  Status status_;
  CsvRow row_;
  size_t line_ = 1;
  bool in_record_ = false;
};

}  // namespace

Status ParseCsv(std::string_view text, std::string_view source,
                const std::function<Status(const CsvRow&)>& on_row, ParseOptions options) {
  if (text.substr(0, kUtf8Bom.size()) == kUtf8Bom) text.remove_prefix(kUtf8Bom.size());
  std::string uncommented;
  if (options.comments) {
    uncommented = BlankComments(text);
    text = uncommented;
  }

  std::unique_ptr<csv_parser, ParserDeleter> parser(new csv_parser);
  if (csv_init(parser.get(), CSV_STRICT | CSV_STRICT_FINI | CSV_REPALL_NL) != 0) {
    return Internal("csv_init failed");
  }
  RowCollector collector(source, on_row);
  size_t offset = 0;
  while (offset < text.size() && collector.status().ok()) {
    size_t len = std::min(kSliceBytes, text.size() - offset);
    size_t parsed = csv_parse(parser.get(), text.data() + offset, len, &RowCollector::OnField,
                              &RowCollector::OnRecordEnd, &collector);
    if (parsed != len) {
      size_t line = 1 + CountNewlines(text.data(), offset + parsed);
      return InvalidArgument(std::string(source) + ":" + std::to_string(line) +
                             ": malformed CSV quoting (" + csv_strerror(csv_error(parser.get())) +
                             ")");
    }
    offset += len;
  }
  if (!collector.status().ok()) return collector.status();
  if (csv_fini(parser.get(), &RowCollector::OnField, &RowCollector::OnRecordEnd, &collector) != 0) {
    return InvalidArgument(std::string(source) + ":" + std::to_string(collector.record_line()) +
                           ": malformed CSV quoting (a quoted field is not closed)");
  }
  return collector.status();
}

Status ReadCsvFile(const std::string& path, const std::function<Status(const CsvRow&)>& on_row,
                   ParseOptions options) {
  std::string text;
  SORTLINE_RETURN_IF_ERROR(DefaultFileSystem().ReadFile(path, &text));
  return ParseCsv(text, path, on_row, options);
}

void AppendCsvRecord(std::initializer_list<std::string_view> fields, std::string* out) {
  bool first = true;
  for (std::string_view field : fields) {
    if (!first) out->push_back(',');
    first = false;
    if (field.find_first_of(",\"\r\n") == std::string_view::npos) {
      out->append(field);
      continue;
    }
    // csv_write quotes the whole field and doubles the quotes inside; it returns the
    // size it needs, so one call with no room measures and the second writes.
    const size_t start = out->size();
    out->resize(start + csv_write(nullptr, 0, field.data(), field.size()));
    out->resize(start +
                csv_write(out->data() + start, out->size() - start, field.data(), field.size()));
  }
  out->push_back('\n');
}

}  // namespace sortline::csv
