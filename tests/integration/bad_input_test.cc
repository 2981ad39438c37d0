// Issue 13: the hostile orders file through `sortline run`, as an operator runs it.
// One run serves every test of the suite; each test checks one finding of the issue.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include <google/protobuf/util/json_util.h>
#include <gtest/gtest.h>

#include "pipeline/base/text.h"
#include "proto/record.pb.h"
#include "proto/report.pb.h"
#include "tests/testing/daemons.h"
#include "tests/testing/hostile.h"
#include "tests/testing/process.h"
#include "tests/testing/testing.h"

namespace sortline {
namespace {

namespace fs = std::filesystem;

using testing::Bin;

class HostileOrdersFile : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new testing::TempDir();
    const std::string orders = dir_->file("hostile.jsonl");
    testing::WriteHostileOrders(orders);
    out_dir_ = new fs::path(dir_->path() / "out");
    run_ = new testing::CommandResult(testing::RunCommand(Bin("sortline") + " run " + orders +
                                                          " -o " + out_dir_->string() + " 2>&1"));
    summary_json_ = new std::string(testing::ReadFile((*out_dir_ / "summary.json").string()));
    summary_ = new v1::RunSummary();
    parsed_ = google::protobuf::util::JsonStringToMessage(*summary_json_, summary_).ok();
  }
  static void TearDownTestSuite() {
    delete summary_;
    delete summary_json_;
    delete run_;
    delete out_dir_;
    delete dir_;
  }

  // The failure of `line`, or null.
  static const v1::OrderFailure* FailureAt(uint64_t line) {
    for (const v1::OrderFailure& f : summary_->failures()) {
      if (f.line() == line) return &f;
    }
    return nullptr;
  }

  static std::vector<v1::SortRecord> Records() {
    std::vector<v1::SortRecord> records;
    std::ifstream in(*out_dir_ / "records.jsonl");
    std::string line;
    while (std::getline(in, line)) {
      v1::SortRecord record;
      if (google::protobuf::util::JsonStringToMessage(line, &record).ok()) {
        records.push_back(record);
      }
    }
    return records;
  }

  static testing::TempDir* dir_;
  static fs::path* out_dir_;
  static testing::CommandResult* run_;
  static std::string* summary_json_;
  static v1::RunSummary* summary_;
  static bool parsed_;
};

testing::TempDir* HostileOrdersFile::dir_ = nullptr;
fs::path* HostileOrdersFile::out_dir_ = nullptr;
testing::CommandResult* HostileOrdersFile::run_ = nullptr;
std::string* HostileOrdersFile::summary_json_ = nullptr;
v1::RunSummary* HostileOrdersFile::summary_ = nullptr;
bool HostileOrdersFile::parsed_ = false;

TEST_F(HostileOrdersFile, RunsToTheEndWithExitOneAndEveryLineAccountedFor) {
  EXPECT_EQ(run_->exit_code, 1) << run_->output;
  ASSERT_TRUE(parsed_) << *summary_json_;
  EXPECT_EQ(summary_->lines(), testing::kHostileLines);
  EXPECT_EQ(summary_->ok(), testing::kHostileGoodOrders);
  EXPECT_EQ(summary_->ok() + summary_->failed(), summary_->lines());
  // Nothing was written outside the output directory.
  std::set<std::string> top;
  for (const auto& entry : fs::directory_iterator(dir_->path())) {
    top.insert(entry.path().filename().string());
  }
  EXPECT_EQ(top, (std::set<std::string>{"hostile.jsonl", "out"}));
}

TEST_F(HostileOrdersFile, TerminalFailureListGoesOnPastANulByteIssue13) {
  const std::string& out = run_->output;
  EXPECT_EQ(out.find('\0'), std::string::npos) << "no NUL reaches the terminal";
  EXPECT_EQ(out.find('\x1b'), std::string::npos) << "no escape sequence reaches the terminal";
  EXPECT_TRUE(IsValidUtf8(out));
  EXPECT_NE(out.find("line 5: order NUL\\0ID: invalid order id \"NUL\\0ID\""), std::string::npos)
      << out;
  // The failures after it, and the end of the report, are all there.
  EXPECT_NE(out.find("line 10: order ZERO-WEIGHT"), std::string::npos) << out;
  EXPECT_NE(out.find("more in the summary file"), std::string::npos) << out;
  EXPECT_NE(out.find("labels written 17"), std::string::npos) << out;
  EXPECT_NE(out.find("summary: "), std::string::npos) << out;
  // Every failure line is one line: nothing from the input broke it.
  std::regex listed(R"(^    line \d+: .*$)", std::regex::multiline);
  EXPECT_EQ(
      std::distance(std::sregex_iterator(out.begin(), out.end(), listed), std::sregex_iterator()),
      20)
      << out;
}

TEST_F(HostileOrdersFile, SummaryJsonIsValidUtf8AndProtobufComplainsOfNothingIssue13) {
  ASSERT_FALSE(summary_json_->empty());
  EXPECT_TRUE(IsValidUtf8(*summary_json_));
  EXPECT_TRUE(parsed_) << "the summary parses as JSON again";
  EXPECT_EQ(run_->output.find("invalid UTF-8"), std::string::npos) << run_->output;
  EXPECT_EQ(run_->output.find("libprotobuf"), std::string::npos) << run_->output;
  const v1::OrderFailure* bad_utf8 = FailureAt(testing::kHostileBadUtf8Line);
  ASSERT_NE(bad_utf8, nullptr);
  EXPECT_EQ(bad_utf8->reason(), "malformed order JSON: Encountered non UTF-8 code points.");
  for (const v1::OrderFailure& f : summary_->failures()) {
    EXPECT_TRUE(IsValidUtf8(f.reason()) && IsValidUtf8(f.order_id())) << f.line();
    EXPECT_EQ(f.reason().find('\n'), std::string::npos) << f.line() << ": " << f.reason();
  }
}

TEST_F(HostileOrdersFile, EachFailureIsListedOnceWithItsLineIssue13) {
  std::set<uint64_t> lines;
  for (const v1::OrderFailure& f : summary_->failures()) {
    EXPECT_NE(f.line(), 0u) << f.reason();
    EXPECT_TRUE(lines.insert(f.line()).second) << "line " << f.line() << " listed twice";
  }
  EXPECT_EQ(summary_->failed(), static_cast<uint64_t>(summary_->failures_size()));
  // The repeats: the first occurrence of each id is the order, every later one fails once.
  for (uint64_t line : {37, 39, 41, 42}) {
    const v1::OrderFailure* f = FailureAt(line);
    ASSERT_NE(f, nullptr) << line;
    EXPECT_NE(f->reason().find("duplicate order id"), std::string::npos) << f->reason();
  }
  for (uint64_t line : {36, 38, 40}) EXPECT_EQ(FailureAt(line), nullptr) << line;
  EXPECT_EQ(summary_->failed_by_reason().at("duplicate order id"), 4u);
}

TEST_F(HostileOrdersFile, ProgressTotalIsKnownFromTheStartAndNeverPassedIssue12) {
  std::regex counted(R"((\d[\d,]*)/(\d[\d,]*) orders)");
  auto number = [](std::string s) {
    s.erase(std::remove(s.begin(), s.end(), ','), s.end());
    return std::stoull(s);
  };
  int drawn = 0;
  uint64_t last = 0;
  for (auto it = std::sregex_iterator(run_->output.begin(), run_->output.end(), counted);
       it != std::sregex_iterator(); ++it) {
    ++drawn;
    last = number((*it)[1]);
    EXPECT_EQ(number((*it)[2]), testing::kHostileLines) << it->str();
    EXPECT_LE(last, testing::kHostileLines) << it->str();
  }
  EXPECT_GE(drawn, 1) << run_->output;
  EXPECT_EQ(last, testing::kHostileLines);
}

TEST_F(HostileOrdersFile, LongOrderIdIsShownShortenedWithItsLengthIssue13) {
  const v1::OrderFailure* f = FailureAt(testing::kHostileLongIdLine);
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->order_id(), std::string(64, 'X') + "…[10000 bytes]");
  EXPECT_LT(f->reason().size(), 200u) << f->reason();
  EXPECT_NE(f->reason().find("…[10000 bytes]"), std::string::npos) << f->reason();
  EXPECT_EQ(summary_json_->find(std::string(100, 'X')), std::string::npos);
  EXPECT_EQ(run_->output.find(std::string(100, 'X')), std::string::npos);
  // The 5 MB line is refused by its length, without being echoed at all.
  const v1::OrderFailure* five = FailureAt(testing::kHostileFiveMegabyteLine);
  ASSERT_NE(five, nullptr);
  EXPECT_EQ(five->reason().rfind("line too long: ", 0), 0u) << five->reason();
  EXPECT_LT(summary_json_->size(), 64u * 1024);
  const v1::OrderFailure* name = FailureAt(testing::kHostileLongNameLine);
  ASSERT_NE(name, nullptr);
  EXPECT_EQ(name->reason(),
            "implausible recipient.name: 2100 bytes is over the limit of 1024 bytes");
}

TEST_F(HostileOrdersFile, NegativeDeclaredValueAndCashOnDeliveryAreRefusedIssue13) {
  const v1::OrderFailure* value = FailureAt(testing::kHostileNegativeValueLine);
  ASSERT_NE(value, nullptr);
  EXPECT_EQ(value->order_id(), "NEG-VALUE");
  EXPECT_EQ(value->reason(), "negative parcel.declared_value_fen: -100");
  const v1::OrderFailure* cod = FailureAt(testing::kHostileNegativeCodLine);
  ASSERT_NE(cod, nullptr);
  EXPECT_EQ(cod->reason(), "negative parcel.cod_fen: -5000");
  for (const v1::SortRecord& r : Records()) {
    EXPECT_NE(r.order_id(), "NEG-VALUE");
    EXPECT_NE(r.order_id(), "NEG-COD");
  }
}

TEST_F(HostileOrdersFile, ImpossibleParcelsAreRefusedAndMerelyHeavyOnesGoToManualIssue13) {
  const v1::OrderFailure* weight = FailureAt(testing::kHostileHugeWeightLine);
  ASSERT_NE(weight, nullptr);
  EXPECT_EQ(weight->reason(),
            "implausible parcel.weight_g: 2147483647 g is over the limit of 1000000 g");
  const v1::OrderFailure* sides = FailureAt(testing::kHostileHugeSidesLine);
  ASSERT_NE(sides, nullptr);
  EXPECT_EQ(sides->reason(), "implausible parcel.length_mm: 65535 mm is over the limit of 5000 mm");
  bool heavy_seen = false;
  for (const v1::SortRecord& r : Records()) {
    EXPECT_NE(r.order_id(), "HUGE-WEIGHT");
    EXPECT_NE(r.order_id(), "HUGE-SIDES");
    if (r.order_id() == "HEAVY-40KG") {
      heavy_seen = true;
      EXPECT_EQ(r.chute(), "C902") << "the Xi'an plan's manual chute";
    }
  }
  EXPECT_TRUE(heavy_seen);
}

TEST(SortlineRun, LimitsAreConfigurableOnTheCommandLineIssue13) {
  testing::TempDir dir;
  const std::string orders = dir.file("orders.jsonl");
  {
    std::ofstream out(orders);
    v1::Order heavy = testing::SampleOrder("HEAVY");
    heavy.mutable_parcel()->set_weight_g(40'000);
    std::string json;
    ASSERT_TRUE(google::protobuf::util::MessageToJsonString(heavy, &json).ok());
    out << json << '\n';
  }
  testing::CommandResult run = testing::RunCommand(Bin("sortline") + " run " + orders + " -o " +
                                                   dir.file("out") + " --max-weight-g 30000 2>&1");
  EXPECT_EQ(run.exit_code, 1) << run.output;
  EXPECT_NE(run.output.find("implausible parcel.weight_g: 40000 g is over the limit of 30000 g"),
            std::string::npos)
      << run.output;
  testing::CommandResult help = testing::RunCommand(Bin("sortline") + " run --help");
  for (const char* flag : {"--max-weight-g", "--max-side-mm", "--max-value-fen", "--min-created-ms",
                           "--max-created-ms", "--max-text-bytes"}) {
    EXPECT_NE(help.output.find(flag), std::string::npos) << flag;
  }
}

TEST(SortlineRun, ProgressShowsTheWholeFileFromItsFirstLineIssue12) {
  testing::TempDir dir;
  const std::string orders = dir.file("orders.jsonl");
  ASSERT_EQ(testing::GenerateOrdersFile(orders, 3000, 5).exit_code, 0);
  testing::CommandResult run = testing::RunCommand(Bin("sortline") + " run " + orders + " -o " +
                                                   dir.file("out") + " --batch-size 250 2>&1");
  ASSERT_EQ(run.exit_code, 0) << run.output;
  std::regex counted(R"((\d[\d,]*)/(\d[\d,]*) orders)");
  int drawn = 0;
  for (auto it = std::sregex_iterator(run.output.begin(), run.output.end(), counted);
       it != std::sregex_iterator(); ++it) {
    ++drawn;
    EXPECT_EQ((*it)[2].str(), "3,000") << it->str();
  }
  EXPECT_GE(drawn, 1) << run.output;
  EXPECT_NE(run.output.find("3,000/3,000 orders"), std::string::npos) << run.output;
}

}  // namespace
}  // namespace sortline
