#include "pipeline/label/internal/text.h"

#include <string>

#include <gtest/gtest.h>

#include "tests/testing/status_matchers.h"

namespace sortline::label::internal {
namespace {

TEST(SanitizeForDisplay, KeepsChineseAndAscii) {
  EXPECT_EQ(SanitizeForDisplay("王秀英 A-12"), U"王秀英 A-12");
}

TEST(SanitizeForDisplay, DropsControlsBidiOverridesAndZeroWidthCharacters) {
  const std::string input = std::string("a\0b", 3) + "\x01\x1F\x7F" +
                            "\u202A\u202B\u202C\u202D\u202E" + "\u2066\u2067\u2068\u2069" +
                            "\u200B\u200C\u200D\u200E\u200F" + "\u2060\uFEFF" + "\u0085" +
                            "\u2028\u2029\u061C\U000E0041\U000E007F" + "c";
  EXPECT_EQ(SanitizeForDisplay(input), U"abc");
}

TEST(SanitizeForDisplay, TurnsLineBreaksAndTabsIntoSpaces) {
  EXPECT_EQ(SanitizeForDisplay("朝阳大街\n12号\t3单元\r\n"), U"朝阳大街 12号 3单元  ");
}

TEST(SanitizeForDisplay, ReplacesMalformedUtf8) {
  // Lone continuation byte, overlong '/', truncated 3-byte sequence, UTF-16 surrogate.
  EXPECT_EQ(SanitizeForDisplay("a\x80"
                               "b\xC0\xAF"
                               "c\xE9\x99"
                               "d\xED\xA0\x80"),
            U"a\uFFFDb\uFFFD\uFFFDc\uFFFD\uFFFDd\uFFFD\uFFFD\uFFFD");
}

TEST(SanitizeForDisplay, KeepsCharactersOutsideTheBmp) { EXPECT_EQ(SanitizeForDisplay("😀"), U"😀"); }

TEST(MaskPhone, KeepsFirstThreeAndLastFourDigits) {
  EXPECT_EQ(MaskPhone("13812345678"), "138****5678");
  EXPECT_EQ(MaskPhone("+86 138-1234-5678"), "138****5678");
  EXPECT_EQ(MaskPhone("029-87654321"), "029****4321");
}

TEST(MaskPhone, ShortNumbersShowOnlyTheirLastTwoDigits) {
  EXPECT_EQ(MaskPhone("110"), "*10");
  EXPECT_EQ(MaskPhone("12"), "**");
  EXPECT_EQ(MaskPhone(""), "");
}

TEST(GbkEncoder, EncodesHanziAndRefusesWhatGbkLacks) {
  auto encoder = GbkEncoder::Create();
  ASSERT_OK(encoder);
  EXPECT_EQ((*encoder)->Encode(U'王'), 0xCDF5);
  EXPECT_EQ((*encoder)->Encode(U'陕'), 0xC9C2);
  EXPECT_EQ((*encoder)->Encode(U'王'), 0xCDF5);  // from the cache
  EXPECT_EQ((*encoder)->Encode(U'￥'), 0xA3A4);
  EXPECT_EQ((*encoder)->Encode(0x1F600), 0);  // emoji
  EXPECT_EQ((*encoder)->Encode(0xFFFD), 0);
  EXPECT_EQ((*encoder)->Encode(0x0E01), 0);  // Thai
}

}  // namespace
}  // namespace sortline::label::internal
