#include "pipeline/label/internal/zpl.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string_view>

#include "pipeline/base/text.h"
#include "pipeline/label/internal/append.h"
#include "pipeline/label/internal/placement.h"

namespace sortline::label::internal {
namespace {

constexpr double kPt = kPointsPerMm;
// Fields are laid out for a box 15% narrower: the printer's font (SimSun downloaded, or
// a fallback) may run wider than the PDF fonts' metrics.
constexpr double kZplWidthFactor = 0.85;

bool IsZplSafe(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
  });
}

// Field data with ^FH: '_' starts a hex escape, so it and the command prefixes '^' and
// '~' are written as escapes; nothing in the text can end the field.
void AppendZplEscaped(std::string& out, std::string_view text) {
  for (char c : text) {
    if (c == '_' || c == '^' || c == '~') {
      char buf[4];
      std::snprintf(buf, sizeof(buf), "_%02X", static_cast<unsigned char>(c));
      out += buf;
    } else {
      out.push_back(c);
    }
  }
}

// "^FO<x>,<y>": the field origin in dots from the top-left corner.
void AppendOrigin(std::string& out, long x, long y) {
  out += "^FO";
  AppendInt(out, x);
  out += ',';
  AppendInt(out, y);
}

}  // namespace

Status CheckZplDpi(int dpi) {
  if (dpi != 203 && dpi != 300) return InvalidArgument("ZPL is rendered at 203 or 300 dpi");
  return Status::Ok();
}

Status ZplWriter::Write(const LabelData& label, const ModuleMatrix& code128, const ModuleMatrix& qr,
                        int dpi, std::string& zpl) {
  SORTLINE_RETURN_IF_ERROR(CheckZplDpi(dpi));
  if (!IsZplSafe(label.tracking)) {
    return InvalidArgument("ZPL labels need a tracking number of [A-Za-z0-9-]");
  }
  // The printer encodes the QR code itself and may choose the next version up
  // (4 modules more a side); the module size and position leave room for it.
  ModuleMatrix printer_qr;
  printer_qr.rows = qr.rows + 4;
  printer_qr.columns = qr.columns + 4;
  const LabelTemplate& t = *label.layout;
  SORTLINE_ASSIGN_OR_RETURN(Placement place, PlaceSymbols(t, code128, printer_qr, dpi));
  const double dots_per_mm = dpi / 25.4;
  auto dots = [&](double mm) { return std::lround(mm * dots_per_mm); };
  const long line = std::max(2L, std::lround(0.8 / 72 * dpi));
  zpl.clear();
  zpl.reserve(4096);
  zpl += "^XA\n^CI28\n^LH0,0\n^PW";
  AppendInt(zpl, dots(t.width_mm));
  zpl += "\n^LL";
  AppendInt(zpl, dots(t.height_mm));
  zpl += "\n^CWJ,E:SIMSUN.TTF\n";
  auto box = [&](long x, long y, long w, long h, long thickness) {
    AppendOrigin(zpl, x, y);
    zpl += "^GB";
    AppendInt(zpl, std::max(w, thickness));
    zpl += ',';
    AppendInt(zpl, std::max(h, thickness));
    zpl += ',';
    AppendInt(zpl, thickness);
    zpl += "^FS\n";
  };
  box(dots(t.frame.x), dots(t.frame.y), dots(t.frame.w), dots(t.frame.h), line);
  for (const Rule& r : t.rules) {
    box(dots(r.x0), dots(r.y0), dots(r.x1 - r.x0), dots(r.y1 - r.y0), line);
  }
  if (label.perishable) {
    const Box& b = t.perishable_frame;
    box(dots(b.x), dots(b.y), dots(b.w), dots(b.h), 2 * line);
  }
  // ^BY without its height: the bar height goes in ^BC, and renderers (zebrash) move a
  // later ^BQ down by a ^BY height.
  zpl += "^BY";
  AppendInt(zpl, place.narrow);
  zpl += ",3\n";
  AppendOrigin(zpl, place.bar_x, place.bar_top);
  zpl += "^BCN,";
  AppendInt(zpl, place.bar_height);
  zpl += ",N,N,N,A^FD";
  zpl += label.tracking;
  zpl += "^FS\n";
  AppendOrigin(zpl, place.qr_x, place.qr_top);
  zpl += "^BQN,2,";
  AppendInt(zpl, place.qr_module);
  zpl += "^FH^FDMA,";
  AppendZplEscaped(zpl, QrPayload(label));
  zpl += "^FS\n";
  for (const FieldSpec& f : t.fields) {
    Box narrower = f.box;
    narrower.w *= kZplWidthFactor;
    FieldText(f.field, label, field_text_);
    if (!text_.Fit(narrower, field_text_, f.style)) continue;
    const std::span<const Glyph> glyphs = text_.glyphs();
    const std::span<const Line> lines = text_.lines();
    for (size_t n = 0; n < lines.size(); ++n) {
      // The printer's font has its own metrics: a one-line field block as wide as the
      // box aligns the line and keeps it inside the box whatever they are.
      const LinePos pos = text_.Position(f, n);
      AppendOrigin(zpl, dots(f.box.x), std::lround(pos.top / kPt * dots_per_mm));
      zpl += "^AJN,";
      AppendInt(zpl, std::lround(text_.size() / 72 * dpi));
      zpl += "^FB";
      AppendInt(zpl, dots(f.box.w));
      zpl += f.style.align == Align::kCenter  ? ",1,0,C"
             : f.style.align == Align::kRight ? ",1,0,R"
                                              : ",1,0,L";
      zpl += "^FH^FD";
      line_text_.clear();
      for (size_t i = lines[n].begin; i < lines[n].end; ++i) {
        AppendUtf8(glyphs[i].code_point, &line_text_);
      }
      if (lines[n].ellipsis) line_text_ += kEllipsis;
      AppendZplEscaped(zpl, line_text_);
      zpl += "^FS\n";
    }
  }
  zpl += "^XZ\n";
  return Status::Ok();
}

}  // namespace sortline::label::internal
