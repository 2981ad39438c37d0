// Reading an orders file (one order per line) with bounded memory: a line longer than
// the limit is reported with its length, never held whole, so one hostile line of
// gigabytes costs neither memory nor the lines after it.
//
// Thread-safety: an OrdersFileReader is not thread-safe; one owner. CountOrderLines is
// pure apart from reading the file.
#ifndef PIPELINE_MODEL_ORDERS_FILE_H_
#define PIPELINE_MODEL_ORDERS_FILE_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "pipeline/base/result.h"

namespace sortline::model {

struct OrdersFileOptions {
  // A longer line (without its line end) is reported as too long, its text not kept. An
  // order in protobuf JSON is under 1 KB; within OrderLimits' text limits under 32 KB.
  size_t max_line_bytes = 64 * 1024;
};

// One non-blank line of an orders file.
struct OrdersFileLine {
  uint64_t number = 0;  // 1-based line number in the file, blank lines included
  uint64_t bytes = 0;   // length without the line end (LF, or CR LF)
  bool too_long = false;
  std::string text;  // the line without its line end; empty when too_long
};

class OrdersFileReader {
 public:
  // kNotFound / kIoError when `path` cannot be opened.
  static Result<std::unique_ptr<OrdersFileReader>> Open(const std::string& path,
                                                        const OrdersFileOptions& options);
  ~OrdersFileReader();
  OrdersFileReader(const OrdersFileReader&) = delete;
  OrdersFileReader& operator=(const OrdersFileReader&) = delete;

  // The next line holding anything but white space (lines of only spaces, tabs, CRs are
  // skipped, as the file's blank lines are). Returns false at the end of the file;
  // kIoError when reading fails.
  Result<bool> Next(OrdersFileLine* line);

 private:
  OrdersFileReader(int fd, const OrdersFileOptions& options);
  // Reads more of the file into buffer_; false at its end.
  Result<bool> Fill();

  const int fd_;
  const OrdersFileOptions options_;
  std::unique_ptr<char[]> buffer_;
  size_t begin_ = 0;  // unread bytes are buffer_[begin_, end_)
  size_t end_ = 0;
  bool at_end_ = false;
  uint64_t line_number_ = 0;
};

// How many lines OrdersFileReader::Next would return for `path`: the progress total,
// known before the first order is sent. Empty when `path` is not a regular file (a pipe
// can be read only once). kNotFound / kIoError as OrdersFileReader::Open.
Result<std::optional<uint64_t>> CountOrderLines(const std::string& path);

}  // namespace sortline::model

#endif  // PIPELINE_MODEL_ORDERS_FILE_H_
