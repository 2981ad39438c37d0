#include "pipeline/csv/table.h"

#include <optional>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "pipeline/base/text.h"
#include "pipeline/csv/csv.h"
#include "tests/testing/status_matchers.h"

namespace sortline::csv {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

enum { kName, kWeight, kNote };
constexpr Column kColumns[] = {{"name", true}, {"weight_kg", true}, {"note"}};

CsvRow Record(size_t line, std::vector<std::string> fields) {
  return CsvRow{line, std::move(fields)};
}

TEST(CsvTable, HeaderFindsColumnsInAnyOrder) {
  std::vector<std::string> problems;
  const Header header("t.csv", "parcels", kColumns, Record(1, {"weight_kg", "note", "name"}),
                      Header::Unknown::kProblem, &problems);
  EXPECT_TRUE(header.complete());
  EXPECT_THAT(problems, IsEmpty());
  EXPECT_EQ(header.field_number(kName), 3u);
  EXPECT_EQ(header.width(), 3u);
  const CsvRow record = Record(2, {"12.5", "fragile", "EA1"});
  const Row row(header, record, &problems);
  EXPECT_EQ(row[kName], "EA1");
  EXPECT_EQ(row[kWeight], "12.5");
  EXPECT_EQ(row.At(kName), "t.csv:2:3: ");
}

TEST(CsvTable, HeaderReportsUnknownAndMissingColumnsAtTheirCells) {
  std::vector<std::string> problems;
  const Header header("t.csv", "parcels", kColumns, Record(4, {"name", "colour"}),
                      Header::Unknown::kProblem, &problems);
  EXPECT_FALSE(header.complete());
  EXPECT_THAT(problems, ElementsAre("t.csv:4:2: unknown column \"colour\" in a parcels table",
                                    "t.csv:4:1: the parcels table needs a column \"weight_kg\""));
}

TEST(CsvTable, IgnoredUnknownColumnsAreNoProblem) {
  std::vector<std::string> problems;
  const Header header("t.csv", "parcels", kColumns, Record(1, {"id", "name", "weight_kg"}),
                      Header::Unknown::kIgnored, &problems);
  EXPECT_TRUE(header.complete());
  EXPECT_THAT(problems, IsEmpty());
  EXPECT_FALSE(header.has(kNote));
  // An absent column reads empty and its problems point at the row's first field.
  const CsvRow record = Record(2, {"x", "EA1", "3"});
  Row row(header, record, &problems);
  EXPECT_EQ(row[kNote], "");
  row.Problem(kNote, "a note is needed");
  EXPECT_THAT(problems, ElementsAre("t.csv:2:1: a note is needed"));
}

TEST(CsvTable, ShortRowsReadEmpty) {
  std::vector<std::string> problems;
  const Header header("t.csv", "parcels", kColumns, Record(1, {"name", "weight_kg", "note"}),
                      Header::Unknown::kProblem, &problems);
  const CsvRow record = Record(2, {"EA1"});
  const Row row(header, record, &problems);
  EXPECT_EQ(row[kNote], "");
  EXPECT_EQ(row.size(), 1u);
}

TEST(CsvTable, TypedGettersReportTheCellAndTheValue) {
  std::vector<std::string> problems;
  const Header header("t.csv", "parcels", kColumns, Record(1, {"name", "weight_kg", "note"}),
                      Header::Unknown::kProblem, &problems);
  const CsvRow good = Record(2, {"-12", "2.75", ""});
  Row row(header, good, &problems);
  EXPECT_EQ(row.Integer(kName, -100, 100, "a small number"), -12);
  EXPECT_EQ(row.PositiveDecimal(kWeight, 1000), 2750);
  EXPECT_THAT(problems, IsEmpty());

  const CsvRow bad = Record(3, {"+3", "1.2345", ""});
  Row wrong(header, bad, &problems);
  EXPECT_EQ(wrong.Integer(kName, -100, 100, "a small number"), std::nullopt);
  EXPECT_EQ(wrong.PositiveDecimal(kWeight, 1000), std::nullopt);
  EXPECT_THAT(problems, ElementsAre("t.csv:3:1: name \"+3\" is not a small number",
                                    "t.csv:3:2: weight_kg \"1.2345\" is not a positive number"));
}

TEST(CsvTable, IntegersOutOfRangeOrTooLargeAreRefused) {
  std::vector<std::string> problems;
  const Header header("t.csv", "parcels", kColumns, Record(1, {"name", "weight_kg"}),
                      Header::Unknown::kProblem, &problems);
  for (const char* text : {"255", "0", "99999999999999999999", "1 ", " 1", "1.0", ""}) {
    const CsvRow record = Record(2, {text, "1"});
    Row row(header, record, &problems);
    EXPECT_EQ(row.Integer(kName, 1, 254, "an exit"), std::nullopt) << text;
  }
  EXPECT_EQ(problems.size(), 7u);
}

TEST(CsvTable, DecimalsNeedDigitsOnBothSidesOfThePoint) {
  std::vector<std::string> problems;
  const Header header("t.csv", "parcels", kColumns, Record(1, {"name", "weight_kg"}),
                      Header::Unknown::kProblem, &problems);
  for (const char* text : {"12.", ".5", "0", "0.000", "-1", "1e3", "1234567890"}) {
    const CsvRow record = Record(2, {"x", text});
    Row row(header, record, &problems);
    EXPECT_EQ(row.PositiveDecimal(kWeight, 1000), std::nullopt) << text;
  }
  const CsvRow record = Record(2, {"x", "0.001"});
  Row row(header, record, &problems);
  EXPECT_EQ(row.PositiveDecimal(kWeight, 1'000'000), 1000);
}

TEST(CsvTable, WhereNamesTheCellOrTheLine) {
  EXPECT_EQ(Where("a.csv", 7, 3), "a.csv:7:3: ");
  EXPECT_EQ(Where("a.csv", 7), "a.csv:7: ");
}

TEST(CsvText, ParseDigitsAndIntegersGoThroughFromChars) {
  EXPECT_EQ(ParseDigits("0012"), 12u);
  EXPECT_EQ(ParseDigits("-1"), std::nullopt);
  EXPECT_EQ(ParseDigits(""), std::nullopt);
  EXPECT_EQ(ParseDigits("18446744073709551616"), std::nullopt);
  EXPECT_EQ(ParseInteger("-9223372036854775808"), INT64_MIN);
  EXPECT_EQ(ParseInteger("12a"), std::nullopt);
}

TEST(CsvWrite, QuotesOnlyFieldsThatNeedItAndParsesBack) {
  std::string out;
  AppendCsvRecord({"EA1", "a,b", "say \"hi\"", "two\nlines", ""}, &out);
  EXPECT_EQ(out, "EA1,\"a,b\",\"say \"\"hi\"\"\",\"two\nlines\",\n");
  std::vector<std::string> fields;
  ASSERT_OK(ParseCsv(out, "w.csv", [&](const CsvRow& row) {
    fields = row.fields;
    return Status::Ok();
  }));
  EXPECT_THAT(fields, ElementsAre("EA1", "a,b", "say \"hi\"", "two\nlines", ""));
}

TEST(CsvParse, CommentLinesAreSkippedAndLinesKeepTheirNumbers) {
  std::vector<size_t> lines;
  ASSERT_OK(ParseCsv("\xEF\xBB\xBF# a \"comment\nh\n  # indented\nv\n", "c.csv",
                     [&](const CsvRow& row) {
                       lines.push_back(row.line);
                       return Status::Ok();
                     },
                     {.comments = true}));
  EXPECT_THAT(lines, ElementsAre(2, 4));
}

}  // namespace
}  // namespace sortline::csv
