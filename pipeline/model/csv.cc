#include "pipeline/model/csv.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>
#include <utility>

#include <csv.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pipeline/base/text.h"

namespace sortline::model {
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
                const std::function<Status(const CsvRow&)>& on_row) {
  if (text.substr(0, kUtf8Bom.size()) == kUtf8Bom) text.remove_prefix(kUtf8Bom.size());

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

Status ReadFileToString(const std::string& path, std::string* out) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    int err = errno;
    std::string message = path + ": " + std::strerror(err);
    return err == ENOENT ? NotFound(std::move(message)) : IoError(std::move(message));
  }
  struct FdCloser {
    int fd;
    ~FdCloser() { ::close(fd); }
  } closer{fd};

  struct stat st {};
  if (::fstat(fd, &st) != 0) return IoError(path + ": " + std::strerror(errno));
  if (S_ISDIR(st.st_mode)) return IoError(path + ": is a directory");
  out->clear();
  if (st.st_size > 0) out->reserve(static_cast<size_t>(st.st_size));
  char buffer[64 * 1024];
  for (;;) {
    ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0) {
      if (errno == EINTR) continue;
      return IoError(path + ": " + std::strerror(errno));
    }
    if (n == 0) break;
    out->append(buffer, static_cast<size_t>(n));
  }
  return Status::Ok();
}

Status ReadCsvFile(const std::string& path, const std::function<Status(const CsvRow&)>& on_row) {
  std::string text;
  SORTLINE_RETURN_IF_ERROR(ReadFileToString(path, &text));
  return ParseCsv(text, path, on_row);
}

}  // namespace sortline::model
