// ZPL II for Zebra printers: the same label as the PDF writer draws, from the same
// template, field text and text layout, with the printer's own Code 128 and QR symbols,
// ^GB boxes for rules, and UTF-8 text (^CI28) in the printer font E:SIMSUN.TTF.
//
// Thread-safety: a ZplWriter is not thread-safe (it borrows a TextLayout); use one per
// renderer.
#ifndef PIPELINE_LABEL_INTERNAL_ZPL_H_
#define PIPELINE_LABEL_INTERNAL_ZPL_H_

#include <string>

#include "pipeline/base/status.h"
#include "pipeline/label/internal/fields.h"
#include "pipeline/label/internal/symbol.h"
#include "pipeline/label/internal/text_layout.h"

namespace sortline::label::internal {

// kInvalidArgument unless `dpi` is 203 or 300, the resolutions ZPL labels are laid out for.
Status CheckZplDpi(int dpi);

class ZplWriter {
 public:
  // REQUIRES: `text` outlives the writer.
  explicit ZplWriter(TextLayout& text) : text_(text) {}
  ZplWriter(const ZplWriter&) = delete;
  ZplWriter& operator=(const ZplWriter&) = delete;

  // The print job of `label` at `dpi` into `out` (replaced). `code128` and `qr` are the
  // label's symbols as zint encoded them: their sizes place the printer's symbols.
  // kInvalidArgument for a dpi other than 203 or 300, a tracking number that is not
  // [A-Za-z0-9-], or symbols that do not fit the template (PlaceSymbols).
  Status Write(const LabelData& label, const ModuleMatrix& code128, const ModuleMatrix& qr, int dpi,
               std::string& out);

 private:
  TextLayout& text_;
  std::string field_text_;
  std::string line_text_;
};

}  // namespace sortline::label::internal

#endif  // PIPELINE_LABEL_INTERNAL_ZPL_H_
