#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <map>
#include <memory>
#include <numeric>
#include <span>
#include <string>
#include <type_traits>
#include <vector>

#include <hpdf.h>
#include <hpdf_pages.h>
#include <hpdf_streams.h>
#include <libdeflate.h>

#include "pipeline/label/internal/hpdf.h"
#include "pipeline/label/internal/layout.h"
#include "pipeline/label/internal/symbol.h"
#include "pipeline/label/internal/template.h"
#include "pipeline/label/internal/text.h"
#include "pipeline/label/label.h"

namespace sortline::label {
namespace {

using internal::Align;
using internal::Box;
using internal::Field;
using internal::FieldSpec;
using internal::LabelTemplate;
using internal::TextStyle;

constexpr double kPt = internal::kPointsPerMm;
constexpr double kDpi203 = 25.4 / internal::kDotMm;

// Line box height and baseline position, as fractions of the font size. The em box
// ([-0.12, 0.88] for the CJK fonts) is centred in a line box of 1.2 em, so Helvetica's
// descender (-0.21) and accents (0.93) stay inside it as well.
constexpr double kLineHeightEm = 1.2;
constexpr double kBaselineEm = 0.98;
constexpr double kShrinkStepPt = 0.5;
constexpr double kFitSlackPt = 1e-6;
constexpr char kEllipsis[] = "...";
constexpr size_t kMaxTrackingLength = 40;
constexpr double kZplWidthFactor = 0.85;

enum FontId : uint8_t { kHelvetica = 0, kHelveticaBold = 1, kSimSun = 2, kSimHei = 3 };
constexpr int kFontCount = 4;

// One drawable glyph: 1 byte for Helvetica (WinAnsi), 2 for the GBK CID fonts.
struct Glyph {
  FontId font;
  uint8_t length;  // bytes used in `bytes`
  char bytes[2];
  char32_t code_point;  // what ZPL prints
  float width;          // in 1/1000 em
};

struct Line {
  size_t begin = 0;
  size_t end = 0;
  bool ellipsis = false;
};

using internal::DocPtr;
using internal::HpdfError;
using internal::OnHpdfError;

// Deflate level for page content streams. On the reference label's 5 KB of content
// (one core): libdeflate level 1 gives 1.63 KB in ~23 µs; zlib level 1 1.75 KB in
// ~58 µs; zlib level 6, libharu's fixed choice, 1.53 KB in ~120 µs.
constexpr int kDeflateLevel = 1;

// Deflates page content (zlib format, as FlateDecode expects) with libdeflate, whose
// whole-buffer compressor suits one small stream per page.
// Thread-safety: not thread-safe; owned by one renderer.
class Deflater {
 public:
  Status Init() {
    compressor_.reset(libdeflate_alloc_compressor(kDeflateLevel));
    if (compressor_ == nullptr) return Internal("libdeflate: cannot allocate a compressor");
    return Status::Ok();
  }

  Status Deflate(std::string_view in, std::string& out) {
    out.resize(libdeflate_zlib_compress_bound(compressor_.get(), in.size()));
    const size_t n =
        libdeflate_zlib_compress(compressor_.get(), in.data(), in.size(), out.data(), out.size());
    if (n == 0) return Internal("libdeflate: compression failed");
    out.resize(n);
    return Status::Ok();
  }

 private:
  struct Free {
    void operator()(libdeflate_compressor* c) const { libdeflate_free_compressor(c); }
  };
  std::unique_ptr<libdeflate_compressor, Free> compressor_;
};

// libharu writes a /Filter entry only for streams it compresses itself; a content
// stream the renderer deflated gets its entry from this hook, which HPDF_Dict_Write
// calls after the dict's other entries.
HPDF_STATUS WriteFlateFilter(HPDF_Dict, HPDF_Stream stream) {
  return HPDF_Stream_WriteStr(stream, "/Filter /FlateDecode\012");
}

void AppendInt(std::string& out, long long v) {
  char buf[24];
  const auto r = std::to_chars(buf, buf + sizeof(buf), v);
  out.append(buf, r.ptr);
}

// `v` rounded to 1/100 with trailing zeros dropped: libharu's HPDF_FToA costs more
// than the rest of the label, and two decimals of a point (7 µm) are below any
// printer's dot.
void AppendNum(std::string& out, double v) {
  long long n = std::llround(v * 100);
  if (n < 0) {
    out.push_back('-');
    n = -n;
  }
  AppendInt(out, n / 100);
  const long long frac = n % 100;
  if (frac != 0) {
    out.push_back('.');
    out.push_back(static_cast<char>('0' + frac / 10));
    if (frac % 10 != 0) out.push_back(static_cast<char>('0' + frac % 10));
  }
}

void AppendUtf8(std::string& out, char32_t c) {
  if (c < 0x80) {
    out.push_back(static_cast<char>(c));
  } else if (c < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (c >> 6)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else if (c < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (c >> 12)));
    out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (c >> 18)));
    out.push_back(static_cast<char>(0x80 | ((c >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  }
}

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

bool IsZplSafe(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
  });
}

bool IsPerishable(const v1::Order& order) {
  return order.parcel().perishable() || order.service() == v1::SERVICE_FRESH_PRODUCE ||
         order.service() == v1::SERVICE_COLD_CHAIN;
}

// What one label prints besides the order's own fields.
struct LabelData {
  const LabelTemplate* layout = nullptr;
  std::string tracking;
  std::string division;
  bool perishable = false;
  std::string page_counter;  // "3/120" on batch pages, empty otherwise
};

std::string FieldText(Field field, const v1::Order& order, const v1::SortRecord& record,
                      const LabelData& data) {
  const v1::Address& to = order.recipient();
  const v1::Address& from = order.sender();
  const v1::Parcel& parcel = order.parcel();
  switch (field) {
    case Field::kSortCode:
      return OrDash(record.sort_code());
    case Field::kPerishable:
      if (!data.perishable) return "";
      return order.service() == v1::SERVICE_COLD_CHAIN ? "冷链 易腐" : "生鲜 易腐";
    case Field::kService:
      return ServiceName(order.service());
    case Field::kTracking:
      return data.tracking;
    case Field::kRecipientTag:
      return "收件人 TO";
    case Field::kRecipientName:
      return to.name();
    case Field::kRecipientPhone:
      return internal::MaskPhone(to.phone());
    case Field::kRecipientAddress:
      return FullAddress(to);
    case Field::kDivision:
      return "DC " + OrDash(data.division);
    case Field::kSenderTag:
      return "寄件人 FROM";
    case Field::kSenderName:
      return from.name();
    case Field::kSenderPhone:
      return internal::MaskPhone(from.phone());
    case Field::kSenderAddress:
      return FullAddress(from);
    case Field::kWeight:
      return "重量 " + FormatWeight(record.weight_g() > 0 ? record.weight_g() : parcel.weight_g());
    case Field::kDimensions:
      return "尺寸 " + std::to_string(parcel.length_mm()) + "x" +
             std::to_string(parcel.width_mm()) + "x" + std::to_string(parcel.height_mm()) + " mm";
    case Field::kValue: {
      std::string value = "保价 " + FormatYuan(parcel.declared_value_fen()) + "元";
      if (parcel.cod_fen() > 0) value += "  代收货款 " + FormatYuan(parcel.cod_fen()) + "元";
      return value;
    }
    case Field::kContents:
      return "内件 " + OrDash(parcel.contents());
    case Field::kOrderId:
      return "订单 " + OrDash(order.order_id());
    case Field::kCreated:
      return "下单 " + FormatChinaTime(order.created_unix_ms());
    case Field::kMerchant:
      return "商家 " + OrDash(order.merchant());
    case Field::kChute:
      return "格口 " + OrDash(record.chute());
    case Field::kDockDoor:
      return "月台 " + OrDash(record.dock_door());
    case Field::kPageCounter:
      return data.page_counter;
  }
  return "";
}

// Where the symbols go, in printer dots of the target resolution counted from the
// top-left corner of the page.
struct Placement {
  int narrow = 0;  // Code 128 narrow bar, dots
  long bar_x = 0;
  long bar_top = 0;
  int bar_height = 0;
  int qr_module = 0;
  long qr_x = 0;
  long qr_top = 0;
};

Result<Placement> Place(const LabelTemplate& t, const internal::ModuleMatrix& code128,
                        const internal::ModuleMatrix& qr, double dpi) {
  const double dots_per_mm = dpi / 25.4;
  const double scale = dpi / kDpi203;
  Placement p;
  p.narrow = static_cast<int>(std::lround(internal::kCode128NarrowDots * scale));
  const int min_narrow = static_cast<int>(std::lround(internal::kCode128MinNarrowDots * scale));
  const double frame_w = t.frame.w * dots_per_mm;
  const int bar_span = code128.columns + 2 * internal::kCode128QuietModules;
  while (p.narrow > min_narrow && bar_span * p.narrow > frame_w) --p.narrow;
  if (bar_span * p.narrow > frame_w) {
    return InvalidArgument("tracking number too long for the label's Code 128");
  }
  p.bar_x = std::lround((t.width_mm * dots_per_mm - code128.columns * p.narrow) / 2);
  p.bar_top = std::lround(t.code128_top_mm * dots_per_mm);
  p.bar_height = static_cast<int>(std::lround(t.code128_height_dots * scale));

  const int qr_span = qr.columns + 2 * internal::kQrQuietModules;
  p.qr_module = std::min(static_cast<int>(std::lround(internal::kQrMaxModuleDots * scale)),
                         static_cast<int>(t.qr.w * dots_per_mm) / qr_span);
  if (p.qr_module < static_cast<int>(std::lround(internal::kQrMinModuleDots * scale))) {
    return InvalidArgument("QR payload too long for the label");
  }
  p.qr_x = std::lround((t.qr.x + t.qr.w / 2) * dots_per_mm - qr.columns * p.qr_module / 2.0);
  p.qr_top = std::lround((t.qr.y + t.qr.h / 2) * dots_per_mm - qr.rows * p.qr_module / 2.0);
  return p;
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

  // Second phase of Create: resolves the templates and sets up the per-parcel document
  // (see OpenSingleDoc) and the batch document.
  Status Init() {
    default_layout_ = internal::FindTemplate(options_.template_name);
    if (default_layout_ == nullptr) {
      return InvalidArgument("unknown label template '" + options_.template_name + "'");
    }
    for (const auto& [service, name] : options_.service_templates) {
      const LabelTemplate* t = internal::FindTemplate(name);
      if (t == nullptr) return InvalidArgument("unknown label template '" + name + "'");
      service_layouts_[service] = t;
    }
    batch_doc_.reset(HPDF_NewEx(&OnHpdfError, nullptr, nullptr, 0, &batch_error_));
    if (batch_doc_ == nullptr) return Internal("libharu: cannot create a document");
    HPDF_UseCNSFonts(batch_doc_.get());
    HPDF_UseCNSEncodings(batch_doc_.get());
    SORTLINE_RETURN_IF_ERROR(deflater_.Init());
    SORTLINE_RETURN_IF_ERROR(OpenSingleDoc());
    for (int bold = 0; bold < 2; ++bold) {
      for (int c = 0x20; c < 0x7F; ++c) {
        const auto byte = static_cast<HPDF_BYTE>(c);
        ascii_width_[bold][c - 0x20] =
            static_cast<float>(HPDF_Font_TextWidth(single_fonts_[bold], &byte, 1).width);
      }
    }
    return CheckHpdf(single_doc_.get(), single_error_, "measuring fonts");
  }

  Result<std::string> Render(const v1::Order& order, const v1::SortRecord& record) override {
    if (single_broken_) SORTLINE_RETURN_IF_ERROR(OpenSingleDoc());
    SORTLINE_ASSIGN_OR_RETURN(LabelData data, Prepare(order, record));
    SORTLINE_ASSIGN_OR_RETURN(Placement place, Place(*data.layout, code128_, qr_, kDpi203));
    BuildPage(order, record, data, place, code128_, qr_, single_font_names_);
    single_error_ = HpdfError{};
    const LabelTemplate& t = *data.layout;
    HPDF_Page_SetWidth(single_page_, static_cast<HPDF_REAL>(t.width_mm * kPt));
    HPDF_Page_SetHeight(single_page_, static_cast<HPDF_REAL>(t.height_mm * kPt));
    HPDF_Stream stream = PageStream(single_page_);
    HPDF_MemStream_FreeData(stream);
    SORTLINE_RETURN_IF_ERROR(WriteContent(stream));
    Result<std::string> pdf = Save(single_doc_.get(), single_error_);
    if (!pdf.ok()) single_broken_ = true;
    return pdf;
  }

  Result<BatchPdf> RenderBatch(std::span<const LabelInput> labels,
                               const BatchOptions& options) override {
    if (labels.empty()) return InvalidArgument("a batch needs at least one label");
    BatchPdf batch;
    std::vector<size_t> order(labels.size());
    std::iota(order.begin(), order.end(), size_t{0});
    if (options.chute_order) {
      std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
        return labels[a].record->chute() < labels[b].record->chute();
      });
    }
    // Symbols are encoded up front so the page counter counts only printable labels.
    struct Ready {
      size_t index;
      LabelData data;
      Placement place;
      internal::ModuleMatrix code128;
      internal::ModuleMatrix qr;
    };
    std::vector<Ready> ready;
    ready.reserve(labels.size());
    for (size_t i : order) {
      Result<LabelData> data = Prepare(*labels[i].order, *labels[i].record);
      Result<Placement> place = data.ok() ? Place(*data->layout, code128_, qr_, kDpi203)
                                          : Result<Placement>(data.status());
      if (!place.ok()) {
        batch.failed.push_back(i);
        continue;
      }
      ready.push_back({i, std::move(data).value(), *place, code128_, qr_});
    }
    std::sort(batch.failed.begin(), batch.failed.end());
    if (ready.empty()) return InvalidArgument("no label of the batch could be rendered");

    batch_error_ = HpdfError{};
    HPDF_Doc doc = batch_doc_.get();
    if (HPDF_NewDoc(doc) != HPDF_OK) return CheckHpdf(doc, batch_error_, "starting a batch");
    std::array<HPDF_Font, kFontCount> fonts{};
    SORTLINE_RETURN_IF_ERROR(LoadFonts(doc, batch_error_, fonts));
    const std::string total = std::to_string(ready.size());
    for (size_t n = 0; n < ready.size(); ++n) {
      Ready& r = ready[n];
      const v1::Order& o = *labels[r.index].order;
      const v1::SortRecord& rec = *labels[r.index].record;
      r.data.page_counter = std::to_string(n + 1) + "/" + total;
      HPDF_Page page = HPDF_AddPage(doc);
      if (page == nullptr) return CheckHpdf(doc, batch_error_, "adding a page");
      HPDF_Page_SetWidth(page, static_cast<HPDF_REAL>(r.data.layout->width_mm * kPt));
      HPDF_Page_SetHeight(page, static_cast<HPDF_REAL>(r.data.layout->height_mm * kPt));
      SORTLINE_RETURN_IF_ERROR(RegisterFonts(page, fonts, batch_error_, doc, batch_font_names_));
      BuildPage(o, rec, r.data, r.place, r.code128, r.qr, batch_font_names_);
      MarkCompressed(page);
      SORTLINE_RETURN_IF_ERROR(WriteContent(PageStream(page)));
      batch.pages.push_back(r.index);
    }
    SORTLINE_ASSIGN_OR_RETURN(batch.pdf, Save(doc, batch_error_));
    return batch;
  }

  Result<std::string> RenderZpl(const v1::Order& order, const v1::SortRecord& record,
                                int dpi) override {
    if (dpi != 203 && dpi != 300) return InvalidArgument("ZPL is rendered at 203 or 300 dpi");
    SORTLINE_ASSIGN_OR_RETURN(LabelData data, Prepare(order, record));
    if (!IsZplSafe(data.tracking)) {
      return InvalidArgument("ZPL labels need a tracking number of [A-Za-z0-9-]");
    }
    // The printer encodes the QR code itself and may choose the next version up
    // (4 modules more a side); the module size and position leave room for it.
    internal::ModuleMatrix printer_qr;
    printer_qr.rows = qr_.rows + 4;
    printer_qr.columns = qr_.columns + 4;
    SORTLINE_ASSIGN_OR_RETURN(Placement place, Place(*data.layout, code128_, printer_qr, dpi));
    const LabelTemplate& t = *data.layout;
    const double dots_per_mm = dpi / 25.4;
    auto dots = [&](double mm) { return std::lround(mm * dots_per_mm); };
    const long line = std::max(2L, std::lround(0.8 / 72 * dpi));
    std::string zpl;
    zpl.reserve(4096);
    zpl += "^XA\n^CI28\n^LH0,0\n^PW";
    AppendInt(zpl, dots(t.width_mm));
    zpl += "\n^LL";
    AppendInt(zpl, dots(t.height_mm));
    zpl += "\n^CWJ,E:SIMSUN.TTF\n";
    auto box = [&](long x, long y, long w, long h, long thickness) {
      zpl += "^FO";
      AppendInt(zpl, x);
      zpl += ',';
      AppendInt(zpl, y);
      zpl += "^GB";
      AppendInt(zpl, std::max(w, thickness));
      zpl += ',';
      AppendInt(zpl, std::max(h, thickness));
      zpl += ',';
      AppendInt(zpl, thickness);
      zpl += "^FS\n";
    };
    box(dots(t.frame.x), dots(t.frame.y), dots(t.frame.w), dots(t.frame.h), line);
    for (const internal::Rule& r : t.rules) {
      box(dots(r.x0), dots(r.y0), dots(r.x1 - r.x0), dots(r.y1 - r.y0), line);
    }
    if (data.perishable) {
      const Box& b = t.perishable_frame;
      box(dots(b.x), dots(b.y), dots(b.w), dots(b.h), 2 * line);
    }
    // ^BY without its height: the bar height goes in ^BC, and renderers (zebrash) move
    // a later ^BQ down by a ^BY height.
    zpl += "^BY";
    AppendInt(zpl, place.narrow);
    zpl += ",3\n^FO";
    AppendInt(zpl, place.bar_x);
    zpl += ',';
    AppendInt(zpl, place.bar_top);
    zpl += "^BCN,";
    AppendInt(zpl, place.bar_height);
    zpl += ",N,N,N,A^FD" + data.tracking + "^FS\n^FO";
    AppendInt(zpl, place.qr_x);
    zpl += ',';
    AppendInt(zpl, place.qr_top);
    zpl += "^BQN,2,";
    AppendInt(zpl, place.qr_module);
    zpl += "^FH^FDMA,";
    AppendZplEscaped(zpl, QrPayload(data, record));
    zpl += "^FS\n";
    for (const FieldSpec& f : t.fields) {
      // Laid out for a box 15% narrower: the printer's font (SimSun downloaded, or a
      // fallback) may run wider than the PDF fonts' metrics.
      Box narrower = f.box;
      narrower.w *= kZplWidthFactor;
      if (!Fit(narrower, FieldText(f.field, order, record, data), f.style)) continue;
      for (size_t n = 0; n < lines_.size(); ++n) {
        // The printer's font has its own metrics: a one-line field block as wide as the
        // box aligns the line and keeps it inside the box whatever they are.
        const LinePos pos = Position(f, n);
        zpl += "^FO";
        AppendInt(zpl, dots(f.box.x));
        zpl += ',';
        AppendInt(zpl, std::lround(pos.top / kPt * dots_per_mm));
        zpl += "^AJN,";
        AppendInt(zpl, std::lround(fit_size_ / 72 * dpi));
        zpl += "^FB";
        AppendInt(zpl, dots(f.box.w));
        zpl += f.style.align == Align::kCenter  ? ",1,0,C"
               : f.style.align == Align::kRight ? ",1,0,R"
                                                : ",1,0,L";
        zpl += "^FH^FD";
        std::string text;
        for (size_t i = lines_[n].begin; i < lines_[n].end; ++i) {
          AppendUtf8(text, glyphs_[i].code_point);
        }
        if (lines_[n].ellipsis) text += kEllipsis;
        AppendZplEscaped(zpl, text);
        zpl += "^FS\n";
      }
    }
    zpl += "^XZ\n";
    return zpl;
  }

 private:
  // Field data with ^FH: '_' starts a hex escape, so it and the command prefixes
  // '^' and '~' are written as escapes; nothing in the text can end the field.
  static void AppendZplEscaped(std::string& out, std::string_view text) {
    for (char c : text) {
      if (c == '_' || c == '^' || c == '~') {
        char buf[4];
        std::snprintf(buf, sizeof(buf), "_%02X", static_cast<unsigned char>(c));
        out += buf;
      } else {
        out.push_back(c);
      }
    }
  }

  static std::string QrPayload(const LabelData& data, const v1::SortRecord& record) {
    return "S10:" + data.tracking + "|SC:" + record.sort_code() + "|DC:" + data.division;
  }

  static HPDF_Stream PageStream(HPDF_Page page) {
    return static_cast<HPDF_PageAttr>(page->attr)->stream;
  }

  // Documents are created without libharu compression (HPDF_COMP_NONE); when
  // compressing, the renderer deflates each content stream itself at kDeflateLevel and
  // marks it here.
  void MarkCompressed(HPDF_Page page) const {
    if (options_.compress)
      static_cast<HPDF_PageAttr>(page->attr)->contents->write_fn = &WriteFlateFilter;
  }

  // content_, deflated when compressing, as the page's content stream.
  Status WriteContent(HPDF_Stream stream) {
    std::string_view bytes = content_;
    if (options_.compress) {
      SORTLINE_RETURN_IF_ERROR(deflater_.Deflate(content_, deflated_));
      bytes = deflated_;
    }
    if (HPDF_Stream_Write(stream, reinterpret_cast<const HPDF_BYTE*>(bytes.data()),
                          static_cast<HPDF_UINT>(bytes.size())) != HPDF_OK) {
      return Internal("libharu: cannot write the page content");
    }
    return Status::Ok();
  }

  static Status CheckHpdf(HPDF_Doc doc, const HpdfError& error, const char* what) {
    if (error.error_no == HPDF_OK && HPDF_GetError(doc) == HPDF_OK) return Status::Ok();
    HPDF_STATUS error_no = error.error_no != HPDF_OK ? error.error_no : HPDF_GetError(doc);
    char buf[96];
    std::snprintf(buf, sizeof(buf), "libharu error 0x%04X (detail %u) while %s",
                  static_cast<unsigned>(error_no), static_cast<unsigned>(error.detail_no), what);
    return Internal(buf);
  }

  static Status LoadFonts(HPDF_Doc doc, const HpdfError& error,
                          std::array<HPDF_Font, kFontCount>& fonts) {
    fonts[kHelvetica] = HPDF_GetFont(doc, "Helvetica", "WinAnsiEncoding");
    fonts[kHelveticaBold] = HPDF_GetFont(doc, "Helvetica-Bold", "WinAnsiEncoding");
    fonts[kSimSun] = HPDF_GetFont(doc, "SimSun", "GBK-EUC-H");
    fonts[kSimHei] = HPDF_GetFont(doc, "SimHei", "GBK-EUC-H");
    for (HPDF_Font font : fonts) {
      if (font == nullptr) return CheckHpdf(doc, error, "loading fonts");
    }
    return Status::Ok();
  }

  // Puts every font in the page's resources, whether the label uses it or not, so the
  // resources (and the bytes) do not depend on the text, and records their names.
  static Status RegisterFonts(HPDF_Page page, const std::array<HPDF_Font, kFontCount>& fonts,
                              const HpdfError& error, HPDF_Doc doc,
                              std::array<std::string, kFontCount>& names) {
    for (int f = 0; f < kFontCount; ++f) {
      const char* name = HPDF_Page_GetLocalFontName(page, fonts[static_cast<size_t>(f)]);
      if (name == nullptr) return CheckHpdf(doc, error, "registering fonts");
      names[static_cast<size_t>(f)] = std::string("/") + name + " ";
    }
    return Status::Ok();
  }

  // The per-parcel document: one page, the four fonts in its resources, kept for the
  // renderer's lifetime. Each Render replaces the page's size and content stream and
  // saves the document again; nothing else in it changes, so a file depends on its
  // label alone. After a libharu error the document is rebuilt.
  Status OpenSingleDoc() {
    single_error_ = HpdfError{};
    single_doc_.reset(HPDF_NewEx(&OnHpdfError, nullptr, nullptr, 0, &single_error_));
    if (single_doc_ == nullptr) return Internal("libharu: cannot create a document");
    HPDF_Doc doc = single_doc_.get();
    HPDF_UseCNSFonts(doc);
    HPDF_UseCNSEncodings(doc);
    SORTLINE_RETURN_IF_ERROR(LoadFonts(doc, single_error_, single_fonts_));
    single_page_ = HPDF_AddPage(doc);
    if (single_page_ == nullptr) return CheckHpdf(doc, single_error_, "adding a page");
    MarkCompressed(single_page_);
    SORTLINE_RETURN_IF_ERROR(
        RegisterFonts(single_page_, single_fonts_, single_error_, doc, single_font_names_));
    single_broken_ = false;
    return CheckHpdf(doc, single_error_, "opening the label document");
  }

  const LabelTemplate* LayoutFor(const v1::Order& order) const {
    const auto it = service_layouts_.find(order.service());
    return it != service_layouts_.end() ? it->second : default_layout_;
  }

  Status EncodeSymbols(const LabelData& data, const v1::SortRecord& record) {
    SORTLINE_RETURN_IF_ERROR(symbols_->Code128(data.tracking, code128_));
    return symbols_->Qr(QrPayload(data, record), qr_);
  }

  // Validates the tracking number, picks the template and encodes both symbols into
  // code128_ and qr_.
  Result<LabelData> Prepare(const v1::Order& order, const v1::SortRecord& record) {
    LabelData data;
    data.tracking =
        record.tracking_number().empty() ? order.tracking_number() : record.tracking_number();
    if (data.tracking.empty() || data.tracking.size() > kMaxTrackingLength ||
        !IsVisibleAscii(data.tracking)) {
      return InvalidArgument(
          "tracking number cannot be encoded in Code 128: must be 1 to 40 visible ASCII "
          "characters");
    }
    data.division =
        record.division_code().empty() ? order.recipient().division_code() : record.division_code();
    data.perishable = IsPerishable(order);
    data.layout = LayoutFor(order);
    SORTLINE_RETURN_IF_ERROR(EncodeSymbols(data, record));
    return data;
  }

  // The page's whole content stream into content_, y up from the bottom-left corner.
  // `fonts` are the page's resource names of the four fonts ("/F1 ").
  void BuildPage(const v1::Order& order, const v1::SortRecord& record, const LabelData& data,
                 const Placement& place, const internal::ModuleMatrix& code128,
                 const internal::ModuleMatrix& qr,
                 const std::array<std::string, kFontCount>& fonts) {
    const LabelTemplate& t = *data.layout;
    font_names_ = &fonts;
    page_h_pt_ = t.height_mm * kPt;
    content_.clear();
    content_ += "0.8 w\n";
    AppendBox(t.frame);
    content_ += "re\n";
    for (const internal::Rule& r : t.rules) {
      AppendNum(content_, r.x0 * kPt);
      content_ += ' ';
      AppendNum(content_, page_h_pt_ - r.y0 * kPt);
      content_ += " m ";
      AppendNum(content_, r.x1 * kPt);
      content_ += ' ';
      AppendNum(content_, page_h_pt_ - r.y1 * kPt);
      content_ += " l\n";
    }
    content_ += "S\n";
    if (data.perishable) {
      content_ += "1.6 w\n";
      AppendBox(t.perishable_frame);
      content_ += "re S\n";
    }
    const double page_h_dots = t.height_mm / internal::kDotMm;
    FillModules(code128, place.narrow, place.bar_height, place.bar_x,
                std::lround(page_h_dots) - place.bar_top - place.bar_height);
    FillModules(qr, place.qr_module, place.qr_module, place.qr_x,
                std::lround(page_h_dots) - place.qr_top - qr.rows * place.qr_module);
    content_ += "BT\n";
    current_font_ = -1;
    current_size_ = 0;
    for (const FieldSpec& f : t.fields) {
      if (!Fit(f.box, FieldText(f.field, order, record, data), f.style)) continue;
      EmitPdfText(f);
    }
    content_ += "ET\n";
  }

  void AppendBox(const Box& b) {
    AppendNum(content_, b.x * kPt);
    content_ += ' ';
    AppendNum(content_, page_h_pt_ - (b.y + b.h) * kPt);
    content_ += ' ';
    AppendNum(content_, b.w * kPt);
    content_ += ' ';
    AppendNum(content_, b.h * kPt);
    content_ += ' ';
  }

  // Fills `m` with modules of `module_w` x `module_h` dots, its bottom-left corner at
  // (`x`, `y`) 203 dpi dots from the page's bottom-left corner. The matrix maps one
  // module to one unit, so every rectangle is written in small integers and every edge
  // falls on a printer dot.
  void FillModules(const internal::ModuleMatrix& m, int module_w, int module_h, long x, long y) {
    constexpr double kDotPt = internal::kDotMm * kPt;
    content_ += "q ";
    AppendNum(content_, module_w * kDotPt);
    content_ += " 0 0 ";
    AppendNum(content_, module_h * kDotPt);
    content_ += ' ';
    AppendNum(content_, static_cast<double>(x) * kDotPt);
    content_ += ' ';
    AppendNum(content_, static_cast<double>(y) * kDotPt);
    content_ += " cm\n";
    for (const internal::ModuleRect& r : m.rects) {
      AppendInt(content_, r.column);
      content_ += ' ';
      AppendInt(content_, m.rows - r.row - r.height);
      content_ += ' ';
      AppendInt(content_, r.width);
      content_ += ' ';
      AppendInt(content_, r.height);
      content_ += " re\n";
    }
    content_ += "f Q\n";
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
      Glyph g{cjk_font, 2, {static_cast<char>(code >> 8), static_cast<char>(code & 0xFF)}, c, 0};
      uint16_t& width = cjk_width_[(cjk_font == kSimHei ? 0x10000 : 0) + code];
      if (width == 0) {
        width = static_cast<uint16_t>(std::clamp<HPDF_UINT>(
            HPDF_Font_TextWidth(single_fonts_[cjk_font],
                                reinterpret_cast<const HPDF_BYTE*>(g.bytes), 2)
                .width,
            1, 4000));
      }
      g.width = width;
      glyphs_.push_back(g);
    }
  }

  double EllipsisWidth(bool bold) const { return 3 * ascii_width_[bold ? 1 : 0]['.' - 0x20]; }

  void PushAscii(FontId font, char c) {
    glyphs_.push_back({font,
                       1,
                       {c, 0},
                       static_cast<char32_t>(c),
                       ascii_width_[font == kHelveticaBold ? 1 : 0][c - 0x20]});
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

  // Lays `utf8` out in `box` into glyphs_, lines_ and fit_size_: the largest size from
  // max_size down to min_size at which it fits in the box (and in max_lines); at
  // min_size, what does not fit is cut and the last line ends in "...". False when
  // nothing is to be drawn.
  bool Fit(const Box& box, std::string_view utf8, const TextStyle& style) {
    Shape(utf8, style.bold);
    if (glyphs_.empty()) return false;
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
    if (lines_allowed < 1) return false;
    if (!fits) {
      Wrap(size, width_pt, lines_allowed);
      if (lines_.empty()) return false;
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
    fit_size_ = size;
    return !lines_.empty();
  }

  struct LinePos {
    double x;         // left edge, pt from the left
    double top;       // top of the line box, pt from the top of the page
    double baseline;  // pt from the top of the page
  };

  // Where line `n` of the last Fit goes in `f`'s box.
  LinePos Position(const FieldSpec& f, size_t n) const {
    const double size = fit_size_;
    const double width_pt = f.box.w * kPt;
    const double line_h = size * kLineHeightEm;
    const double block_h = line_h * static_cast<double>(lines_.size());
    double top = f.box.y * kPt;
    if (f.style.max_lines == 1) top += (f.box.h * kPt - block_h) / 2;
    const Line& line = lines_[n];
    double line_w = 0;
    for (size_t i = line.begin; i < line.end; ++i) line_w += glyphs_[i].width;
    if (line.ellipsis) line_w += EllipsisWidth(f.style.bold);
    line_w = line_w * size / 1000;
    double x = f.box.x * kPt;
    if (f.style.align == Align::kCenter) x += (width_pt - line_w) / 2;
    if (f.style.align == Align::kRight) x += width_pt - line_w;
    const double line_top = top + static_cast<double>(n) * line_h;
    return {x, line_top, line_top + size * kBaselineEm};
  }

  void EmitPdfText(const FieldSpec& f) {
    for (size_t n = 0; n < lines_.size(); ++n) {
      const LinePos pos = Position(f, n);
      const Line& line = lines_[n];
      double x = pos.x;
      const double baseline = page_h_pt_ - pos.baseline;
      size_t i = line.begin;
      while (i < line.end) {
        const FontId font = glyphs_[i].font;
        run_.clear();
        double run_w = 0;
        for (; i < line.end && glyphs_[i].font == font; ++i) {
          run_.append(glyphs_[i].bytes, glyphs_[i].length);
          run_w += glyphs_[i].width;
        }
        ShowRun(font, x, baseline, run_);
        x += run_w * fit_size_ / 1000;
      }
      if (line.ellipsis)
        ShowRun(f.style.bold ? kHelveticaBold : kHelvetica, x, baseline, kEllipsis);
    }
  }

  // A literal string: '(', ')' and '\' escaped, so no text can end it (GBK trail bytes
  // include '\'). Display text holds no control bytes (SanitizeForDisplay).
  void ShowRun(FontId font, double x, double baseline, std::string_view bytes) {
    if (current_font_ != font || current_size_ != fit_size_) {
      content_ += (*font_names_)[font];
      AppendNum(content_, fit_size_);
      content_ += " Tf\n";
      current_font_ = font;
      current_size_ = fit_size_;
    }
    content_ += "1 0 0 1 ";
    AppendNum(content_, x);
    content_ += ' ';
    AppendNum(content_, baseline);
    content_ += " Tm (";
    for (char c : bytes) {
      if (c == '(' || c == ')' || c == '\\') content_.push_back('\\');
      content_.push_back(c);
    }
    content_ += ") Tj\n";
  }

  static Result<std::string> Save(HPDF_Doc doc, const HpdfError& error) {
    if (HPDF_SaveToStream(doc) != HPDF_OK) return CheckHpdf(doc, error, "rendering");
    HPDF_UINT32 size = HPDF_GetStreamSize(doc);
    std::string pdf(size, '\0');
    if (size == 0 || HPDF_ResetStream(doc) != HPDF_OK) return CheckHpdf(doc, error, "rendering");
    HPDF_UINT32 read = size;
    const HPDF_STATUS rc =
        HPDF_ReadFromStream(doc, reinterpret_cast<HPDF_BYTE*>(pdf.data()), &read);
    if ((rc != HPDF_OK && rc != HPDF_STREAM_EOF) || read != size) {
      return Internal("libharu: short read of the saved document");
    }
    SORTLINE_RETURN_IF_ERROR(CheckHpdf(doc, error, "rendering"));
    return pdf;
  }

  const RendererOptions options_;
  std::unique_ptr<internal::GbkEncoder> gbk_;
  std::unique_ptr<internal::SymbolEncoder> symbols_;
  const LabelTemplate* default_layout_ = nullptr;
  std::map<v1::ServiceClass, const LabelTemplate*> service_layouts_;

  // Declared before the documents: libharu holds their addresses.
  HpdfError single_error_;
  HpdfError batch_error_;
  DocPtr single_doc_;
  HPDF_Page single_page_ = nullptr;
  std::array<HPDF_Font, kFontCount> single_fonts_{};
  std::array<std::string, kFontCount> single_font_names_;
  bool single_broken_ = false;
  DocPtr batch_doc_;

  float ascii_width_[2][0x7F - 0x20] = {};
  // CID font glyph widths by GBK code, SimSun then SimHei; 0 = not measured yet.
  std::unique_ptr<uint16_t[]> cjk_width_;

  // Per-label state, kept to reuse its allocations.
  internal::ModuleMatrix code128_;
  internal::ModuleMatrix qr_;
  std::vector<Glyph> glyphs_;
  std::vector<Line> lines_;
  double fit_size_ = 0;
  std::string run_;
  std::string content_;
  Deflater deflater_;
  std::string deflated_;
  double page_h_pt_ = 0;
  std::array<std::string, kFontCount> batch_font_names_;
  const std::array<std::string, kFontCount>* font_names_ = nullptr;  // of the page being built
  int current_font_ = -1;
  double current_size_ = 0;
};

}  // namespace

std::vector<std::string> TemplateNames() {
  std::vector<std::string> names;
  for (const LabelTemplate* t : internal::AllTemplates()) names.emplace_back(t->name);
  return names;
}

Result<std::unique_ptr<LabelRenderer>> LabelRenderer::Create(const RendererOptions& options) {
  SORTLINE_ASSIGN_OR_RETURN(auto gbk, internal::GbkEncoder::Create());
  SORTLINE_ASSIGN_OR_RETURN(auto symbols, internal::SymbolEncoder::Create());
  auto renderer = std::make_unique<HpdfLabelRenderer>(options, std::move(gbk), std::move(symbols));
  SORTLINE_RETURN_IF_ERROR(renderer->Init());
  return std::unique_ptr<LabelRenderer>(std::move(renderer));
}

}  // namespace sortline::label
