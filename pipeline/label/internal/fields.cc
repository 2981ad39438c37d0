#include "pipeline/label/internal/fields.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "pipeline/label/internal/append.h"
#include "pipeline/label/internal/text.h"

namespace sortline::label::internal {
namespace {

bool IsVisibleAscii(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c > 0x20 && c < 0x7F; });
}

bool IsPerishable(const v1::Order& order) {
  return order.parcel().perishable() || order.service() == v1::SERVICE_FRESH_PRODUCE ||
         order.service() == v1::SERVICE_COLD_CHAIN;
}

std::string_view ServiceName(v1::ServiceClass service) {
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

// "<whole>.<two digits>" of a value in hundredths; the sign of a negative value whose
// whole part is 0 is not shown (as printf("%lld.%02lld") did).
void AppendHundredths(std::string& out, int64_t hundredths) {
  AppendInt(out, hundredths / 100);
  const int64_t cents = std::llabs(hundredths % 100);
  out.push_back('.');
  out.push_back(static_cast<char>('0' + cents / 10));
  out.push_back(static_cast<char>('0' + cents % 10));
}

// "2.50 kg", rounded to 10 g; "-" when unknown.
void AppendWeight(std::string& out, int32_t grams) {
  if (grams <= 0) {
    out += '-';
    return;
  }
  AppendHundredths(out, (static_cast<int64_t>(grams) + 5) / 10);
  out += " kg";
}

void AppendFullAddress(std::string& out, const v1::Address& a) {
  out += a.province();
  out += a.city();
  out += a.district();
  out += a.street();
  out += a.detail();
}

void AppendOrDash(std::string& out, const std::string& s) {
  if (s.empty()) {
    out += '-';
  } else {
    out += s;
  }
}

// "<tag><value>", "-" standing for an empty value.
void Tagged(std::string& out, std::string_view tag, const std::string& value) {
  out = tag;
  AppendOrDash(out, value);
}

}  // namespace

Result<LabelData> ResolveLabel(const v1::Order& order, const v1::SortRecord& record,
                               const LabelTemplate& layout) {
  LabelData data;
  data.order = &order;
  data.record = &record;
  data.layout = &layout;
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
  return data;
}

std::string QrPayload(const LabelData& data) {
  std::string payload = "S10:";
  payload += data.tracking;
  payload += "|SC:";
  payload += data.record->sort_code();
  payload += "|DC:";
  payload += data.division;
  return payload;
}

void FieldText(Field field, const LabelData& data, std::string& out) {
  out.clear();
  const v1::Order& order = *data.order;
  const v1::SortRecord& record = *data.record;
  const v1::Parcel& parcel = order.parcel();
  switch (field) {
    case Field::kSortCode:
      AppendOrDash(out, record.sort_code());
      return;
    case Field::kPerishable:
      if (data.perishable)
        out = order.service() == v1::SERVICE_COLD_CHAIN ? "冷链 易腐" : "生鲜 易腐";
      return;
    case Field::kService:
      out = ServiceName(order.service());
      return;
    case Field::kTracking:
      out = data.tracking;
      return;
    case Field::kRecipientTag:
      out = "收件人 TO";
      return;
    case Field::kRecipientName:
      out = order.recipient().name();
      return;
    case Field::kRecipientPhone:
      out = MaskPhone(order.recipient().phone());
      return;
    case Field::kRecipientAddress:
      AppendFullAddress(out, order.recipient());
      return;
    case Field::kDivision:
      Tagged(out, "DC ", data.division);
      return;
    case Field::kSenderTag:
      out = "寄件人 FROM";
      return;
    case Field::kSenderName:
      out = order.sender().name();
      return;
    case Field::kSenderPhone:
      out = MaskPhone(order.sender().phone());
      return;
    case Field::kSenderAddress:
      AppendFullAddress(out, order.sender());
      return;
    case Field::kWeight:
      out = "重量 ";
      AppendWeight(out, record.weight_g() > 0 ? record.weight_g() : parcel.weight_g());
      return;
    case Field::kDimensions:
      out = "尺寸 ";
      AppendInt(out, parcel.length_mm());
      out += 'x';
      AppendInt(out, parcel.width_mm());
      out += 'x';
      AppendInt(out, parcel.height_mm());
      out += " mm";
      return;
    case Field::kValue:
      out = "保价 ";
      AppendHundredths(out, parcel.declared_value_fen());
      out += "元";
      if (parcel.cod_fen() > 0) {
        out += "  代收货款 ";
        AppendHundredths(out, parcel.cod_fen());
        out += "元";
      }
      return;
    case Field::kContents:
      Tagged(out, "内件 ", parcel.contents());
      return;
    case Field::kOrderId:
      Tagged(out, "订单 ", order.order_id());
      return;
    case Field::kCreated:
      out = "下单 ";
      out += FormatChinaTime(order.created_unix_ms());
      return;
    case Field::kMerchant:
      Tagged(out, "商家 ", order.merchant());
      return;
    case Field::kChute:
      Tagged(out, "格口 ", record.chute());
      return;
    case Field::kDockDoor:
      Tagged(out, "月台 ", record.dock_door());
      return;
    case Field::kPageCounter:
      out = data.page_counter;
      return;
  }
}

std::string FormatChinaTime(int64_t unix_ms) {
  using std::chrono::days;
  using std::chrono::floor;
  using std::chrono::hours;
  using std::chrono::January;
  using std::chrono::milliseconds;
  using std::chrono::minutes;
  using std::chrono::sys_days;
  using std::chrono::year;
  // China time is UTC+8 all year; C++20 calendars (year_month_day) do the civil date.
  // The last minute printed keeps the year at four digits and inside chrono::year.
  constexpr std::chrono::sys_time<milliseconds> kEnd = sys_days{year{10000} / January / 1};
  constexpr hours kChinaOffset{8};
  if (unix_ms <= 0 || unix_ms >= (kEnd - kChinaOffset).time_since_epoch().count()) return "-";
  const auto local =
      floor<minutes>(std::chrono::sys_time<milliseconds>{milliseconds{unix_ms}} + kChinaOffset);
  const sys_days day = floor<days>(local);
  const std::chrono::year_month_day date{day};
  const std::chrono::hh_mm_ss<minutes> time{local - day};
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%04d-%02u-%02u %02d:%02d", static_cast<int>(date.year()),
                static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()),
                static_cast<int>(time.hours().count()), static_cast<int>(time.minutes().count()));
  return buf;
}

}  // namespace sortline::label::internal
