#include "pipeline/label/internal/text_layout.h"

#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "pipeline/label/internal/pdf_document.h"
#include "tests/testing/status_matchers.h"

namespace sortline::label::internal {
namespace {

constexpr double kPt = kPointsPerMm;

// A layout with the real font metrics (libharu) and GBK encoder of the renderer.
class TextLayoutTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto pdf = PdfDocument::Create(/*compress=*/true);
    ASSERT_OK(pdf);
    pdf_ = std::move(pdf).value();
    auto gbk = GbkEncoder::Create();
    ASSERT_OK(gbk);
    gbk_ = std::move(gbk).value();
    layout_ = std::make_unique<TextLayout>(*gbk_, pdf_->widths());
  }

  // Width of line `n` of the last Fit in points, "..." included.
  double LineWidthPt(size_t n, bool bold) const {
    const Line& line = layout_->lines()[n];
    double w = line.ellipsis ? layout_->EllipsisWidth(bold) : 0;
    for (size_t i = line.begin; i < line.end; ++i) w += layout_->glyphs()[i].width;
    return w * layout_->size() / 1000;
  }

  std::unique_ptr<PdfDocument> pdf_;
  std::unique_ptr<GbkEncoder> gbk_;
  std::unique_ptr<TextLayout> layout_;
};

TEST_F(TextLayoutTest, ShortTextKeepsItsLargestSizeOnOneLine) {
  const FieldSpec f{Field::kRecipientName, {4, 55.5, 40, 7}, {15, 8, true, Align::kLeft, 1}};
  ASSERT_TRUE(layout_->Fit(f.box, "王秀英", f.style));
  EXPECT_EQ(layout_->size(), 15);
  ASSERT_EQ(layout_->lines().size(), 1u);
  EXPECT_FALSE(layout_->lines()[0].ellipsis);
  EXPECT_EQ(layout_->glyphs().size(), 3u);
  EXPECT_EQ(layout_->glyphs()[0].font, kSimHei);  // bold CJK
}

TEST_F(TextLayoutTest, LongTextShrinksUntilItFitsTheBox) {
  const TextStyle style{15, 8, false, Align::kLeft, 1};
  const Box box{0, 0, 40, 7};
  ASSERT_TRUE(layout_->Fit(box, "广西壮族自治区贵港市港北区", style));
  EXPECT_LT(layout_->size(), 15);
  EXPECT_GE(layout_->size(), 8);
  ASSERT_EQ(layout_->lines().size(), 1u);
  EXPECT_EQ(layout_->lines()[0].end, layout_->glyphs().size());
  EXPECT_LE(LineWidthPt(0, false), box.w * kPt);
  // Half a point larger would not have fitted.
  double wider = 0;
  for (const Glyph& g : layout_->glyphs()) wider += g.width;
  EXPECT_GT(wider * (layout_->size() + 0.5) / 1000, box.w * kPt);
}

TEST_F(TextLayoutTest, TextTooLongAtTheMinimumSizeIsCutWithAnEllipsis) {
  const TextStyle style{11, 6, false, Align::kLeft, 3};
  const Box box{0, 0, 30, 10};
  const std::string text(400, 'W');
  ASSERT_TRUE(layout_->Fit(box, text, style));
  EXPECT_EQ(layout_->size(), 6);
  ASSERT_EQ(layout_->lines().size(), 3u);
  EXPECT_TRUE(layout_->lines().back().ellipsis);
  for (size_t n = 0; n < layout_->lines().size(); ++n) {
    EXPECT_LE(LineWidthPt(n, false), box.w * kPt + 1e-6) << n;
    const LinePos pos = layout_->Position({Field::kContents, box, style}, n);
    EXPECT_LE(pos.top + layout_->size() * kLineHeightEm, box.h * kPt + 1e-6) << n;
  }
}

TEST_F(TextLayoutTest, WrappedLinesDoNotStartWithASpace) {
  const TextStyle style{10, 10, false, Align::kLeft, 4};
  const Box box{0, 0, 20, 30};
  ASSERT_TRUE(layout_->Fit(box, "abcdefghij klmnopqrst uvwxyz abcdefghij klmnopqrst", style));
  ASSERT_GT(layout_->lines().size(), 1u);
  for (size_t n = 1; n < layout_->lines().size(); ++n) {
    const Line& line = layout_->lines()[n];
    ASSERT_LT(line.begin, line.end);
    EXPECT_NE(layout_->glyphs()[line.begin].bytes[0], ' ') << n;
  }
}

TEST_F(TextLayoutTest, PositionAlignsLinesInTheirBox) {
  const Box box{10, 20, 50, 8};
  for (Align align : {Align::kLeft, Align::kCenter, Align::kRight}) {
    const FieldSpec f{Field::kChute, box, {10, 6, false, align, 1}};
    ASSERT_TRUE(layout_->Fit(f.box, "格口 C-017", f.style));
    const LinePos pos = layout_->Position(f, 0);
    const double w = LineWidthPt(0, false);
    const double left = box.x * kPt;
    const double right = (box.x + box.w) * kPt;
    switch (align) {
      case Align::kLeft:
        EXPECT_DOUBLE_EQ(pos.x, left);
        break;
      case Align::kCenter:
        EXPECT_NEAR(pos.x - left, right - (pos.x + w), 1e-9);
        break;
      case Align::kRight:
        EXPECT_NEAR(pos.x + w, right, 1e-9);
        break;
    }
    // A one-line field is centred vertically.
    const double line_h = layout_->size() * kLineHeightEm;
    EXPECT_NEAR(pos.top - box.y * kPt, (box.y + box.h) * kPt - (pos.top + line_h), 1e-9);
  }
}

TEST_F(TextLayoutTest, UnencodableCharactersBecomeQuestionMarksAndControlsVanish) {
  const TextStyle style{10, 6, false, Align::kLeft, 1};
  ASSERT_TRUE(layout_->Fit({0, 0, 80, 8},
                           "A\u202E😀\x01"
                           "B",
                           style));
  std::string ascii;
  for (const Glyph& g : layout_->glyphs()) ascii.append(g.bytes, g.length);
  EXPECT_EQ(ascii, "A?B");
  EXPECT_FALSE(layout_->Fit({0, 0, 80, 8}, "\u200B\x01", style));
}

}  // namespace
}  // namespace sortline::label::internal
