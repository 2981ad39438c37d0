#include "pipeline/model/orders_file.h"

#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/testing/status_matchers.h"
#include "tests/testing/testing.h"

namespace sortline::model {
namespace {

std::string Write(const testing::TempDir& dir, const std::string& content) {
  const std::string path = dir.file("orders.jsonl");
  std::ofstream(path, std::ios::binary) << content;
  return path;
}

std::vector<OrdersFileLine> ReadAll(const std::string& path, size_t max_line_bytes) {
  OrdersFileOptions options;
  options.max_line_bytes = max_line_bytes;
  auto reader = OrdersFileReader::Open(path, options);
  EXPECT_OK(reader);
  std::vector<OrdersFileLine> lines;
  OrdersFileLine line;
  while (true) {
    Result<bool> more = (*reader)->Next(&line);
    EXPECT_OK(more);
    if (!more.ok() || !*more) break;
    lines.push_back(line);
  }
  return lines;
}

TEST(OrdersFileReader, SkipsBlankLinesAndNumbersTheRestByTheirFileLine) {
  testing::TempDir dir;
  const std::string path = Write(dir, "a\n\n  \t\r\nb\r\n\nc");
  std::vector<OrdersFileLine> lines = ReadAll(path, 100);
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0].number, 1u);
  EXPECT_EQ(lines[0].text, "a");
  EXPECT_EQ(lines[1].number, 4u);
  EXPECT_EQ(lines[1].text, "b") << "the CR of CR LF is dropped";
  EXPECT_EQ(lines[1].bytes, 1u);
  EXPECT_EQ(lines[2].number, 6u);
  EXPECT_EQ(lines[2].text, "c") << "a last line without its LF counts";
  EXPECT_EQ(CountOrderLines(path).value(), std::optional<uint64_t>(3));
}

TEST(OrdersFileReader, ALineOverTheLimitIsReportedByItsLengthNotKeptIssue13) {
  testing::TempDir dir;
  const std::string five_mb(5 << 20, 'x');
  const std::string path = Write(dir, "short\n" + five_mb + "\n" + std::string(10, 'y') + "\r\n" +
                                          std::string(11, 'z') + "\nlast\n");
  std::vector<OrdersFileLine> lines = ReadAll(path, 10);
  ASSERT_EQ(lines.size(), 5u);
  EXPECT_FALSE(lines[0].too_long);
  EXPECT_TRUE(lines[1].too_long);
  EXPECT_EQ(lines[1].bytes, five_mb.size());
  EXPECT_TRUE(lines[1].text.empty());
  EXPECT_FALSE(lines[2].too_long) << "exactly the limit, before its CR LF";
  EXPECT_EQ(lines[2].text, std::string(10, 'y'));
  EXPECT_TRUE(lines[3].too_long);
  EXPECT_EQ(lines[3].bytes, 11u);
  EXPECT_EQ(lines[4].number, 5u);
  EXPECT_EQ(lines[4].text, "last");
}

TEST(OrdersFileReader, NulBytesAndInvalidUtf8AreKeptForTheParserToRefuse) {
  testing::TempDir dir;
  const std::string raw("\xFF\x00{}\n", 5);
  std::vector<OrdersFileLine> lines = ReadAll(Write(dir, raw), 100);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0].text, std::string("\xFF\x00{}", 4));
}

TEST(OrdersFileReader, MissingFileIsNotFoundAndAPipeHasNoCount) {
  testing::TempDir dir;
  EXPECT_EQ(OrdersFileReader::Open(dir.file("nope"), {}).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(CountOrderLines(dir.file("nope")).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(OrdersFileReader::Open(dir.path().string(), {}).status().code(), StatusCode::kIoError);
  Result<std::optional<uint64_t>> pipe = CountOrderLines("/dev/null");
  ASSERT_OK(pipe);
  EXPECT_FALSE(pipe->has_value()) << "not a regular file: counted while read";
}

}  // namespace
}  // namespace sortline::model
