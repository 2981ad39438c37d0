#include "pipeline/label/internal/pdf_content.h"

#include <cmath>

#include "pipeline/label/internal/append.h"

namespace sortline::label::internal {
namespace {

constexpr double kPt = kPointsPerMm;

}  // namespace

void PageContentWriter::Build(const LabelData& label, const Placement& place,
                              const ModuleMatrix& code128, const ModuleMatrix& qr,
                              const FontNames& fonts, std::string& out) {
  const LabelTemplate& t = *label.layout;
  out_ = &out;
  fonts_ = &fonts;
  page_h_pt_ = t.height_mm * kPt;
  out.clear();
  out += "0.8 w\n";
  AppendBox(t.frame);
  out += "re\n";
  for (const Rule& r : t.rules) {
    AppendNum(out, r.x0 * kPt);
    out += ' ';
    AppendNum(out, page_h_pt_ - r.y0 * kPt);
    out += " m ";
    AppendNum(out, r.x1 * kPt);
    out += ' ';
    AppendNum(out, page_h_pt_ - r.y1 * kPt);
    out += " l\n";
  }
  out += "S\n";
  if (label.perishable) {
    out += "1.6 w\n";
    AppendBox(t.perishable_frame);
    out += "re S\n";
  }
  const long page_h_dots = std::lround(t.height_mm / kDotMm);
  DrawSymbol(code128, place.narrow, place.bar_height, place.bar_x,
             page_h_dots - place.bar_top - place.bar_height);
  DrawSymbol(qr, place.qr_module, place.qr_module, place.qr_x,
             page_h_dots - place.qr_top - qr.rows * place.qr_module);
  out += "BT\n";
  current_font_ = -1;
  current_size_ = 0;
  line_x_ = 0;
  line_y_ = 0;
  for (const FieldSpec& f : t.fields) {
    FieldText(f.field, label, field_text_);
    if (!text_.Fit(f.box, field_text_, f.style)) continue;
    EmitText(f);
  }
  out += "ET\n";
}

void PageContentWriter::AppendBox(const Box& b) {
  std::string& out = *out_;
  AppendNum(out, b.x * kPt);
  out += ' ';
  AppendNum(out, page_h_pt_ - (b.y + b.h) * kPt);
  out += ' ';
  AppendNum(out, b.w * kPt);
  out += ' ';
  AppendNum(out, b.h * kPt);
  out += ' ';
}

// Draws `m` as an image mask (a 1-bit image painted in the fill colour where a bit is
// 1) of `module_w` x `module_h` dots a module, its bottom-left corner at (`x`, `y`) 203
// dpi dots from the page's bottom-left corner, so every module edge falls on a printer
// dot. One inline image replaces a rectangle per run of modules: a QR code takes a
// tenth of the bytes to write and to deflate. The samples are ASCII hex, so the
// content stays text and no byte sequence in the data can end the image early.
void PageContentWriter::DrawSymbol(const ModuleMatrix& m, int module_w, int module_h, long x,
                                   long y) {
  constexpr double kDotPt = kDotMm * kPt;
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string& out = *out_;
  out += "q ";
  AppendNum(out, m.columns * module_w * kDotPt);
  out += " 0 0 ";
  AppendNum(out, m.rows * module_h * kDotPt);
  out += ' ';
  AppendNum(out, static_cast<double>(x) * kDotPt);
  out += ' ';
  AppendNum(out, static_cast<double>(y) * kDotPt);
  out += " cm\nBI /W ";
  AppendInt(out, m.columns);
  out += " /H ";
  AppendInt(out, m.rows);
  out += " /IM true /BPC 1 /D [1 0] /F /AHx ID\n";
  const size_t at = out.size();
  out.resize(at + 2 * m.bits.size());
  char* hex = out.data() + at;
  for (const unsigned char b : m.bits) {
    *hex++ = kHex[b >> 4];
    *hex++ = kHex[b & 0xF];
  }
  out += ">\nEI Q\n";
}

// Each line is positioned once; its runs follow one another, as the viewer advances
// the text position by the same glyph widths the layout measured.
void PageContentWriter::EmitText(const FieldSpec& f) {
  std::string& out = *out_;
  const std::span<const Glyph> glyphs = text_.glyphs();
  const std::span<const Line> lines = text_.lines();
  for (size_t n = 0; n < lines.size(); ++n) {
    const LinePos pos = text_.Position(f, n);
    const Line& line = lines[n];
    MoveTo(pos.x, page_h_pt_ - pos.baseline);
    size_t i = line.begin;
    while (i < line.end) {
      const FontId font = glyphs[i].font;
      SetFont(font);
      // A literal string: '(', ')' and '\' escaped, so no text can end it (GBK trail
      // bytes include '\'). Display text holds no control bytes (SanitizeForDisplay).
      out += '(';
      for (; i < line.end && glyphs[i].font == font; ++i) {
        for (int k = 0; k < glyphs[i].length; ++k) {
          const char c = glyphs[i].bytes[k];
          if (c == '(' || c == ')' || c == '\\') out += '\\';
          out += c;
        }
      }
      out += ") Tj\n";
    }
    if (line.ellipsis) {
      SetFont(f.style.bold ? kHelveticaBold : kHelvetica);
      out += '(';
      out += kEllipsis;
      out += ") Tj\n";
    }
  }
}

// Td moves the start of the line relative to the last one; in hundredths of a point,
// so the positions add up exactly.
void PageContentWriter::MoveTo(double x, double y) {
  std::string& out = *out_;
  const long long line_x = std::llround(x * 100);
  const long long line_y = std::llround(y * 100);
  AppendHundredths(out, line_x - line_x_);
  out += ' ';
  AppendHundredths(out, line_y - line_y_);
  out += " Td\n";
  line_x_ = line_x;
  line_y_ = line_y;
}

void PageContentWriter::SetFont(FontId font) {
  const double size = text_.size();
  if (current_font_ == font && current_size_ == size) return;
  std::string& out = *out_;
  out += (*fonts_)[font];
  AppendNum(out, size);
  out += " Tf\n";
  current_font_ = font;
  current_size_ = size;
}

}  // namespace sortline::label::internal
