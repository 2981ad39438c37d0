#include "pipeline/label/internal/symbol.h"

#include <memory>
#include <random>
#include <span>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <zint.h>

#include "tests/label/pdf_tools.h"
#include "tests/testing/status_matchers.h"

namespace sortline::label::internal {
namespace {

using tools::ZintModules;

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

// `modules` packed as SymbolEncoder packs them (the layout ModuleMatrix documents).
ModuleMatrix Pack(const std::vector<std::vector<bool>>& modules) {
  ModuleMatrix m;
  m.rows = static_cast<int>(modules.size());
  m.columns = m.rows == 0 ? 0 : static_cast<int>(modules[0].size());
  m.bits.assign(m.stride() * static_cast<size_t>(m.rows), 0);
  for (int r = 0; r < m.rows; ++r) {
    for (int c = 0; c < m.columns; ++c) {
      if (modules[static_cast<size_t>(r)][static_cast<size_t>(c)]) {
        m.bits[static_cast<size_t>(r) * m.stride() + static_cast<size_t>(c / 8)] |=
            static_cast<unsigned char>(1 << (c % 8));
      }
    }
  }
  return m;
}

// Checks `rects` against RectangleCover's contract for `modules`: each dark module is
// covered exactly once and no light one; each row of a rectangle is a whole run (light
// or the edge on either side); and none could have grown, as the rows above and below
// it do not repeat its run.
void ExpectExactCover(const std::vector<std::vector<bool>>& modules,
                      std::span<const ModuleRect> rects) {
  const int rows = static_cast<int>(modules.size());
  const int columns = rows == 0 ? 0 : static_cast<int>(modules[0].size());
  auto dark = [&](int r, int c) {
    return r >= 0 && r < rows && c >= 0 && c < columns &&
           modules[static_cast<size_t>(r)][static_cast<size_t>(c)];
  };
  // The run [c, c + w) of row r, exactly: dark inside, light on both sides.
  auto is_run = [&](int r, int c, int w) {
    if (dark(r, c - 1) || dark(r, c + w)) return false;
    for (int k = c; k < c + w; ++k) {
      if (!dark(r, k)) return false;
    }
    return true;
  };
  std::vector<std::vector<int>> covered(static_cast<size_t>(rows),
                                        std::vector<int>(static_cast<size_t>(columns)));
  for (const ModuleRect& rect : rects) {
    SCOPED_TRACE(::testing::Message() << "rectangle at row " << rect.row << " column "
                                      << rect.column << ", " << rect.width << " x " << rect.height);
    ASSERT_TRUE(rect.width > 0 && rect.height > 0 && rect.row >= 0 && rect.column >= 0 &&
                rect.row + rect.height <= rows && rect.column + rect.width <= columns);
    for (int r = rect.row; r < rect.row + rect.height; ++r) {
      EXPECT_TRUE(is_run(r, rect.column, rect.width)) << "row " << r;
      for (int c = rect.column; c < rect.column + rect.width; ++c) {
        ++covered[static_cast<size_t>(r)][static_cast<size_t>(c)];
      }
    }
    EXPECT_FALSE(is_run(rect.row - 1, rect.column, rect.width)) << "could grow up";
    EXPECT_FALSE(is_run(rect.row + rect.height, rect.column, rect.width)) << "could grow down";
  }
  for (int r = 0; r < rows; ++r) {
    for (int c = 0; c < columns; ++c) {
      EXPECT_EQ(covered[static_cast<size_t>(r)][static_cast<size_t>(c)], dark(r, c) ? 1 : 0)
          << "module at row " << r << " column " << c;
    }
  }
}

TEST(RectangleCover, CoversQrCodesExactlyWithFewerRectanglesThanRuns) {
  RectangleCover cover;
  for (const std::string& data :
       std::vector<std::string>{"S10:EA473124829CN|SC:710-05-12|DC:610502",
                                "S10:EA123456785CN|SC:|DC:450802001", std::string(300, 'x')}) {
    SCOPED_TRACE(data);
    const auto modules = ZintModules(BARCODE_QRCODE, data, (kQrMask + 1) << 8);
    ASSERT_FALSE(modules.empty());
    const std::span<const ModuleRect> rects = cover.Cover(Pack(modules));
    ExpectExactCover(modules, rects);
    size_t runs = 0;
    for (const auto& row : modules) {
      for (size_t c = 0; c < row.size(); ++c) runs += row[c] && (c == 0 || !row[c - 1]) ? 1 : 0;
    }
    EXPECT_LT(rects.size(), runs);
  }
}

TEST(RectangleCover, Code128IsOneRectanglePerBar) {
  RectangleCover cover;
  const auto modules = ZintModules(BARCODE_CODE128, "EA473124829CN");
  ASSERT_EQ(modules.size(), 1u);
  const std::span<const ModuleRect> rects = cover.Cover(Pack(modules));
  ExpectExactCover(modules, rects);
  size_t bars = 0;
  for (size_t c = 0; c < modules[0].size(); ++c) {
    bars += modules[0][c] && (c == 0 || !modules[0][c - 1]) ? 1 : 0;
  }
  EXPECT_EQ(rects.size(), bars);
}

TEST(RectangleCover, GrowsARunOnlyOverRowsThatRepeatItExactly) {
  // 0110    The first run grows over three rows; the fourth row's run starts in the
  // 0110    same column but is longer, so it is a rectangle of its own, and so is the
  // 0110    last row's.
  // 0111
  // 1001
  const std::vector<std::vector<bool>> modules = {{false, true, true, false},
                                                  {false, true, true, false},
                                                  {false, true, true, false},
                                                  {false, true, true, true},
                                                  {true, false, false, true}};
  RectangleCover cover;
  const std::span<const ModuleRect> rects = cover.Cover(Pack(modules));
  ExpectExactCover(modules, rects);
  ASSERT_EQ(rects.size(), 4u);
  EXPECT_EQ(rects[0].height, 3);
}

// Widths around the 64-module words RectangleCover reads, with runs that reach the last
// column; random modules from a fixed seed, so the test is the same every run.
TEST(RectangleCover, CoversAnyMatrixExactly) {
  std::mt19937 random(20261130);
  RectangleCover cover;  // reused, from wide to narrow and back
  for (const int columns : {1, 2, 7, 8, 9, 63, 64, 65, 127, 128, 129, 200, 5, 64}) {
    for (const int dark_percent : {0, 20, 50, 80, 100}) {
      SCOPED_TRACE(::testing::Message() << columns << " columns, " << dark_percent << "% dark");
      std::vector<std::vector<bool>> modules(12, std::vector<bool>(static_cast<size_t>(columns)));
      for (auto& row : modules) {
        for (size_t c = 0; c < row.size(); ++c) {
          row[c] = static_cast<int>(random() % 100) < dark_percent;
        }
      }
      modules[3] = modules[2];  // rows that repeat, so that rectangles grow
      modules[4] = modules[2];
      ExpectExactCover(modules, cover.Cover(Pack(modules)));
    }
  }
}

}  // namespace
}  // namespace sortline::label::internal
