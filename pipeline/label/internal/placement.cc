#include "pipeline/label/internal/placement.h"

#include <algorithm>
#include <cmath>

namespace sortline::label::internal {

Result<Placement> PlaceSymbols(const LabelTemplate& t, const ModuleMatrix& code128,
                               const ModuleMatrix& qr, double dpi) {
  const double dots_per_mm = dpi / 25.4;
  const double scale = dpi / kPrinterDpi;
  Placement p;
  p.narrow = static_cast<int>(std::lround(kCode128NarrowDots * scale));
  const int min_narrow = static_cast<int>(std::lround(kCode128MinNarrowDots * scale));
  const double frame_w = t.frame.w * dots_per_mm;
  const int bar_span = code128.columns + 2 * kCode128QuietModules;
  while (p.narrow > min_narrow && bar_span * p.narrow > frame_w) --p.narrow;
  if (bar_span * p.narrow > frame_w) {
    return InvalidArgument("tracking number too long for the label's Code 128");
  }
  p.bar_x = std::lround((t.width_mm * dots_per_mm - code128.columns * p.narrow) / 2);
  p.bar_top = std::lround(t.code128_top_mm * dots_per_mm);
  p.bar_height = static_cast<int>(std::lround(t.code128_height_dots * scale));

  const int qr_span = qr.columns + 2 * kQrQuietModules;
  p.qr_module = std::min(static_cast<int>(std::lround(kQrMaxModuleDots * scale)),
                         static_cast<int>(t.qr.w * dots_per_mm) / qr_span);
  if (p.qr_module < static_cast<int>(std::lround(kQrMinModuleDots * scale))) {
    return InvalidArgument("QR payload too long for the label");
  }
  p.qr_x = std::lround((t.qr.x + t.qr.w / 2) * dots_per_mm - qr.columns * p.qr_module / 2.0);
  p.qr_top = std::lround((t.qr.y + t.qr.h / 2) * dots_per_mm - qr.rows * p.qr_module / 2.0);
  return p;
}

}  // namespace sortline::label::internal
