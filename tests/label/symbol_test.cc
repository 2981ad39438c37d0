#include "pipeline/label/internal/symbol.h"

#include <memory>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <zint.h>

#include "tests/testing/status_matchers.h"

namespace sortline::label::internal {
namespace {

// The modules zint encodes for `data`, read independently of SymbolEncoder.
std::vector<std::vector<bool>> ZintModules(int symbology, const std::string& data,
                                           int option_3 = 0) {
  std::unique_ptr<zint_symbol, void (*)(zint_symbol*)> symbol(ZBarcode_Create(), ZBarcode_Delete);
  symbol->symbology = symbology;
  symbol->input_mode = DATA_MODE;
  if (symbology == BARCODE_QRCODE) symbol->option_1 = 2;
  symbol->option_3 = option_3;
  EXPECT_LT(ZBarcode_Encode(symbol.get(), reinterpret_cast<const unsigned char*>(data.data()),
                            static_cast<int>(data.size())),
            ZINT_ERROR);
  std::vector<std::vector<bool>> modules(static_cast<size_t>(symbol->rows),
                                         std::vector<bool>(static_cast<size_t>(symbol->width)));
  for (int r = 0; r < symbol->rows; ++r) {
    for (int c = 0; c < symbol->width; ++c) {
      modules[static_cast<size_t>(r)][static_cast<size_t>(c)] =
          (symbol->encoded_data[r][c / 8] >> (c % 8)) & 1;
    }
  }
  return modules;
}

// The modules of `m` as its bits say, checking the packing on the way: each row is
// stride() bytes and the bits after the last column are 0.
std::vector<std::vector<bool>> Read(const ModuleMatrix& m) {
  EXPECT_EQ(m.bits.size(), m.stride() * static_cast<size_t>(m.rows));
  std::vector<std::vector<bool>> modules(static_cast<size_t>(m.rows),
                                         std::vector<bool>(static_cast<size_t>(m.columns)));
  for (int r = 0; r < m.rows; ++r) {
    for (int c = 0; c < m.columns; ++c) {
      modules[static_cast<size_t>(r)][static_cast<size_t>(c)] = m.dark(r, c);
    }
    for (int c = m.columns; c < static_cast<int>(m.stride() * 8); ++c) {
      EXPECT_FALSE(m.dark(r, c)) << "padding bit " << c << " of row " << r;
    }
  }
  return modules;
}

TEST(SymbolEncoder, QrBitsAreExactlyZintsDarkModules) {
  auto encoder = SymbolEncoder::Create();
  ASSERT_OK(encoder);
  ModuleMatrix m;
  for (const std::string& data :
       std::vector<std::string>{"S10:EA473124829CN|SC:710-05-12|DC:610502",
                                "S10:EA123456785CN|SC:|DC:450802001", std::string(300, 'x')}) {
    SCOPED_TRACE(data);
    ASSERT_OK((*encoder)->Qr(data, m));
    const auto expected = ZintModules(BARCODE_QRCODE, data, (kQrMask + 1) << 8);
    ASSERT_EQ(m.rows, static_cast<int>(expected.size()));
    ASSERT_EQ(m.columns, static_cast<int>(expected[0].size()));
    EXPECT_EQ(Read(m), expected);
  }
}

TEST(SymbolEncoder, Code128IsOneRowOfBars) {
  auto encoder = SymbolEncoder::Create();
  ASSERT_OK(encoder);
  ModuleMatrix m;
  // A longer number first: the matrix is reused and must not keep its bits.
  ASSERT_OK((*encoder)->Code128("EA473124829CNEA473124829CN", m));
  ASSERT_OK((*encoder)->Code128("EA473124829CN", m));
  EXPECT_EQ(m.rows, 1);
  EXPECT_EQ(Read(m), ZintModules(BARCODE_CODE128, "EA473124829CN"));
  // Start and stop patterns: a Code 128 symbol begins with a 2-module bar and ends with
  // the 2-module termination bar.
  ASSERT_GT(m.columns, 3);
  EXPECT_TRUE(m.dark(0, 0) && m.dark(0, 1) && !m.dark(0, 2));
  EXPECT_TRUE(m.dark(0, m.columns - 1) && m.dark(0, m.columns - 2) && !m.dark(0, m.columns - 3));
}

TEST(SymbolEncoder, RefusesEmptyData) {
  auto encoder = SymbolEncoder::Create();
  ASSERT_OK(encoder);
  ModuleMatrix m;
  EXPECT_THAT((*encoder)->Code128("", m), testing::StatusIs(StatusCode::kInvalidArgument));
  EXPECT_THAT((*encoder)->Qr("", m), testing::StatusIs(StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace sortline::label::internal
