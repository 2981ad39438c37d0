// Barcode symbols for labels: zint encodes, and the caller draws the dark modules as
// a few rectangles (runs of modules, grown over rows where they repeat) instead of one
// per module: fewer path operators to write and to compress.
//
// Thread-safety: a SymbolEncoder is not thread-safe (it reuses its zint symbols); use
// one per renderer. Distinct encoders may be used concurrently.
#ifndef PIPELINE_LABEL_INTERNAL_SYMBOL_H_
#define PIPELINE_LABEL_INTERNAL_SYMBOL_H_

#include <memory>
#include <string_view>
#include <vector>

#include "pipeline/base/result.h"
#include "pipeline/base/status.h"

struct zint_symbol;

namespace sortline::label::internal {

// A `width` x `height` block of dark modules whose top-left module is (`row`,
// `column`); row 0 is the top row.
struct ModuleRect {
  int row = 0;
  int column = 0;
  int width = 0;
  int height = 0;
};

// An encoded symbol without quiet zones: `rows` x `columns` modules, its dark modules
// covered by `rects`. Rects may overlap (a non-zero fill of their union is the
// symbol); every dark module is covered and no light one is.
struct ModuleMatrix {
  int rows = 0;
  int columns = 0;
  std::vector<ModuleRect> rects;
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
  void Cover(const zint_symbol& symbol, ModuleMatrix& out);

  Symbol code128_;
  Symbol qr_;
  std::vector<unsigned char> covered_;  // scratch for Cover
};

}  // namespace sortline::label::internal

#endif  // PIPELINE_LABEL_INTERNAL_SYMBOL_H_
