#include "pipeline/dock/config.h"

#include <fstream>

#include <gtest/gtest.h>

#include "tests/testing/testing.h"

namespace sortline::dock {
namespace {

std::string Write(const sortline::testing::TempDir& dir, const std::string& name,
                  const std::string& text) {
  std::ofstream(dir.file(name)) << text;
  return dir.file(name);
}

TEST(DockConfig, ReadsTheShippedSampleConfiguration) {
  DockConfig config;
  ASSERT_TRUE(
      LoadChutesCsv(std::string(SORTLINE_SOURCE_DIR) + "/deploy/dock/chutes.csv", &config).ok());
  ASSERT_TRUE(
      LoadDoorsCsv(std::string(SORTLINE_SOURCE_DIR) + "/deploy/dock/doors.csv", &config).ok());
  EXPECT_EQ(config.chutes.at("C051").overflow(), "C899");
  EXPECT_EQ(config.chutes.at("C899").kind(), v1::CHUTE_OVERFLOW);
  EXPECT_EQ(config.doors.at("D01").routes_size(), 2);
  EXPECT_EQ(config.doors.at("D01").truck_max_weight_g(), 8'000'000);
  EXPECT_EQ(config.doors.at("D01").departure_every_s(), 240 * 60);
}

TEST(DockConfig, BadLinesAreReportedWithTheirLineNumber) {
  sortline::testing::TempDir dir;
  DockConfig config;
  Status bad_kind = LoadChutesCsv(Write(dir, "c.csv",
                                        "chute,kind,capacity,overflow,exit\n"
                                        "C1,normal,10,,1\n"
                                        "C2,sideways,10,,2\n"),
                                  &config);
  EXPECT_EQ(bad_kind.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad_kind.message().find("c.csv:3:"), std::string::npos) << bad_kind;
  DockConfig other;
  Status bad_exit =
      LoadChutesCsv(Write(dir, "e.csv", "chute,kind,capacity,overflow,exit\nC1,,1,,300\n"), &other);
  EXPECT_NE(bad_exit.message().find("e.csv:2:"), std::string::npos) << bad_exit;
  Status bad_header = LoadDoorsCsv(Write(dir, "d.csv", "door,routes\nD1,R1\n"), &other);
  EXPECT_NE(bad_header.message().find("d.csv:1:"), std::string::npos) << bad_header;
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
