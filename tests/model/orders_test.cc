#include "pipeline/model/orders.h"

#include <map>
#include <set>

#include <gmock/gmock.h>
#include <google/protobuf/util/message_differencer.h>
#include <gtest/gtest.h>

#include "pipeline/model/s10.h"
#include "tests/model/shipped_divisions.h"
#include "tests/testing/testing.h"

namespace sortline::model {
namespace {

using ::google::protobuf::util::MessageDifferencer;
using ::testing::HasSubstr;
using ::testing::MatchesRegex;
using ::testing::StartsWith;

const DivisionTable& Table() { return ShippedDivisions(); }

TEST(OrderJson, RoundTripKeepsEveryFieldIncludingChineseText) {
  v1::Order order = testing::SampleOrder();
  order.set_tracking_number(FormatS10("EA", 47312482, "CN"));
  std::string json = OrderToJson(order);
  EXPECT_EQ(json.find('\n'), std::string::npos);
  EXPECT_THAT(json, HasSubstr("\"orderId\":\"T0001\""));
  Result<v1::Order> parsed = ParseOrderJson(json);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_TRUE(MessageDifferencer::Equals(order, *parsed)) << json;
  EXPECT_EQ(parsed->recipient().name(), "王秀英");
  EXPECT_EQ(parsed->parcel().contents(), "沙田柚 5斤");
}

TEST(OrderJson, OutputIsDeterministic) {
  EXPECT_EQ(OrderToJson(testing::SampleOrder()), OrderToJson(testing::SampleOrder()));
}

TEST(OrderJson, AcceptsProtoFieldNamesAndCamelCase) {
  Result<v1::Order> snake =
      ParseOrderJson(R"({"order_id":"A1","recipient":{"name":"张伟","division_code":"610502"},)"
                     R"("parcel":{"weight_g":500},"service":"SERVICE_EXPRESS"})");
  ASSERT_TRUE(snake.ok()) << snake.status();
  Result<v1::Order> camel =
      ParseOrderJson(R"({"orderId":"A1","recipient":{"name":"张伟","divisionCode":"610502"},)"
                     R"("parcel":{"weightG":500},"service":"SERVICE_EXPRESS"})");
  ASSERT_TRUE(camel.ok()) << camel.status();
  EXPECT_TRUE(MessageDifferencer::Equals(*snake, *camel));
  EXPECT_EQ(snake->recipient().division_code(), "610502");
  EXPECT_EQ(snake->parcel().weight_g(), 500);
  EXPECT_EQ(snake->service(), v1::SERVICE_EXPRESS);
}

TEST(OrderJson, MalformedJsonIsRefused) {
  for (std::string_view bad : {R"({"orderId":"A1")", "not json", R"({"orderId":A1})", ""}) {
    Result<v1::Order> parsed = ParseOrderJson(bad);
    EXPECT_FALSE(parsed.ok()) << bad;
    EXPECT_EQ(parsed.status().code(), StatusCode::kInvalidArgument) << bad;
  }
}

TEST(OrderJson, UnknownFieldIsRefused) {
  Result<v1::Order> parsed = ParseOrderJson(R"({"orderId":"A1","colour":"red"})");
  ASSERT_FALSE(parsed.ok());
  EXPECT_THAT(parsed.status().message(), HasSubstr("colour"));
}

TEST(OrderJson, WrongTypeIsRefused) {
  EXPECT_FALSE(ParseOrderJson(R"({"parcel":{"weightG":"heavy"}})").ok());
  EXPECT_FALSE(ParseOrderJson(R"({"service":"SERVICE_TELEPORT"})").ok());
}

TEST(OrderId, AcceptsSafeIdsOnly) {
  EXPECT_TRUE(IsValidOrderId("T0001"));
  EXPECT_TRUE(IsValidOrderId("jd-2024.09.19_000123"));
  EXPECT_TRUE(IsValidOrderId(std::string(64, 'a')));
  EXPECT_FALSE(IsValidOrderId(""));
  EXPECT_FALSE(IsValidOrderId(std::string(65, 'a')));
  EXPECT_FALSE(IsValidOrderId("../../etc/x"));
  EXPECT_FALSE(IsValidOrderId(".hidden"));
  EXPECT_FALSE(IsValidOrderId("a/b"));
  EXPECT_FALSE(IsValidOrderId("订单1"));
  EXPECT_FALSE(IsValidOrderId("a b"));
}

TEST(ValidateOrder, SampleOrderIsValid) {
  EXPECT_TRUE(ValidateOrder(testing::SampleOrder(), Table()).ok());
}

Status ValidateWith(void (*edit)(v1::Order*)) {
  v1::Order order = testing::SampleOrder();
  edit(&order);
  return ValidateOrder(order, Table());
}

TEST(ValidateOrder, UnknownDivisionCodeIsRefused) {
  Status status =
      ValidateWith([](v1::Order* o) { o->mutable_recipient()->set_division_code("999999"); });
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message(), "unknown division code 999999");
  EXPECT_THAT(ValidateWith([](v1::Order* o) {
                o->mutable_recipient()->set_division_code("610502999");
              }).message(),
              HasSubstr("unknown division code 610502999"));
}

TEST(ValidateOrder, MalformedDivisionCodeIsRefused) {
  EXPECT_THAT(ValidateWith([](v1::Order* o) {
                o->mutable_recipient()->set_division_code("6105");
              }).message(),
              HasSubstr("is not 6 or 9 digits"));
  EXPECT_THAT(ValidateWith([](v1::Order* o) {
                o->mutable_recipient()->set_division_code("61050x");
              }).message(),
              HasSubstr("is not 6 or 9 digits"));
}

TEST(ValidateOrder, WeightMustBePositive) {
  EXPECT_EQ(ValidateWith([](v1::Order* o) { o->mutable_parcel()->set_weight_g(-5); }).message(),
            "weight must be positive");
  EXPECT_EQ(ValidateWith([](v1::Order* o) { o->mutable_parcel()->set_weight_g(0); }).message(),
            "weight must be positive");
}

TEST(ValidateOrder, DimensionsMustNotBeNegative) {
  EXPECT_EQ(ValidateWith([](v1::Order* o) { o->mutable_parcel()->set_height_mm(-1); }).message(),
            "dimensions must not be negative");
  EXPECT_TRUE(ValidateWith([](v1::Order* o) { o->mutable_parcel()->set_height_mm(0); }).ok());
}

TEST(ValidateOrder, RecipientNameMustNotBeEmpty) {
  EXPECT_EQ(ValidateWith([](v1::Order* o) { o->mutable_recipient()->set_name(""); }).message(),
            "recipient name is empty");
  EXPECT_EQ(ValidateWith([](v1::Order* o) { o->mutable_recipient()->set_name("  "); }).message(),
            "recipient name is empty");
}

TEST(ValidateOrder, RecipientAddressMustNotBeEmpty) {
  Status status = ValidateWith([](v1::Order* o) {
    v1::Address* to = o->mutable_recipient();
    to->clear_division_code();
    to->clear_province();
    to->clear_city();
    to->clear_district();
  });
  EXPECT_THAT(status.message(), StartsWith("recipient address is empty"));
  // Names alone are enough: they are resolved against the table later.
  EXPECT_TRUE(
      ValidateWith([](v1::Order* o) { o->mutable_recipient()->clear_division_code(); }).ok());
}

TEST(ValidateOrder, PathLikeOrderIdIsRefused) {
  Status status = ValidateWith([](v1::Order* o) { o->set_order_id("../../etc/x"); });
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message(), "order id \"../../etc/x\" is not a valid id");
}

TEST(ValidateOrder, TrackingNumberMustPassTheS10Check) {
  EXPECT_THAT(ValidateWith([](v1::Order* o) { o->set_tracking_number("EA473124828CN"); }).message(),
              HasSubstr("bad tracking number"));
  EXPECT_TRUE(ValidateWith([](v1::Order* o) { o->set_tracking_number("EA473124829CN"); }).ok());
}

TEST(ValidateOrder, TownCodesNeedOnlyTheirCountyWhenTownsAreNotLoaded) {
  auto counties_only = DivisionTable::Load(testing::DivisionsDir(), /*with_towns=*/false);
  ASSERT_TRUE(counties_only.ok());
  v1::Order order = testing::SampleOrder();
  order.mutable_recipient()->set_division_code("610502002");
  EXPECT_TRUE(ValidateOrder(order, **counties_only).ok());
  order.mutable_recipient()->set_division_code("999999002");
  EXPECT_FALSE(ValidateOrder(order, **counties_only).ok());
}

TEST(OrderGenerator, SameIndexGivesTheSameOrderWhateverTheCallOrder) {
  OrderGenerator a(Table(), GeneratorOptions{});
  OrderGenerator b(Table(), GeneratorOptions{});
  v1::Order first = a.Generate(12345);
  for (uint64_t i = 0; i < 50; ++i) a.Generate(i);
  EXPECT_TRUE(MessageDifferencer::Equals(first, a.Generate(12345)));
  EXPECT_TRUE(MessageDifferencer::Equals(first, b.Generate(12345)));
  EXPECT_FALSE(MessageDifferencer::Equals(first, a.Generate(12346)));
}

TEST(OrderGenerator, DifferentSeedsGiveDifferentOrders) {
  GeneratorOptions other;
  other.seed = 1111;
  OrderGenerator a(Table(), GeneratorOptions{});
  OrderGenerator b(Table(), other);
  int same_recipient = 0;
  for (uint64_t i = 0; i < 100; ++i) {
    same_recipient +=
        a.Generate(i).recipient().name() == b.Generate(i).recipient().name() &&
        a.Generate(i).recipient().division_code() == b.Generate(i).recipient().division_code();
  }
  EXPECT_LT(same_recipient, 5);
}

TEST(OrderGenerator, EveryOrderIsValidAndPlausible) {
  GeneratorOptions options;
  options.order_id_prefix = "JD919-";
  OrderGenerator generator(Table(), options);
  int64_t previous_created = 0;
  int perishable = 0;
  std::set<std::string> provinces;
  const int kOrders = 3000;
  for (int i = 0; i < kOrders; ++i) {
    v1::Order order = generator.Generate(static_cast<uint64_t>(i));
    ASSERT_TRUE(ValidateOrder(order, Table()).ok()) << ValidateOrder(order, Table()) << "\n"
                                                    << OrderToJson(order);
    const v1::Address& to = order.recipient();
    ASSERT_NE(Table().Find(to.division_code()), nullptr) << to.division_code();
    ASSERT_EQ(to.division_code().size(), 9u);
    DivisionPath path = Table().PathOf(to.division_code());
    ASSERT_EQ(to.province(), path.province);
    ASSERT_EQ(to.district(), path.county);
    ASSERT_EQ(to.street(), path.town);
    ASSERT_FALSE(to.detail().empty());
    ASSERT_THAT(to.phone(), MatchesRegex("1[3-9][0-9]{9}"));
    ASSERT_NE(Table().Find(order.sender().division_code()), nullptr);
    ASSERT_THAT(order.sender().division_code(), MatchesRegex("(61|45)[0-9]+"));
    ASSERT_EQ(order.order_id(),
              "JD919-" + std::string(9 - std::to_string(i).size(), '0') + std::to_string(i));
    ASSERT_GT(order.created_unix_ms(), previous_created);
    previous_created = order.created_unix_ms();
    ASSERT_GE(order.parcel().weight_g(), 300);
    ASSERT_LE(order.parcel().weight_g(), 15000);
    ASSERT_GT(order.parcel().length_mm(), 0);
    ASSERT_FALSE(order.parcel().contents().empty());
    ASSERT_EQ(order.merchant(), options.merchant);
    const bool perishable_service =
        order.service() == v1::SERVICE_FRESH_PRODUCE || order.service() == v1::SERVICE_COLD_CHAIN;
    ASSERT_EQ(order.parcel().perishable(), perishable_service);
    perishable += order.parcel().perishable();
    provinces.insert(to.province());
  }
  // 0.3 +- five standard deviations of a 3000-sample proportion.
  EXPECT_NEAR(static_cast<double>(perishable) / kOrders, 0.3, 0.042);
  EXPECT_GE(provinces.size(), 29u);
}

TEST(OrderGenerator, RecipientsFollowPopulation) {
  OrderGenerator generator(Table(), GeneratorOptions{});
  std::map<std::string, int> by_province;
  for (uint64_t i = 0; i < 20'000; ++i) {
    by_province[generator.Generate(i).recipient().division_code().substr(0, 2)]++;
  }
  // Guangdong (126 M people) against Tibet (3.6 M) and Qinghai (5.9 M).
  EXPECT_GT(by_province["44"], 10 * by_province["54"]);
  EXPECT_GT(by_province["44"], 10 * by_province["63"]);
}

TEST(OrderGenerator, CountyCodesWithoutTowns) {
  GeneratorOptions options;
  options.with_towns = false;
  options.perishable_share = 1.0;
  OrderGenerator generator(Table(), options);
  for (uint64_t i = 0; i < 200; ++i) {
    v1::Order order = generator.Generate(i);
    ASSERT_EQ(order.recipient().division_code().size(), 6u);
    ASSERT_TRUE(order.recipient().street().empty());
    ASSERT_TRUE(order.parcel().perishable());
    ASSERT_TRUE(ValidateOrder(order, Table()).ok());
  }
}

TEST(OrderGenerator, GeneratedOrdersSurviveTheJsonRoundTrip) {
  OrderGenerator generator(Table(), GeneratorOptions{});
  for (uint64_t i = 0; i < 200; ++i) {
    v1::Order order = generator.Generate(i);
    Result<v1::Order> parsed = ParseOrderJson(OrderToJson(order));
    ASSERT_TRUE(parsed.ok()) << parsed.status();
    ASSERT_TRUE(MessageDifferencer::Equals(order, *parsed));
  }
}

}  // namespace
}  // namespace sortline::model
