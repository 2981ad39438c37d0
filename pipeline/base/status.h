// pipeline/base owns what every layer shares, on the standard library alone: Status and
// Result (result.h), the clock, the file seam every durable write goes through (file.h),
// text from outside (text.h: UTF-8, numbers, Echo), hashes and rate-limited logging.
//
// Status: the outcome of an operation that can fail, as a value.
//
// Thread-safety: a Status is a value type; distinct objects may be used from any thread.
#ifndef PIPELINE_BASE_STATUS_H_
#define PIPELINE_BASE_STATUS_H_

#include <ostream>
#include <string>
#include <string_view>
#include <utility>

namespace sortline {

enum class StatusCode {
  kOk = 0,
  kInvalidArgument,  // the input is wrong; retrying the same input fails again
  kNotFound,
  kAlreadyExists,
  kFailedPrecondition,  // the system is not in a state to do this now
  kUnavailable,         // a peer or resource is temporarily unreachable; retry later
  kResourceExhausted,   // disk full, queue full, out of credit
  kIoError,             // the operating system refused a read or write
  kDataLoss,            // durable state is damaged or an fsync failed
  kInternal,            // a bug
};

std::string_view StatusCodeName(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return Status(); }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }

  // "INVALID_ARGUMENT: weight must be positive"; "OK" when ok().
  std::string ToString() const;

  // Returns a copy whose message is "context: message". OK stays OK.
  Status WithContext(std::string_view context) const;

  // Explicitly discards a Status whose failure is handled by other means.
  void IgnoreError() const {}

  friend bool operator==(const Status& a, const Status& b) {
    return a.code_ == b.code_ && a.message_ == b.message_;
  }

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

std::ostream& operator<<(std::ostream& os, const Status& status);

inline Status InvalidArgument(std::string m) {
  return {StatusCode::kInvalidArgument, std::move(m)};
}
inline Status NotFound(std::string m) { return {StatusCode::kNotFound, std::move(m)}; }
inline Status AlreadyExists(std::string m) { return {StatusCode::kAlreadyExists, std::move(m)}; }
inline Status FailedPrecondition(std::string m) {
  return {StatusCode::kFailedPrecondition, std::move(m)};
}
inline Status Unavailable(std::string m) { return {StatusCode::kUnavailable, std::move(m)}; }
inline Status ResourceExhausted(std::string m) {
  return {StatusCode::kResourceExhausted, std::move(m)};
}
inline Status IoError(std::string m) { return {StatusCode::kIoError, std::move(m)}; }
inline Status DataLoss(std::string m) { return {StatusCode::kDataLoss, std::move(m)}; }
inline Status Internal(std::string m) { return {StatusCode::kInternal, std::move(m)}; }

}  // namespace sortline

// Returns from the enclosing function when `expr` (a Status) is not OK.
#define SORTLINE_RETURN_IF_ERROR(expr)                   \
  do {                                                   \
    ::sortline::Status sortline_status_ = (expr);        \
    if (!sortline_status_.ok()) return sortline_status_; \
  } while (false)

#endif  // PIPELINE_BASE_STATUS_H_
