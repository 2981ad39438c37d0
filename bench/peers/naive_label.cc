// The reference 100 x 150 mm label the way a first attempt with libharu + zint would draw
// it: a new document per label, every dark module of both symbols drawn with its own
// libharu rectangle-and-fill call, text converted with iconv on each call. Same content
// and layout as bench/peers/reportlab_label.py, one compressed PDF per label in memory.
// A peer of bench/suite.sh: outside the pipeline on purpose (the pipeline keeps libharu
// and zint inside pipeline/label/), plain C calls, nothing shared with sortline.
//
// Usage: peer_naive_label [--seconds S] [--out FILE]
// Prints one JSON object: labels, seconds, labels_per_s, pdf_bytes (mean).
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include <hpdf.h>
#include <iconv.h>
#include <zint.h>

#include "bench/peers/peer_main.h"

namespace {

constexpr double kMm = 72.0 / 25.4;
constexpr double kW = 100 * kMm;
constexpr double kH = 150 * kMm;

bool failed = false;

void OnError(HPDF_STATUS error, HPDF_STATUS detail, void*) {
  std::fprintf(stderr, "naive peer: libharu error 0x%04X (%u)\n", static_cast<unsigned>(error),
               static_cast<unsigned>(detail));
  failed = true;
}

std::string S10(unsigned serial) {
  const int weights[8] = {8, 6, 4, 2, 3, 5, 9, 7};
  char digits[9];
  std::snprintf(digits, sizeof digits, "%08u", serial % 100000000u);
  int sum = 0;
  for (int i = 0; i < 8; ++i) sum += (digits[i] - '0') * weights[i];
  int check = 11 - sum % 11;
  if (check == 10) check = 0;
  if (check == 11) check = 5;
  return std::string("EA") + digits + std::to_string(check) + "CN";
}

std::string ToGbk(const std::string& utf8) {
  iconv_t cd = iconv_open("GBK", "UTF-8");
  std::string out(utf8.size() * 2 + 4, '\0');
  char* in = const_cast<char*>(utf8.data());
  size_t in_left = utf8.size();
  char* o = out.data();
  size_t out_left = out.size();
  iconv(cd, &in, &in_left, &o, &out_left);
  iconv_close(cd);
  out.resize(out.size() - out_left);
  return out;
}

// Splits UTF-8 into characters (for wrapping at any character, like the other peers).
std::vector<std::string> Characters(const std::string& s) {
  std::vector<std::string> chars;
  for (size_t i = 0; i < s.size();) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    const size_t n = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
    chars.push_back(s.substr(i, n));
    i += n;
  }
  return chars;
}

void Text(HPDF_Page page, HPDF_Font font, bool cjk, double x_mm, double top_mm, double size,
          const std::string& s, double width_mm = 0, int max_lines = 1) {
  HPDF_Page_SetFontAndSize(page, font, static_cast<HPDF_REAL>(size));
  std::vector<std::string> lines(1);
  for (const std::string& ch : Characters(s)) {
    const std::string candidate = lines.back() + ch;
    const std::string encoded = cjk ? ToGbk(candidate) : candidate;
    if (width_mm > 0 && HPDF_Page_TextWidth(page, encoded.c_str()) > width_mm * kMm) {
      lines.push_back(ch);
    } else {
      lines.back() = candidate;
    }
  }
  for (int n = 0; n < static_cast<int>(lines.size()) && n < max_lines; ++n) {
    const std::string encoded =
        cjk ? ToGbk(lines[static_cast<size_t>(n)]) : lines[static_cast<size_t>(n)];
    HPDF_Page_BeginText(page);
    HPDF_Page_TextOut(page, static_cast<HPDF_REAL>(x_mm * kMm),
                      static_cast<HPDF_REAL>(kH - top_mm * kMm - size * (0.98 + 1.2 * n)),
                      encoded.c_str());
    HPDF_Page_EndText(page);
  }
}

bool Dark(const zint_symbol* symbol, int row, int column) {
  return ((symbol->encoded_data[row][column >> 3] >> (column & 7)) & 1) != 0;
}

// Every dark module its own rectangle and fill: what the naive peer is about.
void DrawModules(HPDF_Page page, const zint_symbol* symbol, double x, double top, double module_w,
                 double module_h) {
  for (int row = 0; row < symbol->rows; ++row) {
    for (int column = 0; column < symbol->width; ++column) {
      if (!Dark(symbol, row, column)) continue;
      HPDF_Page_Rectangle(page, static_cast<HPDF_REAL>(x + column * module_w),
                          static_cast<HPDF_REAL>(kH - top - (row + 1) * module_h),
                          static_cast<HPDF_REAL>(module_w), static_cast<HPDF_REAL>(module_h));
      HPDF_Page_Fill(page);
    }
  }
}

std::string Render(const std::string& tracking) {
  HPDF_Doc pdf = HPDF_New(OnError, nullptr);
  HPDF_SetCompressionMode(pdf, HPDF_COMP_ALL);
  HPDF_UseCNSFonts(pdf);
  HPDF_UseCNSEncodings(pdf);
  HPDF_Font cjk = HPDF_GetFont(pdf, "SimSun", "GBK-EUC-H");
  HPDF_Font helvetica = HPDF_GetFont(pdf, "Helvetica", nullptr);
  HPDF_Font bold = HPDF_GetFont(pdf, "Helvetica-Bold", nullptr);
  HPDF_Page page = HPDF_AddPage(pdf);
  HPDF_Page_SetWidth(page, static_cast<HPDF_REAL>(kW));
  HPDF_Page_SetHeight(page, static_cast<HPDF_REAL>(kH));

  HPDF_Page_SetLineWidth(page, 0.8f);
  HPDF_Page_Rectangle(page, static_cast<HPDF_REAL>(2 * kMm), static_cast<HPDF_REAL>(2 * kMm),
                      static_cast<HPDF_REAL>(96 * kMm), static_cast<HPDF_REAL>(146 * kMm));
  HPDF_Page_Stroke(page);
  for (double y : {24.0, 50.0, 88.0, 110.0, 132.0}) {
    HPDF_Page_MoveTo(page, static_cast<HPDF_REAL>(2 * kMm), static_cast<HPDF_REAL>(kH - y * kMm));
    HPDF_Page_LineTo(page, static_cast<HPDF_REAL>(98 * kMm), static_cast<HPDF_REAL>(kH - y * kMm));
    HPDF_Page_Stroke(page);
  }
  HPDF_Page_MoveTo(page, static_cast<HPDF_REAL>(50 * kMm), static_cast<HPDF_REAL>(kH - 132 * kMm));
  HPDF_Page_LineTo(page, static_cast<HPDF_REAL>(50 * kMm), static_cast<HPDF_REAL>(kH - 148 * kMm));
  HPDF_Page_Stroke(page);

  Text(page, bold, false, 8, 5, 42, "710-05-12");
  Text(page, cjk, true, 72, 5, 14, "生鲜 易腐");
  Text(page, cjk, true, 72, 15, 12, "生鲜快递");

  zint_symbol* bars = ZBarcode_Create();
  bars->symbology = BARCODE_CODE128;
  ZBarcode_Encode(bars, reinterpret_cast<const unsigned char*>(tracking.data()),
                  static_cast<int>(tracking.size()));
  const double module = 0.375 * kMm;
  DrawModules(page, bars, (kW - bars->width * module) / 2, 26 * kMm, module, 15 * kMm / bars->rows);
  ZBarcode_Delete(bars);
  Text(page, bold, false, 35, 42, 13, tracking);

  zint_symbol* qr = ZBarcode_Create();
  qr->symbology = BARCODE_QRCODE;
  qr->option_1 = 2;  // error correction level M
  const std::string payload = "S10:" + tracking + "|SC:710-05-12|DC:610502";
  ZBarcode_Encode(qr, reinterpret_cast<const unsigned char*>(payload.data()),
                  static_cast<int>(payload.size()));
  const double qr_module = 26 * kMm / qr->width;
  DrawModules(page, qr, 71 * kMm, 52 * kMm, qr_module, qr_module);
  ZBarcode_Delete(qr);

  Text(page, cjk, true, 4, 51, 7, "收件人 TO");
  Text(page, cjk, true, 4, 55.5, 15, "王秀英");
  Text(page, bold, false, 45, 55.5, 12, "138****5678");
  Text(page, cjk, true, 4, 63.5, 11,
       "陕西省渭南市临渭区人民街道东风大街88号渭南师范学院家属院3号楼2单元501", 66, 10);
  Text(page, helvetica, false, 71, 79, 7, "DC 610502");
  Text(page, cjk, true, 4, 89, 7, "寄件人 FROM");
  Text(page, cjk, true, 4, 92.5, 9, "李建国");
  Text(page, helvetica, false, 45, 92.5, 9, "139****2345");
  Text(page, cjk, true, 4, 98, 8, "广西壮族自治区贵港市港北区贵城街道沙田柚种植合作社", 92, 5);
  Text(page, cjk, true, 4, 111.5, 8, "重量 2.50 kg");
  Text(page, cjk, true, 50, 111.5, 8, "尺寸 300x200x150 mm");
  Text(page, cjk, true, 4, 117, 8, "内件 沙田柚 5斤");
  Text(page, cjk, true, 4, 122.5, 8, "订单 T0001");
  Text(page, cjk, true, 55, 122.5, 8, "下单 2024-09-19 08:00");
  Text(page, cjk, true, 4, 127, 8, "商家 助农优选旗舰店");
  Text(page, cjk, true, 55, 127, 8, "保价 88.00元");
  Text(page, cjk, true, 4, 134, 22, "格口 C-017");
  Text(page, cjk, true, 52, 134, 20, "月台 D03");

  HPDF_SaveToStream(pdf);
  std::string bytes(HPDF_GetStreamSize(pdf), '\0');
  HPDF_UINT32 size = static_cast<HPDF_UINT32>(bytes.size());
  HPDF_ReadFromStream(pdf, reinterpret_cast<HPDF_BYTE*>(bytes.data()), &size);
  bytes.resize(size);
  HPDF_Free(pdf);
  return bytes;
}

}  // namespace

int main(int argc, char** argv) {
  return sortline::peers::PeerMain(argc, argv, [](unsigned serial) -> std::optional<std::string> {
    std::string pdf = Render(S10(serial));
    if (failed) return std::nullopt;
    return pdf;
  });
}
