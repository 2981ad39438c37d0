#include "pipeline/model/divisions.h"

#include <algorithm>
#include <string>
#include <unordered_map>
#include <utility>

#include "pipeline/model/csv.h"

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
  uint64_t value = 0;
  for (char c : code) {
    if (c < '0' || c > '9') return 0;
    value = value * 10 + static_cast<uint64_t>(c - '0');
  }
  return (static_cast<uint64_t>(code.size()) << 32) | value;
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
    int code_col = -1;
    int name_col = -1;
    int parent_col = -1;
    bool header = true;
    std::unordered_map<uint64_t, size_t> first_line;
    SORTLINE_RETURN_IF_ERROR(ReadCsvFile(path, [&](const CsvRow& row) -> Status {
      const std::string where = path + ":" + std::to_string(row.line) + ": ";
      if (header) {
        header = false;
        for (size_t i = 0; i < row.fields.size(); ++i) {
          const std::string& column = row.fields[i];
          if (column == "code") code_col = static_cast<int>(i);
          if (column == "name") name_col = static_cast<int>(i);
          if (spec.parent_column != nullptr && column == spec.parent_column) {
            parent_col = static_cast<int>(i);
          }
        }
        if (code_col < 0 || name_col < 0 || (spec.parent_column != nullptr && parent_col < 0)) {
          return InvalidArgument(where + "the header must name the columns code, name" +
                                 (spec.parent_column != nullptr
                                      ? std::string(" and ") + spec.parent_column
                                      : std::string()));
        }
        return Status::Ok();
      }
      const int needed = std::max({code_col, name_col, parent_col});
      if (static_cast<int>(row.fields.size()) <= needed) {
        return InvalidArgument(where + "expected " + std::to_string(needed + 1) + " fields, got " +
                               std::to_string(row.fields.size()));
      }
      const std::string& code = row.fields[static_cast<size_t>(code_col)];
      const std::string& name = row.fields[static_cast<size_t>(name_col)];
      if (code.size() != code_size || CodeKey(code) == 0) {
        return InvalidArgument(where + "code \"" + code + "\" is not " + std::to_string(code_size) +
                               " digits");
      }
      if (name.empty()) return InvalidArgument(where + "division " + code + " has no name");
      if (parent_col >= 0) {
        const std::string& parent = row.fields[static_cast<size_t>(parent_col)];
        if (code.compare(0, parent.size(), parent) != 0 || Find(parent) == nullptr) {
          return InvalidArgument(where + "division " + code + " names parent \"" + parent +
                                 "\", which is not its prefix in the table");
        }
      }
      auto [first, inserted] = first_line.emplace(CodeKey(code), row.line);
      if (!inserted) {
        return InvalidArgument(where + "duplicate division code " + code + " (first on line " +
                               std::to_string(first->second) + ")");
      }
      out->push_back(Division{code, name, spec.level});
      return Status::Ok();
    }));
    if (header) return InvalidArgument(path + ":1: the file is empty");
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
