#include "pipeline/sort/sort_plan.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <filesystem>
#include <map>
#include <optional>
#include <system_error>
#include <unordered_map>
#include <utility>

#include "pipeline/base/hash.h"
#include "pipeline/base/text.h"
#include "pipeline/model/address_resolver.h"
#include "pipeline/model/csv.h"

namespace sortline::sort {
namespace {

constexpr std::string_view kUtf8Bom = "\xEF\xBB\xBF";
constexpr uint32_t kCountyCodes = 1'000'000;  // every 6-digit code
constexpr int kServices = 6;                  // v1::ServiceClass values 0..5
constexpr uint32_t kAnyService = (1u << kServices) - 1;

// Service names as a plan writes them, indexed by v1::ServiceClass.
constexpr std::array<std::string_view, kServices> kServiceNames = {
    "unspecified", "standard", "express", "economy", "fresh-produce", "cold-chain"};

enum class Kind { kNormal, kOverflow, kReject, kNoRule, kManual };
constexpr std::array<std::string_view, 5> kKindNames = {"normal", "overflow", "reject", "no-rule",
                                                        "manual"};

enum class Table { kRules, kChutes, kGroups, kDoors };

// Where a cell of the plan is, for messages.
struct Where {
  const std::string* file = nullptr;
  size_t line = 0;
};

struct Chute {
  std::string id;
  Kind kind = Kind::kNormal;
  int64_t capacity = 0;
  std::string overflow;
  std::string sort_code;
  std::string dock_door;
  std::string route;
  int64_t exit = 0;  // telegram exit number; 0: none
  Where at;
  int overflow_column = 0;
  int exit_column = 0;
};

struct Door {
  std::string id;
  std::vector<std::string> routes;
  int64_t max_weight_g = 0;
  int64_t max_volume_cm3 = 0;
  std::vector<uint32_t> departures;  // minutes after midnight, ascending
  Where at;
  int routes_column = 0;
};

struct Group {
  std::string name;
  std::vector<uint32_t> chutes;  // indices into the plan's chutes
  Where at;                      // its first row
};

struct Rule {
  std::string prefix;
  uint32_t services = kAnyService;  // bit per v1::ServiceClass
  bool specific = false;            // services were listed
  int64_t max_weight_g = 0;         // 0: no limit
  int64_t max_side_mm = 0;          // 0: no limit
  int64_t precedence = 0;
  std::string sort_code;
  std::string destination;
  std::string group_name;
  std::string dock_door;
  std::string route;
  uint32_t group = 0;  // index into the plan's groups, once resolved
  Where at;
  int group_column = 0;
};

bool IsDigits(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

uint32_t DigitsValue(std::string_view s) {
  uint32_t value = 0;
  for (char c : s) value = value * 10 + static_cast<uint32_t>(c - '0');
  return value;
}

bool IsAlnum(char c) {
  return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

// "710-05-12": hub, station and route, each a non-empty run of letters and digits.
bool IsSortCode(std::string_view code) {
  int segments = 1;
  size_t run = 0;
  for (char c : code) {
    if (c == '-') {
      if (run == 0) return false;
      ++segments;
      run = 0;
    } else if (IsAlnum(c)) {
      ++run;
    } else {
      return false;
    }
  }
  return segments == 3 && run > 0;
}

std::optional<int64_t> ParseInt(std::string_view s) {
  if (s.empty() || s.size() > 12) return std::nullopt;
  bool negative = s[0] == '-';
  if (negative) s.remove_prefix(1);
  if (s.empty() || !IsDigits(s)) return std::nullopt;
  int64_t value = 0;
  for (char c : s) value = value * 10 + (c - '0');
  return negative ? -value : value;
}

// "12.5" times `scale` ("12.5" kg at 1000 -> 12500 g); at most 3 decimals.
std::optional<int64_t> ParseDecimal(std::string_view s, int64_t scale) {
  const size_t dot = s.find('.');
  std::string_view whole = s.substr(0, dot);
  std::string_view fraction =
      dot == std::string_view::npos ? std::string_view() : s.substr(dot + 1);
  if (whole.empty() || whole.size() > 9 || !IsDigits(whole) || fraction.size() > 3 ||
      !IsDigits(fraction) || (dot != std::string_view::npos && fraction.empty())) {
    return std::nullopt;
  }
  int64_t value = static_cast<int64_t>(DigitsValue(whole)) * scale;
  int64_t unit = scale;
  for (char c : fraction) {
    unit /= 10;
    value += (c - '0') * unit;
  }
  return value;
}

// "06:30" -> 390 minutes after midnight.
std::optional<uint32_t> ParseTimeOfDay(std::string_view s) {
  if (s.size() != 5 || s[2] != ':' || !IsDigits(s.substr(0, 2)) || !IsDigits(s.substr(3))) {
    return std::nullopt;
  }
  const uint32_t hours = DigitsValue(s.substr(0, 2));
  const uint32_t minutes = DigitsValue(s.substr(3));
  if (hours > 23 || minutes > 59) return std::nullopt;
  return hours * 60 + minutes;
}

// The pieces of `s` between `separator`s; none for an empty `s`.
std::vector<std::string_view> Split(std::string_view s, char separator) {
  std::vector<std::string_view> pieces;
  while (!s.empty()) {
    const size_t cut = s.find(separator);
    pieces.push_back(s.substr(0, cut));
    if (cut == std::string_view::npos) break;
    s.remove_prefix(cut + 1);
    if (s.empty()) pieces.emplace_back();
  }
  return pieces;
}

// The number at the end of a chute's name when it makes a telegram exit (1..254), else 0.
int64_t ExitFromName(std::string_view name) {
  size_t digits = name.size();
  while (digits > 0 && name[digits - 1] >= '0' && name[digits - 1] <= '9') --digits;
  if (digits == name.size() || name.size() - digits > 6) return 0;
  const uint32_t number = DigitsValue(name.substr(digits));
  return number >= 1 && number <= 254 ? number : 0;
}

// The text with comment lines emptied, so that libcsv never sees them and line numbers
// stay those of the file.
std::string BlankComments(std::string_view text) {
  if (text.substr(0, kUtf8Bom.size()) == kUtf8Bom) text.remove_prefix(kUtf8Bom.size());
  std::string out;
  out.reserve(text.size());
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    size_t next = end == std::string_view::npos ? text.size() : end + 1;
    std::string_view line = text.substr(pos, next - pos);
    size_t first = line.find_first_not_of(" \t");
    if (first != std::string_view::npos && line[first] == '#') {
      if (end != std::string_view::npos) out += '\n';
    } else {
      out.append(line);
    }
    pos = next;
  }
  return out;
}

std::string BaseName(const std::string& path) {
  size_t slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

// The columns of one table: every name it knows, and which of them must be present.
struct TableSpec {
  Table table;
  std::string_view name;
  std::vector<std::string_view> columns;
  std::vector<std::string_view> required;
};

const std::array<TableSpec, 4>& Specs() {
  static const std::array<TableSpec, 4> specs = {{
      {Table::kRules,
       "rules",
       {"prefix", "services", "max_weight_g", "max_side_mm", "precedence", "sort_code",
        "destination", "chute_group", "dock_door", "route"},
       {"prefix", "sort_code", "chute_group", "dock_door", "route"}},
      {Table::kChutes,
       "chutes",
       {"chute", "kind", "capacity", "overflow", "sort_code", "dock_door", "route", "exit"},
       {"chute", "kind", "capacity"}},
      {Table::kGroups, "groups", {"group", "chute"}, {"group", "chute"}},
      {Table::kDoors,
       "doors",
       {"door", "routes", "truck_max_weight_kg", "truck_max_volume_m3", "departures"},
       {"door", "truck_max_weight_kg", "truck_max_volume_m3", "departures"}},
  }};
  return specs;
}

class SortPlanImpl final : public SortPlan {
 public:
  void Build(const std::vector<PlanFile>& files, const model::DivisionTable* divisions,
             std::vector<std::string>* errors);

  void Assign(const v1::Order& order, v1::SortRecord* record) const override {
    std::string_view code = order.recipient().division_code();
    std::string resolved;
    if (code.empty()) {
      if (resolver_ == nullptr) {
        FillSpecial(*no_rule_, v1::OUTCOME_NO_RULE, record);
        record->set_reason("no division code");
        return;
      }
      const v1::Address& to = order.recipient();
      Result<std::string> county = resolver_->Resolve(to.province(), to.city(), to.district());
      if (!county.ok()) {
        FillSpecial(*no_rule_, v1::OUTCOME_NO_RULE, record);
        record->set_reason(county.status().message());
        return;
      }
      resolved = std::move(county).value();
      code = resolved;
      record->set_division_code(resolved);
    }
    if (!WellFormed(code)) {
      FillSpecial(*no_rule_, v1::OUTCOME_NO_RULE, record);
      record->set_reason("division code is not 6 or 9 digits");
      return;
    }
    const int32_t r = Lookup(code, order.service());
    if (r < 0) {
      FillSpecial(*no_rule_, v1::OUTCOME_NO_RULE, record);
      record->set_reason("no rule for division code ");
      record->mutable_reason()->append(code);
      return;
    }
    const Rule& rule = rules_[static_cast<size_t>(r)];
    const v1::Parcel& parcel = order.parcel();
    const std::string* chute = nullptr;
    if (rule.max_weight_g > 0 && parcel.weight_g() > rule.max_weight_g) {
      chute = &chutes_[manual_].id;
      OverLimitReason("weight ", parcel.weight_g(), " g", rule.max_weight_g, record);
    } else if (rule.max_side_mm > 0 && LongestSide(parcel) > rule.max_side_mm) {
      chute = &chutes_[manual_].id;
      OverLimitReason("side ", LongestSide(parcel), " mm", rule.max_side_mm, record);
    } else {
      chute = &Balance(rule, order);
      record->clear_reason();
    }
    record->set_chute(*chute);
    record->set_sort_code(rule.sort_code);
    record->set_dock_door(rule.dock_door);
    record->set_route(rule.route);
    record->set_plan_version(version_);
    record->set_outcome(v1::OUTCOME_SORTED);
  }

  Decision Decide(const v1::Order& order) const override {
    Decision decision;
    const std::string& code = order.recipient().division_code();
    const int32_t r = WellFormed(code) ? Lookup(code, order.service()) : -1;
    if (r < 0) {
      decision.outcome = v1::OUTCOME_NO_RULE;
      decision.chute = &no_rule_->id;
      return decision;
    }
    const Rule& rule = rules_[static_cast<size_t>(r)];
    const v1::Parcel& parcel = order.parcel();
    decision.outcome = v1::OUTCOME_SORTED;
    decision.rule = r;
    const bool over = (rule.max_weight_g > 0 && parcel.weight_g() > rule.max_weight_g) ||
                      (rule.max_side_mm > 0 && LongestSide(parcel) > rule.max_side_mm);
    decision.chute = over ? &chutes_[manual_].id : &Balance(rule, order);
    return decision;
  }

  void Reject(std::string_view reason, v1::SortRecord* record) const override {
    FillSpecial(*reject_, v1::OUTCOME_REJECTED, record);
    record->mutable_reason()->assign(reason.data(), reason.size());
  }

  const std::string& version() const override { return version_; }
  const std::vector<v1::ChuteConfig>& chutes() const override { return chute_configs_; }
  const std::vector<v1::DoorConfig>& doors() const override { return door_configs_; }
  size_t rule_count() const override { return rules_.size(); }
  std::string RuleSource(int32_t index) const override {
    if (index < 0 || static_cast<size_t>(index) >= rules_.size()) return "";
    const Where& at = rules_[static_cast<size_t>(index)].at;
    return *at.file + ":" + std::to_string(at.line);
  }

  std::vector<std::string> Unreached(const model::DivisionTable& divisions) const override {
    std::vector<std::string> out;
    for (const model::Division* county : divisions.Counties()) {
      const uint32_t slot = county_slot_[DigitsValue(county->code)];
      std::string missing;
      for (int s = 1; s < kServices; ++s) {
        if (slots_[slot * kServices + static_cast<uint32_t>(s)] >= 0) continue;
        if (!missing.empty()) missing += ", ";
        missing += kServiceNames[static_cast<size_t>(s)];
      }
      if (missing.empty()) continue;
      model::DivisionPath path = divisions.PathOf(county->code);
      out.push_back(county->code + " " + county->name + " (" + path.province + " " + path.city +
                    "): " + missing);
    }
    return out;
  }

 private:
  static bool WellFormed(std::string_view code) {
    return (code.size() == 6 || code.size() == 9) && IsDigits(code);
  }

  // "weight 32000 g is over the rule's limit of 30000 g", without a temporary string.
  static void OverLimitReason(std::string_view what, int64_t value, std::string_view unit,
                              int64_t limit, v1::SortRecord* record) {
    std::string* reason = record->mutable_reason();
    char digits[24];
    reason->assign(what);
    reason->append(digits, std::to_chars(digits, digits + sizeof digits, value).ptr);
    reason->append(unit);
    reason->append(" is over the rule's limit of ");
    reason->append(digits, std::to_chars(digits, digits + sizeof digits, limit).ptr);
    reason->append(unit);
  }

  static int64_t LongestSide(const v1::Parcel& p) {
    return std::max({p.length_mm(), p.width_mm(), p.height_mm()});
  }

  // The winning rule for a well-formed code, or -1.
  int32_t Lookup(std::string_view code, int service) const {
    uint32_t slot = county_slot_[DigitsValue(code.substr(0, 6))];
    if (code.size() == 9 && !town_slot_.empty()) {
      auto it = town_slot_.find(DigitsValue(code));
      if (it != town_slot_.end()) slot = it->second;
    }
    if (service < 0 || service >= kServices) service = 0;
    return slots_[slot * kServices + static_cast<uint32_t>(service)];
  }

  // A chute of the rule's group, chosen by a hash of the parcel's stable key.
  const std::string& Balance(const Rule& rule, const v1::Order& order) const {
    const std::vector<uint32_t>& members = groups_[rule.group].chutes;
    if (members.size() == 1) return chutes_[members[0]].id;
    const std::string& key =
        order.tracking_number().empty() ? order.order_id() : order.tracking_number();
    // FNV-1a leaves the high bits of short keys poorly mixed: finish with MurmurHash3's
    // fmix64 so that every bit counts in the reduction below.
    uint64_t hash = Fnv1a64(key);
    hash ^= hash >> 33;
    hash *= 0xff51afd7ed558ccdULL;
    hash ^= hash >> 33;
    hash *= 0xc4ceb9fe1a85ec53ULL;
    hash ^= hash >> 33;
    const uint64_t pick = ((hash >> 32) * members.size()) >> 32;
    return chutes_[members[pick]].id;
  }

  void FillSpecial(const Chute& chute, v1::Outcome outcome, v1::SortRecord* record) const {
    record->set_chute(chute.id);
    record->set_sort_code(chute.sort_code);
    record->set_dock_door(chute.dock_door);
    record->set_route(chute.route);
    record->set_plan_version(version_);
    record->set_outcome(outcome);
  }

  void ReadTable(const PlanFile& file, const model::DivisionTable* divisions,
                 std::vector<std::string>* errors);
  void CheckChutes(std::vector<std::string>* errors);
  void CheckRules(std::vector<std::string>* errors);
  void CheckExits(std::vector<std::string>* errors);
  void CheckDoors(std::vector<std::string>* errors);
  void BuildDockTables();
  void Index();

  // A group member as read, resolved once every chutes table has been read.
  struct PendingMember {
    uint32_t group;
    std::string chute;
    Where at;
    int column;
  };

  std::vector<std::string> names_;  // file names, for Where; reserved up front
  std::vector<PendingMember> pending_members_;
  std::vector<Chute> chutes_;
  std::unordered_map<std::string, uint32_t> chute_by_id_;
  std::vector<Group> groups_;
  std::unordered_map<std::string, uint32_t> group_by_name_;
  std::vector<Rule> rules_;
  const Chute* no_rule_ = nullptr;
  const Chute* reject_ = nullptr;
  uint32_t manual_ = 0;
  bool has_manual_ = false;
  const std::string* chutes_file_ = nullptr;  // for whole-plan problems: the chutes
  size_t chutes_header_line_ = 1;             // table's header
  bool exit_column_ = false;                  // a chutes table has the exit column
  std::vector<Door> doors_;
  std::unordered_map<std::string, uint32_t> door_by_id_;
  const std::string* doors_file_ = nullptr;
  std::vector<v1::ChuteConfig> chute_configs_;
  std::vector<v1::DoorConfig> door_configs_;

  // Rule per service for each slot: slot 0 has none. A slot is the merged outcome of
  // the rules of one prefix and of its shorter prefixes.
  std::vector<int32_t> slots_;
  // The slot of every 6-digit code, indexed by its value: one load per parcel, no
  // hashing, no allocation. 4 MB per plan.
  std::vector<uint32_t> county_slot_;
  std::unordered_map<uint32_t, uint32_t> town_slot_;  // 9-digit code -> slot
  std::unique_ptr<model::AddressResolver> resolver_;
  std::string version_;
};

std::string At(const std::string& file, size_t line, size_t column) {
  return file + ":" + std::to_string(line) + ":" + std::to_string(column) + ": ";
}

void SortPlanImpl::ReadTable(const PlanFile& file, const model::DivisionTable* divisions,
                             std::vector<std::string>* errors) {
  const std::string& name = names_.emplace_back(file.name);
  const std::string cleaned = BlankComments(file.text);
  const TableSpec* spec = nullptr;
  std::vector<int> column;  // spec column -> CSV field, -1 when absent
  auto at = [&name](size_t line, int field) {
    return At(name, line, static_cast<size_t>(field) + 1);
  };

  Status parsed = model::ParseCsv(cleaned, name, [&](const model::CsvRow& row) -> Status {
    if (spec == nullptr) {
      for (const TableSpec& s : Specs()) {
        if (std::find(row.fields.begin(), row.fields.end(), s.required.front()) !=
            row.fields.end()) {
          spec = &s;
          break;
        }
      }
      if (spec == nullptr) {
        return InvalidArgument(At(name, row.line, 1) +
                               "not a plan table: the header names none of prefix (rules), "
                               "chute (chutes), group (groups) or door (doors)");
      }
      // A groups header also has "chute": the first required column decides.
      if (spec->table == Table::kChutes &&
          std::find(row.fields.begin(), row.fields.end(), "group") != row.fields.end()) {
        spec = &Specs()[2];
      }
      column.assign(spec->columns.size(), -1);
      for (size_t i = 0; i < row.fields.size(); ++i) {
        auto it = std::find(spec->columns.begin(), spec->columns.end(), row.fields[i]);
        if (it == spec->columns.end()) {
          errors->push_back(at(row.line, static_cast<int>(i)) + "unknown column \"" +
                            row.fields[i] + "\" in a " + std::string(spec->name) + " table");
          continue;
        }
        column[static_cast<size_t>(it - spec->columns.begin())] = static_cast<int>(i);
      }
      for (std::string_view required : spec->required) {
        size_t c =
            static_cast<size_t>(std::find(spec->columns.begin(), spec->columns.end(), required) -
                                spec->columns.begin());
        if (column[c] < 0) {
          errors->push_back(At(name, row.line, 1) + "the " + std::string(spec->name) +
                            " table needs a column \"" + std::string(required) + "\"");
        }
      }
      if (spec->table == Table::kChutes) {
        chutes_file_ = &name;
        chutes_header_line_ = row.line;
        const int exit = column[static_cast<size_t>(
            std::find(spec->columns.begin(), spec->columns.end(), "exit") - spec->columns.begin())];
        if (exit >= 0) exit_column_ = true;
      }
      return Status::Ok();
    }
    // Field `c` of the spec's columns; empty when the column is absent or the row short.
    auto field = [&](size_t c) -> std::string_view {
      int f = column[c];
      if (f < 0 || static_cast<size_t>(f) >= row.fields.size()) return {};
      return row.fields[static_cast<size_t>(f)];
    };
    auto col = [&](size_t c) { return std::max(column[c], 0); };
    const Where where{&name, row.line};

    switch (spec->table) {
      case Table::kChutes: {
        enum { kId, kKindCol, kCapacity, kOverflow, kSortCode, kDockDoor, kRoute, kExit };
        Chute chute;
        chute.exit_column = col(kExit);
        if (!field(kExit).empty()) {
          std::optional<int64_t> exit = ParseInt(field(kExit));
          if (!exit.has_value() || *exit < 1 || *exit > 254) {
            errors->push_back(at(row.line, col(kExit)) + "exit \"" + std::string(field(kExit)) +
                              "\" is not a telegram exit number (1..254)");
          } else {
            chute.exit = *exit;
          }
        }
        chute.id = field(kId);
        chute.at = where;
        chute.overflow = field(kOverflow);
        chute.overflow_column = col(kOverflow);
        chute.sort_code = field(kSortCode);
        chute.dock_door = field(kDockDoor);
        chute.route = field(kRoute);
        if (chute.id.empty()) {
          errors->push_back(at(row.line, col(kId)) + "chute id is empty");
          return Status::Ok();
        }
        auto kind = std::find(kKindNames.begin(), kKindNames.end(), field(kKindCol));
        if (kind == kKindNames.end()) {
          errors->push_back(at(row.line, col(kKindCol)) + "unknown chute kind \"" +
                            std::string(field(kKindCol)) +
                            "\" (expected normal, overflow, reject, no-rule or manual)");
        } else {
          chute.kind = static_cast<Kind>(kind - kKindNames.begin());
        }
        std::optional<int64_t> capacity = ParseInt(field(kCapacity));
        if (!capacity.has_value() || *capacity <= 0) {
          errors->push_back(at(row.line, col(kCapacity)) + "capacity \"" +
                            std::string(field(kCapacity)) + "\" is not a positive number");
        } else {
          chute.capacity = *capacity;
        }
        const bool special = chute.kind == Kind::kReject || chute.kind == Kind::kNoRule;
        if (special) {
          if (!IsSortCode(chute.sort_code)) {
            errors->push_back(at(row.line, col(kSortCode)) + "a " +
                              std::string(kKindNames[static_cast<size_t>(chute.kind)]) +
                              " chute needs a sort code of three dash-separated segments "
                              "(hub-station-route), got \"" +
                              chute.sort_code + "\"");
          }
          if (chute.dock_door.empty()) {
            errors->push_back(at(row.line, col(kDockDoor)) + "a " +
                              std::string(kKindNames[static_cast<size_t>(chute.kind)]) +
                              " chute needs a dock door");
          }
        } else if (!chute.sort_code.empty() || !chute.dock_door.empty() || !chute.route.empty()) {
          int c = !chute.sort_code.empty()   ? col(kSortCode)
                  : !chute.dock_door.empty() ? col(kDockDoor)
                                             : col(kRoute);
          errors->push_back(at(row.line, c) + "a " +
                            std::string(kKindNames[static_cast<size_t>(chute.kind)]) +
                            " chute takes no sort code, dock door or route (its rules give "
                            "them); only reject and no-rule chutes do");
        }
        auto [first, inserted] =
            chute_by_id_.emplace(chute.id, static_cast<uint32_t>(chutes_.size()));
        if (!inserted) {
          const Where& before = chutes_[first->second].at;
          errors->push_back(at(row.line, col(kId)) + "duplicate chute " + chute.id + " (first at " +
                            *before.file + ":" + std::to_string(before.line) + ")");
          return Status::Ok();
        }
        chutes_.push_back(std::move(chute));
        return Status::Ok();
      }
      case Table::kDoors: {
        enum { kDoorCol, kRoutesCol, kWeight, kVolume, kDepartures };
        Door door;
        door.id = field(kDoorCol);
        door.at = where;
        door.routes_column = col(kRoutesCol);
        if (door.id.empty()) {
          errors->push_back(at(row.line, col(kDoorCol)) + "door is empty");
          return Status::Ok();
        }
        for (std::string_view route : Split(field(kRoutesCol), '|')) {
          if (route.empty()) {
            errors->push_back(at(row.line, col(kRoutesCol)) + "empty route in \"" +
                              std::string(field(kRoutesCol)) + "\" (routes are separated by |)");
          } else {
            door.routes.emplace_back(route);
          }
        }
        auto amount = [&](size_t c, std::string_view what, int64_t scale, int64_t* out) {
          std::optional<int64_t> value = ParseDecimal(field(c), scale);
          if (!value.has_value() || *value <= 0) {
            errors->push_back(at(row.line, col(c)) + std::string(what) + " \"" +
                              std::string(field(c)) + "\" is not a positive number");
            return;
          }
          *out = *value;
        };
        amount(kWeight, "truck_max_weight_kg", 1000, &door.max_weight_g);
        amount(kVolume, "truck_max_volume_m3", 1'000'000, &door.max_volume_cm3);
        for (std::string_view time : Split(field(kDepartures), '|')) {
          std::optional<uint32_t> minutes = ParseTimeOfDay(time);
          if (!minutes.has_value()) {
            errors->push_back(at(row.line, col(kDepartures)) + "departure \"" + std::string(time) +
                              "\" is not a time of day HH:MM (00:00..23:59)");
          } else if (!door.departures.empty() && *minutes <= door.departures.back()) {
            errors->push_back(at(row.line, col(kDepartures)) + "departure " + std::string(time) +
                              " is not after the one before it (list them in order, once each)");
          } else {
            door.departures.push_back(*minutes);
          }
        }
        if (door.departures.empty() && field(kDepartures).empty()) {
          errors->push_back(at(row.line, col(kDepartures)) +
                            "a door needs its departure times, e.g. 06:00|14:00|22:00");
        }
        auto [first, inserted] = door_by_id_.emplace(door.id, static_cast<uint32_t>(doors_.size()));
        if (!inserted) {
          const Where& before = doors_[first->second].at;
          errors->push_back(at(row.line, col(kDoorCol)) + "duplicate door " + door.id +
                            " (first at " + *before.file + ":" + std::to_string(before.line) + ")");
          return Status::Ok();
        }
        if (doors_file_ == nullptr) doors_file_ = &name;
        doors_.push_back(std::move(door));
        return Status::Ok();
      }
      case Table::kGroups: {
        enum { kGroupCol, kChuteCol };
        std::string group(field(kGroupCol));
        std::string chute(field(kChuteCol));
        if (group.empty()) errors->push_back(at(row.line, col(kGroupCol)) + "group is empty");
        if (chute.empty()) errors->push_back(at(row.line, col(kChuteCol)) + "chute is empty");
        if (group.empty() || chute.empty()) return Status::Ok();
        auto [it, inserted] = group_by_name_.emplace(group, static_cast<uint32_t>(groups_.size()));
        if (inserted) groups_.push_back(Group{group, {}, where});
        // Members are resolved once every chute table is read; keep the name for now.
        pending_members_.push_back({it->second, std::move(chute), where, col(kChuteCol)});
        return Status::Ok();
      }
      case Table::kRules: {
        enum {
          kPrefix,
          kServicesCol,
          kMaxWeight,
          kMaxSide,
          kPrecedence,
          kSortCode,
          kDestination,
          kGroupCol,
          kDockDoor,
          kRoute
        };
        Rule rule;
        rule.at = where;
        rule.prefix = field(kPrefix);
        rule.sort_code = field(kSortCode);
        rule.destination = field(kDestination);
        rule.group_name = field(kGroupCol);
        rule.group_column = col(kGroupCol);
        rule.dock_door = field(kDockDoor);
        rule.route = field(kRoute);
        bool ok = true;
        const std::string& prefix = rule.prefix;
        if (!IsDigits(prefix) || (prefix.size() != 2 && prefix.size() != 4 && prefix.size() != 6 &&
                                  prefix.size() != 9)) {
          errors->push_back(at(row.line, col(kPrefix)) + "prefix \"" + prefix +
                            "\" is not 2, 4, 6 or 9 digits");
          ok = false;
        } else if (divisions != nullptr && divisions->Find(prefix) == nullptr &&
                   // A table loaded without towns vouches for a town through its county.
                   !(prefix.size() == 9 && divisions->Find(prefix.substr(0, 6)) != nullptr &&
                     divisions->TownsOf(prefix.substr(0, 6)).empty())) {
          errors->push_back(at(row.line, col(kPrefix)) + "prefix " + prefix +
                            " is not in the division table");
        }
        std::string_view services = field(kServicesCol);
        if (!services.empty()) {
          rule.services = 0;
          rule.specific = true;
          size_t pos = 0;
          while (pos <= services.size()) {
            size_t end = services.find_first_of("|; ", pos);
            if (end == std::string_view::npos) end = services.size();
            std::string_view token = services.substr(pos, end - pos);
            pos = end + 1;
            if (token.empty()) continue;
            auto it = std::find(kServiceNames.begin() + 1, kServiceNames.end(), token);
            if (it == kServiceNames.end()) {
              errors->push_back(at(row.line, col(kServicesCol)) + "unknown service \"" +
                                std::string(token) +
                                "\" (expected standard, express, economy, fresh-produce or "
                                "cold-chain, separated by |)");
              ok = false;
              continue;
            }
            rule.services |= 1u << (it - kServiceNames.begin());
          }
          if (rule.services == 0) rule.specific = false, rule.services = kAnyService;
        }
        auto limit = [&](size_t c, const char* what, int64_t* out) {
          std::string_view text = field(c);
          if (text.empty()) return;
          std::optional<int64_t> value = ParseInt(text);
          if (!value.has_value() || *value <= 0) {
            errors->push_back(at(row.line, col(c)) + what + " \"" + std::string(text) +
                              "\" is not a positive number");
            return;
          }
          *out = *value;
        };
        limit(kMaxWeight, "max_weight_g", &rule.max_weight_g);
        limit(kMaxSide, "max_side_mm", &rule.max_side_mm);
        if (!field(kPrecedence).empty()) {
          std::optional<int64_t> precedence = ParseInt(field(kPrecedence));
          if (!precedence.has_value()) {
            errors->push_back(at(row.line, col(kPrecedence)) + "precedence \"" +
                              std::string(field(kPrecedence)) + "\" is not a whole number");
            ok = false;
          } else {
            rule.precedence = *precedence;
          }
        }
        if (!IsSortCode(rule.sort_code)) {
          errors->push_back(at(row.line, col(kSortCode)) + "sort code \"" + rule.sort_code +
                            "\" is not three dash-separated segments (hub-station-route)");
        }
        if (rule.group_name.empty()) {
          errors->push_back(at(row.line, col(kGroupCol)) + "chute_group is empty");
          ok = false;
        }
        if (rule.dock_door.empty()) {
          errors->push_back(at(row.line, col(kDockDoor)) + "dock door is empty");
        }
        if (rule.route.empty()) errors->push_back(at(row.line, col(kRoute)) + "route is empty");
        if (ok) rules_.push_back(std::move(rule));
        return Status::Ok();
      }
    }
    return Status::Ok();
  });
  if (!parsed.ok()) {
    errors->push_back(parsed.message());
    return;
  }
  if (spec == nullptr) {
    errors->push_back(At(name, 1, 1) +
                      "the file is empty (expected the header of a rules, "
                      "chutes or groups table)");
  }
}

void SortPlanImpl::CheckChutes(std::vector<std::string>* errors) {
  const std::string& table = chutes_file_ != nullptr ? *chutes_file_ : names_.front();
  const size_t header = chutes_file_ != nullptr ? chutes_header_line_ : 1;
  std::array<const Chute*, 5> first_of{};
  for (uint32_t i = 0; i < chutes_.size(); ++i) {
    const Chute& chute = chutes_[i];
    if (chute.kind == Kind::kNormal || chute.kind == Kind::kOverflow) continue;
    const Chute*& first = first_of[static_cast<size_t>(chute.kind)];
    if (first != nullptr) {
      errors->push_back(At(*chute.at.file, chute.at.line, 2) + "a second " +
                        std::string(kKindNames[static_cast<size_t>(chute.kind)]) + " chute " +
                        chute.id + " (the first is " + first->id + " at " + *first->at.file + ":" +
                        std::to_string(first->at.line) + "); a plan has exactly one");
      continue;
    }
    first = &chute;
    if (chute.kind == Kind::kManual) {
      manual_ = i;
      has_manual_ = true;
    }
  }
  reject_ = first_of[static_cast<size_t>(Kind::kReject)];
  no_rule_ = first_of[static_cast<size_t>(Kind::kNoRule)];
  if (reject_ == nullptr) {
    errors->push_back(At(table, header, 1) +
                      "the plan has no reject chute (exactly one is required: invalid orders "
                      "and no-reads go there)");
  }
  if (no_rule_ == nullptr) {
    errors->push_back(At(table, header, 1) +
                      "the plan has no no-rule chute (exactly one is required: orders no rule "
                      "reaches go there)");
  }

  std::vector<int32_t> next(chutes_.size(), -1);
  for (uint32_t i = 0; i < chutes_.size(); ++i) {
    const Chute& chute = chutes_[i];
    if (chute.overflow.empty()) continue;
    const std::string at =
        At(*chute.at.file, chute.at.line, static_cast<size_t>(chute.overflow_column) + 1);
    auto it = chute_by_id_.find(chute.overflow);
    if (it == chute_by_id_.end()) {
      errors->push_back(at + "unknown overflow chute " + chute.overflow);
      continue;
    }
    const Chute& overflow = chutes_[it->second];
    if (overflow.kind != Kind::kOverflow) {
      errors->push_back(at + "overflow " + overflow.id + " of chute " + chute.id + " is a " +
                        std::string(kKindNames[static_cast<size_t>(overflow.kind)]) +
                        " chute; an overflow must be of kind overflow");
    }
    next[i] = static_cast<int32_t>(it->second);
  }
  // A cycle is reported once, at its chute that comes first in the plan.
  for (uint32_t start = 0; start < chutes_.size(); ++start) {
    std::string chain = chutes_[start].id;
    int32_t at = next[start];
    bool is_cycle = false;
    for (size_t steps = 0; at >= 0 && steps <= chutes_.size(); ++steps) {
      chain += " -> " + chutes_[static_cast<size_t>(at)].id;
      if (static_cast<uint32_t>(at) == start) {
        is_cycle = true;
        break;
      }
      if (static_cast<uint32_t>(at) < start) break;  // reported from a smaller start
      at = next[static_cast<size_t>(at)];
    }
    if (!is_cycle) continue;
    const Chute& chute = chutes_[start];
    errors->push_back(
        At(*chute.at.file, chute.at.line, static_cast<size_t>(chute.overflow_column) + 1) +
        "overflow chain " + chain + " is a cycle");
  }

  for (const PendingMember& member : pending_members_) {
    Group& group = groups_[member.group];
    const std::string at =
        At(*member.at.file, member.at.line, static_cast<size_t>(member.column) + 1);
    auto it = chute_by_id_.find(member.chute);
    if (it == chute_by_id_.end()) {
      errors->push_back(at + "unknown chute " + member.chute + " in group " + group.name);
      continue;
    }
    const Chute& chute = chutes_[it->second];
    if (chute.kind != Kind::kNormal) {
      errors->push_back(at + "chute " + chute.id + " is a " +
                        std::string(kKindNames[static_cast<size_t>(chute.kind)]) +
                        " chute; a group takes normal chutes only");
      continue;
    }
    if (std::find(group.chutes.begin(), group.chutes.end(), it->second) != group.chutes.end()) {
      errors->push_back(at + "chute " + chute.id + " is twice in group " + group.name);
      continue;
    }
    group.chutes.push_back(it->second);
  }
  for (const Group& group : groups_) {
    if (chute_by_id_.count(group.name) != 0) {
      errors->push_back(At(*group.at.file, group.at.line, 1) + "group " + group.name +
                        " has the name of a chute");
    }
  }
}

void SortPlanImpl::CheckRules(std::vector<std::string>* errors) {
  std::unordered_map<std::string, std::vector<uint32_t>> by_prefix;
  by_prefix.reserve(rules_.size());
  for (uint32_t i = 0; i < rules_.size(); ++i) {
    Rule& rule = rules_[i];
    const std::string at =
        At(*rule.at.file, rule.at.line, static_cast<size_t>(rule.group_column) + 1);
    auto group = group_by_name_.find(rule.group_name);
    if (group != group_by_name_.end()) {
      rule.group = group->second;
    } else if (auto chute = chute_by_id_.find(rule.group_name); chute != chute_by_id_.end()) {
      const Chute& target = chutes_[chute->second];
      if (target.kind != Kind::kNormal) {
        errors->push_back(at + "chute " + target.id + " is a " +
                          std::string(kKindNames[static_cast<size_t>(target.kind)]) +
                          " chute; a rule sends parcels to a normal chute or a group of them");
      } else {
        // A lone chute is a group of one, shared by every rule naming it.
        rule.group = static_cast<uint32_t>(groups_.size());
        group_by_name_.emplace(target.id, rule.group);
        groups_.push_back(Group{target.id, {chute->second}, rule.at});
      }
    } else {
      errors->push_back(at + "unknown chute or group " + rule.group_name);
    }
    if ((rule.max_weight_g > 0 || rule.max_side_mm > 0) && !has_manual_) {
      errors->push_back(At(*rule.at.file, rule.at.line, 1) +
                        "the rule has a weight or size limit but the plan has no manual chute "
                        "for parcels over it");
    }
    by_prefix[rule.prefix].push_back(i);
  }
  for (const auto& [prefix, indices] : by_prefix) {
    for (size_t b = 1; b < indices.size(); ++b) {
      for (size_t a = 0; a < b; ++a) {
        const Rule& first = rules_[indices[a]];
        const Rule& second = rules_[indices[b]];
        const uint32_t shared = first.services & second.services;
        if (first.precedence != second.precedence || first.specific != second.specific ||
            shared == 0) {
          continue;
        }
        std::string message = At(*second.at.file, second.at.line, 1) + "rule conflicts with " +
                              *first.at.file + ":" + std::to_string(first.at.line) + ": ";
        if (first.services == second.services) {
          message += "same prefix " + prefix + ", services and precedence " +
                     std::to_string(first.precedence);
        } else {
          message += "same prefix " + prefix + " and precedence " +
                     std::to_string(first.precedence) + " both apply to";
          for (int s = 0; s < kServices; ++s) {
            if ((shared >> s) & 1u)
              message += " " + std::string(kServiceNames[static_cast<size_t>(s)]);
          }
        }
        message += "; give one a higher precedence";
        errors->push_back(std::move(message));
        break;
      }
    }
  }
}

void SortPlanImpl::CheckExits(std::vector<std::string>* errors) {
  std::unordered_map<int64_t, const Chute*> by_exit;
  for (Chute& chute : chutes_) {
    const bool given = chute.exit > 0;
    if (!given) chute.exit = ExitFromName(chute.id);
    if (!exit_column_) continue;  // exits from names, unchecked, as before the column
    const std::string at =
        At(*chute.at.file, chute.at.line, static_cast<size_t>(chute.exit_column) + 1);
    if (chute.exit == 0) {
      errors->push_back(at + "chute " + chute.id +
                        " has no exit number: give one (1..254); its name gives none");
      continue;
    }
    auto [first, inserted] = by_exit.emplace(chute.exit, &chute);
    if (!inserted) {
      errors->push_back(
          at + "exit " + std::to_string(chute.exit) + (given ? "" : " (from the name)") +
          " of chute " + chute.id + " is already chute " + first->second->id + "'s (" +
          *first->second->at.file + ":" + std::to_string(first->second->at.line) + ")");
    }
  }
}

void SortPlanImpl::CheckDoors(std::vector<std::string>* errors) {
  if (doors_file_ == nullptr) return;
  std::unordered_map<std::string, const Door*> route_door;
  for (const Door& door : doors_) {
    for (const std::string& route : door.routes) {
      auto [first, inserted] = route_door.emplace(route, &door);
      if (!inserted) {
        errors->push_back(
            At(*door.at.file, door.at.line, static_cast<size_t>(door.routes_column) + 1) +
            "route " + route + " is loaded at door " + first->second->id +
            " already; a route has one door");
      }
    }
  }
  auto check = [&](const std::string& door, const std::string& route, const Where& at,
                   const std::string& what) {
    if (door.empty()) return;
    if (door_by_id_.count(door) == 0) {
      errors->push_back(At(*at.file, at.line, 1) + what + " loads at door " + door +
                        ", which the doors table (" + *doors_file_ + ") does not have");
      return;
    }
    auto served = route_door.find(route);
    if (!route.empty() && served != route_door.end() && served->second->id != door) {
      errors->push_back(At(*at.file, at.line, 1) + what + " loads route " + route + " at door " +
                        door + ", but the doors table loads it at door " + served->second->id);
    }
  };
  for (const Rule& rule : rules_) check(rule.dock_door, rule.route, rule.at, "the rule");
  for (const Chute& chute : chutes_) {
    check(chute.dock_door, chute.route, chute.at, "chute " + chute.id);
  }
}

void SortPlanImpl::BuildDockTables() {
  constexpr std::array<v1::ChuteKind, 5> kDockKinds = {v1::CHUTE_NORMAL, v1::CHUTE_OVERFLOW,
                                                       v1::CHUTE_NO_READ, v1::CHUTE_NO_ORDER,
                                                       v1::CHUTE_MANUAL};
  chute_configs_.reserve(chutes_.size());
  for (const Chute& chute : chutes_) {
    v1::ChuteConfig& config = chute_configs_.emplace_back();
    config.set_name(chute.id);
    config.set_kind(kDockKinds[static_cast<size_t>(chute.kind)]);
    config.set_capacity(static_cast<uint32_t>(std::min<int64_t>(chute.capacity, UINT32_MAX)));
    config.set_overflow(chute.overflow);
    config.set_exit_number(static_cast<uint32_t>(chute.exit));
    config.set_dock_door(chute.dock_door);
  }
  door_configs_.reserve(doors_.size());
  for (const Door& door : doors_) {
    v1::DoorConfig& config = door_configs_.emplace_back();
    config.set_door(door.id);
    for (const std::string& route : door.routes) config.add_routes(route);
    config.set_truck_max_weight_g(door.max_weight_g);
    config.set_truck_max_volume_cm3(door.max_volume_cm3);
    for (uint32_t minutes : door.departures) config.add_departure_minutes(minutes);
  }
}

void SortPlanImpl::Index() {
  // The rules of each prefix, shortest prefixes first so that each level can start from
  // the slot of the level above it.
  std::map<std::pair<size_t, uint32_t>, std::vector<uint32_t>> levels;
  for (uint32_t i = 0; i < rules_.size(); ++i) {
    levels[{rules_[i].prefix.size(), DigitsValue(rules_[i].prefix)}].push_back(i);
  }
  slots_.assign(kServices, -1);
  county_slot_.assign(kCountyCodes, 0);
  std::unordered_map<uint32_t, uint32_t> slot2;
  std::unordered_map<uint32_t, uint32_t> slot4;
  for (const auto& [key, indices] : levels) {
    const auto [size, value] = key;
    uint32_t parent = 0;
    if (size > 2) {
      auto find = [](const std::unordered_map<uint32_t, uint32_t>& m, uint32_t v) -> uint32_t {
        auto it = m.find(v);
        return it == m.end() ? 0 : it->second;
      };
      if (size == 9) {
        parent = county_slot_[value / 1000];
      } else {
        const uint32_t v4 = size == 6 ? value / 100 : value;
        parent = size == 6 ? find(slot4, v4) : 0;
        if (parent == 0) parent = find(slot2, size == 6 ? value / 10'000 : value / 100);
      }
    }
    const uint32_t slot = static_cast<uint32_t>(slots_.size() / kServices);
    for (int s = 0; s < kServices; ++s) {
      int32_t best = slots_[parent * kServices + static_cast<uint32_t>(s)];
      const Rule* winner = nullptr;
      for (uint32_t i : indices) {
        const Rule& rule = rules_[i];
        if (((rule.services >> s) & 1u) == 0) continue;
        if (winner == nullptr || rule.precedence > winner->precedence ||
            (rule.precedence == winner->precedence && rule.specific && !winner->specific)) {
          winner = &rule;
          best = static_cast<int32_t>(i);
        }
      }
      slots_.push_back(best);
    }
    switch (size) {
      case 2:
        slot2[value] = slot;
        std::fill_n(county_slot_.begin() + value * 10'000, 10'000, slot);
        break;
      case 4:
        slot4[value] = slot;
        std::fill_n(county_slot_.begin() + value * 100, 100, slot);
        break;
      case 6:
        county_slot_[value] = slot;
        break;
      default:
        town_slot_[value] = slot;
        break;
    }
  }
}

void SortPlanImpl::Build(const std::vector<PlanFile>& files, const model::DivisionTable* divisions,
                         std::vector<std::string>* errors) {
  if (files.empty()) {
    errors->push_back("the plan has no files");
    return;
  }
  names_.reserve(files.size());
  for (const PlanFile& file : files) ReadTable(file, divisions, errors);
  if (chutes_file_ == nullptr) {
    errors->push_back(At(names_.front(), 1, 1) + "the plan has no chutes table");
  }
  if (rules_.empty()) errors->push_back(At(names_.front(), 1, 1) + "the plan has no rules");
  CheckChutes(errors);
  CheckRules(errors);
  CheckExits(errors);
  CheckDoors(errors);

  std::vector<const PlanFile*> sorted;
  for (const PlanFile& file : files) sorted.push_back(&file);
  std::sort(sorted.begin(), sorted.end(), [](const PlanFile* a, const PlanFile* b) {
    return std::make_pair(BaseName(a->name), a->text) < std::make_pair(BaseName(b->name), b->text);
  });
  uint64_t hash = Fnv1a64("sortline plan v2");
  for (const PlanFile* file : sorted) {
    hash = Fnv1a64(BaseName(file->name), hash);
    hash = Fnv1a64(std::string_view("\0", 1), hash);
    hash = Fnv1a64(file->text, hash);
    hash = Fnv1a64(std::string_view("\0", 1), hash);
  }
  version_ = HashHex(hash);
  if (!errors->empty()) return;
  BuildDockTables();
  Index();
  if (divisions != nullptr) resolver_ = model::AddressResolver::Create(*divisions);
}

}  // namespace

Result<std::unique_ptr<SortPlan>> SortPlan::Parse(const std::vector<PlanFile>& files,
                                                  const model::DivisionTable* divisions) {
  auto plan = std::make_unique<SortPlanImpl>();
  std::vector<std::string> errors;
  plan->Build(files, divisions, &errors);
  if (!errors.empty()) {
    std::string message;
    for (const std::string& e : errors) {
      if (!message.empty()) message += '\n';
      // Problems quote cell values: echoed (pipeline/base/text.h), each stays one short
      // line of UTF-8.
      message += Echo(e, 300);
    }
    return InvalidArgument(std::move(message));
  }
  return std::unique_ptr<SortPlan>(std::move(plan));
}

Result<std::vector<std::string>> SortPlan::ListFiles(const std::vector<std::string>& paths) {
  namespace fs = std::filesystem;
  std::vector<std::string> out;
  for (const std::string& path : paths) {
    std::error_code ec;
    fs::file_status status = fs::status(path, ec);
    if (ec || !fs::exists(status)) return NotFound(path + ": no such file or directory");
    if (!fs::is_directory(status)) {
      out.push_back(path);
      continue;
    }
    std::vector<std::string> in_dir;
    for (fs::directory_iterator it(path, ec), end; !ec && it != end; it.increment(ec)) {
      const fs::path& p = it->path();
      if (p.extension() == ".csv" && p.filename().string().front() != '.' &&
          it->is_regular_file(ec)) {
        in_dir.push_back(p.string());
      }
    }
    if (ec) return IoError(path + ": " + ec.message());
    if (in_dir.empty()) return NotFound(path + ": no *.csv plan files in the directory");
    std::sort(in_dir.begin(), in_dir.end());
    out.insert(out.end(), in_dir.begin(), in_dir.end());
  }
  return out;
}

Result<std::unique_ptr<SortPlan>> SortPlan::LoadFiles(const std::vector<std::string>& paths,
                                                      const model::DivisionTable* divisions) {
  SORTLINE_ASSIGN_OR_RETURN(std::vector<std::string> names, ListFiles(paths));
  std::vector<PlanFile> files;
  files.reserve(names.size());
  for (std::string& name : names) {
    PlanFile file;
    SORTLINE_RETURN_IF_ERROR(model::ReadFileToString(name, &file.text));
    file.name = std::move(name);
    files.push_back(std::move(file));
  }
  return Parse(files, divisions);
}

}  // namespace sortline::sort
