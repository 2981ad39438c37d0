// bench/suite.sh as an engineer runs it, in its quick mode (issue 12's acceptance): every
// section of BENCHMARKS.md filled, every peer ran or is reported missing with a reason.
#include <cstdlib>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/testing/process.h"
#include "tests/testing/testing.h"

namespace sortline {
namespace {

using ::testing::HasSubstr;

// "## Title" -> the text up to the next "## ".
std::map<std::string, std::string> Sections(const std::string& md) {
  std::map<std::string, std::string> sections;
  std::string title;
  std::istringstream lines(md);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("## ", 0) == 0) {
      title = line.substr(3);
      sections[title];
    } else if (!title.empty()) {
      sections[title] += line + "\n";
    }
  }
  return sections;
}

// The data rows of the markdown tables in `text` (header and rule lines left out), as
// cells.
std::vector<std::vector<std::string>> Rows(const std::string& text) {
  std::vector<std::vector<std::string>> rows;
  std::istringstream lines(text);
  bool header = true;
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("|", 0) != 0) {
      header = true;
      continue;
    }
    if (header || line.rfind("|---", 0) == 0) {
      header = line.rfind("|---", 0) != 0;
      continue;
    }
    std::vector<std::string> cells;
    std::string cell;
    for (size_t i = 1; i < line.size(); ++i) {
      if (line[i] == '|' && line[i - 1] != '\\') {
        const size_t b = cell.find_first_not_of(' ');
        const size_t e = cell.find_last_not_of(' ');
        cells.push_back(b == std::string::npos ? "" : cell.substr(b, e - b + 1));
        cell.clear();
      } else {
        cell += line[i];
      }
    }
    rows.push_back(cells);
  }
  return rows;
}

double Number(std::string cell) {
  std::string digits;
  for (char c : cell) {
    if (c != ',') digits += c;
  }
  return digits.empty() ? 0 : std::atof(digits.c_str());
}

testing::CommandResult Suite(const std::string& out, const std::string& more,
                             const std::string& env = "") {
  return testing::RunCommand(env +
                             " SORTLINE_SUITE_NO_BUILD=1 bash " SORTLINE_SOURCE_DIR
                             "/bench/suite.sh --quick --build " SORTLINE_BUILD_DIR " --out '" +
                             out + "' " + more);
}

// Each peer row: ran with figures and a label that decodes, or missing with a reason.
void ExpectPeersRanOrMissingWithReason(const std::vector<std::vector<std::string>>& rows) {
  ASSERT_EQ(rows.size(), 4u);
  for (const std::vector<std::string>& row : rows) {
    ASSERT_EQ(row.size(), 6u);
    const std::string& status = row[4];
    if (status == "ran") {
      EXPECT_GT(Number(row[1]), 0) << row[0];
      EXPECT_GT(Number(row[2]), 1000) << row[0];
      EXPECT_EQ(row[3], "yes") << row[0] << ": its label does not read back";
    } else {
      EXPECT_EQ(status.rfind("missing: ", 0), 0u) << row[0] << ": " << status;
      EXPECT_GT(status.size(), 20u) << row[0] << " is missing without a reason";
    }
  }
}

TEST(BenchSuite, QuickRunFillsEverySectionAndEveryPeerRanOrSaysWhyNotIssue12) {
  testing::TempDir dir;
  const std::string out = dir.file("suite");
  testing::CommandResult run = Suite(out, "--work '" + dir.file("work") + "'");
  ASSERT_EQ(run.exit_code, 0) << run.output;
  const std::string md = testing::ReadFile(out + "/BENCHMARKS.md");
  std::map<std::string, std::string> sections = Sections(md);
  for (const char* name : {"Machine", "Google Benchmark", "End to end", "Dock surge",
                           "Peers: the reference label", "Ratios within this run"}) {
    ASSERT_TRUE(sections.count(name)) << "no section " << name << "\n" << md;
    EXPECT_FALSE(Rows(sections[name]).empty()) << "section " << name << " has no figures\n" << md;
    EXPECT_THAT(sections[name], ::testing::Not(HasSubstr("**failed**"))) << name;
  }
  for (const std::vector<std::string>& row : Rows(sections["Machine"])) {
    ASSERT_EQ(row.size(), 2u);
    EXPECT_FALSE(row[1].empty() || row[1] == "unknown") << row[0];
  }
  // Every Google Benchmark binary ran, its JSON kept.
  for (const char* binary :
       {"s10", "sort", "label", "codec", "flow", "dock", "store", "transport"}) {
    const std::string name = std::string(binary) + "_bench";
    const size_t at = sections["Google Benchmark"].find("### " + name + "\n");
    ASSERT_NE(at, std::string::npos) << name;
    const std::string own = sections["Google Benchmark"].substr(
        at, sections["Google Benchmark"].find("### ", at + 4) - at);
    EXPECT_FALSE(Rows(own).empty()) << name << " has no figures";
    EXPECT_THAT(own, ::testing::Not(HasSubstr("**missing**"))) << name;
    EXPECT_THAT(testing::ReadFile(out + "/json/" + name + ".json"), HasSubstr("\"benchmarks\""));
  }
  for (const std::vector<std::string>& row : Rows(sections["End to end"])) {
    EXPECT_GT(Number(row[2]), 0) << row[0];
  }
  EXPECT_GE(Rows(sections["End to end"]).size(), 2u);
  EXPECT_GE(Rows(sections["Dock surge"]).size(), 2u);
  ExpectPeersRanOrMissingWithReason(Rows(sections["Peers: the reference label"]));
  const std::string html = testing::ReadFile(out + "/benchmarks.html");
  EXPECT_THAT(html, HasSubstr("id=\"chart-peers\""));
  EXPECT_THAT(html, HasSubstr("id=\"chart-dock-latency\""));
}

// A peer that cannot run is listed with the reason, never dropped.
TEST(BenchSuite, APeerThatCannotRunIsReportedMissingWithTheReasonIssue12) {
  testing::TempDir dir;
  const std::string out = dir.file("suite");
  testing::CommandResult run =
      Suite(out, "--only peers", "SORTLINE_SUITE_NODE=" + dir.file("no-node-here"));
  ASSERT_EQ(run.exit_code, 0) << run.output;
  const std::string md = testing::ReadFile(out + "/BENCHMARKS.md");
  const std::vector<std::vector<std::string>> rows =
      Rows(Sections(md)["Peers: the reference label"]);
  ExpectPeersRanOrMissingWithReason(rows);
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_EQ(rows[3][4].rfind("missing: node not found at " + dir.file("no-node-here"), 0), 0u)
      << rows[3][4];
  EXPECT_EQ(rows[0][4], "ran");  // sortline's own
}

}  // namespace
}  // namespace sortline
