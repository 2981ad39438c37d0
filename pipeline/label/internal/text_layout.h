// Text layout shared by both writers: a field's UTF-8 text becomes glyphs of the four
// label fonts (ASCII in Helvetica, everything else in a GBK CID font), broken into lines
// and shrunk, then cut with "...", until it fits the field's box; Position says where
// each line goes. The PDF writer draws the glyphs with these metrics; ZPL prints the
// same lines with the printer's font.
//
// Thread-safety: a TextLayout is not thread-safe (it keeps the last layout and width
// caches); use one per renderer.
#ifndef PIPELINE_LABEL_INTERNAL_TEXT_LAYOUT_H_
#define PIPELINE_LABEL_INTERNAL_TEXT_LAYOUT_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "pipeline/label/internal/layout.h"
#include "pipeline/label/internal/template.h"
#include "pipeline/label/internal/text.h"

namespace sortline::label::internal {

// The four fonts of every label page, in the order of their resource names.
enum FontId : uint8_t { kHelvetica = 0, kHelveticaBold = 1, kSimSun = 2, kSimHei = 3 };
inline constexpr int kFontCount = 4;

// Line box height and baseline position, as fractions of the font size. The em box
// ([-0.12, 0.88] for the CJK fonts) is centred in a line box of 1.2 em, so Helvetica's
// descender (-0.21) and accents (0.93) stay inside it as well.
inline constexpr double kLineHeightEm = 1.2;
inline constexpr double kBaselineEm = 0.98;
inline constexpr char kEllipsis[] = "...";

// One drawable glyph: 1 byte for Helvetica (WinAnsi), 2 for the GBK CID fonts.
struct Glyph {
  FontId font;
  uint8_t length;  // bytes used in `bytes`
  char bytes[2];
  char32_t code_point;  // what ZPL prints
  float width;          // in 1/1000 em
};

// Glyphs [begin, end) of a layout, followed by "..." when `ellipsis`.
struct Line {
  size_t begin = 0;
  size_t end = 0;
  bool ellipsis = false;
};

struct LinePos {
  double x;         // left edge, pt from the left of the page
  double top;       // top of the line box, pt from the top of the page
  double baseline;  // pt from the top of the page
};

// Advance widths of the four fonts, asked once per glyph (the layout caches them).
// Implemented with libharu's metrics by the PDF writer (pdf_document.h).
// Thread-safety: implementations need not be thread-safe; a layout asks from its own
// thread.
class GlyphWidths {
 public:
  virtual ~GlyphWidths() = default;
  // The width of `glyph` in `font`, 1/1000 em. REQUIRES: `glyph` is one WinAnsi byte
  // for the Helvetica fonts, one GBK byte pair for the CID fonts.
  virtual unsigned Width(FontId font, std::string_view glyph) = 0;
};

class TextLayout {
 public:
  // REQUIRES: `gbk` and `widths` outlive the layout.
  TextLayout(GbkEncoder& gbk, GlyphWidths& widths);
  TextLayout(const TextLayout&) = delete;
  TextLayout& operator=(const TextLayout&) = delete;

  // Lays `utf8` out in `box`: the largest size from style.max_size down to
  // style.min_size (in steps of 0.5 pt) at which it fits the box and style.max_lines;
  // at min_size, what does not fit is cut and the last line ends in "...". Lines break
  // at any glyph (Chinese has no spaces to break at); spaces starting a wrapped line are
  // skipped. The text is cleaned first (SanitizeForDisplay); what GBK cannot encode
  // becomes '?'. False when nothing is to be drawn; else glyphs(), lines() and size()
  // describe the layout until the next Fit.
  bool Fit(const Box& box, std::string_view utf8, const TextStyle& style);

  // Where line `n` of the last Fit goes in `f`'s box (the box and style Fit was given):
  // aligned per f.style.align, and a one-line field centred vertically.
  // REQUIRES: n < lines().size().
  LinePos Position(const FieldSpec& f, size_t n) const;

  std::span<const Glyph> glyphs() const { return glyphs_; }
  std::span<const Line> lines() const { return lines_; }
  double size() const { return size_; }  // font size of the last Fit, points

  // The width of "..." in Helvetica (bold or not), 1/1000 em.
  double EllipsisWidth(bool bold) const { return 3 * ascii_width_[bold ? 1 : 0]['.' - 0x20]; }

 private:
  void Shape(std::string_view utf8, bool bold);
  void PushAscii(FontId font, char c);
  size_t Wrap(double size, double width_pt, int max_lines);

  GbkEncoder& gbk_;
  GlyphWidths& widths_;
  float ascii_width_[2][0x7F - 0x20] = {};
  // CID font glyph widths by GBK code, SimSun then SimHei; 0 = not measured yet.
  std::unique_ptr<uint16_t[]> cjk_width_;

  std::u32string code_points_;  // of the text being shaped
  std::vector<Glyph> glyphs_;
  std::vector<Line> lines_;
  double size_ = 0;
};

}  // namespace sortline::label::internal

#endif  // PIPELINE_LABEL_INTERNAL_TEXT_LAYOUT_H_
