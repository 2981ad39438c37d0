#include "pipeline/label/internal/pdf_content.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <span>

#include "pipeline/label/internal/append.h"

namespace sortline::label::internal {
namespace {

constexpr double kPt = kPointsPerMm;

// Scales user space to 203 dpi printer dots: 72 / 203 points, to 7 digits (off by a
// hundred-thousandth of a dot across a 180 mm page).
constexpr char kDotsCm[] = "q 0.3546798 0 0 0.3546798 0 0 cm\n";
static_assert(72.0 / 203 > 0.35467975 && 72.0 / 203 < 0.35467985);

// Symbol coordinates are module counts, written from this table of their decimal digits
// and a space ("12 "): a label's QR code is ~160 rectangles, 640 numbers.
constexpr int kSmallInts = 1000;
constexpr int kTableDigits = 3;
struct SmallInt {
  std::array<char, kTableDigits + 1> text;  // digits and a space, padding after
  int length;                               // digits and the space
};
constexpr std::array<SmallInt, kSmallInts> kSmallIntTable = [] {
  std::array<SmallInt, kSmallInts> table{};
  for (int v = 0; v < kSmallInts; ++v) {
    SmallInt& e = table[static_cast<size_t>(v)];
    char digits[kTableDigits];
    int n = 0;
    int rest = v;
    do {
      digits[n++] = static_cast<char>('0' + rest % 10);
      rest /= 10;
    } while (rest != 0);
    for (int i = 0; i < n; ++i) e.text[static_cast<size_t>(i)] = digits[n - 1 - i];
    e.text[static_cast<size_t>(n)] = ' ';
    e.length = n + 1;
  }
  return table;
}();

// Writes `v` (0 <= v < kSmallInts) and a space at `p`, which must have room for
// kTableDigits + 1 bytes; returns the end of what it wrote.
char* PutSmallInt(char* p, int v) {
  const SmallInt& e = kSmallIntTable[static_cast<size_t>(v)];
  std::memcpy(p, e.text.data(), e.text.size());
  return p + e.length;
}

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
  out += kDotsCm;
  DrawSymbol(code128, place.narrow, place.bar_height, place.bar_x,
             page_h_dots - place.bar_top - place.bar_height);
  DrawSymbol(qr, place.qr_module, place.qr_module, place.qr_x,
             page_h_dots - place.qr_top - qr.rows * place.qr_module);
  out += "Q\n";
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

// Fills the dark modules of `m` as one vector path of rectangles (RectangleCover), in a
// coordinate system set once with `cm` where a module is `module_w` x `module_h` dots
// and y counts rows down from the symbol's top-left corner; the caller has made the
// unit a 203 dpi dot. So every rectangle is four small integers and every module edge
// falls on a printer dot. One `f` fills the whole path: a renderer that antialiases
// sees no seams between rectangles that touch.
void PageContentWriter::DrawSymbol(const ModuleMatrix& m, int module_w, int module_h, long x,
                                   long y) {
  std::string& out = *out_;
  out += "q ";
  AppendInt(out, module_w);
  out += " 0 0 -";
  AppendInt(out, module_h);
  out += ' ';
  AppendInt(out, x);
  out += ' ';
  AppendInt(out, y + static_cast<long>(m.rows) * module_h);
  out += " cm\n";
  const std::span<const ModuleRect> rects = cover_.Cover(m);
  if (std::max(m.rows, m.columns) < kSmallInts) {
    // At most four numbers of kTableDigits digits and a space each, then "re\n";
    // written into scratch that only ever grows, so nothing is cleared first.
    const size_t most = rects.size() * (4 * (kTableDigits + 1) + 3);
    if (rect_text_.size() < most) rect_text_.resize(most);
    char* const begin = rect_text_.data();
    char* p = begin;
    for (const ModuleRect& r : rects) {
      p = PutSmallInt(p, r.column);
      p = PutSmallInt(p, r.row);
      p = PutSmallInt(p, r.width);
      p = PutSmallInt(p, r.height);
      std::memcpy(p, "re\n", 3);
      p += 3;
    }
    out.append(begin, p);
  } else {  // no label symbol is this large (a QR code has at most 177 rows)
    for (const ModuleRect& r : rects) {
      for (const int v : {r.column, r.row, r.width, r.height}) {
        AppendInt(out, v);
        out += ' ';
      }
      out += "re\n";
    }
  }
  out += "f Q\n";
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
      size_t end = i;
      while (end < line.end && glyphs[end].font == font) ++end;
      // A literal string: '(', ')' and '\' escaped, so no text can end it (GBK trail
      // bytes include '\'). Display text holds no control bytes (SanitizeForDisplay).
      // Room for "(", every glyph's two bytes escaped, and ") Tj\n".
      const size_t at = out.size();
      out.resize(at + 1 + 4 * (end - i) + 5);
      char* p = out.data() + at;
      *p++ = '(';
      for (; i < end; ++i) {
        for (int k = 0; k < glyphs[i].length; ++k) {
          const char c = glyphs[i].bytes[k];
          if (c == '(' || c == ')' || c == '\\') *p++ = '\\';
          *p++ = c;
        }
      }
      std::memcpy(p, ") Tj\n", 5);
      out.resize(static_cast<size_t>(p + 5 - out.data()));
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
  const long long line_x = std::llround(x * 100);
  const long long line_y = std::llround(y * 100);
  char buf[64];
  char* p = PutHundredths(buf, line_x - line_x_);
  *p++ = ' ';
  p = PutHundredths(p, line_y - line_y_);
  std::memcpy(p, " Td\n", 4);
  out_->append(buf, p + 4);
  line_x_ = line_x;
  line_y_ = line_y;
}

void PageContentWriter::SetFont(FontId font) {
  const double size = text_.size();
  if (current_font_ == font && current_size_ == size) return;
  std::string& out = *out_;
  out += (*fonts_)[font];
  char buf[32];
  char* p = PutHundredths(buf, std::llround(size * 100));
  std::memcpy(p, " Tf\n", 4);
  out.append(buf, p + 4);
  current_font_ = font;
  current_size_ = size;
}

}  // namespace sortline::label::internal
