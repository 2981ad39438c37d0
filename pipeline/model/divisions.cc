#include "pipeline/model/divisions.h"

#include <algorithm>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <utility>

#include "pipeline/base/text.h"
#include "pipeline/csv/table.h"

namespace sortline::model {
namespace {

// Cities with these names are placeholders, not cities: the districts and counties of
// the four municipalities (北京市, 天津市, 上海市, 重庆市) sit under "市辖区" and "县".
bool IsMunicipalityPlaceholder(std::string_view name) { return name == "市辖区" || name == "县"; }

// County-level cities administered directly by the province (济源市, 仙桃市, 石河子市...)
// sit under a placeholder "city" named after that arrangement.
bool IsDirectlyAdministeredPlaceholder(std::string_view name) {
  return name == "省直辖县级行政区划" || name == "自治区直辖县级行政区划";
}

// Codes are keyed by (length, value) so that codes of different levels never collide.
// Returns 0 when `code` is not 2, 4, 6 or 9 ASCII digits.
uint64_t CodeKey(std::string_view code) {
  if (code.size() != 2 && code.size() != 4 && code.size() != 6 && code.size() != 9) return 0;
  const std::optional<uint64_t> value = ParseDigits(code);
  if (!value.has_value()) return 0;
  return (static_cast<uint64_t>(code.size()) << 32) | *value;
}

// One of the four CSV files of the table.
struct FileSpec {
  const char* file;
  DivisionLevel level;
  const char* parent_column;  // the code of the level above; nullptr for provinces
};

class DivisionTableImpl final : public DivisionTable {
 public:
  Status LoadAll(const std::string& dir, bool with_towns) {
    by_code_.reserve(with_towns ? 48 * 1024 : 4 * 1024);
    SORTLINE_RETURN_IF_ERROR(
        LoadFile(dir, {"provinces.csv", DivisionLevel::kProvince, nullptr}, &provinces_));
    SORTLINE_RETURN_IF_ERROR(
        LoadFile(dir, {"cities.csv", DivisionLevel::kCity, "provinceCode"}, &cities_));
    SORTLINE_RETURN_IF_ERROR(
        LoadFile(dir, {"areas.csv", DivisionLevel::kCounty, "cityCode"}, &counties_store_));
    if (with_towns) {
      SORTLINE_RETURN_IF_ERROR(
          LoadFile(dir, {"streets.csv", DivisionLevel::kTown, "areaCode"}, &towns_));
    }
    counties_.reserve(counties_store_.size());
    for (const Division& d : counties_store_) counties_.push_back(&d);
    // Towns are sorted by code, so the towns of a county form one contiguous run.
    for (size_t i = 0; i < towns_.size(); ++i) {
      uint64_t county = CodeKey(std::string_view(towns_[i].code).substr(0, 6));
      auto [it, inserted] = town_runs_.emplace(county, std::pair<size_t, size_t>{i, i + 1});
      if (!inserted) it->second.second = i + 1;
    }
    return Status::Ok();
  }

  const Division* Find(std::string_view code) const override {
    auto it = by_code_.find(CodeKey(code));
    return it == by_code_.end() ? nullptr : it->second;
  }

  DivisionPath PathOf(std::string_view code) const override {
    DivisionPath path;
    if (code.size() < 6) return path;
    const Division* province = Find(code.substr(0, 2));
    const Division* city = Find(code.substr(0, 4));
    const Division* county = Find(code.substr(0, 6));
    if (province != nullptr) path.province = province->name;
    if (county != nullptr) path.county = county->name;
    if (city != nullptr) {
      if (IsMunicipalityPlaceholder(city->name)) {
        path.city = path.province;
      } else if (IsDirectlyAdministeredPlaceholder(city->name)) {
        path.city = path.county;
      } else {
        path.city = city->name;
      }
    }
    if (code.size() == 9) {
      const Division* town = Find(code);
      if (town != nullptr) path.town = town->name;
    }
    return path;
  }

  const std::vector<const Division*>& Counties() const override { return counties_; }

  std::vector<const Division*> TownsOf(std::string_view county_code) const override {
    std::vector<const Division*> towns;
    if (county_code.size() != 6) return towns;
    auto it = town_runs_.find(CodeKey(county_code));
    if (it == town_runs_.end()) return towns;
    towns.reserve(it->second.second - it->second.first);
    for (size_t i = it->second.first; i < it->second.second; ++i) towns.push_back(&towns_[i]);
    return towns;
  }

  size_t size() const override { return by_code_.size(); }

 private:
  // Reads one level into `out`, sorts it by code and indexes it. The level above must
  // be loaded already: every row's parent code is checked against it.
  Status LoadFile(const std::string& dir, const FileSpec& spec, std::vector<Division>* out) {
    const std::string path = dir + "/" + spec.file;
    const size_t code_size = static_cast<size_t>(spec.level);
    enum { kCode, kName, kParent };
    const bool has_parent = spec.parent_column != nullptr;
    const csv::Column columns[] = {
        {"code", true}, {"name", true}, {has_parent ? spec.parent_column : "", true}};
    const std::span<const csv::Column> known(columns, has_parent ? 3 : 2);
    const std::string_view file(spec.file);
    const std::string_view table = file.substr(0, file.find('.'));  // "cities" for messages
    std::optional<csv::Header> header;
    std::unordered_map<uint64_t, size_t> first_line;
    SORTLINE_RETURN_IF_ERROR(csv::ReadCsvFile(path, [&](const csv::CsvRow& record) -> Status {
      if (!header.has_value()) {
        std::vector<std::string> problems;
        header.emplace(path, table, known, record, csv::Header::Unknown::kIgnored, &problems);
        if (!problems.empty()) return InvalidArgument(problems.front());
        return Status::Ok();
      }
      const csv::Row row(*header, record, nullptr);
      const std::string where = csv::Where(path, row.line());
      if (row.size() < header->width()) {
        return InvalidArgument(where + "expected " + std::to_string(header->width()) +
                               " fields, got " + std::to_string(row.size()));
      }
      const std::string code(row[kCode]);
      const std::string name(row[kName]);
      if (code.size() != code_size || CodeKey(code) == 0) {
        return InvalidArgument(where + "code \"" + code + "\" is not " + std::to_string(code_size) +
                               " digits");
      }
      if (name.empty()) return InvalidArgument(where + "division " + code + " has no name");
      if (has_parent) {
        const std::string_view parent = row[kParent];
        if (code.compare(0, parent.size(), parent) != 0 || Find(parent) == nullptr) {
          return InvalidArgument(where + "division " + code + " names parent \"" +
                                 std::string(parent) + "\", which is not its prefix in the table");
        }
      }
      auto [first, inserted] = first_line.emplace(CodeKey(code), row.line());
      if (!inserted) {
        return InvalidArgument(where + "duplicate division code " + code + " (first on line " +
                               std::to_string(first->second) + ")");
      }
      out->push_back(Division{code, name, spec.level});
      return Status::Ok();
    }));
    if (!header.has_value()) return InvalidArgument(csv::Where(path, 1) + "the file is empty");
    std::sort(out->begin(), out->end(),
              [](const Division& a, const Division& b) { return a.code < b.code; });
    for (const Division& d : *out) by_code_.emplace(CodeKey(d.code), &d);
    return Status::Ok();
  }

  // Each store is filled once and never resized after its addresses are taken.
  std::vector<Division> provinces_;
  std::vector<Division> cities_;
  std::vector<Division> counties_store_;
  std::vector<Division> towns_;
  std::unordered_map<uint64_t, const Division*> by_code_;
  std::vector<const Division*> counties_;  // counties_store_ in code order
  std::unordered_map<uint64_t, std::pair<size_t, size_t>> town_runs_;  // county -> [begin, end)
};

}  // namespace

Result<std::unique_ptr<DivisionTable>> DivisionTable::Load(const std::string& dir,
                                                           bool with_towns) {
  auto table = std::make_unique<DivisionTableImpl>();
  SORTLINE_RETURN_IF_ERROR(table->LoadAll(dir, with_towns));
  return std::unique_ptr<DivisionTable>(std::move(table));
}

}  // namespace sortline::model
