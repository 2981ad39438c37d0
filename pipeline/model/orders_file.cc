#include "pipeline/model/orders_file.h"

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace sortline::model {
namespace {

constexpr size_t kBufferBytes = 256 * 1024;

bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

Result<int> OpenForReading(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    int err = errno;
    std::string message = "cannot open orders file " + path + ": " + std::strerror(err);
    return err == ENOENT ? NotFound(std::move(message)) : IoError(std::move(message));
  }
  struct stat st {};
  if (::fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
    ::close(fd);
    return IoError("orders file " + path + " is a directory");
  }
  return fd;
}

}  // namespace

Result<std::unique_ptr<OrdersFileReader>> OrdersFileReader::Open(const std::string& path,
                                                                 const OrdersFileOptions& options) {
  SORTLINE_ASSIGN_OR_RETURN(int fd, OpenForReading(path));
  return std::unique_ptr<OrdersFileReader>(new OrdersFileReader(fd, options));
}

OrdersFileReader::OrdersFileReader(int fd, const OrdersFileOptions& options)
    : fd_(fd), options_(options), buffer_(new char[kBufferBytes]) {}

OrdersFileReader::~OrdersFileReader() { ::close(fd_); }

Result<bool> OrdersFileReader::Fill() {
  begin_ = 0;
  end_ = 0;
  while (!at_end_) {
    ssize_t n = ::read(fd_, buffer_.get(), kBufferBytes);
    if (n < 0) {
      if (errno == EINTR) continue;
      return IoError(std::string("reading the orders file: ") + std::strerror(errno));
    }
    if (n == 0) {
      at_end_ = true;
      break;
    }
    end_ = static_cast<size_t>(n);
    return true;
  }
  return false;
}

Result<bool> OrdersFileReader::Next(OrdersFileLine* line) {
  // Kept: the text up to the limit plus one byte, so that a line of exactly the limit
  // followed by CR LF is still whole after its CR is dropped.
  const size_t keep = options_.max_line_bytes + 1;
  while (true) {
    line->text.clear();
    uint64_t bytes = 0;
    bool blank = true;
    bool started = false;
    char last = '\0';
    while (true) {
      if (begin_ == end_) {
        SORTLINE_ASSIGN_OR_RETURN(bool more, Fill());
        if (!more) break;
      }
      started = true;
      const char* from = buffer_.get() + begin_;
      const size_t available = end_ - begin_;
      const void* newline = std::memchr(from, '\n', available);
      const size_t n = newline != nullptr
                           ? static_cast<size_t>(static_cast<const char*>(newline) - from)
                           : available;
      if (blank) blank = std::all_of(from, from + n, IsSpace);
      if (line->text.size() < keep) {
        line->text.append(from, std::min(n, keep - line->text.size()));
      }
      if (n > 0) last = from[n - 1];
      bytes += n;
      begin_ += n + (newline != nullptr ? 1 : 0);
      if (newline != nullptr) break;
    }
    if (!started) return false;
    ++line_number_;
    if (blank) continue;
    if (last == '\r') {
      --bytes;
      if (line->text.size() > bytes) line->text.resize(bytes);
    }
    line->number = line_number_;
    line->bytes = bytes;
    line->too_long = bytes > options_.max_line_bytes;
    if (line->too_long) line->text.clear();
    return true;
  }
}

Result<std::optional<uint64_t>> CountOrderLines(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0 && !S_ISREG(st.st_mode)) return std::optional<uint64_t>();
  OrdersFileOptions options;
  options.max_line_bytes = 0;  // count, keep nothing
  SORTLINE_ASSIGN_OR_RETURN(std::unique_ptr<OrdersFileReader> reader,
                            OrdersFileReader::Open(path, options));
  uint64_t count = 0;
  OrdersFileLine line;
  while (true) {
    SORTLINE_ASSIGN_OR_RETURN(bool more, reader->Next(&line));
    if (!more) break;
    ++count;
  }
  return std::optional<uint64_t>(count);
}

}  // namespace sortline::model
