#include "pipeline/model/orders.h"

#include <algorithm>
#include <array>
#include <cstdio>
#include <utility>

#include <google/protobuf/util/json_util.h>

#include "pipeline/base/text.h"
#include "pipeline/model/s10.h"

namespace sortline::model {
namespace {

// Characters of a JSON parser message kept in a reason (it quotes input values).
constexpr size_t kMaxParserMessage = 160;

}  // namespace

Result<v1::Order> ParseOrderJson(std::string_view line) {
  v1::Order order;
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = false;
  auto status = google::protobuf::util::JsonStringToMessage(
      google::protobuf::StringPiece(line.data(), line.size()), &order, options);
  if (!status.ok()) {
    // The parser's message may go on with a snippet of the input and a caret line.
    std::string_view message(status.message().data(), status.message().size());
    message = message.substr(0, message.find('\n'));
    return InvalidArgument("order JSON: " + Echo(message, kMaxParserMessage));
  }
  return order;
}

std::string OrderToJson(const v1::Order& order) {
  std::string out;
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = false;
  if (!google::protobuf::util::MessageToJsonString(order, &out, options).ok()) out.clear();
  return out;
}

bool IsValidOrderId(std::string_view id) {
  if (id.empty() || id.size() > 64 || id.front() == '.') return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '-';
  });
}

namespace {

bool IsBlank(std::string_view s) {
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; });
}

bool IsDigits(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

Status ValidateDivisionCode(std::string_view code, const DivisionTable& divisions) {
  if ((code.size() != 6 && code.size() != 9) || !IsDigits(code)) {
    return InvalidArgument("division code " + EchoQuoted(code) + " is not 6 or 9 digits");
  }
  if (divisions.Find(code) != nullptr) return Status::Ok();
  // A table loaded without towns cannot vouch for a town; its county must do.
  if (code.size() == 9 && divisions.Find(code.substr(0, 6)) != nullptr &&
      divisions.TownsOf(code.substr(0, 6)).empty()) {
    return Status::Ok();
  }
  return InvalidArgument("unknown division code " + std::string(code));
}

}  // namespace

Status ValidateOrder(const v1::Order& order, const DivisionTable& divisions) {
  if (!IsValidOrderId(order.order_id())) {
    return InvalidArgument("invalid order id " + EchoQuoted(order.order_id()) +
                           " (1 to 64 of A-Z a-z 0-9 . _ -, not starting with .)");
  }
  const v1::Address& to = order.recipient();
  if (IsBlank(to.name())) return InvalidArgument("recipient name is empty");
  if (to.division_code().empty()) {
    if (IsBlank(to.province()) && IsBlank(to.city()) && IsBlank(to.district())) {
      return InvalidArgument(
          "recipient address is empty (no division code and no province, city or district)");
    }
  } else {
    SORTLINE_RETURN_IF_ERROR(ValidateDivisionCode(to.division_code(), divisions));
  }
  const v1::Parcel& parcel = order.parcel();
  if (parcel.weight_g() <= 0) return InvalidArgument("weight must be positive");
  if (parcel.length_mm() < 0 || parcel.width_mm() < 0 || parcel.height_mm() < 0) {
    return InvalidArgument("dimensions must not be negative");
  }
  if (parcel.declared_value_fen() < 0) {
    return InvalidArgument("negative parcel.declared_value_fen: " +
                           std::to_string(parcel.declared_value_fen()));
  }
  if (parcel.cod_fen() < 0) {
    return InvalidArgument("negative parcel.cod_fen: " + std::to_string(parcel.cod_fen()));
  }
  if (!order.tracking_number().empty()) {
    Status s10 = ValidateS10(order.tracking_number());
    if (!s10.ok()) return InvalidArgument("bad tracking number: " + s10.message());
  }
  return Status::Ok();
}

namespace {

Status OverLimit(std::string_view field, int64_t value, int64_t limit, std::string_view unit) {
  return InvalidArgument("implausible " + std::string(field) + ": " + std::to_string(value) + " " +
                         std::string(unit) + " is over the limit of " + std::to_string(limit) +
                         " " + std::string(unit));
}

Status CheckText(std::string_view field, const std::string& value, uint32_t limit) {
  if (value.size() <= limit) return Status::Ok();
  return OverLimit(field, static_cast<int64_t>(value.size()), limit, "bytes");
}

Status CheckAddressText(std::string_view who, const v1::Address& address, uint32_t limit) {
  const std::string prefix(who);
  SORTLINE_RETURN_IF_ERROR(CheckText(prefix + ".name", address.name(), limit));
  SORTLINE_RETURN_IF_ERROR(CheckText(prefix + ".phone", address.phone(), limit));
  SORTLINE_RETURN_IF_ERROR(CheckText(prefix + ".division_code", address.division_code(), limit));
  SORTLINE_RETURN_IF_ERROR(CheckText(prefix + ".province", address.province(), limit));
  SORTLINE_RETURN_IF_ERROR(CheckText(prefix + ".city", address.city(), limit));
  SORTLINE_RETURN_IF_ERROR(CheckText(prefix + ".district", address.district(), limit));
  SORTLINE_RETURN_IF_ERROR(CheckText(prefix + ".street", address.street(), limit));
  return CheckText(prefix + ".detail", address.detail(), limit);
}

}  // namespace

Status CheckOrderLimits(const v1::Order& order, const OrderLimits& limits) {
  const v1::Parcel& parcel = order.parcel();
  if (parcel.weight_g() > limits.max_weight_g) {
    return OverLimit("parcel.weight_g", parcel.weight_g(), limits.max_weight_g, "g");
  }
  const std::pair<const char*, int32_t> sides[] = {{"parcel.length_mm", parcel.length_mm()},
                                                   {"parcel.width_mm", parcel.width_mm()},
                                                   {"parcel.height_mm", parcel.height_mm()}};
  for (const auto& [field, side] : sides) {
    if (side > limits.max_side_mm) return OverLimit(field, side, limits.max_side_mm, "mm");
  }
  if (parcel.declared_value_fen() > limits.max_value_fen) {
    return OverLimit("parcel.declared_value_fen", parcel.declared_value_fen(), limits.max_value_fen,
                     "fen");
  }
  if (parcel.cod_fen() > limits.max_value_fen) {
    return OverLimit("parcel.cod_fen", parcel.cod_fen(), limits.max_value_fen, "fen");
  }
  const int64_t created = order.created_unix_ms();
  if (created != 0 && created < limits.min_created_unix_ms) {
    return InvalidArgument("implausible created_unix_ms: " + std::to_string(created) +
                           " ms is before the limit of " +
                           std::to_string(limits.min_created_unix_ms) + " ms");
  }
  if (created != 0 && created >= limits.max_created_unix_ms) {
    return InvalidArgument("implausible created_unix_ms: " + std::to_string(created) +
                           " ms is not before the limit of " +
                           std::to_string(limits.max_created_unix_ms) + " ms");
  }
  SORTLINE_RETURN_IF_ERROR(CheckText("merchant", order.merchant(), limits.max_text_bytes));
  SORTLINE_RETURN_IF_ERROR(CheckAddressText("sender", order.sender(), limits.max_text_bytes));
  SORTLINE_RETURN_IF_ERROR(CheckAddressText("recipient", order.recipient(), limits.max_text_bytes));
  return CheckText("parcel.contents", parcel.contents(), limits.max_text_bytes);
}

// ---------------------------------------------------------------------------------------
// OrderGenerator

namespace {

// Portable pseudo-random numbers (splitmix64). The std distributions are not used
// because their output differs between standard libraries, and the same seed must give
// the same orders everywhere.
uint64_t Mix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}
  uint64_t Next() {
    uint64_t out = Mix64(state_);
    state_ += 0x9e3779b97f4a7c15ULL;
    return out;
  }
  // Uniform in [0, n). REQUIRES: n > 0.
  uint64_t Below(uint64_t n) {
    return static_cast<uint64_t>((static_cast<unsigned __int128>(Next()) * n) >> 64);
  }
  // Uniform in [lo, hi].
  int Between(int lo, int hi) {
    return lo + static_cast<int>(Below(static_cast<uint64_t>(hi - lo + 1)));
  }
  // Uniform in [0, 1).
  double Unit() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }
  template <typename T, size_t N>
  const T& Pick(const std::array<T, N>& items) {
    return items[Below(N)];
  }

 private:
  uint64_t state_;
};

// Resident population by province, 2020 census, in ten thousands.
struct ProvincePopulation {
  const char* code;
  int population;
};
constexpr std::array<ProvincePopulation, 31> kPopulation = {{
    {"11", 2189},  {"12", 1387}, {"13", 7461},  {"14", 3492}, {"15", 2405}, {"21", 4259},
    {"22", 2407},  {"23", 3185}, {"31", 2487},  {"32", 8475}, {"33", 6457}, {"34", 6103},
    {"35", 4154},  {"36", 4519}, {"37", 10153}, {"41", 9937}, {"42", 5775}, {"43", 6644},
    {"44", 12601}, {"45", 5013}, {"46", 1008},  {"50", 3205}, {"51", 8367}, {"52", 3856},
    {"53", 4721},  {"54", 365},  {"61", 3953},  {"62", 2502}, {"63", 592},  {"64", 720},
    {"65", 2585},
}};
// An urban district (区) weighs this many counties: parcels go where people live.
constexpr double kDistrictWeight = 3.0;

enum class Keeping { kFresh, kCold, kDry };

// What a farm sells. Fresh and cold produce is sold by the jin (500 g), dry goods by
// the gram.
struct Product {
  const char* name;
  Keeping keeping;
  bool by_jin;
  std::array<int, 4> quantities;  // jin or grams
  int price_fen;                  // per jin, or per 100 g
};

struct Farm {
  const char* town_code;  // 9 digits; its first six name the county
  const char* detail;
  std::array<Product, 2> products;
};

constexpr std::array<Farm, 8> kFarms = {{
    {"610124104",
     "殿镇村 周至县猕猴桃专业合作社 1号冷库",
     {{{"猕猴桃", Keeping::kFresh, true, {3, 5, 10, 20}, 600},
       {"猕猴桃干", Keeping::kDry, false, {250, 500, 1000, 1500}, 800}}}},
    {"610502116",
     "官道村 临渭葡萄产业园 分拣中心",
     {{{"阳光玫瑰葡萄", Keeping::kFresh, true, {2, 4, 6, 10}, 1500},
       {"羊奶粉", Keeping::kDry, false, {400, 800, 1200, 1600}, 1200}}}},
    {"610526104",
     "党睦村 蒲城酥梨合作社 2号库",
     {{{"酥梨", Keeping::kFresh, true, {5, 10, 15, 25}, 350},
       {"秋梨膏", Keeping::kDry, false, {300, 500, 600, 1000}, 900}}}},
    {"610527105",
     "林皋村 白水苹果基地 发货部",
     {{{"红富士苹果", Keeping::kFresh, true, {5, 10, 20, 25}, 450},
       {"苹果脆片", Keeping::kDry, false, {250, 500, 750, 1000}, 700}}}},
    {"610528101",
     "庄里村 富平柿饼厂 成品库",
     {{{"富平尖柿", Keeping::kFresh, true, {3, 5, 8, 10}, 500},
       {"柿饼", Keeping::kDry, false, {500, 1000, 1500, 2500}, 500}}}},
    {"450802101",
     "大圩村 贵港沙田柚种植基地",
     {{{"沙田柚", Keeping::kFresh, true, {5, 10, 15, 20}, 400},
       {"藕粉", Keeping::kDry, false, {300, 500, 1000, 2000}, 600}}}},
    {"450881118",
     "西山村 桂平荔枝龙眼合作社 冷链仓",
     {{{"荔枝", Keeping::kCold, true, {2, 3, 5, 10}, 1800},
       {"西山茶", Keeping::kDry, false, {250, 250, 500, 500}, 3000}}}},
    {"450821101",
     "平山村 平南砂糖橘园 3号棚",
     {{{"砂糖橘", Keeping::kFresh, true, {5, 9, 15, 25}, 500},
       {"石硖龙眼", Keeping::kCold, true, {2, 3, 5, 8}, 1200}}}},
}};

constexpr std::array<const char*, 80> kSurnames = {
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭",
    "何", "高", "林", "罗", "郑", "梁", "谢", "宋", "唐", "许", "韩", "冯", "邓", "曹", "彭", "曾",
    "肖", "田", "董", "袁", "潘", "于", "蒋", "蔡", "余", "杜", "叶", "程", "苏", "魏", "吕", "丁",
    "任", "沈", "姚", "卢", "姜", "崔", "钟", "谭", "陆", "汪", "范", "金", "石", "廖", "贾", "夏",
    "韦", "付", "方", "白", "邹", "孟", "熊", "秦", "邱", "江", "尹", "薛", "闫", "段", "雷", "覃"};
constexpr std::array<const char*, 64> kGivenChars = {
    "伟", "芳", "娜", "秀", "英", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟",
    "涛", "明", "超", "兰", "霞", "平", "刚", "桂", "华", "文", "红", "玉", "志", "婷", "建", "国",
    "海", "鹏", "欣", "宇", "浩", "梅", "晨", "雪", "琳", "斌", "辉", "燕", "波", "宁", "凯", "倩",
    "俊", "佳", "慧", "丹", "亮", "萍", "飞", "阳", "春", "子", "嘉", "怡", "睿", "博", "瑶", "峰"};
constexpr std::array<const char*, 16> kRoads = {
    "人民路", "解放路", "中山路", "建设路", "朝阳路", "幸福路", "文化路", "和平路",
    "新华路", "胜利路", "长江路", "黄河路", "团结路", "光明街", "民主路", "育才路"};
constexpr std::array<const char*, 16> kVillages = {
    "新民村", "红星村", "前进村", "东风村", "向阳村", "和平村", "团结村", "光明村",
    "王家村", "李家村", "张庄村", "刘庄村", "新庄村", "大河村", "石桥村", "白杨村"};

// China Post carton sizes No. 12 (smallest) to No. 1, with the weight each is picked for.
struct Carton {
  int max_weight_g;
  int length_mm;
  int width_mm;
  int height_mm;
};
constexpr std::array<Carton, 12> kCartons = {{
    {500, 130, 80, 90},
    {800, 145, 85, 105},
    {1200, 175, 95, 115},
    {1800, 195, 105, 135},
    {2500, 210, 110, 140},
    {3500, 230, 130, 160},
    {5000, 260, 150, 180},
    {6500, 290, 170, 190},
    {8000, 350, 190, 230},
    {10000, 430, 210, 270},
    {12500, 530, 230, 290},
    {1 << 30, 530, 290, 370},
}};

constexpr int kMinWeightG = 300;
constexpr int kMaxWeightG = 15000;
constexpr int64_t kOrderSpacingMs = 50;  // mean gap between consecutive orders

std::string PersonName(Rng& rng) {
  std::string name = rng.Pick(kSurnames);
  name += rng.Pick(kGivenChars);
  if (rng.Below(10) < 7) name += rng.Pick(kGivenChars);
  return name;
}

std::string MobilePhone(Rng& rng) {
  std::string phone = "1";
  phone += static_cast<char>('3' + rng.Below(7));
  for (int i = 0; i < 9; ++i) phone += static_cast<char>('0' + rng.Below(10));
  return phone;
}

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// House, building and room in a city; village and group in the countryside.
std::string AddressDetail(Rng& rng, std::string_view town) {
  std::string detail;
  if (EndsWith(town, "镇") || EndsWith(town, "乡")) {
    detail = rng.Pick(kVillages);
    detail += std::to_string(rng.Between(1, 12)) + "组" + std::to_string(rng.Between(1, 80)) + "号";
  } else {
    detail = rng.Pick(kRoads);
    detail += std::to_string(rng.Between(1, 399)) + "号" + std::to_string(rng.Between(1, 20)) +
              "栋" + std::to_string(rng.Between(1, 6)) + "单元" +
              std::to_string(rng.Between(1, 33)) + "0" + std::to_string(rng.Between(1, 4)) + "室";
  }
  return detail;
}

void FillAddress(const DivisionTable& divisions, std::string code, v1::Address* address) {
  DivisionPath path = divisions.PathOf(code);
  address->set_division_code(std::move(code));
  address->set_province(std::move(path.province));
  address->set_city(std::move(path.city));
  address->set_district(std::move(path.county));
  address->set_street(std::move(path.town));
}

}  // namespace

OrderGenerator::OrderGenerator(const DivisionTable& divisions, GeneratorOptions options)
    : divisions_(divisions), options_(std::move(options)) {
  const std::vector<const Division*>& counties = divisions_.Counties();
  // Each province gets its population's share; within it, districts weigh more.
  std::vector<double> province_units(100, 0.0);
  for (const Division* county : counties) {
    province_units[static_cast<size_t>(std::stoi(county->code.substr(0, 2)))] +=
        EndsWith(county->name, "区") ? kDistrictWeight : 1.0;
  }
  std::vector<double> population(100, 0.0);
  for (const ProvincePopulation& p : kPopulation) {
    population[static_cast<size_t>(std::stoi(p.code))] = p.population;
  }
  cumulative_weight_.reserve(counties.size());
  double total = 0.0;
  for (const Division* county : counties) {
    size_t province = static_cast<size_t>(std::stoi(county->code.substr(0, 2)));
    // A province missing from the census list counts as a mid-sized one.
    double people = population[province] > 0 ? population[province] : 3000.0;
    double units = EndsWith(county->name, "区") ? kDistrictWeight : 1.0;
    total += people * units / province_units[province];
    cumulative_weight_.push_back(total);
  }
  if (options_.with_towns) {
    towns_by_county_.reserve(counties.size());
    for (const Division* county : counties) {
      towns_by_county_.push_back(divisions_.TownsOf(county->code));
    }
  }
  for (const Farm& farm : kFarms) {
    // Without towns in the table the farm is addressed by its county.
    std::string code = farm.town_code;
    if (divisions_.Find(code) == nullptr) code.resize(6);
    if (divisions_.Find(code) == nullptr) code.clear();
    sender_codes_.push_back(std::move(code));
  }
}

v1::Order OrderGenerator::Generate(uint64_t index) {
  Rng rng(Mix64(options_.seed) ^ Mix64(index ^ 0x5d1e5a0b5e77a3c1ULL));
  v1::Order order;

  char id_digits[24];
  std::snprintf(id_digits, sizeof id_digits, "%09llu", static_cast<unsigned long long>(index));
  order.set_order_id(options_.order_id_prefix + id_digits);
  order.set_merchant(options_.merchant);
  order.set_created_unix_ms(options_.start_unix_ms + static_cast<int64_t>(index) * kOrderSpacingMs +
                            static_cast<int64_t>(rng.Below(kOrderSpacingMs)));

  // What is shipped, and from which farm.
  const bool perishable = rng.Unit() < options_.perishable_share;
  auto matches = [perishable](const Product& p) {
    return (p.keeping != Keeping::kDry) == perishable;
  };
  size_t candidates = 0;
  for (const Farm& farm : kFarms) {
    candidates +=
        static_cast<size_t>(std::count_if(farm.products.begin(), farm.products.end(), matches));
  }
  size_t pick_product = rng.Below(candidates);
  size_t farm_index = 0;
  const Product* product = nullptr;
  for (size_t f = 0; f < kFarms.size() && product == nullptr; ++f) {
    for (const Product& candidate : kFarms[f].products) {
      if (matches(candidate) && pick_product-- == 0) {
        farm_index = f;
        product = &candidate;
        break;
      }
    }
  }
  const int quantity = product->quantities[rng.Below(product->quantities.size())];
  int net_g = product->by_jin ? quantity * 500 : quantity;
  int weight_g =
      std::clamp(net_g + rng.Between(net_g / 20 + 40, net_g / 10 + 200), kMinWeightG, kMaxWeightG);

  if (product->keeping == Keeping::kCold) {
    order.set_service(v1::SERVICE_COLD_CHAIN);
  } else if (product->keeping == Keeping::kFresh) {
    order.set_service(v1::SERVICE_FRESH_PRODUCE);
  } else {
    uint64_t roll = rng.Below(100);
    order.set_service(roll < 60   ? v1::SERVICE_STANDARD
                      : roll < 85 ? v1::SERVICE_EXPRESS
                                  : v1::SERVICE_ECONOMY);
  }

  // Recipient: a county drawn by weight, then one of its towns.
  const std::vector<const Division*>& counties = divisions_.Counties();
  v1::Address* to = order.mutable_recipient();
  to->set_name(PersonName(rng));
  to->set_phone(MobilePhone(rng));
  if (!counties.empty()) {
    double pick = rng.Unit() * cumulative_weight_.back();
    size_t county = static_cast<size_t>(
        std::upper_bound(cumulative_weight_.begin(), cumulative_weight_.end(), pick) -
        cumulative_weight_.begin());
    county = std::min(county, counties.size() - 1);
    std::string code = counties[county]->code;
    if (options_.with_towns && !towns_by_county_[county].empty()) {
      const auto& towns = towns_by_county_[county];
      code = towns[rng.Below(towns.size())]->code;
    }
    FillAddress(divisions_, std::move(code), to);
  }
  to->set_detail(AddressDetail(rng, to->street()));

  const Farm& farm = kFarms[farm_index];
  v1::Address* from = order.mutable_sender();
  from->set_name(PersonName(rng));
  from->set_phone(MobilePhone(rng));
  if (!sender_codes_[farm_index].empty()) FillAddress(divisions_, sender_codes_[farm_index], from);
  from->set_detail(farm.detail);

  v1::Parcel* parcel = order.mutable_parcel();
  parcel->set_weight_g(weight_g);
  const Carton& carton = *std::find_if(kCartons.begin(), kCartons.end(),
                                       [&](const Carton& c) { return weight_g <= c.max_weight_g; });
  parcel->set_length_mm(carton.length_mm);
  parcel->set_width_mm(carton.width_mm);
  parcel->set_height_mm(carton.height_mm);
  const int64_t value_fen = product->by_jin ? int64_t{quantity} * product->price_fen
                                            : int64_t{quantity} * product->price_fen / 100;
  parcel->set_declared_value_fen(value_fen);
  if (rng.Below(100) < 3) parcel->set_cod_fen(value_fen);
  parcel->set_contents(std::string(product->name) + " " + std::to_string(quantity) +
                       (product->by_jin ? "斤" : "g"));
  parcel->set_perishable(perishable);
  return order;
}

}  // namespace sortline::model
