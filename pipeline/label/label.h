// Shipping labels: a 100 x 150 mm electronic waybill rendered as a vector PDF with
// libharu, its Code 128 and QR symbols encoded by zint and drawn as rectangles.
//
// Chinese text uses libharu's predefined CID fonts (SimSun, SimHei with the
// "GBK-EUC-H" CMap; UTF-8 is converted to GBK with iconv), and ASCII runs use the
// base-14 Helvetica fonts. Reasons, measured on libharu 2.3.0:
//   - Embedding a TrueType CJK font (DroidSansFallbackFull.ttf, wqy-microhei.ttc)
//     drops the strokes of composite glyphs (陕 渭 临 街 道 render blank or partial)
//     and costs 0.5-1 MB per file. The CID font is not embedded (a label is a few KB);
//     poppler renders it with full ink through fontconfig substitution, and pdftotext
//     extracts it given poppler-data. A printer or RIP must likewise provide a font
//     for Adobe-GB1.
//   - GBK-EUC-H maps ASCII bytes to full-width glyphs, which extract as full-width
//     letters; drawing ASCII in Helvetica keeps tracking numbers, codes and digits
//     searchable as typed.
// Display text is cleaned before drawing: control characters, bidi overrides and
// zero-width characters are removed, characters GBK cannot encode (emoji, ...) become
// '?', and text that does not fit its box is shrunk to a minimum size and then cut with
// "...". Text never makes a label fail and never leaves its box.
//
// Thread-safety: a LabelRenderer is not thread-safe (it reuses its libharu document,
// zint symbols, iconv descriptor and caches); use one per thread. A LabelSink is
// thread-safe.
#ifndef PIPELINE_LABEL_LABEL_H_
#define PIPELINE_LABEL_LABEL_H_

#include <memory>
#include <string>
#include <string_view>

#include "pipeline/base/result.h"
#include "proto/order.pb.h"
#include "proto/record.pb.h"

namespace sortline::label {

struct RendererOptions {
  bool compress = true;  // deflate page content streams
};

class LabelRenderer {
 public:
  // kInternal when libharu or iconv cannot be set up.
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
};

// Writes "<dir>/<tracking_number>.pdf"; creates `dir` (and its parents) if needed.
// Never writes outside it. kIoError when the directory cannot be created or opened.
Result<std::unique_ptr<LabelSink>> OpenDirectorySink(const std::string& dir,
                                                     const SinkOptions& options);

}  // namespace sortline::label

#endif  // PIPELINE_LABEL_LABEL_H_
