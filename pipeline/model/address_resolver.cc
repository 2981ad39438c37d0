#include "pipeline/model/address_resolver.h"

#include <algorithm>
#include <array>
#include <unordered_map>
#include <utility>
#include <vector>

#include "pipeline/base/text.h"

namespace sortline::model {
namespace {

// The 55 minority nationalities as autonomous divisions name them, longest first so that
// "土家" is found before "土".
constexpr std::array<std::string_view, 55> kEthnicGroups = {
    "柯尔克孜", "乌孜别克", "达斡尔", "鄂伦春", "鄂温克", "哈萨克", "塔吉克", "塔塔尔",
    "俄罗斯",   "维吾尔",   "蒙古",   "朝鲜",   "土家",   "哈尼",   "傈僳",   "拉祜",
    "东乡",     "纳西",     "景颇",   "仫佬",   "布朗",   "撒拉",   "毛南",   "仡佬",
    "锡伯",     "阿昌",     "普米",   "德昂",   "保安",   "裕固",   "独龙",   "赫哲",
    "门巴",     "珞巴",     "基诺",   "布依",   "高山",   "回",     "藏",     "苗",
    "彝",       "壮",       "满",     "侗",     "瑶",     "白",     "傣",     "黎",
    "佤",       "畲",       "水",     "土",     "羌",     "怒",     "京"};

// Administrative suffixes, longest first.
constexpr std::array<std::string_view, 16> kSuffixes = {
    "维吾尔自治区", "特别行政区", "自治区", "自治州", "自治县", "自治旗", "地区", "林区",
    "新区",         "矿区",       "省",     "市",     "盟",     "区",     "县",   "旗"};

// Characters of a name an error message shows.
constexpr size_t kMaxEchoedName = 32;

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// One county of the table with the names an address would use for it.
struct County {
  std::string code;
  DivisionPath path;
  std::string province_short;
  std::string city_short;
};

bool Matches(std::string_view given, const std::string& full, const std::string& short_form) {
  return given.empty() || given == full || given == short_form;
}

std::string_view Trim(std::string_view s) {
  const std::string_view space = " \t\r\n";
  size_t first = s.find_first_not_of(space);
  if (first == std::string_view::npos) return {};
  size_t last = s.find_last_not_of(space);
  return s.substr(first, last - first + 1);
}

class AddressResolverImpl final : public AddressResolver {
 public:
  explicit AddressResolverImpl(const DivisionTable& divisions) {
    const std::vector<const Division*>& counties = divisions.Counties();
    counties_.reserve(counties.size());
    for (const Division* d : counties) {
      County county;
      county.code = d->code;
      county.path = divisions.PathOf(d->code);
      county.province_short = ShortName(county.path.province);
      county.city_short = ShortName(county.path.city);
      const uint32_t index = static_cast<uint32_t>(counties_.size());
      by_district_.emplace(county.path.county, index);
      std::string short_county = ShortName(county.path.county);
      if (short_county != county.path.county) by_district_.emplace(std::move(short_county), index);
      counties_.push_back(std::move(county));
    }
  }

  Result<std::string> Resolve(std::string_view province, std::string_view city,
                              std::string_view district) const override {
    province = Trim(province);
    city = Trim(city);
    district = Trim(district);
    // A county-level city under its province is its own district.
    const bool city_as_district = district.empty();
    const std::string_view key = city_as_district ? city : district;
    if (key.empty()) return NotFound("address has no district");
    std::vector<uint32_t> found;
    auto [begin, end] = by_district_.equal_range(std::string(key));
    for (auto it = begin; it != end; ++it) {
      const County& c = counties_[it->second];
      if (city_as_district && c.path.city != c.path.county) continue;
      if (!Matches(province, c.path.province, c.province_short)) continue;
      if (!city_as_district && !Matches(city, c.path.city, c.city_short)) continue;
      if (std::find(found.begin(), found.end(), it->second) == found.end()) {
        found.push_back(it->second);
      }
    }
    if (found.size() == 1) return counties_[found[0]].code;
    // The names come from the order: echoed, so a reason stays one short line of UTF-8.
    const std::string where =
        (province.empty() ? "" : " in " + Echo(province, kMaxEchoedName)) +
        (city.empty() || city_as_district ? "" : " " + Echo(city, kMaxEchoedName));
    if (found.empty()) {
      return NotFound("no " + std::string(city_as_district ? "county-level city" : "county") +
                      " named " + Echo(key, kMaxEchoedName) + where);
    }
    std::sort(found.begin(), found.end());
    std::string message = "ambiguous address: " + Echo(key, kMaxEchoedName) + where + " is";
    for (size_t i = 0; i < found.size(); ++i) {
      const County& c = counties_[found[i]];
      message += (i == 0 ? " " : ", ") + c.code + " (" + c.path.city + ")";
    }
    return InvalidArgument(std::move(message));
  }

 private:
  std::vector<County> counties_;
  std::unordered_multimap<std::string, uint32_t> by_district_;  // full and short names
};

}  // namespace

std::string AddressResolver::ShortName(std::string_view name) {
  // Autonomous divisions: the place name before the first nationality ("延边朝鲜族自治州").
  const size_t zu = name.find("族");
  if (zu != std::string_view::npos) {
    for (std::string_view group : kEthnicGroups) {
      if (zu >= group.size() && name.substr(zu - group.size(), group.size()) == group) {
        // Several nationalities may be listed ("恩施土家族苗族自治州"): keep the place name.
        size_t start = zu - group.size();
        std::string_view head = name.substr(0, start);
        if (CountCodePoints(head) >= 2) return std::string(head);
        break;
      }
    }
  }
  for (std::string_view suffix : kSuffixes) {
    if (EndsWith(name, suffix)) {
      std::string_view head = name.substr(0, name.size() - suffix.size());
      if (CountCodePoints(head) >= 2) return std::string(head);
      break;
    }
  }
  return std::string(name);
}

std::unique_ptr<AddressResolver> AddressResolver::Create(const DivisionTable& divisions) {
  return std::make_unique<AddressResolverImpl>(divisions);
}

}  // namespace sortline::model
