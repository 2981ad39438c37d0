// Shipping labels: a 100 x 150 mm electronic waybill rendered as a vector PDF with
// libharu, its Code 128 and QR symbols encoded by zint and drawn as rectangles.
//
// Thread-safety: a LabelRenderer is not thread-safe (it reuses buffers); use one per
// thread. A LabelSink is thread-safe.
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
  static Result<std::unique_ptr<LabelRenderer>> Create(const RendererOptions& options);
  virtual ~LabelRenderer() = default;

  // One single-page PDF for `order` as sorted in `record` (tracking number, sort code,
  // chute, dock door). Deterministic: the same inputs give the same bytes.
  // kInvalidArgument when a symbol cannot be encoded; kInternal on a libharu error.
  virtual Result<std::string> Render(const v1::Order& order, const v1::SortRecord& record) = 0;
};

struct SinkOptions {
  bool fsync = false;  // fsync each file and the directory before rename returns
};

// Where finished labels go.
class LabelSink {
 public:
  virtual ~LabelSink() = default;
  // Stores `pdf` as the label of `tracking_number` and returns its reference (path
  // relative to the sink, content hash, size). The file is written under a temporary
  // name and renamed, so a crash never leaves a partial file under the final name.
  // REQUIRES: tracking_number passes model::ValidateS10 (it names the file).
  virtual Result<v1::LabelRef> Write(std::string_view tracking_number, std::string_view pdf) = 0;
};

// Writes "<dir>/<tracking_number>.pdf"; creates `dir` if needed. Never writes outside it.
Result<std::unique_ptr<LabelSink>> OpenDirectorySink(const std::string& dir,
                                                     const SinkOptions& options);

}  // namespace sortline::label

#endif  // PIPELINE_LABEL_LABEL_H_
