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

void PageContentWriter::EmitText(const FieldSpec& f) {
  const std::span<const Glyph> glyphs = text_.glyphs();
  const std::span<const Line> lines = text_.lines();
  for (size_t n = 0; n < lines.size(); ++n) {
    const LinePos pos = text_.Position(f, n);
    const Line& line = lines[n];
    double x = pos.x;
    const double baseline = page_h_pt_ - pos.baseline;
    size_t i = line.begin;
    while (i < line.end) {
      const FontId font = glyphs[i].font;
      run_.clear();
      double run_w = 0;
      for (; i < line.end && glyphs[i].font == font; ++i) {
        run_.append(glyphs[i].bytes, glyphs[i].length);
        run_w += glyphs[i].width;
      }
      ShowRun(font, x, baseline, run_);
      x += run_w * text_.size() / 1000;
    }
    if (line.ellipsis) ShowRun(f.style.bold ? kHelveticaBold : kHelvetica, x, baseline, kEllipsis);
  }
}

// A literal string: '(', ')' and '\' escaped, so no text can end it (GBK trail bytes
// include '\'). Display text holds no control bytes (SanitizeForDisplay).
void PageContentWriter::ShowRun(FontId font, double x, double baseline, std::string_view bytes) {
  std::string& out = *out_;
  const double size = text_.size();
  if (current_font_ != font || current_size_ != size) {
    out += (*fonts_)[font];
    AppendNum(out, size);
    out += " Tf\n";
    current_font_ = font;
    current_size_ = size;
  }
  out += "1 0 0 1 ";
  AppendNum(out, x);
  out += ' ';
  AppendNum(out, baseline);
  out += " Tm (";
  for (char c : bytes) {
    if (c == '(' || c == ')' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  out += ") Tj\n";
}

}  // namespace sortline::label::internal
