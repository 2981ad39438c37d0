// Units and printer geometry shared by every label template: boxes in millimetres from
// the top-left corner of the page, and the 203 dpi dot that symbols are aligned to.
//
// Thread-safety: constants only.
#ifndef PIPELINE_LABEL_INTERNAL_LAYOUT_H_
#define PIPELINE_LABEL_INTERNAL_LAYOUT_H_

namespace sortline::label::internal {

struct Box {
  double x = 0;  // left edge, mm from the left of the page
  double y = 0;  // top edge, mm from the top of the page
  double w = 0;
  double h = 0;
};

inline constexpr double kPointsPerMm = 72.0 / 25.4;

// Label printers print at 203 dpi; symbol modules are whole printer dots.
inline constexpr double kDotMm = 25.4 / 203;
inline constexpr double kPrinterDpi = 25.4 / kDotMm;
inline constexpr int kCode128NarrowDots = 3;  // 0.375 mm narrow bar
inline constexpr int kCode128MinNarrowDots = 2;
inline constexpr int kCode128QuietModules = 10;
inline constexpr int kQrQuietModules = 4;
inline constexpr int kQrMaxModuleDots = 6;  // 0.75 mm
inline constexpr int kQrMinModuleDots = 2;

}  // namespace sortline::label::internal

#endif  // PIPELINE_LABEL_INTERNAL_LAYOUT_H_
