#include "pipeline/label/internal/symbol.h"

#include <array>
#include <string>

#include <zint.h>

namespace sortline::label::internal {
namespace {

constexpr int kQrEccLevelM = 2;

// zint 2.11 packs a row's modules as bits, module x at bit (x & 7) of byte x >> 3
// (common.c module_is_set), for every symbology but Ultracode: least significant bit
// first, the mirror of a PDF image row. kReversed[b] is b with its bits mirrored.
constexpr std::array<unsigned char, 256> kReversed = [] {
  std::array<unsigned char, 256> table{};
  for (int b = 0; b < 256; ++b) {
    int r = 0;
    for (int bit = 0; bit < 8; ++bit) r |= ((b >> bit) & 1) << (7 - bit);
    table[static_cast<size_t>(b)] = static_cast<unsigned char>(r);
  }
  return table;
}();

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
  out.bits.clear();
  if (data.empty()) return InvalidArgument("nothing to encode");
  ZBarcode_Clear(&symbol);
  const int rc = ZBarcode_Encode(&symbol, reinterpret_cast<const unsigned char*>(data.data()),
                                 static_cast<int>(data.size()));
  if (rc >= ZINT_ERROR) {
    return InvalidArgument(std::string("zint: ") + symbol.errtxt);
  }
  out.rows = symbol.rows;
  out.columns = symbol.width;
  const size_t stride = out.stride();
  // Bits of the last byte past the last column are cleared: zint leaves whatever it
  // had there. The mask keeps the row's last (width - 1) % 8 + 1 bits.
  const auto tail_mask = static_cast<unsigned char>(0xFF00 >> ((symbol.width - 1) % 8 + 1));
  out.bits.resize(stride * static_cast<size_t>(symbol.rows));
  for (int r = 0; r < symbol.rows; ++r) {
    unsigned char* row = out.bits.data() + static_cast<size_t>(r) * stride;
    for (size_t k = 0; k < stride; ++k) row[k] = kReversed[symbol.encoded_data[r][k]];
    row[stride - 1] &= tail_mask;
  }
  return Status::Ok();
}

}  // namespace sortline::label::internal
