#include "pipeline/label/internal/fields.h"

#include <ctime>
#include <random>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/testing/status_matchers.h"
#include "tests/testing/testing.h"

namespace sortline::label::internal {
namespace {

using ::testing::HasSubstr;

// China time by the C library: gmtime_r of the instant moved 8 hours ahead.
std::string LibcChinaTime(int64_t unix_ms) {
  const time_t seconds = static_cast<time_t>(unix_ms / 1000 + 8 * 3600);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M", &tm);
  return buf;
}

TEST(FormatChinaTime, PrintsUtcPlusEightToTheMinute) {
  EXPECT_EQ(FormatChinaTime(1'726'704'000'000), "2024-09-19 08:00");
  // 2023-12-31 16:00 UTC is already New Year in China.
  EXPECT_EQ(FormatChinaTime(1'704'038'400'000), "2024-01-01 00:00");
  EXPECT_EQ(FormatChinaTime(1'704'038'399'999), "2023-12-31 23:59");
}

TEST(FormatChinaTime, FollowsTheGregorianLeapYearRules) {
  EXPECT_EQ(FormatChinaTime(951'782'400'000), "2000-02-29 08:00");    // divisible by 400
  EXPECT_EQ(FormatChinaTime(4'107'542'400'000), "2100-03-01 08:00");  // 2100 is not leap
}

TEST(FormatChinaTime, AgreesWithTheCLibraryOverRandomInstantsIssue15) {
  std::mt19937_64 rng(15);
  std::uniform_int_distribution<int64_t> ms(1, 253'402'271'999'999);
  for (int i = 0; i < 20'000; ++i) {
    const int64_t t = ms(rng);
    ASSERT_EQ(FormatChinaTime(t), LibcChinaTime(t)) << t;
  }
}

TEST(FormatChinaTime, UnknownAndOutOfRangeTimesPrintADash) {
  EXPECT_EQ(FormatChinaTime(0), "-");
  EXPECT_EQ(FormatChinaTime(-1), "-");
  EXPECT_EQ(FormatChinaTime(253'402'271'999'999), "9999-12-31 23:59");
  EXPECT_EQ(FormatChinaTime(253'402'272'000'000), "-");
  EXPECT_EQ(FormatChinaTime(INT64_MAX), "-");
}

class Fields : public ::testing::Test {
 protected:
  std::string Text(Field field) {
    auto data = ResolveLabel(order_, record_, *FindTemplate("100x150"));
    EXPECT_OK(data);
    std::string out = "left over";
    FieldText(field, *data, out);
    return out;
  }

  Fields() { record_.set_tracking_number("EA473124829CN"); }

  v1::Order order_ = testing::SampleOrder();
  v1::SortRecord record_;
};

TEST_F(Fields, NumbersAreRoundedAndPrintedWithTheirUnits) {
  EXPECT_EQ(Text(Field::kWeight), "重量 2.50 kg");
  record_.set_weight_g(1234);  // the scale's weight wins over the order's
  EXPECT_EQ(Text(Field::kWeight), "重量 1.23 kg");
  order_.mutable_parcel()->set_weight_g(0);
  record_.set_weight_g(0);
  EXPECT_EQ(Text(Field::kWeight), "重量 -");
  EXPECT_EQ(Text(Field::kDimensions), "尺寸 300x200x150 mm");
  EXPECT_EQ(Text(Field::kValue), "保价 88.00元");
  order_.mutable_parcel()->set_cod_fen(12'305);
  EXPECT_EQ(Text(Field::kValue), "保价 88.00元  代收货款 123.05元");
}

TEST_F(Fields, RecordOverridesTheOrderAndBlanksBecomeDashes) {
  EXPECT_EQ(Text(Field::kDivision), "DC 610502");  // the recipient's, the record has none
  record_.set_division_code("610500");
  EXPECT_EQ(Text(Field::kDivision), "DC 610500");
  EXPECT_EQ(Text(Field::kSortCode), "-");
  EXPECT_EQ(Text(Field::kChute), "格口 -");
  EXPECT_THAT(Text(Field::kRecipientPhone), "138****5678");
  EXPECT_EQ(Text(Field::kRecipientAddress), "陕西省渭南市临渭区杜桥街道朝阳大街12号3单元501室");
  EXPECT_EQ(Text(Field::kPageCounter), "");
}

TEST_F(Fields, PerishableMarkFollowsTheService) {
  EXPECT_EQ(Text(Field::kPerishable), "生鲜 易腐");
  order_.set_service(v1::SERVICE_COLD_CHAIN);
  EXPECT_EQ(Text(Field::kPerishable), "冷链 易腐");
  order_.set_service(v1::SERVICE_STANDARD);
  order_.mutable_parcel()->set_perishable(false);
  EXPECT_EQ(Text(Field::kPerishable), "");
  EXPECT_EQ(Text(Field::kService), "标准快递");
}

TEST_F(Fields, QrPayloadNamesTrackingSortCodeAndDivision) {
  record_.set_tracking_number("EA473124829CN");
  record_.set_sort_code("710-05-12");
  auto data = ResolveLabel(order_, record_, *FindTemplate("4x6"));
  ASSERT_OK(data);
  EXPECT_EQ(QrPayload(*data), "S10:EA473124829CN|SC:710-05-12|DC:610502");
}

TEST_F(Fields, RefusesTrackingNumbersCode128CannotCarry) {
  for (const std::string& tracking : {std::string(), std::string("EA 1CN"), std::string(41, 'A'),
                                      std::string("EA\x01"
                                                  "CN"),
                                      std::string("单号")}) {
    record_.set_tracking_number(tracking);
    order_.set_tracking_number("");
    auto data = ResolveLabel(order_, record_, *FindTemplate("100x150"));
    EXPECT_THAT(data, testing::StatusIs(StatusCode::kInvalidArgument, HasSubstr("Code 128")))
        << tracking;
  }
}

}  // namespace
}  // namespace sortline::label::internal
