#include "pipeline/label/internal/symbol.h"

#include <string>

#include <zint.h>

namespace sortline::label::internal {
namespace {

constexpr int kQrEccLevelM = 2;

// zint 2.11 packs a row's modules as bits, module x at bit (x & 7) of byte x >> 3
// (common.c module_is_set), for every symbology but Ultracode.
bool IsDark(const zint_symbol& symbol, int row, int column) {
  return ((symbol.encoded_data[row][column >> 3] >> (column & 7)) & 1) != 0;
}

}  // namespace

void SymbolEncoder::SymbolDeleter::operator()(zint_symbol* symbol) const {
  ZBarcode_Delete(symbol);
}

Result<std::unique_ptr<SymbolEncoder>> SymbolEncoder::Create() {
  if ((ZBarcode_Cap(BARCODE_QRCODE, ZINT_CAP_MASK) & ZINT_CAP_MASK) == 0) {
    return Internal("zint cannot fix the QR mask");
  }
  Symbol code128(ZBarcode_Create());
  Symbol qr(ZBarcode_Create());
  if (code128 == nullptr || qr == nullptr) return Internal("zint: out of memory");
  code128->symbology = BARCODE_CODE128;
  code128->input_mode = DATA_MODE;
  qr->symbology = BARCODE_QRCODE;
  qr->input_mode = DATA_MODE;
  qr->option_1 = kQrEccLevelM;
  qr->option_3 = (kQrMask + 1) << 8;
  return std::unique_ptr<SymbolEncoder>(new SymbolEncoder(std::move(code128), std::move(qr)));
}

SymbolEncoder::SymbolEncoder(Symbol code128, Symbol qr)
    : code128_(std::move(code128)), qr_(std::move(qr)) {}

SymbolEncoder::~SymbolEncoder() = default;

Status SymbolEncoder::Code128(std::string_view data, ModuleMatrix& out) {
  return Encode(*code128_, data, out);
}

Status SymbolEncoder::Qr(std::string_view data, ModuleMatrix& out) {
  return Encode(*qr_, data, out);
}

Status SymbolEncoder::Encode(zint_symbol& symbol, std::string_view data, ModuleMatrix& out) {
  out.rows = 0;
  out.columns = 0;
  out.rects.clear();
  if (data.empty()) return InvalidArgument("nothing to encode");
  ZBarcode_Clear(&symbol);
  const int rc = ZBarcode_Encode(&symbol, reinterpret_cast<const unsigned char*>(data.data()),
                                 static_cast<int>(data.size()));
  if (rc >= ZINT_ERROR) {
    return InvalidArgument(std::string("zint: ") + symbol.errtxt);
  }
  out.rows = symbol.rows;
  out.columns = symbol.width;
  Cover(symbol, out);
  return Status::Ok();
}

// Greedy cover, row-major: at the first dark module not yet covered, grow a rectangle
// either right-then-down (the run of dark modules, over every following row where
// that whole span is dark) or down-then-right, and keep the one covering more
// uncovered modules. Overlaps with earlier rectangles are allowed; they cost nothing
// when the union is filled.
void SymbolEncoder::Cover(const zint_symbol& symbol, ModuleMatrix& out) {
  const int rows = symbol.rows;
  const int cols = symbol.width;
  covered_.assign(static_cast<size_t>(rows) * static_cast<size_t>(cols), 0);
  auto covered = [&](int r, int c) -> unsigned char& {
    return covered_[static_cast<size_t>(r) * static_cast<size_t>(cols) + static_cast<size_t>(c)];
  };
  auto span_dark = [&](int r, int c0, int c1) {
    for (int c = c0; c < c1; ++c) {
      if (!IsDark(symbol, r, c)) return false;
    }
    return true;
  };
  auto uncovered_in = [&](const ModuleRect& rect) {
    int n = 0;
    for (int r = rect.row; r < rect.row + rect.height; ++r) {
      for (int c = rect.column; c < rect.column + rect.width; ++c) n += covered(r, c) ? 0 : 1;
    }
    return n;
  };
  for (int r = 0; r < rows; ++r) {
    for (int c = 0; c < cols; ++c) {
      if (!IsDark(symbol, r, c) || covered(r, c)) continue;
      ModuleRect wide{r, c, 1, 1};
      while (c + wide.width < cols && IsDark(symbol, r, c + wide.width)) ++wide.width;
      while (r + wide.height < rows && span_dark(r + wide.height, c, c + wide.width)) {
        ++wide.height;
      }
      ModuleRect tall{r, c, 1, 1};
      while (r + tall.height < rows && IsDark(symbol, r + tall.height, c)) ++tall.height;
      while (c + tall.width < cols) {
        bool dark = true;
        for (int k = r; k < r + tall.height && dark; ++k) dark = IsDark(symbol, k, c + tall.width);
        if (!dark) break;
        ++tall.width;
      }
      const ModuleRect& best = uncovered_in(tall) > uncovered_in(wide) ? tall : wide;
      for (int k = best.row; k < best.row + best.height; ++k) {
        for (int j = best.column; j < best.column + best.width; ++j) covered(k, j) = 1;
      }
      out.rects.push_back(best);
    }
  }
}

}  // namespace sortline::label::internal
