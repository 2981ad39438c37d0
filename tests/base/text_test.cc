#include "pipeline/base/text.h"

#include <chrono>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "pipeline/base/log.h"
#include "pipeline/base/rate_limited_log.h"
#include "tests/testing/fake_clock.h"

namespace sortline {
namespace {

using namespace std::string_literals;

TEST(Utf8, DecodesEveryLengthAndRejectsEveryMalformedForm) {
  EXPECT_EQ(DecodeUtf8("A", 0).code_point, U'A');
  Utf8Char han = DecodeUtf8("王", 0);
  EXPECT_TRUE(han.valid);
  EXPECT_EQ(han.code_point, U'王');
  EXPECT_EQ(han.length, 3);
  Utf8Char emoji = DecodeUtf8("\xF0\x9F\x93\xA6", 0);
  EXPECT_EQ(emoji.code_point, U'\U0001F4E6');
  EXPECT_EQ(emoji.length, 4);
  for (const std::string& bad :
       {"\x80"s, "\xC0\xAF"s, "\xE0\x80\xAF"s, "\xED\xA0\x80"s, "\xF4\x90\x80\x80"s,
        "\xF8\x88\x80\x80\x80"s, "\xE4\xB8"s, "\xFF"s, "\xC3\x28"s}) {
    Utf8Char ch = DecodeUtf8(bad, 0);
    EXPECT_FALSE(ch.valid) << ::testing::PrintToString(bad);
    EXPECT_EQ(ch.length, 1);
    EXPECT_EQ(ch.code_point, kReplacementCharacter);
    EXPECT_FALSE(IsValidUtf8(bad));
  }
  EXPECT_TRUE(IsValidUtf8("陕西省渭南市 \xF0\x9F\x93\xA6 ok"));
  EXPECT_TRUE(IsValidUtf8(""));
  EXPECT_TRUE(IsValidUtf8("\0"s));
}

TEST(Utf8, EncodingRoundTripsAndReplacesWhatIsNotAScalarValue) {
  for (char32_t c : {U'\0', U'A', U'\u00E9', U'\u738B', U'\U0001F600', U'\U0010FFFF'}) {
    std::string s;
    AppendUtf8(c, &s);
    Utf8Char back = DecodeUtf8(s, 0);
    EXPECT_TRUE(back.valid);
    EXPECT_EQ(back.code_point, c);
    EXPECT_EQ(back.length, s.size());
  }
  std::string s;
  AppendUtf8(0xD800, &s);
  AppendUtf8(0x110000, &s);
  EXPECT_EQ(s, "\uFFFD\uFFFD");
}

TEST(Utf8, ToValidUtf8ReplacesEachMalformedByte) {
  EXPECT_EQ(ToValidUtf8("王\xFF\xFE秀"), "王\uFFFD\uFFFD秀");
  EXPECT_EQ(ToValidUtf8("plain"), "plain");
  EXPECT_EQ(CountCodePoints("王\xFF秀"), 3u);
}

TEST(Echo, NulAndControlCharactersAreShownEscapedIssue13) {
  EXPECT_EQ(Echo("NUL\0ID"s), "NUL\\0ID");
  EXPECT_EQ(Echo("a\tb\nc\rd"), "a\\tb\\nc\\rd");
  EXPECT_EQ(Echo("\x1b[2J\x1b[31mred\x07\x7f"), "\\x1b[2J\\x1b[31mred\\x07\\x7f");
  EXPECT_EQ(Echo("\u0085next line"), "\\u0085next line");
  const std::string echoed = Echo("x\0\x01\x1f\x7f"s);
  for (char c : echoed) EXPECT_GE(static_cast<unsigned char>(c), 0x20) << echoed;
}

TEST(Echo, BidiOverridesAndInvisibleCharactersAreShownEscapedIssue13) {
  EXPECT_EQ(Echo("\u202Eevil\u202C"), "\\u202eevil\\u202c");
  EXPECT_EQ(Echo("a\u200Bb\uFEFFc\u2066d\u2028e"), "a\\u200bb\\ufeffc\\u2066d\\u2028e");
  EXPECT_EQ(Echo("tag\U000E0041"), "tag\\U000e0041");
}

TEST(Echo, InvalidUtf8IsReplacedSoTheResultIsValidUtf8Issue13) {
  const std::string echoed = Echo("\xC3\x28 \xE2\x82 \xFF\xFE \xED\xA0\x80 \xC0\xAF");
  EXPECT_TRUE(IsValidUtf8(echoed));
  EXPECT_EQ(echoed, "\uFFFD( \uFFFD\uFFFD \uFFFD\uFFFD \uFFFD\uFFFD\uFFFD \uFFFD\uFFFD");
}

TEST(Echo, LongValuesAreShortenedWithTheirLengthStatedIssue13) {
  const std::string id(10'000, 'A');
  EXPECT_EQ(Echo(id), std::string(64, 'A') + "…[10000 bytes]");
  EXPECT_EQ(Echo(id, 3), "AAA…[10000 bytes]");
  // Characters, not bytes, are counted: a cut never splits one.
  std::string names;
  for (int i = 0; i < 100; ++i) names += "王";
  const std::string echoed = Echo(names, 10);
  EXPECT_TRUE(IsValidUtf8(echoed));
  EXPECT_EQ(echoed.substr(0, 30), names.substr(0, 30));
  EXPECT_EQ(echoed.substr(30), "…[300 bytes]");
  EXPECT_EQ(Echo(std::string(64, 'B')), std::string(64, 'B')) << "exactly the limit is not cut";
}

TEST(Echo, OrdinaryTextPassesUnchangedAndEchoIsIdempotent) {
  for (const std::string& text :
       {"GOOD-01"s, "王秀英 \U0001F600"s, "a\\b \"quoted\""s, "<script>&amp;</script>"s, ""s}) {
    EXPECT_EQ(Echo(text), text);
  }
  for (const std::string& text : {"NUL\0\n\x1b\xFF\u202E"s, "\\x00 typed by hand"s}) {
    EXPECT_EQ(Echo(Echo(text)), Echo(text));
  }
}

TEST(Echo, QuotedFormEscapesItsQuotes) {
  EXPECT_EQ(EchoQuoted("../x"), "\"../x\"");
  EXPECT_EQ(EchoQuoted("a\"b\0"s), "\"a\\\"b\\0\"");
  EXPECT_EQ(EchoQuoted(std::string(100, 'x'), 2), "\"xx…[100 bytes]\"");
}

TEST(RateLimitedLog, LetsABurstThroughPerPeriodAndCountsTheRest) {
  testing::FakeClock clock;
  std::vector<std::string> lines;
  RateLimitedLog log(
      [&lines](LogLevel level, std::string_view component, std::string_view message) {
        lines.push_back(std::string(LogLevelName(level)) + " " + std::string(component) + " " +
                        std::string(message));
      },
      RateLimit{2, std::chrono::seconds(10)}, clock);
  for (int i = 0; i < 1000; ++i) log.Log(LogLevel::kError, "channel", "bad " + std::to_string(i));
  EXPECT_EQ(lines, (std::vector<std::string>{"error channel bad 0", "error channel bad 1"}));
  EXPECT_EQ(log.suppressed_total(), 998u);
  clock.Advance(std::chrono::seconds(10));
  log.Log(LogLevel::kInfo, "channel", "later");
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_EQ(lines[2], "warning channel 998 similar lines suppressed (more than 2 in 10000 ms)");
  EXPECT_EQ(lines[3], "info channel later");
}

TEST(Log, LevelNamesParseBackAndUnknownNamesAreRefusedIssue15) {
  for (LogLevel level : {LogLevel::kDebug, LogLevel::kInfo, LogLevel::kWarning, LogLevel::kError,
                         LogLevel::kAlarm}) {
    Result<LogLevel> parsed = ParseLogLevel(LogLevelName(level));
    ASSERT_TRUE(parsed.ok()) << parsed.status();
    EXPECT_EQ(*parsed, level);
  }
  EXPECT_LT(LogLevel::kWarning, LogLevel::kAlarm);
  Result<LogLevel> bad = ParseLogLevel("ALARM\n");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("debug, info, warning, error, alarm"), std::string::npos);
}

TEST(Log, ALineIsKeyValuePairsWithTheMessageQuotedOnOneLineIssue15) {
  // 2026-11-30T20:19:11.123Z
  const int64_t ms = 1796069951123;
  EXPECT_EQ(FormatLogLine(ms, LogLevel::kAlarm, "intake", "journal full: disk"),
            "ts=2026-11-30T20:19:11.123Z level=alarm component=intake msg=\"journal full: disk\"");
  // Untrusted text cannot end the line, close the quotes early or fake a second pair.
  const std::string line =
      FormatLogLine(ms, LogLevel::kInfo, "dock", "id \"x\" level=alarm\nts=0 msg=\"forged\\\"");
  EXPECT_EQ(line.find('\n'), std::string::npos);
  EXPECT_EQ(line,
            "ts=2026-11-30T20:19:11.123Z level=info component=dock "
            "msg=\"id \\\"x\\\" level=alarm\\\\nts=0 msg=\\\"forged\\\\\\\"\"");
  // Long messages are cut (Echo's marker says how long the input was).
  const std::string long_line =
      FormatLogLine(ms, LogLevel::kDebug, "worker", std::string(5000, 'a'), 100);
  EXPECT_LT(long_line.size(), 200u);
  EXPECT_NE(long_line.find("[5000 bytes]"), std::string::npos);
}

TEST(GroupThousands, GroupsDigitsInThreesFromTheRight) {
  EXPECT_EQ(GroupThousands(0), "0");
  EXPECT_EQ(GroupThousands(999), "999");
  EXPECT_EQ(GroupThousands(1000), "1,000");
  EXPECT_EQ(GroupThousands(1234567), "1,234,567");
  EXPECT_EQ(GroupThousands(18446744073709551615ULL), "18,446,744,073,709,551,615");
}

}  // namespace
}  // namespace sortline
