// pipeline/label owns shipping labels: the electronic waybill of a sorted parcel as a
// vector PDF (one file per parcel, or one multi-page file per batch for the printer
// queue) and as ZPL for Zebra thermal printers at 203 or 300 dpi; where finished labels
// are stored (LabelSink); and the batch manifest page (manifest.h). It is the only
// folder that knows libharu (PDF structure and fonts), zint (Code 128 and QR symbols),
// libdeflate and iconv. docs/labels.md describes the label model and how it is fast.
//
// The units under internal/, each one job:
//   template.*      the four layouts as data: "100x150" (default), "76x130" single-ply,
//                   "100x180" two-ply and "4x6" (inches), chosen per renderer and,
//                   optionally, per service class
//   fields.*        what a label says: tracking number, division, every field's text
//   symbol.*        zint encoding of the Code 128 and the QR code
//   placement.*     where the symbols go, in whole printer dots
//   text.*          display-text cleaning, phone masks, UTF-8 and GBK
//   text_layout.*   glyphs, line breaking and shrinking to fit; shared by both writers
//   pdf_content.*   a PDF page's content stream
//   pdf_document.*  libharu documents, fonts, compression, saving
//   zpl.*           a ZPL print job
//
// Fonts. Chinese text uses libharu's predefined CID fonts (SimSun, SimHei with the
// "GBK-EUC-H" CMap; UTF-8 is converted to GBK with iconv), and ASCII runs use the
// base-14 Helvetica fonts; no font is embedded, in either output. Measured with libharu
// 2.3.0 on this machine (one core of two, shared):
//   - CID, not embedded: a parcel file is 4.2 KB compressed, 5.2 KB uncompressed; a
//     batch file 1.5 KB per page. Poppler renders it with full ink through fontconfig
//     substitution (Droid Sans Fallback here): the ink of 陕 渭 临 街 道 matches a
//     ReportLab rendering of the same character within 25% in every template
//     (tests/label/template_test.cc), and pdftotext extracts it given poppler-data.
//   - DroidSansFallbackFull.ttf embedded with HPDF_LoadTTFontFromFile: 98.7 KB for a
//     one-line page (2.5 times the 40 KB budget of a parcel file), 25 ms of CPU per
//     file (250 times a whole label), and the glyphs of 秀 英 陕 渭 街 道 come out blank
//     or partial while pdftotext still extracts them. The megabyte-class cost would be
//     affordable once per batch file, the missing strokes are not: rejected for both.
//   A printer or RIP must provide a font for Adobe-GB1 (every Chinese-market one does).
//   GBK-EUC-H maps ASCII bytes to full-width glyphs, which extract as full-width
//   letters; drawing ASCII in Helvetica keeps tracking numbers, codes and digits
//   searchable as typed.
//
// Display text is cleaned before drawing: control characters, bidi overrides and
// zero-width characters are removed, characters GBK cannot encode (emoji, ...) become
// '?', and text that does not fit its box is shrunk to a minimum size and then cut with
// "...". Text never makes a label fail and never leaves its box.
//
// Thread-safety: a LabelRenderer is not thread-safe (it reuses its libharu documents,
// zint symbols, iconv descriptor and caches); use one per thread. A LabelSink is
// thread-safe.
#ifndef PIPELINE_LABEL_LABEL_H_
#define PIPELINE_LABEL_LABEL_H_

#include <cstddef>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "pipeline/base/result.h"
#include "proto/order.pb.h"
#include "proto/record.pb.h"

namespace sortline::label {

struct RendererOptions {
  bool compress = true;                   // deflate page content streams (zlib level 1)
  std::string template_name = "100x150";  // see TemplateNames()
  // Templates for particular service classes (e.g. cold chain on "100x180"); the
  // others use template_name. Empty by default.
  std::map<v1::ServiceClass, std::string> service_templates = {};
};

// The names RendererOptions accepts, the default first.
std::vector<std::string> TemplateNames();

// One label of a batch; both pointers must stay valid during the call.
struct LabelInput {
  const v1::Order* order = nullptr;
  const v1::SortRecord* record = nullptr;
};

struct BatchOptions {
  bool chute_order = false;  // pages sorted by chute (stable), else in input order
};

struct BatchPdf {
  std::string pdf;             // one page per label that could be rendered
  std::vector<size_t> pages;   // input index of each page, in page order
  std::vector<size_t> failed;  // input indexes left out (symbols cannot be encoded)
};

class LabelRenderer {
 public:
  // kInternal when libharu or iconv cannot be set up; kInvalidArgument for an unknown
  // template name.
  static Result<std::unique_ptr<LabelRenderer>> Create(const RendererOptions& options);
  virtual ~LabelRenderer() = default;

  // One single-page PDF for `order` as sorted in `record` (tracking number, sort code,
  // chute, dock door). Deterministic: the same inputs give the same bytes, whichever
  // renderer renders them and whatever it rendered before (no dates, no IDs).
  // The tracking number is the record's, or the order's when the record has none; the
  // QR code carries "S10:<tracking>|SC:<sort code>|DC:<division code>".
  // kInvalidArgument when a symbol cannot be encoded (the tracking number must be 1 to
  // 40 visible ASCII characters, no spaces); kInternal on a libharu error. After an
  // error the renderer is still usable.
  virtual Result<std::string> Render(const v1::Order& order, const v1::SortRecord& record) = 0;

  // One PDF with a page per label, each page in its order's template and carrying its
  // page counter "i/n". Every font object appears once in the file, whatever the number
  // of pages. A label whose symbols cannot be encoded is left out and listed in
  // `failed`; the others are unaffected. kInvalidArgument when `labels` is empty or no
  // label could be rendered; kInternal on a libharu error.
  virtual Result<BatchPdf> RenderBatch(std::span<const LabelInput> labels,
                                       const BatchOptions& options) = 0;

  // The same label as ZPL II for a Zebra printer at `dpi` (203 or 300): text in UTF-8
  // (^CI28) with the printer font E:SIMSUN.TTF (font J), the Code 128 and QR code as
  // printer symbols, rules as ^GB boxes. Deterministic like Render. kInvalidArgument for
  // another dpi or a tracking number that is not [A-Za-z0-9-].
  virtual Result<std::string> RenderZpl(const v1::Order& order, const v1::SortRecord& record,
                                        int dpi) = 0;
};

struct SinkOptions {
  bool fsync = false;  // fsync each file and the directory before Write returns
};

// Where finished labels go.
class LabelSink {
 public:
  virtual ~LabelSink() = default;
  // Stores `pdf` as the label of `tracking_number` and returns its reference (path
  // relative to the sink, content hash, size). The file is written under a temporary
  // name and renamed, so a crash never leaves a partial file under the final name; a
  // second Write of the same number replaces the file atomically.
  // REQUIRES: tracking_number passes model::ValidateS10 (it names the file). Anything
  // but 13 characters of [A-Z0-9] is refused with kInvalidArgument and nothing is
  // written. kResourceExhausted when the disk is full, kDataLoss when fsync fails,
  // kIoError for other refusals of the operating system.
  virtual Result<v1::LabelRef> Write(std::string_view tracking_number, std::string_view pdf) = 0;

  // Stores `bytes` under `file_name` (a batch PDF, a ZPL file), atomically like Write.
  // REQUIRES: `file_name` is 1 to 100 characters of [A-Za-z0-9_-] and one extension
  // among .pdf, .zpl, .png; anything else is refused with kInvalidArgument.
  virtual Result<v1::LabelRef> WriteFile(std::string_view file_name, std::string_view bytes) = 0;
};

// Writes "<dir>/<tracking_number>.pdf"; creates `dir` (and its parents) if needed.
// Never writes outside it. kIoError when the directory cannot be created or opened.
// Temporary files that a killed writer left behind (".<name>.tmp.<pid>.<n>" of a
// process that no longer runs on this machine) are removed when the sink opens.
Result<std::unique_ptr<LabelSink>> OpenDirectorySink(const std::string& dir,
                                                     const SinkOptions& options);

}  // namespace sortline::label

#endif  // PIPELINE_LABEL_LABEL_H_
