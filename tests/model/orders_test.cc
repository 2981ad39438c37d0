#include "pipeline/model/orders.h"

#include <map>
#include <set>

#include <gmock/gmock.h>
#include <google/protobuf/util/message_differencer.h>
#include <gtest/gtest.h>

#include "pipeline/base/text.h"
#include "pipeline/model/s10.h"
#include "tests/model/shipped_divisions.h"
#include "tests/testing/status_matchers.h"
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
  ASSERT_OK(parsed);
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
  ASSERT_OK(snake);
  Result<v1::Order> camel =
      ParseOrderJson(R"({"orderId":"A1","recipient":{"name":"张伟","divisionCode":"610502"},)"
                     R"("parcel":{"weightG":500},"service":"SERVICE_EXPRESS"})");
  ASSERT_OK(camel);
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

TEST(OrderJson, ParserMessagesAreOneEchoedLineIssue13) {
  for (std::string_view bad : {std::string_view("{\"orderId\":\"A\" xyz"),
                               std::string_view("{\"orderId\":\"\xC0\xAF\x00\"}", 16),
                               std::string_view("{\"recipient\":{\"name\":\"\\ud800\"}}")}) {
    Result<v1::Order> parsed = ParseOrderJson(bad);
    ASSERT_FALSE(parsed.ok()) << bad;
    const std::string& message = parsed.status().message();
    EXPECT_THAT(message, StartsWith("order JSON: "));
    EXPECT_EQ(message.find('\n'), std::string::npos) << message;
    EXPECT_TRUE(IsValidUtf8(message)) << message;
    EXPECT_EQ(message.find('\0'), std::string::npos) << message;
  }
  Result<v1::Order> long_value =
      ParseOrderJson("{\"service\":\"" + std::string(100'000, 'S') + "\"}");
  ASSERT_FALSE(long_value.ok());
  EXPECT_LT(long_value.status().message().size(), 400u);
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
  EXPECT_OK(ValidateOrder(testing::SampleOrder(), Table()));
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
  EXPECT_OK(ValidateWith([](v1::Order* o) { o->mutable_parcel()->set_height_mm(0); }));
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
  EXPECT_EQ(status.message(),
            "invalid order id \"../../etc/x\" (1 to 64 of A-Z a-z 0-9 . _ -, not starting with .)");
}

TEST(ValidateOrder, HostileOrderIdIsEchoedEscapedAndShortenedIssue13) {
  Status nul = ValidateWith([](v1::Order* o) { o->set_order_id(std::string("NUL\0ID", 6)); });
  EXPECT_THAT(nul.message(), StartsWith("invalid order id \"NUL\\0ID\""));
  Status long_id = ValidateWith([](v1::Order* o) { o->set_order_id(std::string(10'000, 'X')); });
  EXPECT_THAT(long_id.message(), HasSubstr("…[10000 bytes]\""));
  EXPECT_LT(long_id.message().size(), 200u);
  Status tracking =
      ValidateWith([](v1::Order* o) { o->set_tracking_number(std::string(5'000, 'E')); });
  EXPECT_LT(tracking.message().size(), 200u) << tracking.message();
}

TEST(ValidateOrder, NegativeDeclaredValueAndCashOnDeliveryAreRefusedIssue13) {
  EXPECT_EQ(ValidateWith([](v1::Order* o) {
              o->mutable_parcel()->set_declared_value_fen(-100);
            }).message(),
            "negative parcel.declared_value_fen: -100");
  EXPECT_EQ(ValidateWith([](v1::Order* o) { o->mutable_parcel()->set_cod_fen(-1); }).message(),
            "negative parcel.cod_fen: -1");
  EXPECT_TRUE(ValidateWith([](v1::Order* o) {
                o->mutable_parcel()->set_declared_value_fen(0);
                o->mutable_parcel()->set_cod_fen(0);
              }).ok());
}

Status LimitsWith(void (*edit)(v1::Order*), const OrderLimits& limits = {}) {
  v1::Order order = testing::SampleOrder();
  edit(&order);
  return CheckOrderLimits(order, limits);
}

TEST(OrderLimits, ImpossibleParcelsAreRefusedNamingTheFieldAndTheLimitIssue13) {
  EXPECT_OK(LimitsWith([](v1::Order*) {}));
  EXPECT_EQ(
      LimitsWith([](v1::Order* o) { o->mutable_parcel()->set_weight_g(2'147'483'647); }).message(),
      "implausible parcel.weight_g: 2147483647 g is over the limit of 1000000 g");
  EXPECT_EQ(LimitsWith([](v1::Order* o) { o->mutable_parcel()->set_width_mm(65'535); }).message(),
            "implausible parcel.width_mm: 65535 mm is over the limit of 5000 mm");
  EXPECT_EQ(LimitsWith([](v1::Order* o) { o->mutable_parcel()->set_height_mm(5'001); }).message(),
            "implausible parcel.height_mm: 5001 mm is over the limit of 5000 mm");
  EXPECT_EQ(LimitsWith([](v1::Order* o) {
              o->mutable_parcel()->set_declared_value_fen(int64_t{1} << 62);
            }).message(),
            "implausible parcel.declared_value_fen: 4611686018427387904 fen is over the limit "
            "of 1000000000 fen");
  EXPECT_THAT(
      LimitsWith([](v1::Order* o) { o->mutable_parcel()->set_cod_fen(1'000'000'001); }).message(),
      StartsWith("implausible parcel.cod_fen: "));
  EXPECT_THAT(LimitsWith([](v1::Order* o) { o->set_created_unix_ms(-1); }).message(),
              StartsWith("implausible created_unix_ms: -1 ms is before the limit of "));
  EXPECT_THAT(LimitsWith([](v1::Order* o) { o->set_created_unix_ms(4'102'444'800'000); }).message(),
              StartsWith("implausible created_unix_ms: 4102444800000 ms is not before the limit"));
  EXPECT_EQ(LimitsWith([](v1::Order* o) {
              o->mutable_sender()->set_detail(std::string(1'025, 'd'));
            }).message(),
            "implausible sender.detail: 1025 bytes is over the limit of 1024 bytes");
}

TEST(OrderLimits, MerelyLargeParcelsAndMissingTimesPass) {
  EXPECT_TRUE(LimitsWith([](v1::Order* o) {
                o->mutable_parcel()->set_weight_g(1'000'000);
                o->mutable_parcel()->set_length_mm(5'000);
                o->mutable_parcel()->set_declared_value_fen(1'000'000'000);
                o->mutable_parcel()->set_cod_fen(1'000'000'000);
                o->set_created_unix_ms(0);
                o->mutable_recipient()->set_name(std::string(1'024, 'n'));
              }).ok());
}

TEST(OrderLimits, AreConfigurable) {
  OrderLimits limits;
  limits.max_weight_g = 30'000;
  limits.max_side_mm = 100;
  EXPECT_THAT(LimitsWith([](v1::Order*) {}, limits).message(),
              StartsWith("implausible parcel.length_mm: 300 mm is over the limit of 100 mm"));
  limits.max_side_mm = 300;
  EXPECT_OK(LimitsWith([](v1::Order*) {}, limits));
  limits.min_created_unix_ms = 1'726'704'000'001;
  EXPECT_FALSE(LimitsWith([](v1::Order*) {}, limits).ok());
}

TEST(OrderLimits, GeneratedOrdersAreAllWithinTheDefaults) {
  OrderGenerator gen(Table(), GeneratorOptions{});
  for (uint64_t i = 0; i < 2'000; ++i) {
    v1::Order order = gen.Generate(i);
    ASSERT_OK(CheckOrderLimits(order, OrderLimits())) << OrderToJson(order);
  }
}

TEST(ValidateOrder, TrackingNumberMustPassTheS10Check) {
  EXPECT_THAT(ValidateWith([](v1::Order* o) { o->set_tracking_number("EA473124828CN"); }).message(),
              HasSubstr("bad tracking number"));
  EXPECT_OK(ValidateWith([](v1::Order* o) { o->set_tracking_number("EA473124829CN"); }));
}

TEST(ValidateOrder, TownCodesNeedOnlyTheirCountyWhenTownsAreNotLoaded) {
  auto counties_only = DivisionTable::Load(testing::DivisionsDir(), /*with_towns=*/false);
  ASSERT_OK(counties_only);
  v1::Order order = testing::SampleOrder();
  order.mutable_recipient()->set_division_code("610502002");
  EXPECT_OK(ValidateOrder(order, **counties_only));
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
    ASSERT_OK(ValidateOrder(order, Table()));
  }
}

TEST(OrderGenerator, GeneratedOrdersSurviveTheJsonRoundTrip) {
  OrderGenerator generator(Table(), GeneratorOptions{});
  for (uint64_t i = 0; i < 200; ++i) {
    v1::Order order = generator.Generate(i);
    Result<v1::Order> parsed = ParseOrderJson(OrderToJson(order));
    ASSERT_OK(parsed);
    ASSERT_TRUE(MessageDifferencer::Equals(order, *parsed));
  }
}

}  // namespace
}  // namespace sortline::model
