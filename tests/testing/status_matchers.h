// GoogleTest helpers for Status and Result<T> (in the spirit of Abseil's
// status_matchers.h): ASSERT_OK / EXPECT_OK print the status when it is not OK, and
// StatusIs matches a Status or a Result's status by code and, optionally, message.
//
//   ASSERT_OK(journal->Submit(batch));
//   ASSERT_OK(plan) << "while loading " << path;
//   EXPECT_THAT(plan.status(), StatusIs(StatusCode::kInvalidArgument, HasSubstr("rules.csv:3")));
//   ASSERT_OK_AND_ASSIGN(auto journal, Journal::Open(path, {}));
//
// Thread-safety: as GoogleTest's assertions.
#ifndef TESTS_TESTING_STATUS_MATCHERS_H_
#define TESTS_TESTING_STATUS_MATCHERS_H_

#include <string>
#include <utility>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "pipeline/base/result.h"
#include "pipeline/base/status.h"

namespace sortline::testing {

inline const Status& GetStatus(const Status& status) { return status; }
template <typename T>
const Status& GetStatus(const Result<T>& result) {
  return result.status();
}

// Matches a Status or Result<T> whose code is `code` and whose message matches
// `message` (anything by default).
MATCHER_P2(StatusIsMatcher, code, message,
           "status " + std::string(StatusCodeName(code)) + " with a message that " +
               ::testing::DescribeMatcher<std::string>(message)) {
  const Status& status = ::sortline::testing::GetStatus(arg);
  *result_listener << "which is " << status.ToString();
  return status.code() == code &&
         ::testing::ExplainMatchResult(message, status.message(), result_listener);
}

template <typename MessageMatcher>
auto StatusIs(StatusCode code, MessageMatcher message) {
  return StatusIsMatcher(code, message);
}
inline auto StatusIs(StatusCode code) { return StatusIsMatcher(code, ::testing::_); }

}  // namespace sortline::testing

// The status is copied, so a temporary Result may be checked; more context may be
// streamed after it, as after any GoogleTest assertion.
#define SORTLINE_STATUS_CHECK_(expr, fail)                                              \
  GTEST_AMBIGUOUS_ELSE_BLOCKER_                                                         \
  if (const ::sortline::Status sortline_status_ = ::sortline::testing::GetStatus(expr); \
      sortline_status_.ok())                                                            \
    ;                                                                                   \
  else                                                                                  \
    fail() << #expr << " is " << sortline_status_ << " "

// Fails the test (ASSERT: and returns) when `expr`, a Status or Result<T>, is not OK.
#define ASSERT_OK(expr) SORTLINE_STATUS_CHECK_(expr, GTEST_FAIL)
#define EXPECT_OK(expr) SORTLINE_STATUS_CHECK_(expr, ADD_FAILURE)

// `ASSERT_OK_AND_ASSIGN(auto journal, Journal::Open(path, {}));` fails the test (and
// returns) when the Result is not OK, and otherwise moves its value into `lhs`.
#define ASSERT_OK_AND_ASSIGN(lhs, expr) \
  SORTLINE_ASSERT_OK_AND_ASSIGN_(SORTLINE_CONCAT_(sortline_result_, __LINE__), lhs, expr)
#define SORTLINE_ASSERT_OK_AND_ASSIGN_(result, lhs, expr) \
  auto result = (expr);                                   \
  ASSERT_OK(result);                                      \
  lhs = std::move(result).value()

#endif  // TESTS_TESTING_STATUS_MATCHERS_H_
