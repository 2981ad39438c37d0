// Result<T>: a T or the Status saying why there is none.
//
// Thread-safety: a value type, like T.
#ifndef PIPELINE_BASE_RESULT_H_
#define PIPELINE_BASE_RESULT_H_

#include <cassert>
#include <optional>
#include <utility>

#include "pipeline/base/status.h"

namespace sortline {

template <typename T>
class [[nodiscard]] Result {
 public:
  // REQUIRES: !status.ok(). An OK status without a value is a bug and becomes kInternal.
  Result(Status status) : status_(std::move(status)) {  // NOLINT: implicit by design
    if (status_.ok()) status_ = Internal("Result constructed from OK status without value");
  }
  Result(T value) : value_(std::move(value)) {}  // NOLINT: implicit by design

  bool ok() const { return value_.has_value(); }
  const Status& status() const { return status_; }

  // REQUIRES: ok().
  T& value() & {
    assert(ok());
    return *value_;
  }
  const T& value() const& {
    assert(ok());
    return *value_;
  }
  T&& value() && {
    assert(ok());
    return std::move(*value_);
  }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  Status status_;
  std::optional<T> value_;
};

}  // namespace sortline

#define SORTLINE_CONCAT_INNER_(a, b) a##b
#define SORTLINE_CONCAT_(a, b) SORTLINE_CONCAT_INNER_(a, b)
#define SORTLINE_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                                    \
  if (!tmp.ok()) return tmp.status();                   \
  lhs = std::move(tmp).value()

// `SORTLINE_ASSIGN_OR_RETURN(auto plan, SortPlan::Load(path));`
#define SORTLINE_ASSIGN_OR_RETURN(lhs, expr) \
  SORTLINE_ASSIGN_OR_RETURN_IMPL_(SORTLINE_CONCAT_(sortline_result_, __LINE__), lhs, expr)

#endif  // PIPELINE_BASE_RESULT_H_
