#include "pipeline/model/divisions.h"

#include <filesystem>
#include <fstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/model/shipped_divisions.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/testing.h"

namespace sortline::model {
namespace {

using ::testing::HasSubstr;

const DivisionTable& Table() { return ShippedDivisions(); }

size_t CountCodes(int digits) {
  int first = 1;
  for (int i = 1; i < digits; ++i) first *= 10;
  size_t found = 0;
  char buffer[16];
  for (int code = first; code < first * 10; ++code) {
    std::snprintf(buffer, sizeof buffer, "%d", code);
    found += Table().Find(buffer) != nullptr;
  }
  return found;
}

TEST(DivisionTable, HoldsTheShippedCounts) {
  EXPECT_EQ(CountCodes(2), 31u);
  EXPECT_EQ(CountCodes(4), 342u);
  EXPECT_EQ(Table().Counties().size(), 2978u);
  size_t towns = 0;
  for (const Division* county : Table().Counties()) towns += Table().TownsOf(county->code).size();
  EXPECT_EQ(towns, 41352u);
  EXPECT_EQ(Table().size(), 31u + 342u + 2978u + 41352u);
}

TEST(DivisionTable, FindsEachLevelByCode) {
  const Division* county = Table().Find("610502");
  ASSERT_NE(county, nullptr);
  EXPECT_EQ(county->name, "临渭区");
  EXPECT_EQ(county->level, DivisionLevel::kCounty);
  ASSERT_NE(Table().Find("61"), nullptr);
  EXPECT_EQ(Table().Find("61")->level, DivisionLevel::kProvince);
  ASSERT_NE(Table().Find("6105"), nullptr);
  EXPECT_EQ(Table().Find("6105")->name, "渭南市");
  ASSERT_NE(Table().Find("610502002"), nullptr);
  EXPECT_EQ(Table().Find("610502002")->level, DivisionLevel::kTown);
}

TEST(DivisionTable, UnknownOrMalformedCodesAreNotFound) {
  EXPECT_EQ(Table().Find("999999"), nullptr);
  EXPECT_EQ(Table().Find("61050"), nullptr);
  EXPECT_EQ(Table().Find("61050x"), nullptr);
  EXPECT_EQ(Table().Find(""), nullptr);
  EXPECT_EQ(Table().Find("0000000061"), nullptr);
}

TEST(DivisionTable, PathOfACountyNamesProvinceCityAndCounty) {
  DivisionPath path = Table().PathOf("610502");
  EXPECT_EQ(path.province, "陕西省");
  EXPECT_EQ(path.city, "渭南市");
  EXPECT_EQ(path.county, "临渭区");
  EXPECT_EQ(path.town, "");
}

TEST(DivisionTable, PathOfATownNamesTheTown) {
  DivisionPath path = Table().PathOf("610502002");
  EXPECT_EQ(path.county, "临渭区");
  EXPECT_EQ(path.town, "杜桥街道");
}

TEST(DivisionTable, MunicipalityDistrictsUseTheMunicipalityAsCity) {
  DivisionPath beijing = Table().PathOf("110101");
  EXPECT_EQ(beijing.province, "北京市");
  EXPECT_EQ(beijing.city, "北京市");
  EXPECT_EQ(beijing.county, "东城区");
  // Chongqing's counties sit under a placeholder city named "县".
  ASSERT_EQ(Table().Find("5002")->name, "县");
  DivisionPath county = Table().PathOf("500229");
  EXPECT_EQ(county.city, "重庆市");
  EXPECT_EQ(county.county, "城口县");
}

TEST(DivisionTable, NoPathHasAPlaceholderCity) {
  for (const Division* county : Table().Counties()) {
    DivisionPath path = Table().PathOf(county->code);
    ASSERT_FALSE(path.city.empty()) << county->code;
    ASSERT_NE(path.city, "市辖区") << county->code;
    ASSERT_NE(path.city, "县") << county->code;
    ASSERT_EQ(path.city.find("直辖县级行政区划"), std::string::npos) << county->code;
  }
  EXPECT_EQ(Table().PathOf("429004").city, "仙桃市");
}

TEST(DivisionTable, CountiesAndTownsAreInCodeOrder) {
  const auto& counties = Table().Counties();
  for (size_t i = 1; i < counties.size(); ++i) {
    ASSERT_LT(counties[i - 1]->code, counties[i]->code);
  }
  std::vector<const Division*> towns = Table().TownsOf("610502");
  ASSERT_GE(towns.size(), 2u);
  for (size_t i = 0; i < towns.size(); ++i) {
    EXPECT_EQ(towns[i]->code.substr(0, 6), "610502");
    if (i > 0) {
      EXPECT_LT(towns[i - 1]->code, towns[i]->code);
    }
  }
  EXPECT_TRUE(Table().TownsOf("999999").empty());
}

TEST(DivisionTable, LoadsWithoutTowns) {
  auto table = DivisionTable::Load(testing::DivisionsDir(), /*with_towns=*/false);
  ASSERT_OK(table);
  EXPECT_EQ((*table)->size(), 31u + 342u + 2978u);
  EXPECT_EQ((*table)->Find("610502002"), nullptr);
  EXPECT_TRUE((*table)->TownsOf("610502").empty());
  EXPECT_EQ((*table)->PathOf("610502").city, "渭南市");
}

class BrokenTable : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* name : {"provinces.csv", "cities.csv", "areas.csv"}) {
      std::filesystem::copy_file(testing::DivisionsDir() + "/" + name, dir_.file(name));
    }
  }
  void Append(const char* name, const std::string& text) {
    std::ofstream(dir_.file(name), std::ios::app) << text;
  }
  testing::TempDir dir_;
};

TEST_F(BrokenTable, AnOrphanCountyIsReportedWithFileAndLine) {
  Append("areas.csv", "999901,\"无主县\",9999,99\n");
  auto table = DivisionTable::Load(dir_.path().string(), false);
  ASSERT_FALSE(table.ok());
  EXPECT_EQ(table.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(table.status().message(), HasSubstr("areas.csv:2980: division 999901"));
}

TEST_F(BrokenTable, ADuplicateCodeIsReportedWithBothLines) {
  Append("cities.csv", "6105,\"渭南市\",61\n");
  auto table = DivisionTable::Load(dir_.path().string(), false);
  ASSERT_FALSE(table.ok());
  EXPECT_THAT(table.status().message(), HasSubstr("cities.csv:344: duplicate division code 6105"));
}

TEST_F(BrokenTable, AMalformedCodeIsReported) {
  Append("provinces.csv", "6A,\"某省\"\n");
  auto table = DivisionTable::Load(dir_.path().string(), false);
  ASSERT_FALSE(table.ok());
  EXPECT_THAT(table.status().message(), HasSubstr("provinces.csv:33: code \"6A\" is not 2 digits"));
}

TEST_F(BrokenTable, AMissingFileIsNotFound) {
  auto table = DivisionTable::Load(dir_.path().string(), /*with_towns=*/true);
  ASSERT_FALSE(table.ok());
  EXPECT_EQ(table.status().code(), StatusCode::kNotFound);
  EXPECT_THAT(table.status().message(), HasSubstr("streets.csv"));
}

}  // namespace
}  // namespace sortline::model
