#include "pipeline/label/internal/symbol.h"

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <zint.h>

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

std::vector<std::vector<bool>> Paint(const ModuleMatrix& m) {
  std::vector<std::vector<bool>> painted(static_cast<size_t>(m.rows),
                                         std::vector<bool>(static_cast<size_t>(m.columns)));
  for (const ModuleRect& rect : m.rects) {
    EXPECT_GE(rect.row, 0);
    EXPECT_GE(rect.column, 0);
    EXPECT_LE(rect.row + rect.height, m.rows);
    EXPECT_LE(rect.column + rect.width, m.columns);
    for (int r = rect.row; r < rect.row + rect.height; ++r) {
      for (int c = rect.column; c < rect.column + rect.width; ++c) {
        painted[static_cast<size_t>(r)][static_cast<size_t>(c)] = true;
      }
    }
  }
  return painted;
}

TEST(SymbolEncoder, QrRectanglesCoverExactlyTheDarkModules) {
  auto encoder = SymbolEncoder::Create();
  ASSERT_TRUE(encoder.ok()) << encoder.status();
  for (const std::string& data :
       std::vector<std::string>{"S10:EA473124829CN|SC:710-05-12|DC:610502",
                                "S10:EA123456785CN|SC:|DC:450802001", std::string(300, 'x')}) {
    SCOPED_TRACE(data);
    ModuleMatrix m;
    ASSERT_TRUE((*encoder)->Qr(data, m).ok());
    const auto expected = ZintModules(BARCODE_QRCODE, data, (kQrMask + 1) << 8);
    ASSERT_EQ(m.rows, static_cast<int>(expected.size()));
    ASSERT_EQ(m.columns, static_cast<int>(expected[0].size()));
    EXPECT_EQ(Paint(m), expected);
    // Merging pays: clearly fewer rectangles than dark modules.
    size_t dark = 0;
    for (const auto& row : expected)
      dark += static_cast<size_t>(std::count(row.begin(), row.end(), true));
    EXPECT_LT(m.rects.size() * 2, dark);
  }
}

TEST(SymbolEncoder, Code128IsOneRowOfBars) {
  auto encoder = SymbolEncoder::Create();
  ASSERT_TRUE(encoder.ok()) << encoder.status();
  ModuleMatrix m;
  ASSERT_TRUE((*encoder)->Code128("EA473124829CN", m).ok());
  EXPECT_EQ(m.rows, 1);
  EXPECT_EQ(Paint(m), ZintModules(BARCODE_CODE128, "EA473124829CN"));
  // Start and stop patterns: a Code 128 symbol begins with a 2-module bar and ends with
  // the 2-module termination bar.
  ASSERT_FALSE(m.rects.empty());
  EXPECT_EQ(m.rects.front().column, 0);
  EXPECT_EQ(m.rects.front().width, 2);
  EXPECT_EQ(m.rects.back().column + m.rects.back().width, m.columns);
  EXPECT_EQ(m.rects.back().width, 2);
}

TEST(SymbolEncoder, RefusesEmptyData) {
  auto encoder = SymbolEncoder::Create();
  ASSERT_TRUE(encoder.ok());
  ModuleMatrix m;
  EXPECT_EQ((*encoder)->Code128("", m).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ((*encoder)->Qr("", m).code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace sortline::label::internal
