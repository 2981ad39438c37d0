#include "pipeline/csv/csv.h"

#include <fstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "pipeline/base/result.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/testing.h"

namespace sortline::csv {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

Result<std::vector<CsvRow>> Parse(std::string_view text) {
  std::vector<CsvRow> rows;
  Status status = ParseCsv(text, "t.csv", [&](const CsvRow& row) {
    rows.push_back(row);
    return Status::Ok();
  });
  if (!status.ok()) return status;
  return rows;
}

TEST(Csv, QuotedFieldsKeepCommasQuotesAndNewlines) {
  auto rows = Parse("a,\"b,c\",\"say \"\"hi\"\"\"\n\"two\nlines\",x,\"\"\n");
  ASSERT_OK(rows);
  ASSERT_EQ(rows->size(), 2u);
  EXPECT_THAT((*rows)[0].fields, ElementsAre("a", "b,c", "say \"hi\""));
  EXPECT_THAT((*rows)[1].fields, ElementsAre("two\nlines", "x", ""));
}

TEST(Csv, LineNumbersAreWhereEachRecordStarts) {
  auto rows = Parse("h1,h2\n\"multi\nline\n\",1\n\nlast,2\n");
  ASSERT_OK(rows);
  ASSERT_EQ(rows->size(), 3u);
  EXPECT_EQ((*rows)[0].line, 1u);
  EXPECT_EQ((*rows)[1].line, 2u);
  EXPECT_EQ((*rows)[2].line, 6u);
}

TEST(Csv, LineNumbersStayExactAcrossLargeInputs) {
  // Crosses the parser's internal slice boundary many times.
  std::string text;
  std::vector<size_t> expected;
  size_t line = 1;
  for (int i = 0; i < 20'000; ++i) {
    expected.push_back(line);
    if (i % 3 == 0) {
      text += std::to_string(i) + ",\"a\nb\"\n";
      line += 2;
    } else {
      text += std::to_string(i) + ",plain\n\n";
      line += 2;
    }
  }
  auto rows = Parse(text);
  ASSERT_OK(rows);
  ASSERT_EQ(rows->size(), expected.size());
  for (size_t i = 0; i < expected.size(); ++i) {
    ASSERT_EQ((*rows)[i].line, expected[i]) << "record " << i;
    ASSERT_EQ((*rows)[i].fields[0], std::to_string(i));
  }
}

TEST(Csv, ByteOrderMarkAndCarriageReturnsAreStripped) {
  auto rows = Parse(
      "\xEF\xBB\xBF"
      "code,name\r\n610502,\"临渭区\"\r\n");
  ASSERT_OK(rows);
  ASSERT_EQ(rows->size(), 2u);
  EXPECT_THAT((*rows)[0].fields, ElementsAre("code", "name"));
  EXPECT_THAT((*rows)[1].fields, ElementsAre("610502", "临渭区"));
  EXPECT_EQ((*rows)[1].line, 2u);
}

TEST(Csv, LastRecordWithoutNewlineIsReported) {
  auto rows = Parse("a,b\nc,d");
  ASSERT_OK(rows);
  ASSERT_EQ(rows->size(), 2u);
  EXPECT_THAT((*rows)[1].fields, ElementsAre("c", "d"));
}

TEST(Csv, UnclosedQuoteIsAnErrorNamingTheLine) {
  auto rows = Parse("a,b\nc,d\ne,\"never closed\nf,g\n");
  ASSERT_FALSE(rows.ok());
  EXPECT_EQ(rows.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(rows.status().message(), HasSubstr("t.csv:3:"));
}

TEST(Csv, StrayQuoteIsAnErrorNamingTheLine) {
  auto rows = Parse("a,b\n\"x\"y,z\n");
  ASSERT_FALSE(rows.ok());
  EXPECT_THAT(rows.status().message(), HasSubstr("t.csv:2:"));
}

TEST(Csv, InvalidUtf8IsAnErrorNamingTheLine) {
  // "临渭" in GBK.
  auto rows = Parse("code,name\n610502,\xC1\xD9\xCE\xBC\n");
  ASSERT_FALSE(rows.ok());
  EXPECT_THAT(rows.status().message(), HasSubstr("t.csv:2: field 2 is not valid UTF-8"));
}

TEST(Csv, AnyWellFormedUtf8IsAcceptedAndMalformedSequencesAreNot) {
  auto rows = Parse("é,临渭,\U0001F34A\n");
  ASSERT_OK(rows);
  EXPECT_THAT((*rows)[0].fields, ElementsAre("é", "临渭", "\U0001F34A"));
  EXPECT_FALSE(Parse("\xC0\xAF\n").ok());          // overlong '/'
  EXPECT_FALSE(Parse("\xED\xA0\x80\n").ok());      // surrogate
  EXPECT_FALSE(Parse("a,\xE4\xB8\n").ok());        // truncated
  EXPECT_FALSE(Parse("\xF4\x90\x80\x80\n").ok());  // past U+10FFFF
}

TEST(Csv, ARowErrorStopsTheParseAndIsReturned) {
  int seen = 0;
  Status status = ParseCsv("1\n2\n3\n4\n", "t.csv", [&](const CsvRow& row) {
    ++seen;
    return row.fields[0] == "2" ? InvalidArgument("stop at 2") : Status::Ok();
  });
  EXPECT_EQ(status, InvalidArgument("stop at 2"));
  EXPECT_EQ(seen, 2);
}

TEST(Csv, MissingFileIsNotFound) {
  testing::TempDir dir;
  Status status = ReadCsvFile(dir.file("absent.csv"), [](const CsvRow&) { return Status::Ok(); });
  EXPECT_EQ(status.code(), StatusCode::kNotFound);
  EXPECT_THAT(status.message(), HasSubstr("absent.csv"));
}

TEST(Csv, ReadsAFile) {
  testing::TempDir dir;
  std::ofstream(dir.file("x.csv")) << "a,b\n1,2\n";
  std::vector<std::string> firsts;
  Status status = ReadCsvFile(dir.file("x.csv"), [&](const CsvRow& row) {
    firsts.push_back(row.fields[0]);
    return Status::Ok();
  });
  ASSERT_OK(status);
  EXPECT_THAT(firsts, ElementsAre("a", "1"));
}

}  // namespace
}  // namespace sortline::csv
