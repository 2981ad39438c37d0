// The content stream of one label page: frame and rules, the two symbols on whole
// printer dots, and every field's text laid out by TextLayout, written directly as PDF
// operators (libharu's own operators format every real with its slow HPDF_FToA and
// check graphics state per call). Knows no libharu: the bytes go to the document
// through PdfDocument (pdf_document.h).
//
// Thread-safety: a PageContentWriter is not thread-safe (it borrows a TextLayout and
// keeps per-page state); use one per renderer.
#ifndef PIPELINE_LABEL_INTERNAL_PDF_CONTENT_H_
#define PIPELINE_LABEL_INTERNAL_PDF_CONTENT_H_

#include <array>
#include <string>
#include <string_view>

#include "pipeline/label/internal/fields.h"
#include "pipeline/label/internal/placement.h"
#include "pipeline/label/internal/symbol.h"
#include "pipeline/label/internal/text_layout.h"

namespace sortline::label::internal {

// A page's resource names of the four fonts, by FontId, each with its leading slash and
// a trailing space ("/F1 ").
using FontNames = std::array<std::string, kFontCount>;

class PageContentWriter {
 public:
  // REQUIRES: `text` outlives the writer.
  explicit PageContentWriter(TextLayout& text) : text_(text) {}
  PageContentWriter(const PageContentWriter&) = delete;
  PageContentWriter& operator=(const PageContentWriter&) = delete;

  // Writes the page of `label` (its template, fields and page counter) into `out`
  // (replaced), y up from the bottom-left corner as PDF wants. `place` is at 203 dpi.
  // Deterministic: the bytes depend on the arguments alone.
  void Build(const LabelData& label, const Placement& place, const ModuleMatrix& code128,
             const ModuleMatrix& qr, const FontNames& fonts, std::string& out);

 private:
  void AppendBox(const Box& b);
  void DrawSymbol(const ModuleMatrix& m, int module_w, int module_h, long x, long y);
  void EmitText(const FieldSpec& f);
  void MoveTo(double x, double y);
  void SetFont(FontId font);

  TextLayout& text_;
  // State of the page being built.
  std::string* out_ = nullptr;
  const FontNames* fonts_ = nullptr;
  double page_h_pt_ = 0;
  int current_font_ = -1;
  double current_size_ = 0;
  long long line_x_ = 0;  // start of the current text line, 1/100 pt
  long long line_y_ = 0;
  std::string field_text_;
};

}  // namespace sortline::label::internal

#endif  // PIPELINE_LABEL_INTERNAL_PDF_CONTENT_H_
