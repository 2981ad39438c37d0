#include "pipeline/label/internal/symbol.h"

#include <algorithm>
#include <bit>
#include <cstdint>
#include <cstring>
#include <string>

#include <zint.h>

namespace sortline::label::internal {
namespace {

constexpr int kQrEccLevelM = 2;

// A row of modules as machine words: column c is bit c % 64 of word c / 64.
using Word = uint64_t;
constexpr unsigned kWordBits = 64;

// Loads the packed row `row` (`stride` bytes) into `words` (`count` words, zero past
// the row's bytes).
void LoadRow(const unsigned char* row, size_t stride, Word* words, size_t count) {
  for (size_t w = 0; w < count; ++w) {
    Word word = 0;
    const size_t at = w * 8;
    for (size_t i = 0; i < 8 && at + i < stride; ++i) word |= Word{row[at + i]} << (8 * i);
    words[w] = word;
  }
}

// Writes the run boundaries of the row `words` (`count` words) to `out`: the first
// column of each run of dark modules, then the column after its last, alternately, in
// order: every column whose module differs from the one before it (column -1 is
// light). Returns how many it wrote. The row's last word must end light, so every run
// has its end; `out` needs room for count * 64.
int RunBoundaries(const Word* words, size_t count, int* out) {
  int n = 0;
  Word before = 0;  // the module left of the word, in the least significant bit
  for (size_t w = 0; w < count; ++w) {
    Word changes = words[w] ^ ((words[w] << 1) | before);
    const int base = static_cast<int>(w) * kWordBits;
    for (; changes != 0; changes &= changes - 1) out[n++] = base + std::countr_zero(changes);
    before = words[w] >> (kWordBits - 1);
  }
  return n;
}

}  // namespace

// Rows are read a word at a time as run boundaries; the runs of a row are matched
// against the still open rectangles of the row above in one merge of the two sorted
// lists: a run whose first and last column equal an open rectangle's grows it, an open
// rectangle that no run grows is closed.
std::span<const ModuleRect> RectangleCover::Cover(const ModuleMatrix& m) {
  const size_t stride = m.stride();
  // Room for column `columns`, light, where a run that reaches the last column ends.
  const size_t words = static_cast<size_t>(m.columns) / kWordBits + 1;
  if (row_.size() < words) row_.resize(words);
  for (std::vector<int>* v : {&above_, &current_}) {
    if (v->size() < words * kWordBits) v->resize(words * kWordBits);
  }
  for (std::vector<int>* v : {&above_top_, &current_top_}) {
    if (v->size() < words * kWordBits / 2) v->resize(words * kWordBits / 2);
  }
  // Every rectangle holds a run of its first row, and a row has at most (columns + 1) / 2.
  const size_t most = static_cast<size_t>(m.rows) * ((static_cast<size_t>(m.columns) + 1) / 2);
  if (rects_.size() < most) rects_.resize(most);
  ModuleRect* rect = rects_.data();
  // The row above: boundaries above_[0, above_n), and the top row of each of its runs'
  // rectangles, above_top_[k / 2] for the run starting at above_[k].
  int above_n = 0;
  // Row m.rows is past the end and light: every rectangle still open closes there.
  for (int r = 0; r <= m.rows; ++r) {
    int n = 0;
    if (r < m.rows) {
      LoadRow(m.bits.data() + static_cast<size_t>(r) * stride, stride, row_.data(), words);
      n = RunBoundaries(row_.data(), words, current_.data());
    }
    const int* above = above_.data();
    const int* above_top = above_top_.data();
    const int* current = current_.data();
    int* current_top = current_top_.data();
    int k = 0;  // the first boundary above of a rectangle neither grown nor closed
    auto close = [&] {
      const int top = above_top[k / 2];
      *rect++ = {top, above[k], above[k + 1] - above[k], r - top};
      k += 2;
    };
    for (int j = 0; j < n; j += 2) {
      while (k < above_n && above[k] < current[j]) close();
      if (k < above_n && above[k] == current[j] && above[k + 1] == current[j + 1]) {
        current_top[j / 2] = above_top[k / 2];
        k += 2;
      } else {
        current_top[j / 2] = r;
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
  const auto tail_mask = static_cast<unsigned char>(0xFF >> (7 - (symbol.width - 1) % 8));
  out.bits.resize(stride * static_cast<size_t>(symbol.rows));
  for (int r = 0; r < symbol.rows; ++r) {
    unsigned char* row = out.bits.data() + static_cast<size_t>(r) * stride;
    std::memcpy(row, symbol.encoded_data[r], stride);
    row[stride - 1] &= tail_mask;
  }
  return Status::Ok();
}

}  // namespace sortline::label::internal
