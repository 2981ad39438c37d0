// `sortline gen` and `sortline run` as an operator runs them.
#include <filesystem>
#include <fstream>
#include <set>
#include <string>

#include <google/protobuf/util/json_util.h>
#include <gtest/gtest.h>

#include "pipeline/model/orders.h"
#include "pipeline/model/s10.h"
#include "proto/record.pb.h"
#include "proto/report.pb.h"
#include "tests/testing/daemons.h"
#include "tests/testing/process.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/testing.h"

namespace sortline {
namespace {

namespace fs = std::filesystem;

using testing::Bin;

std::vector<std::string> Lines(const std::string& path) {
  std::vector<std::string> lines;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) lines.push_back(line);
  return lines;
}

TEST(SortlineRun, BadOrdersAreReportedByLineAndGoodOnesAllFinish) {
  testing::TempDir dir;
  const std::string orders = dir.file("orders.jsonl");
  testing::CommandResult gen = testing::GenerateOrdersFile(orders, 300, 7);
  ASSERT_EQ(gen.exit_code, 0) << gen.output;

  // Bad orders among the good ones, at known lines.
  std::vector<std::string> lines = Lines(orders);
  ASSERT_EQ(lines.size(), 300u);
  auto bad = [](const std::string& id) { return testing::SampleOrder(id); };
  v1::Order unknown_division = bad("BAD-DIVISION");
  unknown_division.mutable_recipient()->set_division_code("999999");
  v1::Order negative_weight = bad("BAD-WEIGHT");
  negative_weight.mutable_parcel()->set_weight_g(-500);
  v1::Order empty_recipient = bad("BAD-RECIPIENT");
  empty_recipient.mutable_recipient()->set_name("");
  v1::Order traversal = bad("../../etc/x");
  std::vector<std::pair<size_t, std::string>> inserted = {
      {10, "{\"orderId\": \"BROKEN\", \"merchant\": "},  // malformed JSON
      {50, model::OrderToJson(unknown_division)},       {90, model::OrderToJson(negative_weight)},
      {150, model::OrderToJson(empty_recipient)},       {200, model::OrderToJson(traversal)},
  };
  for (const auto& [at, text] : inserted) {
    lines.insert(lines.begin() + static_cast<long>(at) - 1, text);  // becomes line `at`
  }
  {
    std::ofstream out(orders, std::ios::trunc);
    for (const std::string& l : lines) out << l << '\n';
  }

  const fs::path out_dir = dir.path() / "work" / "out";
  testing::CommandResult run = testing::RunCommand(Bin("sortline") + " run " + orders + " -o " +
                                                   out_dir.string() + " --batch-size 64");
  EXPECT_EQ(run.exit_code, 1) << "some orders failed, so the exit status says so\n" << run.output;

  v1::RunSummary summary;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(
                  testing::ReadFile((out_dir / "summary.json").string()), &summary)
                  .ok())
      << run.output;
  EXPECT_EQ(summary.lines(), 305u);
  EXPECT_EQ(summary.ok(), 300u);
  EXPECT_EQ(summary.failed(), 5u);
  ASSERT_EQ(summary.failures_size(), 5);
  EXPECT_EQ(summary.failures(0).line(), 10u);
  EXPECT_NE(summary.failures(0).reason().find("malformed"), std::string::npos);
  EXPECT_EQ(summary.failures(1).line(), 50u);
  EXPECT_NE(summary.failures(1).reason().find("999999"), std::string::npos);
  EXPECT_EQ(summary.failures(2).line(), 90u);
  EXPECT_NE(summary.failures(2).reason().find("weight"), std::string::npos);
  EXPECT_EQ(summary.failures(3).line(), 150u);
  EXPECT_NE(summary.failures(3).reason().find("recipient"), std::string::npos);
  EXPECT_EQ(summary.failures(4).line(), 200u);
  EXPECT_EQ(summary.failures(4).order_id(), "../../etc/x");
  // The operator sees each bad line in the printed summary too.
  for (const char* line : {"line 10:", "line 50:", "line 90:", "line 150:", "line 200:"}) {
    EXPECT_NE(run.output.find(line), std::string::npos) << line << "\n" << run.output;
  }

  // Every good order has exactly one record and one label (a page of a batch file) with a
  // valid tracking number.
  std::vector<std::string> records = Lines((out_dir / "records.jsonl").string());
  EXPECT_EQ(records.size(), 300u);
  std::set<std::string> pages;
  for (const std::string& line : records) {
    v1::SortRecord record;
    ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(line, &record).ok()) << line;
    EXPECT_OK(model::ValidateS10(record.tracking_number())) << line;
    EXPECT_TRUE(record.label().path().starts_with("batch-")) << line;
    EXPECT_TRUE(fs::exists(out_dir / "labels" / record.label().path())) << line;
    pages.insert(record.label().path() + " " + std::to_string(record.label().page()));
  }
  EXPECT_EQ(pages.size(), 300u) << "one page each";

  // Nothing was written outside the output directory.
  std::set<std::string> top;
  for (const auto& entry : fs::directory_iterator(dir.path())) {
    top.insert(entry.path().filename().string());
  }
  EXPECT_EQ(top, (std::set<std::string>{"orders.jsonl", "work"}));
  std::set<std::string> work;
  for (const auto& entry : fs::directory_iterator(dir.path() / "work")) {
    work.insert(entry.path().filename().string());
  }
  EXPECT_EQ(work, (std::set<std::string>{"out"}));
  EXPECT_FALSE(fs::exists(dir.path() / "etc"));
  EXPECT_FALSE(fs::exists(dir.path() / "work" / "etc"));
}

TEST(SortlineRun, MissingOrdersFileIsAClearErrorWithExitTwo) {
  testing::TempDir dir;
  testing::CommandResult run = testing::RunCommand(
      Bin("sortline") + " run " + dir.file("nope.jsonl") + " -o " + dir.file("out"));
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_NE(run.output.find("nope.jsonl"), std::string::npos) << run.output;
}

TEST(SortlineGen, SameSeedGivesTheSameFile) {
  testing::TempDir dir;
  ASSERT_EQ(testing::GenerateOrdersFile(dir.file("a"), 50, 3).exit_code, 0);
  ASSERT_EQ(testing::GenerateOrdersFile(dir.file("b"), 50, 3).exit_code, 0);
  std::string a = testing::ReadFile(dir.file("a"));
  EXPECT_FALSE(a.empty());
  EXPECT_EQ(a, testing::ReadFile(dir.file("b")));
}

}  // namespace
}  // namespace sortline
