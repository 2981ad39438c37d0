#include "pipeline/model/address_resolver.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/testing/status_matchers.h"
#include "tests/testing/testing.h"

namespace sortline::model {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;

const AddressResolver& Resolver() {
  static const AddressResolver* resolver = [] {
    auto table = DivisionTable::Load(testing::DivisionsDir(), /*with_towns=*/false);
    EXPECT_OK(table);
    // The resolver only reads the table while it is created.
    return AddressResolver::Create(**table).release();
  }();
  return *resolver;
}

std::string Resolve(std::string_view province, std::string_view city, std::string_view district) {
  Result<std::string> code = Resolver().Resolve(province, city, district);
  return code.ok() ? code.value() : "error: " + code.status().message();
}

TEST(AddressResolver, ExactNamesResolveToTheCounty) {
  EXPECT_EQ(Resolve("陕西省", "渭南市", "临渭区"), "610502");
  EXPECT_EQ(Resolve("广西壮族自治区", "贵港市", "港北区"), "450802");
  EXPECT_EQ(Resolve("吉林省", "延边朝鲜族自治州", "延吉市"), "222401");
}

TEST(AddressResolver, UsualShortFormsResolveToo) {
  EXPECT_EQ(Resolve("陕西", "渭南", "临渭区"), "610502");
  EXPECT_EQ(Resolve("陕西", "渭南", "临渭"), "610502");
  EXPECT_EQ(Resolve("广西", "贵港", "港北区"), "450802");
  EXPECT_EQ(Resolve("吉林", "延边", "延吉市"), "222401");
  EXPECT_EQ(Resolve(" 陕西省 ", "", "临渭区"), "610502");
}

TEST(AddressResolver, MunicipalitiesAndProvinceAdministeredCitiesResolve) {
  EXPECT_EQ(Resolve("北京市", "北京市", "东城区"), "110101");
  EXPECT_EQ(Resolve("北京", "北京", "东城"), "110101");
  EXPECT_EQ(Resolve("湖北省", "仙桃市", "仙桃市"), "429004");
  EXPECT_EQ(Resolve("湖北省", "仙桃市", ""), "429004");
}

TEST(AddressResolver, AnAmbiguousAddressNamesEveryCandidate) {
  Result<std::string> code = Resolver().Resolve("", "", "朝阳区");
  ASSERT_FALSE(code.ok());
  EXPECT_EQ(code.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(code.status().message(),
              AllOf(HasSubstr("ambiguous address: 朝阳区 is"), HasSubstr("110105 (北京市)"),
                    HasSubstr("220104 (长春市)")));
  EXPECT_EQ(Resolve("北京", "", "朝阳区"), "110105");
  EXPECT_EQ(Resolve("", "长春市", "朝阳区"), "220104");
}

TEST(AddressResolver, WhatCannotBeResolvedIsNotFoundWithTheReason) {
  Result<std::string> code = Resolver().Resolve("广东省", "", "临渭区");
  EXPECT_EQ(code.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(code.status().message(), "no county named 临渭区 in 广东省");
  EXPECT_EQ(Resolver().Resolve("陕西省", "渭南市", "").status().message(),
            "no county-level city named 渭南市 in 陕西省");
  EXPECT_EQ(Resolver().Resolve("", "", "").status().message(), "address has no district");
  EXPECT_EQ(Resolve("陕西省", "西安市", "临渭区").substr(0, 6), "error:");
}

TEST(AddressResolver, ShortNamesDropTheAdministrativeSuffix) {
  EXPECT_EQ(AddressResolver::ShortName("渭南市"), "渭南");
  EXPECT_EQ(AddressResolver::ShortName("广西壮族自治区"), "广西");
  EXPECT_EQ(AddressResolver::ShortName("新疆维吾尔自治区"), "新疆");
  EXPECT_EQ(AddressResolver::ShortName("内蒙古自治区"), "内蒙古");
  EXPECT_EQ(AddressResolver::ShortName("恩施土家族苗族自治州"), "恩施");
  EXPECT_EQ(AddressResolver::ShortName("黔西南布依族苗族自治州"), "黔西南");
  EXPECT_EQ(AddressResolver::ShortName("阿克苏地区"), "阿克苏");
  EXPECT_EQ(AddressResolver::ShortName("临渭区"), "临渭");
  EXPECT_EQ(AddressResolver::ShortName("城区"), "城区");
  EXPECT_EQ(AddressResolver::ShortName("陕西省"), "陕西");
}

}  // namespace
}  // namespace sortline::model
