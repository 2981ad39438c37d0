// Barcode symbols for labels: zint encodes, the matrix of modules comes back as packed
// rows of bits, and RectangleCover turns the dark modules into the few rectangles a
// writer fills as one vector path.
//
// Thread-safety: a SymbolEncoder is not thread-safe (it reuses its zint symbols), nor is
// a RectangleCover (it reuses its buffers); use one of each per renderer. Distinct
// objects may be used concurrently.
#ifndef PIPELINE_LABEL_INTERNAL_SYMBOL_H_
#define PIPELINE_LABEL_INTERNAL_SYMBOL_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include "pipeline/base/result.h"
#include "pipeline/base/status.h"

struct zint_symbol;

namespace sortline::label::internal {

// An encoded symbol without quiet zones: `rows` x `columns` modules. Row r (0 is the
// top row) is bytes [r * stride(), (r + 1) * stride()) of `bits`; module c of a row is
// bit c & 7 of byte c >> 3 (least significant bit first, as zint 2.11 packs them for
// every symbology but Ultracode: common.c module_is_set), 1 for a dark module. The bits
// after the last column of a row are 0.
struct ModuleMatrix {
  int rows = 0;
  int columns = 0;
  std::vector<unsigned char> bits;

  size_t stride() const { return (static_cast<size_t>(columns) + 7) / 8; }
  bool dark(int row, int column) const {
    return ((bits[static_cast<size_t>(row) * stride() + static_cast<size_t>(column >> 3)] >>
             (column & 7)) &
            1) != 0;
  }
};

// A `width` x `height` block of dark modules whose top-left module is (`row`, `column`);
// row 0 is the top row.
struct ModuleRect {
  int row = 0;
  int column = 0;
  int width = 0;
  int height = 0;
};

// The dark modules of a matrix as rectangles, in one linear pass over its packed rows:
// each row's runs of dark modules, a run that the next row repeats exactly (same first
// and last column) grown into one taller rectangle. The rectangles never overlap and
// cover exactly the dark modules; a Code 128 (one row) gives one rectangle per bar. Not
// a minimal cover (that is a search, and the old greedy one cost more than drawing):
// on the labels' QR codes (version 3) this gives ~20% fewer rectangles than runs.
class RectangleCover {
 public:
  // The rectangles of `m`, ordered by the row after their last one, then by column.
  // Valid until the next call.
  std::span<const ModuleRect> Cover(const ModuleMatrix& m);

 private:
  // Scratch, grown to the largest symbol seen: the current row as words, the run
  // boundaries of the row above and of the current row, and the top row of each run's
  // rectangle so far.
  std::vector<ModuleRect> rects_;
  std::vector<uint64_t> row_;
  std::vector<int> above_;
  std::vector<int> current_;
  std::vector<int> above_top_;
  std::vector<int> current_top_;
};

// The QR mask every label uses. A fixed mask skips zint's evaluation of all eight
// masks (faster) and makes the symbol depend on the data only.
inline constexpr int kQrMask = 1;

class SymbolEncoder {
 public:
  // kInternal when zint cannot allocate its symbols or cannot fix the QR mask.
  static Result<std::unique_ptr<SymbolEncoder>> Create();
  ~SymbolEncoder();
  SymbolEncoder(const SymbolEncoder&) = delete;
  SymbolEncoder& operator=(const SymbolEncoder&) = delete;

  // Code 128 (zint picks code sets A/B/C). kInvalidArgument when zint refuses `data`.
  Status Code128(std::string_view data, ModuleMatrix& out);
  // QR Code, error correction level M, mask kQrMask, smallest version that fits, bytes
  // as given. kInvalidArgument when zint refuses `data`.
  Status Qr(std::string_view data, ModuleMatrix& out);

 private:
  struct SymbolDeleter {
    void operator()(zint_symbol* symbol) const;
  };
  using Symbol = std::unique_ptr<zint_symbol, SymbolDeleter>;

  SymbolEncoder(Symbol code128, Symbol qr);
  Status Encode(zint_symbol& symbol, std::string_view data, ModuleMatrix& out);

  Symbol code128_;
  Symbol qr_;
};

}  // namespace sortline::label::internal

#endif  // PIPELINE_LABEL_INTERNAL_SYMBOL_H_
