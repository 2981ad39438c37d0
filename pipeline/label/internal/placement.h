// Where a label's two symbols go: the Code 128 narrow bar and the QR module in whole
// printer dots, shrunk from their preferred sizes only as far as the template's frame
// and QR box require. Shared by the PDF writer (at 203 dpi) and ZPL (203 or 300 dpi).
//
// Thread-safety: pure function.
#ifndef PIPELINE_LABEL_INTERNAL_PLACEMENT_H_
#define PIPELINE_LABEL_INTERNAL_PLACEMENT_H_

#include "pipeline/base/result.h"
#include "pipeline/label/internal/symbol.h"
#include "pipeline/label/internal/template.h"

namespace sortline::label::internal {

// In printer dots of the target resolution, counted from the top-left corner of the page.
struct Placement {
  int narrow = 0;  // Code 128 narrow bar (one module), dots
  long bar_x = 0;  // left edge of the first bar
  long bar_top = 0;
  int bar_height = 0;
  int qr_module = 0;  // QR module side, dots
  long qr_x = 0;      // left edge of the QR code without its quiet zone
  long qr_top = 0;
};

// Places symbols of `code128` and `qr`'s sizes on `t` at `dpi`: the Code 128 centred
// horizontally at the template's bar top, the QR code centred in its box.
// kInvalidArgument when the Code 128 with its quiet zones cannot fit the frame even at
// the minimum narrow bar, or the QR code with its quiet zone cannot fit its box at the
// minimum module size.
Result<Placement> PlaceSymbols(const LabelTemplate& t, const ModuleMatrix& code128,
                               const ModuleMatrix& qr, double dpi);

}  // namespace sortline::label::internal

#endif  // PIPELINE_LABEL_INTERNAL_PLACEMENT_H_
