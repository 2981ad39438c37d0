// Barcode symbols for labels: zint encodes, and the matrix of modules comes back as
// packed rows of bits, the layout of a PDF 1-bit image, so a writer can draw a whole
// symbol as one image mask instead of hundreds of rectangles.
//
// Thread-safety: a SymbolEncoder is not thread-safe (it reuses its zint symbols); use
// one per renderer. Distinct encoders may be used concurrently.
#ifndef PIPELINE_LABEL_INTERNAL_SYMBOL_H_
#define PIPELINE_LABEL_INTERNAL_SYMBOL_H_

#include <cstddef>
#include <memory>
#include <string_view>
#include <vector>

#include "pipeline/base/result.h"
#include "pipeline/base/status.h"

struct zint_symbol;

namespace sortline::label::internal {

// An encoded symbol without quiet zones: `rows` x `columns` modules. Row r (0 is the
// top row) is bytes [r * stride(), (r + 1) * stride()) of `bits`; module c of a row is
// bit 7 - (c & 7) of byte c >> 3 (most significant bit first), 1 for a dark module. The
// bits after the last column of a row are 0.
struct ModuleMatrix {
  int rows = 0;
  int columns = 0;
  std::vector<unsigned char> bits;

  size_t stride() const { return (static_cast<size_t>(columns) + 7) / 8; }
  bool dark(int row, int column) const {
    return ((bits[static_cast<size_t>(row) * stride() + static_cast<size_t>(column >> 3)] >>
             (7 - (column & 7))) &
            1) != 0;
  }
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
