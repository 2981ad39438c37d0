// `sortline report` as its users see it: the report of a real run opened in headless
// Chromium (issue 12's acceptance), and the report of a `sortline submit` summary.
#include <algorithm>
#include <cctype>
#include <chrono>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include <google/protobuf/util/json_util.h>
#include <gtest/gtest.h>

#include "pipeline/model/orders.h"
#include "proto/report.pb.h"
#include "tests/report/browser.h"
#include "tests/testing/daemons.h"
#include "tests/testing/process.h"
#include "tests/testing/testing.h"

namespace sortline {
namespace {

using std::chrono::milliseconds;
using testing::Bin;
using testing::Endpoint;

constexpr int kWidth = 1200;

v1::RunSummary ReadSummary(const std::string& path) {
  v1::RunSummary summary;
  EXPECT_TRUE(google::protobuf::util::JsonStringToMessage(testing::ReadFile(path), &summary).ok())
      << path;
  return summary;
}

// The number a figure of the page shows ("3,006" -> 3006); -1 when it is not there.
// (Plain string search: libstdc++'s std::regex recurses per character and overflows the
// stack on the page's megabytes.)
long long FigureValue(const std::string& html, const std::string& id) {
  const size_t figure = html.find("data-figure=\"" + id + "\"");
  if (figure == std::string::npos) return -1;
  const size_t value = html.find("class=\"value", figure);
  const size_t start = html.find('>', value);
  if (value == std::string::npos || start == std::string::npos) return -1;
  std::string digits;
  for (size_t i = start + 1; i < html.size() && html[i] != '<'; ++i) {
    if (html[i] != ',') digits += html[i];
  }
  return digits.empty() || digits.find_first_not_of("0123456789") != std::string::npos
             ? -1
             : std::stoll(digits);
}

uint64_t TopChuteCount(const v1::RunSummary& summary) {
  uint64_t top = 0;
  for (const auto& [chute, count] : summary.records_by_chute()) top = std::max(top, count);
  return top;
}

// Nothing in the page is fetched from elsewhere: every src and href is a data: URI or a
// fragment of the page itself.
std::vector<std::string> OutsideReferences(const std::string& html) {
  std::vector<std::string> outside;
  for (const std::string attribute : {"src=", "href="}) {
    for (size_t at = html.find(attribute); at != std::string::npos;
         at = html.find(attribute, at + 1)) {
      // Only attributes of a tag count, not text that shows an escaped tag.
      const size_t open = html.rfind('<', at);
      const size_t close = html.rfind('>', at);
      const bool in_tag = open != std::string::npos && (close == std::string::npos || close < open);
      if (!in_tag || at == 0 || !std::isspace(static_cast<unsigned char>(html[at - 1]))) continue;
      size_t start = at + attribute.size();
      if (start < html.size() && (html[start] == '"' || html[start] == '\'')) ++start;
      const std::string target = html.substr(start, 5);
      if (target.rfind("data:", 0) != 0 && target.rfind("#", 0) != 0) {
        outside.push_back(html.substr(at, 60));
      }
    }
  }
  return outside;
}

TEST(ReportInChromium, RealRunShowsTheSummaryNumbersEveryChartAndNoConsoleErrorsIssue12) {
  testing::TempDir dir;
  const std::string orders = dir.file("orders.jsonl");
  testing::CommandResult gen = testing::GenerateOrdersFile(orders, 3000, 12);
  ASSERT_EQ(gen.exit_code, 0) << gen.output;
  // Failures of several kinds after the good orders, one of them an order id that would
  // run script in the page (and log to the console) were it not escaped.
  const std::string generated = testing::ReadFile(orders);
  const size_t fifth = [&] {
    size_t at = 0;
    for (int line = 1; line < 5; ++line) at = generated.find('\n', at) + 1;
    return at;
  }();
  v1::Order unknown_division = testing::SampleOrder("BAD-DIVISION");
  unknown_division.mutable_recipient()->set_division_code("999999");
  const std::string hostile_id = "<img src=x onerror=\"console.error('injected')\">";
  std::ofstream(orders, std::ios::app)
      << "{\"orderId\": \"BROKEN\", \"merchant\": \n"
      << model::OrderToJson(unknown_division) << "\n"
      << model::OrderToJson(testing::SampleOrder(hostile_id)) << "\n"
      << generated.substr(fifth, generated.find('\n', fifth) + 1 - fifth);  // line 5's id again

  const std::string out = dir.file("run");
  testing::CommandResult run =
      testing::RunCommand(Bin("sortline") + " run " + orders + " -o " + out);
  ASSERT_EQ(run.exit_code, 1) << run.output;  // some orders failed, the rest finished
  const v1::RunSummary summary = ReadSummary(out + "/summary.json");
  ASSERT_EQ(summary.lines(), 3004u);
  ASSERT_GE(summary.failed(), 4u);

  testing::CommandResult report = testing::RunCommand(Bin("sortline") + " report " + out);
  ASSERT_EQ(report.exit_code, 0) << report.output;
  const std::string html_path = out + "/report.html";
  const std::string html = testing::ReadFile(html_path);
  ASSERT_FALSE(html.empty());
  EXPECT_EQ(OutsideReferences(html), std::vector<std::string>{});
  EXPECT_EQ(html.find(hostile_id), std::string::npos)
      << "the hostile order id reached the page raw";

  // Loaded: no console message at all (an error, or the injected id's script).
  testing::PageLoad load = testing::LoadInChromium(html_path, kWidth);
  ASSERT_EQ(load.exit_code, 0) << load.log;
  EXPECT_EQ(load.console, std::vector<std::string>{}) << load.log;
  ASSERT_EQ(testing::BodyAttribute(load.dom, "data-ready"), "1") << load.dom.substr(0, 2000);

  // The numbers shown are the summary's.
  EXPECT_EQ(FigureValue(load.dom, "orders"), static_cast<long long>(summary.lines()));
  EXPECT_EQ(FigureValue(load.dom, "ok"), static_cast<long long>(summary.ok()));
  EXPECT_EQ(FigureValue(load.dom, "failed"), static_cast<long long>(summary.failed()));
  EXPECT_EQ(FigureValue(load.dom, "top-chute-count"),
            static_cast<long long>(TopChuteCount(summary)));

  // Every chart and every sample is on the page, and drawn.
  const std::vector<testing::Box> boxes = testing::PageBoxes(load.dom);
  std::map<std::string, testing::Box> by_id;
  for (const testing::Box& b : boxes) by_id[b.id] = b;
  const std::vector<std::string> charts = {
      "chart-throughput", "chart-stage-latency", "chart-outcomes",   "chart-chutes",
      "chart-doors",      "chart-provinces",     "chart-label-sizes"};
  for (const std::string& id : charts)
    EXPECT_TRUE(by_id.count(id)) << "no " << id << " on the page";
  const long samples = std::count_if(boxes.begin(), boxes.end(), [](const testing::Box& b) {
    return b.id.rfind("image-samples-", 0) == 0;
  });
  EXPECT_GE(samples, 1);

  const int height = std::stoi("0" + testing::BodyAttribute(load.dom, "data-height"));
  ASSERT_GT(height, 1000);
  const std::string png = dir.file("report.png");
  ASSERT_TRUE(testing::ScreenshotInChromium(html_path, kWidth, std::min(height, 16'000), png));
  std::optional<testing::Image> image = testing::ReadPng(png);
  ASSERT_TRUE(image.has_value());
  for (const testing::Box& box : boxes) {
    ASSERT_GT(box.w, 100) << box.id;
    ASSERT_GT(box.h, 100) << box.id;
    const testing::Ink ink = testing::InkIn(*image, box);
    EXPECT_EQ(ink.pixels, static_cast<long>(box.w) * box.h) << box.id << " is off the screenshot";
    EXPECT_GT(ink.marked, ink.pixels / 100) << box.id << " is blank";
    if (box.id.rfind("chart-", 0) == 0) {
      // Data drawn in a series colour, not just axes or "no data".
      EXPECT_GT(ink.coloured, 150) << box.id << " shows no data";
    } else {
      EXPECT_GT(ink.marked, ink.pixels / 20) << box.id << " shows no label";
    }
  }
}

// The checks above can fail: a console error and a chart without data are caught.
TEST(ReportInChromium, ConsoleErrorsAndBlankChartsAreCaught) {
  testing::TempDir dir;
  const std::string page = dir.file("broken.html");
  std::ofstream(page)
      << "<!DOCTYPE html><html><body>"
         "<div data-box=\"chart-empty\" style=\"width:300px;height:200px\"></div>"
         "<div data-box=\"chart-grey\" style=\"width:300px;height:200px;"
         "background:#777\"></div><script>"
         "document.body.setAttribute('data-boxes', JSON.stringify(Array.from("
         "document.querySelectorAll('[data-box]'), function (e) {"
         "var r = e.getBoundingClientRect(); return {id: e.getAttribute('data-box'),"
         " x: r.left, y: r.top, w: r.width, h: r.height}; })));"
         "console.error('boom'); undefinedFunction();</script></body></html>";
  testing::PageLoad load = testing::LoadInChromium(page, 800);
  ASSERT_EQ(load.exit_code, 0) << load.log;
  EXPECT_EQ(load.console.size(), 2u) << load.log;
  const std::vector<testing::Box> boxes = testing::PageBoxes(load.dom);
  ASSERT_EQ(boxes.size(), 2u) << load.dom;
  const std::string png = dir.file("broken.png");
  ASSERT_TRUE(testing::ScreenshotInChromium(page, 800, 600, png));
  std::optional<testing::Image> image = testing::ReadPng(png);
  ASSERT_TRUE(image.has_value());
  EXPECT_EQ(testing::InkIn(*image, boxes[0]).marked, 0);       // blank
  EXPECT_GT(testing::InkIn(*image, boxes[1]).marked, 50'000);  // grey, but
  EXPECT_EQ(testing::InkIn(*image, boxes[1]).coloured, 0);     // no series colour
}

// The summary `sortline submit --summary` writes is a report of its own: headline and
// throughput, and a note that chutes and doors need the records file.
TEST(SortlineReport, DrawsTheSummaryOfASubmissionIssue12) {
  testing::TempDir dir;
  const std::string orders = dir.file("orders.jsonl");
  ASSERT_EQ(testing::GenerateOrdersFile(orders, 400, 3).exit_code, 0);
  const std::string log = dir.file("daemons.log");
  testing::PipelinePorts ports;
  std::vector<std::unique_ptr<testing::Subprocess>> daemons;
  testing::StartDockAndIntake(ports, dir.path().string(), log, daemons);
  daemons.push_back(
      testing::StartWorker(testing::PipelineWorker(ports, dir.file("labels"), "w1"), log));
  const std::string summary_path = dir.file("submitted/summary-of-submit.json");
  testing::CommandResult submit = testing::RunCommand(
      Bin("sortline") + " submit " + orders + " --intake " + Endpoint(ports.submit) +
      " --stall-timeout-ms 60000 --summary " + summary_path);
  ASSERT_EQ(submit.exit_code, 0) << submit.output << testing::ReadFile(log);
  const v1::RunSummary summary = ReadSummary(summary_path);
  EXPECT_GE(summary.timeline_size(), 2);

  const std::string html_path = dir.file("submit-report.html");
  testing::CommandResult report =
      testing::RunCommand(Bin("sortline") + " report " + summary_path + " -o " + html_path);
  ASSERT_EQ(report.exit_code, 0) << report.output;
  const std::string html = testing::ReadFile(html_path);
  EXPECT_EQ(FigureValue(html, "orders"), 400);
  EXPECT_EQ(FigureValue(html, "ok"), static_cast<long long>(summary.ok()));
  EXPECT_NE(html.find("id=\"chart-throughput\""), std::string::npos);
  EXPECT_NE(html.find("No records file in"), std::string::npos);
  for (auto& daemon : daemons) daemon->Signal(SIGTERM);
  for (auto& daemon : daemons) daemon->Wait(milliseconds(20'000));
}

}  // namespace
}  // namespace sortline
