#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

#include <hpdf.h>

#include "pipeline/label/internal/layout.h"
#include "pipeline/label/internal/symbol.h"
#include "pipeline/label/internal/text.h"
#include "pipeline/label/label.h"

namespace sortline::label {
namespace {

using internal::Box;

constexpr double kPt = internal::kPointsPerMm;
constexpr double kPageWidthPt = internal::kPageWidthMm * kPt;
constexpr double kPageHeightPt = internal::kPageHeightMm * kPt;
constexpr double kDotPt = internal::kDotMm * kPt;

// Line box height and baseline position, as fractions of the font size. The em box
// ([-0.12, 0.88] for the CJK fonts) is centred in a line box of 1.2 em, so Helvetica's
// descender (-0.21) and accents (0.93) stay inside it as well.
constexpr double kLineHeightEm = 1.2;
constexpr double kBaselineEm = 0.98;
constexpr double kShrinkStepPt = 0.5;
constexpr double kFitSlackPt = 1e-6;
constexpr char kEllipsis[] = "...";
constexpr size_t kMaxTrackingLength = 40;

enum FontId : uint8_t { kHelvetica = 0, kHelveticaBold = 1, kSimSun = 2, kSimHei = 3 };
constexpr int kFontCount = 4;

// One drawable glyph: 1 byte for Helvetica (WinAnsi), 2 for the GBK CID fonts.
struct Glyph {
  FontId font;
  uint8_t length;  // bytes used in `bytes`
  char bytes[2];
  float width;  // in 1/1000 em
};

struct Line {
  size_t begin = 0;
  size_t end = 0;
  bool ellipsis = false;
};

enum class Align { kLeft, kCenter };

struct TextStyle {
  double max_size = 10;  // points
  double min_size = 6;   // points; below it text is cut with "..."
  bool bold = false;
  Align align = Align::kLeft;
  int max_lines = 1;
};

struct HpdfError {
  HPDF_STATUS error_no = HPDF_OK;
  HPDF_STATUS detail_no = 0;
};

// libharu reports through this callback instead of returning to the caller when it
// raises an error; recording the first one (no longjmp, no throw) lets Render finish
// its calls, which libharu turns into no-ops, and return kInternal.
void OnHpdfError(HPDF_STATUS error_no, HPDF_STATUS detail_no, void* user_data) {
  auto* error = static_cast<HpdfError*>(user_data);
  if (error->error_no == HPDF_OK) {
    error->error_no = error_no;
    error->detail_no = detail_no;
  }
}

struct DocDeleter {
  void operator()(HPDF_Doc doc) const { HPDF_Free(doc); }
};
using DocPtr = std::unique_ptr<std::remove_pointer_t<HPDF_Doc>, DocDeleter>;

std::string ServiceName(v1::ServiceClass service) {
  switch (service) {
    case v1::SERVICE_EXPRESS:
      return "特快专递";
    case v1::SERVICE_ECONOMY:
      return "经济快递";
    case v1::SERVICE_FRESH_PRODUCE:
      return "生鲜快递";
    case v1::SERVICE_COLD_CHAIN:
      return "冷链快递";
    default:
      return "标准快递";
  }
}

// "2.50 kg", rounded to 10 g.
std::string FormatWeight(int32_t grams) {
  if (grams <= 0) return "-";
  const int64_t centi_kg = (static_cast<int64_t>(grams) + 5) / 10;
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%lld.%02lld kg", static_cast<long long>(centi_kg / 100),
                static_cast<long long>(centi_kg % 100));
  return buf;
}

// "88.00", from fen.
std::string FormatYuan(int64_t fen) {
  char buf[40];
  std::snprintf(buf, sizeof(buf), "%lld.%02lld", static_cast<long long>(fen / 100),
                static_cast<long long>(std::llabs(fen % 100)));
  return buf;
}

// Local time in China (UTC+8, no daylight saving), "2024-09-19 08:00". Computed
// without the time-zone database so every machine prints the same label.
std::string FormatChinaTime(int64_t unix_ms) {
  if (unix_ms <= 0) return "-";
  const int64_t seconds = unix_ms / 1000 + 8 * 3600;
  int64_t days = seconds / 86400;
  const int64_t of_day = seconds % 86400;
  // Days since 1970-01-01 to a civil date (proleptic Gregorian), after H. Hinnant.
  days += 719468;
  const int64_t era = days / 146097;
  const int64_t doe = days - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  const int64_t day = doy - (153 * mp + 2) / 5 + 1;
  const int64_t month = mp < 10 ? mp + 3 : mp - 9;
  const int64_t year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  char buf[48];
  std::snprintf(buf, sizeof(buf), "%04lld-%02lld-%02lld %02lld:%02lld",
                static_cast<long long>(year), static_cast<long long>(month),
                static_cast<long long>(day), static_cast<long long>(of_day / 3600),
                static_cast<long long>(of_day % 3600 / 60));
  return buf;
}

std::string FullAddress(const v1::Address& a) {
  return a.province() + a.city() + a.district() + a.street() + a.detail();
}

std::string OrDash(const std::string& s) { return s.empty() ? "-" : s; }

bool IsVisibleAscii(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c > 0x20 && c < 0x7F; });
}

// Thread-safety: not thread-safe; one per thread (see LabelRenderer).
class HpdfLabelRenderer final : public LabelRenderer {
 public:
  HpdfLabelRenderer(const RendererOptions& options, std::unique_ptr<internal::GbkEncoder> gbk,
                    std::unique_ptr<internal::SymbolEncoder> symbols)
      : options_(options),
        gbk_(std::move(gbk)),
        symbols_(std::move(symbols)),
        cjk_width_(new uint16_t[2 * 0x10000]()) {}

  // Second phase of Create: the libharu document outlives every render; each render
  // starts a fresh document in it (HPDF_NewDoc), which keeps the registered CNS fonts
  // and encoders instead of building them again per label.
  Status Init() {
    doc_.reset(HPDF_NewEx(&OnHpdfError, nullptr, nullptr, 0, &error_));
    if (doc_ == nullptr) return Internal("libharu: cannot create a document");
    HPDF_UseCNSFonts(doc_.get());
    HPDF_UseCNSEncodings(doc_.get());
    SORTLINE_RETURN_IF_ERROR(LoadFonts());
    for (int bold = 0; bold < 2; ++bold) {
      for (int c = 0x20; c < 0x7F; ++c) {
        const auto byte = static_cast<HPDF_BYTE>(c);
        ascii_width_[bold][c - 0x20] =
            static_cast<float>(HPDF_Font_TextWidth(fonts_[bold], &byte, 1).width);
      }
    }
    return CheckHpdf("loading fonts");
  }

  Result<std::string> Render(const v1::Order& order, const v1::SortRecord& record) override {
    const std::string& tracking =
        record.tracking_number().empty() ? order.tracking_number() : record.tracking_number();
    if (tracking.empty() || tracking.size() > kMaxTrackingLength || !IsVisibleAscii(tracking)) {
      return InvalidArgument(
          "tracking number cannot be encoded in Code 128: must be 1 to 40 visible ASCII "
          "characters");
    }
    const std::string& division =
        record.division_code().empty() ? order.recipient().division_code() : record.division_code();
    SORTLINE_RETURN_IF_ERROR(symbols_->Code128(tracking, code128_));
    SORTLINE_RETURN_IF_ERROR(
        symbols_->Qr("S10:" + tracking + "|SC:" + record.sort_code() + "|DC:" + division, qr_));

    error_ = HpdfError{};
    if (HPDF_NewDoc(doc_.get()) != HPDF_OK) return CheckHpdf("starting a document");
    HPDF_SetCompressionMode(doc_.get(), options_.compress ? HPDF_COMP_ALL : HPDF_COMP_NONE);
    SORTLINE_RETURN_IF_ERROR(LoadFonts());
    page_ = HPDF_AddPage(doc_.get());
    if (page_ == nullptr) return CheckHpdf("adding a page");
    HPDF_Page_SetWidth(page_, static_cast<HPDF_REAL>(kPageWidthPt));
    HPDF_Page_SetHeight(page_, static_cast<HPDF_REAL>(kPageHeightPt));

    const bool perishable = order.parcel().perishable() ||
                            order.service() == v1::SERVICE_FRESH_PRODUCE ||
                            order.service() == v1::SERVICE_COLD_CHAIN;
    DrawRules(perishable);
    SORTLINE_RETURN_IF_ERROR(DrawSymbols());
    DrawTexts(order, record, tracking, division, perishable);
    return Save();
  }

 private:
  Status CheckHpdf(const char* what) {
    if (error_.error_no == HPDF_OK && HPDF_GetError(doc_.get()) == HPDF_OK) return Status::Ok();
    HPDF_STATUS error_no = error_.error_no != HPDF_OK ? error_.error_no : HPDF_GetError(doc_.get());
    char buf[96];
    std::snprintf(buf, sizeof(buf), "libharu error 0x%04X (detail %u) while %s",
                  static_cast<unsigned>(error_no), static_cast<unsigned>(error_.detail_no), what);
    return Internal(buf);
  }

  Status LoadFonts() {
    fonts_[kHelvetica] = HPDF_GetFont(doc_.get(), "Helvetica", "WinAnsiEncoding");
    fonts_[kHelveticaBold] = HPDF_GetFont(doc_.get(), "Helvetica-Bold", "WinAnsiEncoding");
    fonts_[kSimSun] = HPDF_GetFont(doc_.get(), "SimSun", "GBK-EUC-H");
    fonts_[kSimHei] = HPDF_GetFont(doc_.get(), "SimHei", "GBK-EUC-H");
    for (HPDF_Font font : fonts_) {
      if (font == nullptr) return CheckHpdf("loading fonts");
    }
    return Status::Ok();
  }

  static HPDF_REAL X(double mm) { return static_cast<HPDF_REAL>(mm * kPt); }
  static HPDF_REAL Y(double mm) { return static_cast<HPDF_REAL>(kPageHeightPt - mm * kPt); }

  void DrawRules(bool perishable) {
    using internal::kFrame;
    HPDF_Page_SetLineWidth(page_, 0.8f);
    HPDF_Page_Rectangle(page_, X(kFrame.x), Y(kFrame.y + kFrame.h), X(kFrame.w), X(kFrame.h));
    for (double y : internal::kRulesMm) {
      HPDF_Page_MoveTo(page_, X(kFrame.x), Y(y));
      HPDF_Page_LineTo(page_, X(kFrame.x + kFrame.w), Y(y));
    }
    HPDF_Page_MoveTo(page_, X(internal::kBottomDividerXMm), Y(internal::kRulesMm[4]));
    HPDF_Page_LineTo(page_, X(internal::kBottomDividerXMm), Y(kFrame.y + kFrame.h));
    HPDF_Page_Stroke(page_);
    if (perishable) {
      const Box& b = internal::kPerishableMark;
      HPDF_Page_SetLineWidth(page_, 1.6f);
      HPDF_Page_Rectangle(page_, X(b.x), Y(b.y + b.h), X(b.w), X(b.h));
      HPDF_Page_Stroke(page_);
    }
  }

  // Each symbol is one path of rectangles (see ModuleMatrix) filled once, drawn in a
  // coordinate system of its modules placed on whole printer dots, so every edge falls
  // on a dot and the coordinates written are small integers.
  Status DrawSymbols() {
    const double page_w_dots = internal::kPageWidthMm / internal::kDotMm;
    const double page_h_dots = internal::kPageHeightMm / internal::kDotMm;

    int narrow = internal::kCode128NarrowDots;
    const double frame_w_dots = internal::kFrame.w / internal::kDotMm;
    const int bar_span = code128_.columns + 2 * internal::kCode128QuietModules;
    while (narrow > internal::kCode128MinNarrowDots && bar_span * narrow > frame_w_dots) --narrow;
    if (bar_span * narrow > frame_w_dots) {
      return InvalidArgument("tracking number too long for the label's Code 128");
    }
    const long bar_x = std::lround((page_w_dots - code128_.columns * narrow) / 2);
    const long bar_bottom = std::lround(page_h_dots - internal::kCode128TopMm / internal::kDotMm) -
                            internal::kCode128HeightDots;
    FillModules(code128_, narrow, internal::kCode128HeightDots, bar_x, bar_bottom);

    const Box& q = internal::kQr;
    const int qr_span = qr_.columns + 2 * internal::kQrQuietModules;
    const int module =
        std::min(internal::kQrMaxModuleDots, static_cast<int>(q.w / internal::kDotMm) / qr_span);
    if (module < internal::kQrMinModuleDots) {
      return InvalidArgument("QR payload too long for the label");
    }
    const long qr_x = std::lround((q.x + q.w / 2) / internal::kDotMm - qr_.columns * module / 2.0);
    const long qr_bottom =
        std::lround(page_h_dots - (q.y + q.h / 2) / internal::kDotMm - qr_.rows * module / 2.0);
    FillModules(qr_, module, module, qr_x, qr_bottom);
    return Status::Ok();
  }

  // Fills `m` with modules of `module_w` x `module_h` dots, its bottom-left corner at
  // (`x`, `y`) dots from the page's bottom-left corner.
  void FillModules(const internal::ModuleMatrix& m, int module_w, int module_h, long x, long y) {
    HPDF_Page_GSave(page_);
    HPDF_Page_Concat(page_, static_cast<HPDF_REAL>(module_w * kDotPt), 0, 0,
                     static_cast<HPDF_REAL>(module_h * kDotPt),
                     static_cast<HPDF_REAL>(static_cast<double>(x) * kDotPt),
                     static_cast<HPDF_REAL>(static_cast<double>(y) * kDotPt));
    for (const internal::ModuleRect& r : m.rects) {
      HPDF_Page_Rectangle(page_, static_cast<HPDF_REAL>(r.column),
                          static_cast<HPDF_REAL>(m.rows - r.row - r.height),
                          static_cast<HPDF_REAL>(r.width), static_cast<HPDF_REAL>(r.height));
    }
    HPDF_Page_Fill(page_);
    HPDF_Page_GRestore(page_);
  }

  void DrawTexts(const v1::Order& order, const v1::SortRecord& record, const std::string& tracking,
                 const std::string& division, bool perishable) {
    namespace L = internal;
    const v1::Address& to = order.recipient();
    const v1::Address& from = order.sender();
    const v1::Parcel& parcel = order.parcel();
    const TextStyle big_bold{42, 14, true, Align::kCenter, 1};
    const TextStyle tag{7, 5, false, Align::kLeft, 1};
    const TextStyle detail{8, 5, false, Align::kLeft, 1};

    HPDF_Page_BeginText(page_);
    current_font_ = -1;
    current_size_ = 0;

    DrawText(L::kSortCode, OrDash(record.sort_code()), big_bold);
    if (perishable) {
      DrawText(L::kPerishableMark,
               order.service() == v1::SERVICE_COLD_CHAIN ? "冷链 易腐" : "生鲜 易腐",
               {14, 8, true, Align::kCenter, 1});
    }
    DrawText(L::kServiceClass, ServiceName(order.service()), {12, 6, true, Align::kCenter, 1});

    DrawText(L::kTrackingText, tracking, {13, 8, true, Align::kCenter, 1});

    DrawText(L::kRecipientTag, "收件人 TO", tag);
    DrawText(L::kRecipientName, to.name(), {15, 8, true, Align::kLeft, 1});
    DrawText(L::kRecipientPhone, internal::MaskPhone(to.phone()), {12, 7, true, Align::kLeft, 1});
    DrawText(L::kRecipientAddress, FullAddress(to), {11, 6, false, Align::kLeft, 10});
    DrawText(L::kDivisionText, "DC " + OrDash(division), {7, 5, false, Align::kCenter, 1});

    DrawText(L::kSenderTag, "寄件人 FROM", tag);
    DrawText(L::kSenderName, from.name(), {9, 6, false, Align::kLeft, 1});
    DrawText(L::kSenderPhone, internal::MaskPhone(from.phone()), {9, 6, false, Align::kLeft, 1});
    DrawText(L::kSenderAddress, FullAddress(from), {8, 5, false, Align::kLeft, 5});

    DrawText(L::kWeight,
             "重量 " + FormatWeight(record.weight_g() > 0 ? record.weight_g() : parcel.weight_g()),
             detail);
    DrawText(L::kDimensions,
             "尺寸 " + std::to_string(parcel.length_mm()) + "x" +
                 std::to_string(parcel.width_mm()) + "x" + std::to_string(parcel.height_mm()) +
                 " mm",
             detail);
    DrawText(L::kContents, "内件 " + OrDash(parcel.contents()), detail);
    DrawText(L::kOrderId, "订单 " + OrDash(order.order_id()), detail);
    DrawText(L::kCreated, "下单 " + FormatChinaTime(order.created_unix_ms()), detail);
    std::string merchant = "商家 " + OrDash(order.merchant());
    if (parcel.cod_fen() > 0) merchant += "  代收货款 " + FormatYuan(parcel.cod_fen()) + "元";
    DrawText(L::kMerchant, merchant, detail);

    DrawText(L::kChute, "格口 " + OrDash(record.chute()), {22, 10, true, Align::kLeft, 1});
    DrawText(L::kDockDoor, "月台 " + OrDash(record.dock_door()), {22, 10, true, Align::kLeft, 1});

    HPDF_Page_EndText(page_);
  }

  // Turns `utf8` into glyphs (see SanitizeForDisplay); ASCII in Helvetica, the rest in
  // the CID font, '?' for what GBK cannot encode.
  void Shape(std::string_view utf8, bool bold) {
    glyphs_.clear();
    const FontId ascii_font = bold ? kHelveticaBold : kHelvetica;
    const FontId cjk_font = bold ? kSimHei : kSimSun;
    for (char32_t c : internal::SanitizeForDisplay(utf8)) {
      if (c == 0xA0 || c == 0x3000) c = ' ';
      if (c >= 0x20 && c < 0x7F) {
        PushAscii(ascii_font, static_cast<char>(c));
        continue;
      }
      const uint16_t code = gbk_->Encode(c);
      if (code == 0) {
        PushAscii(ascii_font, '?');
        continue;
      }
      Glyph g{cjk_font, 2, {static_cast<char>(code >> 8), static_cast<char>(code & 0xFF)}, 0};
      uint16_t& width = cjk_width_[(cjk_font == kSimHei ? 0x10000 : 0) + code];
      if (width == 0) {
        width = static_cast<uint16_t>(std::clamp<HPDF_UINT>(
            HPDF_Font_TextWidth(fonts_[cjk_font], reinterpret_cast<const HPDF_BYTE*>(g.bytes), 2)
                .width,
            1, 4000));
      }
      g.width = width;
      glyphs_.push_back(g);
    }
  }

  double EllipsisWidth(bool bold) const { return 3 * ascii_width_[bold ? 1 : 0]['.' - 0x20]; }

  void PushAscii(FontId font, char c) {
    glyphs_.push_back({font, 1, {c, 0}, ascii_width_[font == kHelveticaBold ? 1 : 0][c - 0x20]});
  }

  // Greedy line breaking at any glyph (Chinese has no spaces to break at); spaces at
  // the start of a wrapped line are skipped. Returns the index of the first glyph that
  // did not fit in `max_lines` lines of `width_pt`.
  size_t Wrap(double size, double width_pt, int max_lines) {
    lines_.clear();
    const double limit = width_pt / size * 1000 + kFitSlackPt;
    size_t i = 0;
    while (i < glyphs_.size() && static_cast<int>(lines_.size()) < max_lines) {
      if (!lines_.empty()) {
        while (i < glyphs_.size() && glyphs_[i].length == 1 && glyphs_[i].bytes[0] == ' ') ++i;
        if (i == glyphs_.size()) break;
      }
      Line line{i, i, false};
      double w = 0;
      while (i < glyphs_.size() && w + glyphs_[i].width <= limit) {
        w += glyphs_[i].width;
        ++i;
      }
      line.end = i;
      lines_.push_back(line);
      if (line.begin == line.end) break;  // one glyph wider than the box
    }
    return i;
  }

  // Draws `utf8` in `box`: the largest size from max_size down to min_size at which
  // it fits in the box (and in max_lines); at min_size, what does not fit is cut and
  // the last line ends in "...". Nothing is drawn outside the box.
  void DrawText(const Box& box, std::string_view utf8, const TextStyle& style) {
    Shape(utf8, style.bold);
    if (glyphs_.empty()) return;
    const double width_pt = box.w * kPt;
    const double height_pt = box.h * kPt;
    double size = style.max_size;
    int lines_allowed = 0;
    bool fits = false;
    for (;; size -= kShrinkStepPt) {
      if (size < style.min_size) size = style.min_size;
      lines_allowed =
          std::min(style.max_lines, static_cast<int>(height_pt / (size * kLineHeightEm) + 1e-9));
      if (lines_allowed >= 1 && Wrap(size, width_pt, lines_allowed) == glyphs_.size()) {
        fits = true;
        break;
      }
      if (size <= style.min_size) break;
    }
    if (lines_allowed < 1) return;
    if (!fits) {
      Wrap(size, width_pt, lines_allowed);
      if (lines_.empty()) return;
      Line& last = lines_.back();
      const double limit = width_pt / size * 1000 + kFitSlackPt;
      double w = EllipsisWidth(style.bold);
      size_t end = last.begin;
      while (end < last.end && w + glyphs_[end].width <= limit) w += glyphs_[end++].width;
      if (w > limit) {
        lines_.pop_back();
      } else {
        last.end = end;
        last.ellipsis = true;
      }
    }

    const double line_h = size * kLineHeightEm;
    const double block_h = line_h * static_cast<double>(lines_.size());
    double top = Y(box.y);
    if (style.max_lines == 1) top -= (height_pt - block_h) / 2;
    for (size_t n = 0; n < lines_.size(); ++n) {
      const Line& line = lines_[n];
      double line_w = 0;
      for (size_t i = line.begin; i < line.end; ++i) line_w += glyphs_[i].width;
      if (line.ellipsis) line_w += EllipsisWidth(style.bold);
      line_w = line_w * size / 1000;
      double x = X(box.x);
      if (style.align == Align::kCenter) x += (width_pt - line_w) / 2;
      const double baseline = top - static_cast<double>(n) * line_h - size * kBaselineEm;
      size_t i = line.begin;
      while (i < line.end) {
        const FontId font = glyphs_[i].font;
        run_.clear();
        double run_w = 0;
        for (; i < line.end && glyphs_[i].font == font; ++i) {
          run_.append(glyphs_[i].bytes, glyphs_[i].length);
          run_w += glyphs_[i].width;
        }
        ShowRun(font, size, x, baseline, run_.c_str());
        x += run_w * size / 1000;
      }
      if (line.ellipsis) {
        ShowRun(style.bold ? kHelveticaBold : kHelvetica, size, x, baseline, kEllipsis);
      }
    }
  }

  // REQUIRES: inside BeginText/EndText; `bytes` is NUL-terminated (GBK codes have no
  // zero bytes).
  void ShowRun(FontId font, double size, double x, double baseline, const char* bytes) {
    if (current_font_ != font || current_size_ != size) {
      HPDF_Page_SetFontAndSize(page_, fonts_[font], static_cast<HPDF_REAL>(size));
      current_font_ = font;
      current_size_ = size;
    }
    HPDF_Page_TextOut(page_, static_cast<HPDF_REAL>(x), static_cast<HPDF_REAL>(baseline), bytes);
  }

  Result<std::string> Save() {
    if (HPDF_SaveToStream(doc_.get()) != HPDF_OK) return CheckHpdf("rendering");
    HPDF_UINT32 size = HPDF_GetStreamSize(doc_.get());
    std::string pdf(size, '\0');
    if (size == 0 || HPDF_ResetStream(doc_.get()) != HPDF_OK) return CheckHpdf("rendering");
    HPDF_UINT32 read = size;
    const HPDF_STATUS rc =
        HPDF_ReadFromStream(doc_.get(), reinterpret_cast<HPDF_BYTE*>(pdf.data()), &read);
    if ((rc != HPDF_OK && rc != HPDF_STREAM_EOF) || read != size) {
      return Internal("libharu: short read of the saved document");
    }
    SORTLINE_RETURN_IF_ERROR(CheckHpdf("rendering"));
    return pdf;
  }

  const RendererOptions options_;
  std::unique_ptr<internal::GbkEncoder> gbk_;
  std::unique_ptr<internal::SymbolEncoder> symbols_;
  HpdfError error_;  // declared before doc_: libharu holds its address
  DocPtr doc_;
  std::array<HPDF_Font, kFontCount> fonts_{};
  float ascii_width_[2][0x7F - 0x20] = {};
  // CID font glyph widths by GBK code, SimSun then SimHei; 0 = not measured yet.
  std::unique_ptr<uint16_t[]> cjk_width_;

  // Per-render state, kept to reuse its allocations.
  HPDF_Page page_ = nullptr;
  internal::ModuleMatrix code128_;
  internal::ModuleMatrix qr_;
  std::vector<Glyph> glyphs_;
  std::vector<Line> lines_;
  std::string run_;
  int current_font_ = -1;
  double current_size_ = 0;
};

}  // namespace

Result<std::unique_ptr<LabelRenderer>> LabelRenderer::Create(const RendererOptions& options) {
  SORTLINE_ASSIGN_OR_RETURN(auto gbk, internal::GbkEncoder::Create());
  SORTLINE_ASSIGN_OR_RETURN(auto symbols, internal::SymbolEncoder::Create());
  auto renderer = std::make_unique<HpdfLabelRenderer>(options, std::move(gbk), std::move(symbols));
  SORTLINE_RETURN_IF_ERROR(renderer->Init());
  return std::unique_ptr<LabelRenderer>(std::move(renderer));
}

}  // namespace sortline::label
