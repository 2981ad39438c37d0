#include "pipeline/label/internal/text_layout.h"

#include <algorithm>

namespace sortline::label::internal {
namespace {

constexpr double kPt = kPointsPerMm;
constexpr double kShrinkStepPt = 0.5;
constexpr double kFitSlackPt = 1e-6;

}  // namespace

TextLayout::TextLayout(GbkEncoder& gbk, GlyphWidths& widths)
    : gbk_(gbk), widths_(widths), cjk_width_(new uint16_t[2 * 0x10000]()) {
  for (int bold = 0; bold < 2; ++bold) {
    for (int c = 0x20; c < 0x7F; ++c) {
      const char byte = static_cast<char>(c);
      ascii_width_[bold][c - 0x20] = static_cast<float>(
          widths_.Width(bold != 0 ? kHelveticaBold : kHelvetica, std::string_view(&byte, 1)));
    }
  }
}

void TextLayout::Shape(std::string_view utf8, bool bold) {
  glyphs_.clear();
  const FontId ascii_font = bold ? kHelveticaBold : kHelvetica;
  const FontId cjk_font = bold ? kSimHei : kSimSun;
  SanitizeForDisplay(utf8, code_points_);
  for (char32_t c : code_points_) {
    if (c == 0xA0 || c == 0x3000) c = ' ';
    if (c >= 0x20 && c < 0x7F) {
      PushAscii(ascii_font, static_cast<char>(c));
      continue;
    }
    const uint16_t code = gbk_.Encode(c);
    if (code == 0) {
      PushAscii(ascii_font, '?');
      continue;
    }
    Glyph g{cjk_font, 2, {static_cast<char>(code >> 8), static_cast<char>(code & 0xFF)}, c, 0};
    uint16_t& width = cjk_width_[(cjk_font == kSimHei ? 0x10000 : 0) + code];
    if (width == 0) {
      width = static_cast<uint16_t>(
          std::clamp<unsigned>(widths_.Width(cjk_font, std::string_view(g.bytes, 2)), 1, 4000));
    }
    g.width = width;
    glyphs_.push_back(g);
  }
}

void TextLayout::PushAscii(FontId font, char c) {
  glyphs_.push_back({font,
                     1,
                     {c, 0},
                     static_cast<char32_t>(c),
                     ascii_width_[font == kHelveticaBold ? 1 : 0][c - 0x20]});
}

// Returns the index of the first glyph that did not fit in `max_lines` lines of
// `width_pt` at `size`.
size_t TextLayout::Wrap(double size, double width_pt, int max_lines) {
  lines_.clear();
  const double limit = width_pt / size * 1000 + kFitSlackPt;
  size_t i = 0;
  while (i < glyphs_.size() && static_cast<int>(lines_.size()) < max_lines) {
    if (!lines_.empty()) {
      while (i < glyphs_.size() && glyphs_[i].length == 1 && glyphs_[i].bytes[0] == ' ') ++i;
      if (i == glyphs_.size()) break;
    }
    Line line{i, i, false};
    double w = 0;
    while (i < glyphs_.size() && w + glyphs_[i].width <= limit) {
      w += glyphs_[i].width;
      ++i;
    }
    line.end = i;
    lines_.push_back(line);
    if (line.begin == line.end) break;  // one glyph wider than the box
  }
  return i;
}

bool TextLayout::Fit(const Box& box, std::string_view utf8, const TextStyle& style) {
  Shape(utf8, style.bold);
  if (glyphs_.empty()) return false;
  const double width_pt = box.w * kPt;
  const double height_pt = box.h * kPt;
  double size = style.max_size;
  int lines_allowed = 0;
  bool fits = false;
  for (;; size -= kShrinkStepPt) {
    if (size < style.min_size) size = style.min_size;
    lines_allowed =
        std::min(style.max_lines, static_cast<int>(height_pt / (size * kLineHeightEm) + 1e-9));
    if (lines_allowed >= 1 && Wrap(size, width_pt, lines_allowed) == glyphs_.size()) {
      fits = true;
      break;
    }
    if (size <= style.min_size) break;
  }
  if (lines_allowed < 1) return false;
  if (!fits) {
    Wrap(size, width_pt, lines_allowed);
    if (lines_.empty()) return false;
    Line& last = lines_.back();
    const double limit = width_pt / size * 1000 + kFitSlackPt;
    double w = EllipsisWidth(style.bold);
    size_t end = last.begin;
    while (end < last.end && w + glyphs_[end].width <= limit) w += glyphs_[end++].width;
    if (w > limit) {
      lines_.pop_back();
    } else {
      last.end = end;
      last.ellipsis = true;
    }
  }
  size_ = size;
  return !lines_.empty();
}

LinePos TextLayout::Position(const FieldSpec& f, size_t n) const {
  const double size = size_;
  const double width_pt = f.box.w * kPt;
  const double line_h = size * kLineHeightEm;
  const double block_h = line_h * static_cast<double>(lines_.size());
  double top = f.box.y * kPt;
  if (f.style.max_lines == 1) top += (f.box.h * kPt - block_h) / 2;
  const Line& line = lines_[n];
  double line_w = 0;
  for (size_t i = line.begin; i < line.end; ++i) line_w += glyphs_[i].width;
  if (line.ellipsis) line_w += EllipsisWidth(f.style.bold);
  line_w = line_w * size / 1000;
  double x = f.box.x * kPt;
  if (f.style.align == Align::kCenter) x += (width_pt - line_w) / 2;
  if (f.style.align == Align::kRight) x += width_pt - line_w;
  const double line_top = top + static_cast<double>(n) * line_h;
  return {x, line_top, line_top + size * kBaselineEm};
}

}  // namespace sortline::label::internal
