// Issue 14: one plan for the whole centre. The dock's chutes and doors come from the
// plan the workers sort with; the plan's chutes table gives the telegram exits and its
// doors table the loading dock, both checked with FILE:LINE:COLUMN errors.
#include "pipeline/dock/config.h"

#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/testing/status_matchers.h"

namespace sortline::dock {
namespace {

const char kChutes[] =
    "chute,kind,capacity,overflow,sort_code,dock_door,route,exit\n"
    "C027,normal,400,C950,,,,27\n"
    "C950,overflow,800,,,,,200\n"
    "C900,no-rule,300,,710-99-99,D12,R-HOLD,250\n"
    "C901,reject,300,,710-99-00,D12,R-HOLD,251\n";
const char kRules[] =
    "prefix,services,max_weight_g,max_side_mm,precedence,sort_code,destination,chute_group,"
    "dock_door,route\n"
    "61,,,,0,710-00-27,陕西,C027,D07,R-SN\n";
const char kDoors[] =
    "door,routes,truck_max_weight_kg,truck_max_volume_m3,departures\n"
    "D07,R-SN|R-GS,30000,110.5,04:30|12:30|20:30\n"
    "D12,R-GG-01,12000,50,04:00|16:00\n";

Result<std::unique_ptr<sort::SortPlan>> Plan(const std::string& chutes, const std::string& doors,
                                             const std::string& rules = kRules) {
  std::vector<sort::PlanFile> files = {{"chutes.csv", chutes}, {"rules.csv", rules}};
  if (!doors.empty()) files.push_back({"doors.csv", doors});
  return sort::SortPlan::Parse(files, nullptr);
}

TEST(DockConfig, TheShippedPlanGivesEveryChuteItsExitAndEveryRuleItsDoorIssue14) {
  auto plan =
      sort::SortPlan::Load(std::string(SORTLINE_SOURCE_DIR) + "/deploy/plans/xian-hub", nullptr);
  ASSERT_OK(plan);
  DockConfig config = ConfigFromPlan(**plan, DockConfig{});
  EXPECT_TRUE(config.planned);
  EXPECT_EQ(config.plan_version, (*plan)->version());
  EXPECT_EQ(config.chutes.size(), (*plan)->chutes().size());
  EXPECT_EQ(config.no_read_chute, "C901");
  EXPECT_EQ(config.no_order_chute, "C900");
  EXPECT_EQ(config.manual_chute, "C902");
  std::set<uint32_t> exits;
  for (const auto& [name, chute] : config.chutes) {
    EXPECT_GE(chute.exit_number(), 1u) << name;
    EXPECT_TRUE(exits.insert(chute.exit_number()).second) << name << " shares its exit";
  }
  ASSERT_EQ(config.doors.size(), 13u);
  for (int d = 1; d <= 13; ++d) {
    const std::string door = (d < 10 ? "D0" : "D") + std::to_string(d);
    ASSERT_EQ(config.doors.count(door), 1u) << door;
    EXPECT_GT(config.doors.at(door).truck_max_weight_g(), 0) << door;
    EXPECT_GT(config.doors.at(door).departure_minutes_size(), 0) << door;
  }
  EXPECT_EQ(config.doors.at("D13").truck_max_volume_cm3(), 30'000'000);
  EXPECT_EQ(config.doors.at("D01").departure_minutes(0), 90u) << "01:30";
  EXPECT_EQ(ExitNumber(config, "C950"), 200u);
  EXPECT_EQ(ExitNumber(config, "C033"), 33u);
  EXPECT_EQ(ExitNumber(config, "C999"), 0u) << "not in the plan: recirculation";
}

TEST(DockConfig, ThePlansDoorsTableIsReadWithItsUnits) {
  auto plan = Plan(kChutes, kDoors);
  ASSERT_OK(plan);
  ASSERT_EQ((*plan)->doors().size(), 2u);
  const v1::DoorConfig& d07 = (*plan)->doors()[0];
  EXPECT_EQ(d07.door(), "D07");
  EXPECT_EQ(d07.routes_size(), 2);
  EXPECT_EQ(d07.truck_max_weight_g(), 30'000'000);
  EXPECT_EQ(d07.truck_max_volume_cm3(), 110'500'000);
  EXPECT_EQ(std::vector<uint32_t>(d07.departure_minutes().begin(), d07.departure_minutes().end()),
            (std::vector<uint32_t>{270, 750, 1230}));
  EXPECT_EQ((*plan)->chutes()[2].kind(), v1::CHUTE_NO_ORDER);
  EXPECT_EQ((*plan)->chutes()[3].dock_door(), "D12");
}

TEST(DockConfig, BadDoorsAndExitsAreReportedAtTheirCellIssue14) {
  auto expect_error = [](const Result<std::unique_ptr<sort::SortPlan>>& plan,
                         const std::string& where, const std::string& what) {
    ASSERT_FALSE(plan.ok()) << "expected " << where << " " << what;
    EXPECT_NE(plan.status().message().find(where), std::string::npos) << plan.status();
    EXPECT_NE(plan.status().message().find(what), std::string::npos) << plan.status();
  };
  expect_error(Plan(kChutes,
                    "door,routes,truck_max_weight_kg,truck_max_volume_m3,departures\n"
                    "D07,R-SN,30000,110,04:30|25:00\nD12,,1,1,01:00\n"),
               "doors.csv:2:5:", "departure \"25:00\"");
  expect_error(Plan(kChutes,
                    "door,routes,truck_max_weight_kg,truck_max_volume_m3,departures\n"
                    "D07,R-SN,heavy,110,04:30\nD12,,1,1,01:00\n"),
               "doors.csv:2:3:", "truck_max_weight_kg \"heavy\"");
  expect_error(Plan(kChutes,
                    "door,routes,truck_max_weight_kg,truck_max_volume_m3,departures\n"
                    "D07,R-SN,1,1,12:00|06:00\nD12,,1,1,01:00\n"),
               "doors.csv:2:5:", "not after the one before it");
  expect_error(Plan(kChutes,
                    "door,routes,truck_max_weight_kg,truck_max_volume_m3,departures\n"
                    "D07,R-SN,1,1,06:00\nD07,,1,1,07:00\nD12,,1,1,01:00\n"),
               "doors.csv:3:1:", "duplicate door D07");
  expect_error(Plan(kChutes,
                    "door,routes,truck_max_weight_kg,truck_max_volume_m3,departures\n"
                    "D12,R-SN,1,1,06:00\n"),
               "rules.csv:2:1:", "door D07, which the doors table");
  expect_error(Plan(kChutes,
                    "door,routes,truck_max_weight_kg,truck_max_volume_m3,departures\n"
                    "D07,,1,1,06:00\nD12,R-SN,1,1,01:00\n"),
               "rules.csv:2:1:", "the doors table loads it at door D12");
  std::string twice = kChutes;
  twice += "C028,normal,400,C950,,,,27\n";
  expect_error(Plan(twice, kDoors),
               "chutes.csv:6:8:", "exit 27 of chute C028 is already chute C027");
  expect_error(Plan("chute,kind,capacity,overflow,sort_code,dock_door,route,exit\n"
                    "C027,normal,400,,,,,\n"
                    "C950X,overflow,800,,,,,\n"
                    "C900,no-rule,300,,710-99-99,D12,R,250\n"
                    "C901,reject,300,,710-99-00,D12,R,255\n",
                    kDoors),
               "chutes.csv:3:8:", "chute C950X has no exit number");
  expect_error(Plan("chute,kind,capacity,overflow,sort_code,dock_door,route,exit\n"
                    "C027,normal,400,,,,,\n"
                    "C900,no-rule,300,,710-99-99,D12,R,250\n"
                    "C901,reject,300,,710-99-00,D12,R,255\n",
                    kDoors),
               "chutes.csv:4:8:", "exit \"255\" is not a telegram exit number");
}

TEST(DockConfig, APlanWithoutDoorsOrExitsIsStillValid) {
  auto plan = Plan(
      "chute,kind,capacity,overflow,sort_code,dock_door,route\n"
      "C027,normal,400,,,,\nC900,no-rule,300,,710-99-99,D12,R\nC901,reject,300,,710-99-00,D12,R\n",
      "");
  ASSERT_OK(plan);
  EXPECT_TRUE((*plan)->doors().empty());
  EXPECT_EQ((*plan)->chutes()[0].exit_number(), 27u) << "from the name";
  EXPECT_EQ((*plan)->chutes()[1].exit_number(), 0u)
      << "900 is no exit: unchecked without the column";
}

TEST(DockConfig, ExitNumbersComeFromConfigOrTheChuteName) {
  DockConfig config;
  v1::ChuteConfig chute;
  chute.set_name("OVF");
  chute.set_exit_number(199);
  config.chutes["OVF"] = chute;
  EXPECT_EQ(ExitNumber(config, "OVF"), 199u);
  EXPECT_EQ(ExitNumber(config, "C051"), 51u);
  EXPECT_EQ(ExitNumber(config, "C900"), 0u) << "900 is no exit number";
  EXPECT_EQ(ExitNumber(config, "RECIRC"), 0u);
}

}  // namespace
}  // namespace sortline::dock
