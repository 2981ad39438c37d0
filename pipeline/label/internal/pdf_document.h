// The libharu side of the PDF writer: document structure, the four fonts and their
// resources, page sizes, saving, and the deflating of content streams (libdeflate). A
// page's content arrives as finished bytes (pdf_content.h).
//
// Fonts. Chinese text uses libharu's predefined CID fonts SimSun and SimHei with the
// GBK-EUC-H CMap, ASCII the base-14 Helvetica fonts; nothing is embedded. Every page
// lists all four fonts under the same names (font_names()), whether it uses them or
// not, so the bytes depend on the label alone. Font creation costs about a fifth of a
// label: the per-parcel document is kept, and its fonts registered once, for the
// writer's lifetime; each SavePage replaces its page's size and content only.
//
// Compression. libharu deflates at zlib level 6 only (~120 µs for 5 KB); content
// streams are instead deflated here with libdeflate level 1 (~10 µs for a label's
// 2.1 KB), and the /Filter entry is added through the stream dictionary's write
// hook. Saving writes straight into the result (a libharu callback writer), not
// through libharu's memory stream.
//
// Thread-safety: a PdfDocument is not thread-safe (it reuses its libharu documents);
// use one per renderer.
#ifndef PIPELINE_LABEL_INTERNAL_PDF_DOCUMENT_H_
#define PIPELINE_LABEL_INTERNAL_PDF_DOCUMENT_H_

#include <memory>
#include <string>
#include <string_view>

#include "pipeline/base/result.h"
#include "pipeline/label/internal/pdf_content.h"
#include "pipeline/label/internal/text_layout.h"

namespace sortline::label::internal {

class PdfDocument {
 public:
  // `compress`: deflate content streams. kInternal when libharu or libdeflate cannot
  // be set up.
  static Result<std::unique_ptr<PdfDocument>> Create(bool compress);
  virtual ~PdfDocument() = default;

  // The fonts' metrics, as libharu knows them.
  virtual GlyphWidths& widths() = 0;
  // The fonts' resource names on every page this document writes.
  virtual const FontNames& font_names() const = 0;

  // A single-page PDF of `width_pt` x `height_pt` with `content` as its content stream.
  // kInternal on a libharu error; the next call starts from a fresh document.
  virtual Result<std::string> SavePage(double width_pt, double height_pt,
                                       std::string_view content) = 0;

  // A multi-page PDF: StartBatch, AddPage per page in page order, FinishBatch. Every
  // font object appears once in the file. kInternal on a libharu error; StartBatch
  // begins a new batch whatever happened to the last one.
  virtual Status StartBatch() = 0;
  virtual Status AddPage(double width_pt, double height_pt, std::string_view content) = 0;
  virtual Result<std::string> FinishBatch() = 0;
};

}  // namespace sortline::label::internal

#endif  // PIPELINE_LABEL_INTERNAL_PDF_DOCUMENT_H_
