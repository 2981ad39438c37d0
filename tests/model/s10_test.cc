#include "pipeline/model/s10.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/testing/status_matchers.h"

namespace sortline::model {
namespace {

using ::testing::HasSubstr;

TEST(S10, CheckDigitOfTheUpuExampleIsNine) { EXPECT_EQ(S10CheckDigit(47312482), 9); }

TEST(S10, RemainderOneGivesCheckDigitZero) {
  // 00000008: S = 8 * 7 = 56, 56 mod 11 = 1, C = 10 -> 0.
  EXPECT_EQ(S10CheckDigit(8), 0);
}

TEST(S10, RemainderZeroGivesCheckDigitFive) {
  // 00000015: S = 1 * 9 + 5 * 7 = 44, 44 mod 11 = 0, C = 11 -> 5.
  EXPECT_EQ(S10CheckDigit(15), 5);
  EXPECT_EQ(S10CheckDigit(0), 5);
}

TEST(S10, FormatBuildsTheUpuExample) {
  EXPECT_EQ(FormatS10("EA", 47312482, "CN"), "EA473124829CN");
  EXPECT_EQ(FormatS10("RR", 8, "CN"), "RR000000080CN");
}

TEST(S10, FormattedNumbersValidateAndAnyOtherCheckDigitFails) {
  for (uint32_t serial = 0; serial <= 99'999'999; serial += 7'654'321) {
    std::string number = FormatS10("EE", serial, "CN");
    ASSERT_OK(ValidateS10(number)) << number;
    for (char digit = '0'; digit <= '9'; ++digit) {
      if (digit == number[10]) continue;
      std::string wrong = number;
      wrong[10] = digit;
      EXPECT_FALSE(ValidateS10(wrong).ok()) << wrong;
    }
  }
}

TEST(S10, ValidationSaysWhatIsWrong) {
  EXPECT_THAT(ValidateS10("EA47312482CN").message(), HasSubstr("12 characters, expected 13"));
  EXPECT_THAT(ValidateS10("ea473124829CN").message(), HasSubstr("two upper-case letters"));
  EXPECT_THAT(ValidateS10("EA47312A829CN").message(), HasSubstr("eight serial digits"));
  EXPECT_THAT(ValidateS10("EA47312482XCN").message(), HasSubstr("check digit in position 11"));
  EXPECT_THAT(ValidateS10("EA473124829C1").message(), HasSubstr("two-letter country code"));
  Status wrong = ValidateS10("EA473124828CN");
  EXPECT_EQ(wrong.code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(wrong.message(), HasSubstr("has check digit 8, expected 9"));
}

TEST(S10Issuer, IssuesConsecutiveNumbersUntilTheRangeIsSpent) {
  S10Range range{"EA", "CN", 100, 102};
  Result<S10Issuer> issuer = S10Issuer::Create(range, 100);
  ASSERT_OK(issuer);
  for (uint32_t serial = 100; serial <= 102; ++serial) {
    Result<std::string> number = issuer->Next();
    ASSERT_OK(number);
    EXPECT_EQ(*number, FormatS10("EA", serial, "CN"));
    EXPECT_OK(ValidateS10(*number));
  }
  Result<std::string> spent = issuer->Next();
  EXPECT_EQ(spent.status().code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(issuer->Next().status().code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(issuer->next_serial(), 103u);
}

TEST(S10Issuer, ResumingFromNextSerialNeverReissuesANumber) {
  S10Range range{"EA", "CN", 99'999'998, 99'999'999};
  Result<S10Issuer> first = S10Issuer::Create(range, 99'999'998);
  ASSERT_OK(first);
  ASSERT_OK(first->Next());
  Result<S10Issuer> resumed = S10Issuer::Create(range, first->next_serial());
  ASSERT_OK(resumed);
  Result<std::string> last = resumed->Next();
  ASSERT_OK(last);
  EXPECT_EQ(*last, FormatS10("EA", 99'999'999, "CN"));
  Result<S10Issuer> after_end = S10Issuer::Create(range, resumed->next_serial());
  ASSERT_OK(after_end);
  EXPECT_EQ(after_end->Next().status().code(), StatusCode::kResourceExhausted);
}

TEST(S10Issuer, MalformedRangesAreRefused) {
  EXPECT_FALSE(S10Issuer::Create({"ea", "CN", 1, 10}, 1).ok());
  EXPECT_FALSE(S10Issuer::Create({"EA", "C", 1, 10}, 1).ok());
  EXPECT_FALSE(S10Issuer::Create({"EA", "CN", 10, 1}, 10).ok());
  EXPECT_FALSE(S10Issuer::Create({"EA", "CN", 1, 100'000'000}, 1).ok());
  EXPECT_FALSE(S10Issuer::Create({"EA", "CN", 5, 10}, 4).ok());
  EXPECT_FALSE(S10Issuer::Create({"EA", "CN", 5, 10}, 12).ok());
}

}  // namespace
}  // namespace sortline::model
