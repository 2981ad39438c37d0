// Assertions on Status and Result for the store tests.
//
// Thread-safety: test-thread only.
#ifndef TESTS_STORE_STORE_TESTING_H_
#define TESTS_STORE_STORE_TESTING_H_

#include <string>
#include <utility>

#include <gtest/gtest.h>

#include "pipeline/base/result.h"
#include "pipeline/base/status.h"

namespace sortline::store::testing {

inline const Status& StatusOf(const Status& status) { return status; }
template <typename T>
const Status& StatusOf(const Result<T>& result) {
  return result.status();
}

}  // namespace sortline::store::testing

#define STORE_ASSERT_OK(expr)                                                                     \
  do {                                                                                            \
    const auto& store_assert_ok_ = (expr);                                                        \
    ASSERT_TRUE(store_assert_ok_.ok()) << ::sortline::store::testing::StatusOf(store_assert_ok_); \
  } while (false)

#define STORE_ASSERT_OK_AND_ASSIGN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                                     \
  ASSERT_TRUE(tmp.ok()) << tmp.status();                 \
  lhs = std::move(tmp).value()

// `STORE_ASSERT_OK_AND_ASSIGN(auto journal, Journal::Open(path, {}));`
#define STORE_ASSERT_OK_AND_ASSIGN(lhs, expr) \
  STORE_ASSERT_OK_AND_ASSIGN_IMPL_(SORTLINE_CONCAT_(store_result_, __LINE__), lhs, expr)

#endif  // TESTS_STORE_STORE_TESTING_H_
