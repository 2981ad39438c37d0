// The festival rehearsal in the test suite (issue 16's acceptance): a 2-minute surge
// through intake, two workers, the dock and the scanner simulator, checked by its
// ledger (nothing lost or doubled) and by its report (every chart has data).
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>
#include <gtest/gtest.h>

#include "proto/report.pb.h"
#include "tests/testing/process.h"
#include "tests/testing/testing.h"

namespace sortline {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

// The problems of one report section: a chart without a series of data, a series (not
// the overlaid profile) without a single finite value. Empty when every chart has data.
std::vector<std::string> ChartsWithoutData(const v1::ReportSection& section) {
  std::vector<std::string> problems;
  for (const v1::Chart& chart : section.charts()) {
    int drawn = 0;
    for (const v1::ChartSeries& series : chart.series()) {
      if (series.secondary_axis()) continue;
      int finite = 0;
      for (double y : series.y()) finite += std::isfinite(y) ? 1 : 0;
      if (finite == 0)
        problems.push_back(chart.id() + ": series \"" + series.name() + "\" is empty");
      ++drawn;
    }
    if (drawn == 0) problems.push_back(chart.id() + ": no series");
  }
  return problems;
}

v1::ReportSection ParseSection(const std::string& path) {
  v1::ReportSection section;
  auto parsed = google::protobuf::util::JsonStringToMessage(testing::ReadFile(path), &section);
  EXPECT_TRUE(parsed.ok()) << path << ": " << parsed.ToString();
  return section;
}

double Field(const google::protobuf::Struct& json, const std::string& name) {
  auto it = json.fields().find(name);
  return it == json.fields().end() ? -1 : it->second.number_value();
}

google::protobuf::Struct ParseJson(const std::string& path) {
  google::protobuf::Struct json;
  auto parsed = google::protobuf::util::JsonStringToMessage(testing::ReadFile(path), &json);
  EXPECT_TRUE(parsed.ok()) << path << ": " << parsed.ToString();
  return json;
}

void Overwrite(const fs::path& path, const std::string& text) {
  std::ofstream(path, std::ios::trunc) << text;  // test data, not a durable write
}

std::string Rehearsal(const std::string& args) {
  return "bash " SORTLINE_SOURCE_DIR "/bench/rehearsal.sh --build " SORTLINE_BUILD_DIR " " + args +
         " 2>&1";
}

TEST(ChartsWithoutData, FindsAnEmptySeriesAndAChartWithNone) {
  v1::ReportSection section;
  v1::Chart* chart = section.add_charts();
  chart->set_id("lag");
  v1::ChartSeries* p99 = chart->add_series();
  p99->set_name("p99");
  p99->add_x(0);
  p99->add_y(std::nan(""));
  v1::ChartSeries* profile = chart->add_series();
  profile->set_secondary_axis(true);
  profile->add_x(0);
  profile->add_y(1);
  section.add_charts()->set_id("none");
  EXPECT_THAT(ChartsWithoutData(section),
              ::testing::ElementsAre("lag: series \"p99\" is empty", "none: no series"));
  p99->set_y(0, 0.4);
  EXPECT_THAT(ChartsWithoutData(section), ::testing::ElementsAre("none: no series"));
}

TEST(Rehearsal, TwoMinuteSurgeLosesAndDoublesNothingAndEveryChartHasDataIssue16) {
  testing::TempDir dir;
  const std::string run_dir = dir.file("run");
  // 2 minutes at 8 orders/s (80/s at the peak); small bags so chutes fill and overflow.
  testing::CommandResult run = testing::RunCommand(Rehearsal(
      "--minutes 2 --base-rate 8 --bag-capacity 40 --bag-change-ms 2000 --recirculate-ms 2000 "
      "--scan-delay-ms 1000 --no-read-every 200 --manual-every 300 --run-dir '" +
      run_dir + "'"));
  ASSERT_EQ(run.exit_code, 0) << run.output;

  const google::protobuf::Struct ledger = ParseJson(run_dir + "/ledger.json");
  const double orders = Field(ledger, "orders");
  EXPECT_GT(orders, 1000) << run.output;
  EXPECT_EQ(Field(ledger, "records"), orders);
  EXPECT_EQ(Field(ledger, "scanned"), orders);
  EXPECT_EQ(Field(ledger, "lost"), 0);
  EXPECT_EQ(Field(ledger, "doubled"), 0);
  EXPECT_EQ(Field(ledger, "stray"), 0);
  EXPECT_GT(Field(ledger, "loaded"), orders * 0.9);
  EXPECT_GT(Field(ledger, "trucks"), 0);
  const google::protobuf::Struct& explained = ledger.fields().at("explained").struct_value();
  EXPECT_GT(Field(explained, "no-read"), 0);
  EXPECT_GT(Field(explained, "manual"), 0);
  EXPECT_EQ(Field(ledger, "loaded") + Field(explained, "no-read") + Field(explained, "manual") +
                Field(explained, "rejected") + Field(explained, "refused at intake"),
            orders);

  // Every chart of every rehearsal section has data, and is drawn in the report.
  std::vector<std::string> files;
  for (const auto& entry : fs::directory_iterator(run_dir + "/report.d")) {
    files.push_back(entry.path().string());
  }
  ASSERT_GE(files.size(), 6u);
  const std::string html = testing::ReadFile(run_dir + "/report.html");
  int charts = 0;
  for (const std::string& file : files) {
    const v1::ReportSection section = ParseSection(file);
    EXPECT_THAT(ChartsWithoutData(section), ::testing::IsEmpty()) << file;
    for (const v1::Chart& chart : section.charts()) {
      EXPECT_THAT(html, HasSubstr("id=\"chart-" + chart.id() + "\"")) << chart.id();
      ++charts;
    }
  }
  EXPECT_GE(charts, 10);
  // The raw scrapes are kept, from every daemon.
  for (const char* daemon : {"intake", "worker1", "worker2", "dock"}) {
    EXPECT_THAT(testing::ReadFile(run_dir + "/metrics/" + daemon + ".prom"), HasSubstr("# scrape "))
        << daemon;
  }

  // The ledger can fail: a parcel listed on a second manifest is doubled, a parcel taken
  // off its manifest is lost.
  std::vector<fs::path> manifests;
  for (const auto& entry : fs::directory_iterator(run_dir + "/manifests")) {
    if (entry.path().extension() == ".csv") manifests.push_back(entry.path());
  }
  std::sort(manifests.begin(), manifests.end());
  ASSERT_GE(manifests.size(), 2u);
  const std::string first = testing::ReadFile(manifests[0].string());
  const std::string second = testing::ReadFile(manifests[1].string());
  const size_t row_begin = first.find('\n') + 1;
  const size_t row_end = first.find('\n', row_begin) + 1;
  ASSERT_GT(row_end, row_begin);
  const std::string row = first.substr(row_begin, row_end - row_begin);
  const std::string analyse = "python3 " SORTLINE_SOURCE_DIR
                              "/bench/rehearsal.py --build " SORTLINE_BUILD_DIR " --analyse '" +
                              run_dir + "' 2>&1";
  Overwrite(manifests[1], second + row);
  testing::CommandResult doubled = testing::RunCommand(analyse);
  EXPECT_EQ(doubled.exit_code, 1) << doubled.output;
  EXPECT_EQ(Field(ParseJson(run_dir + "/ledger.json"), "doubled"), 1) << doubled.output;
  Overwrite(manifests[1], second);
  Overwrite(manifests[0], first.substr(0, row_begin) + first.substr(row_end));
  testing::CommandResult lost = testing::RunCommand(analyse);
  EXPECT_EQ(lost.exit_code, 1) << lost.output;
  EXPECT_EQ(Field(ParseJson(run_dir + "/ledger.json"), "lost"), 1) << lost.output;
}

}  // namespace
}  // namespace sortline
