#include <memory>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest-spi.h>
#include <gtest/gtest.h>

#include "pipeline/base/hash.h"
#include "pipeline/base/result.h"
#include "pipeline/base/status.h"
#include "tests/testing/status_matchers.h"

namespace sortline {
namespace {

Result<int> Half(int n) {
  if (n % 2 != 0) return InvalidArgument("odd: " + std::to_string(n));
  return n / 2;
}

Result<int> Quarter(int n) {
  SORTLINE_ASSIGN_OR_RETURN(int half, Half(n));
  SORTLINE_ASSIGN_OR_RETURN(int quarter, Half(half));
  return quarter;
}

TEST(Status, DefaultIsOkAndPrintsOk) {
  Status s;
  EXPECT_OK(s);
  EXPECT_EQ(s.ToString(), "OK");
}

TEST(Status, ErrorCarriesCodeAndMessage) {
  Status s = NotFound("no plan at /x");
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kNotFound);
  EXPECT_EQ(s.ToString(), "NOT_FOUND: no plan at /x");
  EXPECT_EQ(s.WithContext("loading").message(), "loading: no plan at /x");
}

TEST(Result, PropagatesTheFirstErrorThroughAssignOrReturn) {
  EXPECT_EQ(Quarter(8).value(), 2);
  Result<int> r = Quarter(6);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "odd: 3");
}

TEST(Result, OkStatusWithoutValueBecomesInternalError) {
  Result<std::unique_ptr<int>> r{Status::Ok()};
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInternal);
}

TEST(Hash, Fnv1aMatchesPublishedVectors) {
  EXPECT_EQ(HashHex(Fnv1a64("")), "cbf29ce484222325");
  EXPECT_EQ(HashHex(Fnv1a64("a")), "af63dc4c8601ec8c");
  EXPECT_EQ(Fnv1a64("foobar"), Fnv1a64("bar", Fnv1a64("foo")));
}

TEST(StatusMatchers, PassOnOkAndReportTheStatusOtherwise) {
  using ::sortline::testing::StatusIs;
  using ::testing::HasSubstr;
  using ::testing::Not;
  EXPECT_OK(Status::Ok());
  EXPECT_OK(Half(4));
  EXPECT_NONFATAL_FAILURE(EXPECT_OK(Half(3)), "INVALID_ARGUMENT: odd: 3");
  EXPECT_FATAL_FAILURE(ASSERT_OK(NotFound("no plan")), "NOT_FOUND: no plan");
  EXPECT_NONFATAL_FAILURE(EXPECT_OK(Half(5)) << "while halving", "odd: 5 while halving");
  EXPECT_THAT(Half(3), StatusIs(StatusCode::kInvalidArgument, HasSubstr("odd")));
  EXPECT_THAT(Half(3), Not(StatusIs(StatusCode::kInvalidArgument, HasSubstr("even"))));
  EXPECT_THAT(NotFound("x"), Not(StatusIs(StatusCode::kInvalidArgument)));
  EXPECT_THAT(Status::Ok(), StatusIs(StatusCode::kOk));
}

}  // namespace
}  // namespace sortline
