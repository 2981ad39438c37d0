#include "pipeline/label/internal/symbol.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cstdint>
#include <cstring>
#include <string>

#include <zint.h>

namespace sortline::label::internal {
namespace {

constexpr int kQrEccLevelM = 2;

// zint 2.11 packs a row's modules as bits, module x at bit (x & 7) of byte x >> 3
// (common.c module_is_set), for every symbology but Ultracode: least significant bit
// first, the mirror of ModuleMatrix rows. kReversed[b] is b with its bits mirrored.
constexpr std::array<unsigned char, 256> kReversed = [] {
  std::array<unsigned char, 256> table{};
  for (int b = 0; b < 256; ++b) {
    int r = 0;
    for (int bit = 0; bit < 8; ++bit) r |= ((b >> bit) & 1) << (7 - bit);
    table[static_cast<size_t>(b)] = static_cast<unsigned char>(r);
  }
  return table;
}();

// Writes the run boundaries of the packed row `row` (`stride` bytes, `columns`
// modules, the bits after the last column 0) to `out`: the first column of each run of
// dark modules, then the column after its last, alternately, in order. Returns how many
// it wrote. `out` must have room for columns + 1. A row is read 8 bytes at a time, and
// each boundary is a column whose module differs from the one before it.
int RunBoundaries(const unsigned char* row, size_t stride, int columns, int* out) {
  int n = 0;
  uint64_t before = 0;  // the module left of the word, in its least significant bit
  for (size_t at = 0; at < stride; at += 8) {
    unsigned char bytes[8] = {};
    std::memcpy(bytes, row + at, std::min<size_t>(8, stride - at));
    uint64_t word = 0;
    for (const unsigned char b : bytes) word = (word << 8) | b;  // column `at * 8` first
    uint64_t changes = word ^ ((word >> 1) | (before << 63));
    const int base = static_cast<int>(at * 8);
    while (changes != 0) {
      const int bit = std::countl_zero(changes);
      out[n++] = base + bit;
      changes &= ~(uint64_t{1} << 63 >> bit);
    }
    before = word & 1;
  }
  if ((n & 1) != 0) out[n++] = columns;  // a run that reaches the last byte's last bit
  return n;
}

}  // namespace

std::span<const ModuleRect> RectangleCover::Cover(const ModuleMatrix& m) {
  const size_t stride = m.stride();
  const auto room = static_cast<size_t>(m.columns) + 1;
  for (std::vector<int>* v : {&above_, &current_, &above_top_, &current_top_}) {
    if (v->size() < room) v->resize(room);
  }
  // Every rectangle holds a run of its first row, and a row has at most (columns + 1) / 2.
  const size_t most = static_cast<size_t>(m.rows) * (room / 2);
  if (rects_.size() < most) rects_.resize(most);
  ModuleRect* rect = rects_.data();
  // Runs of the row above: boundaries above_[0, above_n), each run's first row above_top_.
  int above_n = 0;
  // Row m.rows is past the end: it has no runs, so every rectangle still open closes.
  for (int r = 0; r <= m.rows; ++r) {
    const int n = r < m.rows ? RunBoundaries(m.bits.data() + static_cast<size_t>(r) * stride,
                                             stride, m.columns, current_.data())
                             : 0;
    int k = 0;  // the first run above neither continued nor closed
    auto close = [&] {
      const int top = above_top_[static_cast<size_t>(k / 2)];
      *rect++ = {top, above_[static_cast<size_t>(k)],
                 above_[static_cast<size_t>(k + 1)] - above_[static_cast<size_t>(k)], r - top};
      k += 2;
    };
    for (int j = 0; j < n; j += 2) {
      const int first = current_[static_cast<size_t>(j)];
      while (k < above_n && above_[static_cast<size_t>(k)] < first) close();
      if (k < above_n && above_[static_cast<size_t>(k)] == first &&
          above_[static_cast<size_t>(k + 1)] == current_[static_cast<size_t>(j + 1)]) {
        current_top_[static_cast<size_t>(j / 2)] = above_top_[static_cast<size_t>(k / 2)];
        k += 2;
      } else {
        current_top_[static_cast<size_t>(j / 2)] = r;
      }
    }
    while (k < above_n) close();
    std::swap(above_, current_);
    std::swap(above_top_, current_top_);
    above_n = n;
  }
  return {rects_.data(), static_cast<size_t>(rect - rects_.data())};
}

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
