// The plan's table readers: a file's header says which table it is, then each row goes
// to that table's reader. The tables' layout is documented in pipeline/sort/sort_plan.h.
#include <optional>
#include <span>
#include <utility>

#include "pipeline/base/text.h"
#include "pipeline/csv/table.h"
#include "pipeline/sort/internal/plan_tables.h"

namespace sortline::sort::internal {
namespace {

// What a row reader works on besides its row.
struct ReadContext {
  PlanTables& tables;
  const model::DivisionTable* divisions;  // may be null
  const std::string& file;                // in tables.names
};

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

// "06:30" -> 390 minutes after midnight.
std::optional<uint32_t> ParseTimeOfDay(std::string_view s) {
  if (s.size() != 5 || s[2] != ':') return std::nullopt;
  const std::optional<uint64_t> hours = ParseDigits(s.substr(0, 2));
  const std::optional<uint64_t> minutes = ParseDigits(s.substr(3));
  if (!hours.has_value() || !minutes.has_value() || *hours > 23 || *minutes > 59) {
    return std::nullopt;
  }
  return static_cast<uint32_t>(*hours * 60 + *minutes);
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

// " (first at NAME:LINE)" for a duplicate.
std::string FirstAt(const Where& before) {
  return " (first at " + *before.file + ":" + std::to_string(before.line) + ")";
}

enum ChuteColumn {
  kChuteId,
  kKind,
  kCapacity,
  kOverflow,
  kChuteSortCode,
  kChuteDoor,
  kChuteRoute,
  kExit
};
constexpr csv::Column kChuteColumns[] = {{"chute", true}, {"kind", true}, {"capacity", true},
                                         {"overflow"},    {"sort_code"},  {"dock_door"},
                                         {"route"},       {"exit"}};

void ReadChute(csv::Row& row, const ReadContext& context) {
  PlanTables& tables = context.tables;
  Chute chute;
  chute.exit_field = row.field(kExit);
  chute.overflow_field = row.field(kOverflow);
  if (!row.empty(kExit)) {
    if (auto exit = row.Integer(kExit, 1, 254, "a telegram exit number (1..254)"))
      chute.exit = *exit;
  }
  chute.id = row[kChuteId];
  chute.at = Where{&context.file, row.line()};
  chute.overflow = row[kOverflow];
  chute.sort_code = row[kChuteSortCode];
  chute.dock_door = row[kChuteDoor];
  chute.route = row[kChuteRoute];
  if (chute.id.empty()) {
    row.Problem(kChuteId, "chute id is empty");
    return;
  }
  auto kind = std::find(kKindNames.begin(), kKindNames.end(), row[kKind]);
  if (kind == kKindNames.end()) {
    row.Problem(kKind, "unknown chute kind \"" + std::string(row[kKind]) +
                           "\" (expected normal, overflow, reject, no-rule or manual)");
  } else {
    chute.kind = static_cast<Kind>(kind - kKindNames.begin());
  }
  if (auto capacity = row.Integer(kCapacity, 1, INT64_MAX, "a positive number")) {
    chute.capacity = *capacity;
  }
  if (chute.kind == Kind::kReject || chute.kind == Kind::kNoRule) {
    if (!IsSortCode(chute.sort_code)) {
      row.Problem(kChuteSortCode, "a " + KindName(chute.kind) +
                                      " chute needs a sort code of three dash-separated segments "
                                      "(hub-station-route), got \"" +
                                      chute.sort_code + "\"");
    }
    if (chute.dock_door.empty()) {
      row.Problem(kChuteDoor, "a " + KindName(chute.kind) + " chute needs a dock door");
    }
  } else if (!chute.sort_code.empty() || !chute.dock_door.empty() || !chute.route.empty()) {
    const size_t column = !chute.sort_code.empty()   ? kChuteSortCode
                          : !chute.dock_door.empty() ? kChuteDoor
                                                     : kChuteRoute;
    row.Problem(column, "a " + KindName(chute.kind) +
                            " chute takes no sort code, dock door or route (its rules give "
                            "them); only reject and no-rule chutes do");
  }
  auto [first, inserted] =
      tables.chute_by_id.emplace(chute.id, static_cast<uint32_t>(tables.chutes.size()));
  if (!inserted) {
    row.Problem(kChuteId, "duplicate chute " + chute.id + FirstAt(tables.chutes[first->second].at));
    return;
  }
  tables.chutes.push_back(std::move(chute));
}

enum DoorColumn { kDoor, kRoutes, kTruckWeight, kTruckVolume, kDepartures };
constexpr csv::Column kDoorColumns[] = {{"door", true},
                                        {"routes"},
                                        {"truck_max_weight_kg", true},
                                        {"truck_max_volume_m3", true},
                                        {"departures", true}};

void ReadDoor(csv::Row& row, const ReadContext& context) {
  PlanTables& tables = context.tables;
  Door door;
  door.id = row[kDoor];
  door.at = Where{&context.file, row.line()};
  door.routes_field = row.field(kRoutes);
  if (door.id.empty()) {
    row.Problem(kDoor, "door is empty");
    return;
  }
  for (std::string_view route : Split(row[kRoutes], '|')) {
    if (route.empty()) {
      row.Problem(kRoutes, "empty route in \"" + std::string(row[kRoutes]) +
                               "\" (routes are separated by |)");
    } else {
      door.routes.emplace_back(route);
    }
  }
  if (auto grams = row.PositiveDecimal(kTruckWeight, 1000)) door.max_weight_g = *grams;
  if (auto cm3 = row.PositiveDecimal(kTruckVolume, 1'000'000)) door.max_volume_cm3 = *cm3;
  for (std::string_view time : Split(row[kDepartures], '|')) {
    std::optional<uint32_t> minutes = ParseTimeOfDay(time);
    if (!minutes.has_value()) {
      row.Problem(kDepartures, "departure \"" + std::string(time) +
                                   "\" is not a time of day HH:MM (00:00..23:59)");
    } else if (!door.departures.empty() && *minutes <= door.departures.back()) {
      row.Problem(kDepartures, "departure " + std::string(time) +
                                   " is not after the one before it (list them in order, once "
                                   "each)");
    } else {
      door.departures.push_back(*minutes);
    }
  }
  if (door.departures.empty() && row.empty(kDepartures)) {
    row.Problem(kDepartures, "a door needs its departure times, e.g. 06:00|14:00|22:00");
  }
  auto [first, inserted] =
      tables.door_by_id.emplace(door.id, static_cast<uint32_t>(tables.doors.size()));
  if (!inserted) {
    row.Problem(kDoor, "duplicate door " + door.id + FirstAt(tables.doors[first->second].at));
    return;
  }
  if (tables.doors_file == nullptr) tables.doors_file = &context.file;
  tables.doors.push_back(std::move(door));
}

enum GroupColumn { kGroup, kMember };
constexpr csv::Column kGroupColumns[] = {{"group", true}, {"chute", true}};

void ReadGroup(csv::Row& row, const ReadContext& context) {
  PlanTables& tables = context.tables;
  std::string group(row[kGroup]);
  std::string chute(row[kMember]);
  if (group.empty()) row.Problem(kGroup, "group is empty");
  if (chute.empty()) row.Problem(kMember, "chute is empty");
  if (group.empty() || chute.empty()) return;
  const Where at{&context.file, row.line()};
  auto [it, inserted] =
      tables.group_by_name.emplace(group, static_cast<uint32_t>(tables.groups.size()));
  if (inserted) tables.groups.push_back(Group{group, {}, at});
  // Members are resolved once every chute table is read; keep the name for now.
  tables.pending_members.push_back({it->second, std::move(chute), at, row.field(kMember)});
}

enum RuleColumn {
  kPrefix,
  kServices,
  kMaxWeight,
  kMaxSide,
  kPrecedence,
  kSortCode,
  kDestination,
  kChuteGroup,
  kDockDoor,
  kRoute
};
constexpr csv::Column kRuleColumns[] = {
    {"prefix", true},    {"services"},        {"max_weight_g"}, {"max_side_mm"},
    {"precedence"},      {"sort_code", true}, {"destination"},  {"chute_group", true},
    {"dock_door", true}, {"route", true}};

// The services a rule lists ("fresh-produce|cold-chain"); problems for unknown names.
// False when a name is unknown.
bool ReadServices(csv::Row& row, Rule* rule) {
  const std::string_view services = row[kServices];
  if (services.empty()) return true;
  bool ok = true;
  rule->services = 0;
  rule->specific = true;
  size_t pos = 0;
  while (pos <= services.size()) {
    size_t end = services.find_first_of("|; ", pos);
    if (end == std::string_view::npos) end = services.size();
    const std::string_view token = services.substr(pos, end - pos);
    pos = end + 1;
    if (token.empty()) continue;
    auto it = std::find(kServiceNames.begin() + 1, kServiceNames.end(), token);
    if (it == kServiceNames.end()) {
      row.Problem(kServices, "unknown service \"" + std::string(token) +
                                 "\" (expected standard, express, economy, fresh-produce or "
                                 "cold-chain, separated by |)");
      ok = false;
      continue;
    }
    rule->services |= 1u << (it - kServiceNames.begin());
  }
  if (rule->services == 0) {
    rule->specific = false;
    rule->services = kAnyService;
  }
  return ok;
}

void ReadRule(csv::Row& row, const ReadContext& context) {
  Rule rule;
  rule.at = Where{&context.file, row.line()};
  rule.prefix = row[kPrefix];
  rule.sort_code = row[kSortCode];
  rule.destination = row[kDestination];
  rule.group_name = row[kChuteGroup];
  rule.group_field = row.field(kChuteGroup);
  rule.dock_door = row[kDockDoor];
  rule.route = row[kRoute];
  bool ok = true;
  const std::string& prefix = rule.prefix;
  const model::DivisionTable* divisions = context.divisions;
  if (!IsDigits(prefix) ||
      (prefix.size() != 2 && prefix.size() != 4 && prefix.size() != 6 && prefix.size() != 9)) {
    row.Problem(kPrefix, "prefix \"" + prefix + "\" is not 2, 4, 6 or 9 digits");
    ok = false;
  } else if (divisions != nullptr && divisions->Find(prefix) == nullptr &&
             // A table loaded without towns vouches for a town through its county.
             !(prefix.size() == 9 && divisions->Find(prefix.substr(0, 6)) != nullptr &&
               divisions->TownsOf(prefix.substr(0, 6)).empty())) {
    row.Problem(kPrefix, "prefix " + prefix + " is not in the division table");
  }
  if (!ReadServices(row, &rule)) ok = false;
  if (!row.empty(kMaxWeight)) {
    if (auto grams = row.Integer(kMaxWeight, 1, INT64_MAX, "a positive number")) {
      rule.max_weight_g = *grams;
    }
  }
  if (!row.empty(kMaxSide)) {
    if (auto mm = row.Integer(kMaxSide, 1, INT64_MAX, "a positive number")) rule.max_side_mm = *mm;
  }
  if (!row.empty(kPrecedence)) {
    std::optional<int64_t> precedence =
        row.Integer(kPrecedence, INT64_MIN, INT64_MAX, "a whole number");
    if (precedence.has_value()) {
      rule.precedence = *precedence;
    } else {
      ok = false;
    }
  }
  if (!IsSortCode(rule.sort_code)) {
    row.Problem(kSortCode, "sort code \"" + rule.sort_code +
                               "\" is not three dash-separated segments (hub-station-route)");
  }
  if (rule.group_name.empty()) {
    row.Problem(kChuteGroup, "chute_group is empty");
    ok = false;
  }
  if (rule.dock_door.empty()) row.Problem(kDockDoor, "dock door is empty");
  if (rule.route.empty()) row.Problem(kRoute, "route is empty");
  if (ok) context.tables.rules.push_back(std::move(rule));
}

// One kind of plan table: its name in messages, its columns and its row reader.
struct TableKind {
  std::string_view name;
  std::span<const csv::Column> columns;
  void (*read)(csv::Row& row, const ReadContext& context);
};

constexpr TableKind kRules{"rules", kRuleColumns, &ReadRule};
constexpr TableKind kChutes{"chutes", kChuteColumns, &ReadChute};
constexpr TableKind kGroups{"groups", kGroupColumns, &ReadGroup};
constexpr TableKind kDoors{"doors", kDoorColumns, &ReadDoor};

// The table a header row starts: the first of rules, chutes, groups and doors whose
// first column it names. A groups header also names "chute": "group" decides.
const TableKind* Recognise(const std::vector<std::string>& header) {
  auto names = [&](std::string_view column) {
    return std::find(header.begin(), header.end(), column) != header.end();
  };
  for (const TableKind* kind : {&kRules, &kChutes, &kGroups, &kDoors}) {
    if (!names(kind->columns.front().name)) continue;
    return kind == &kChutes && names("group") ? &kGroups : kind;
  }
  return nullptr;
}

}  // namespace

void ReadPlanFile(const PlanFile& file, const model::DivisionTable* divisions, PlanTables* tables,
                  std::vector<std::string>* errors) {
  const std::string& name = tables->names.emplace_back(file.name);
  const ReadContext context{*tables, divisions, name};
  const TableKind* kind = nullptr;
  std::optional<csv::Header> header;
  auto on_row = [&](const csv::CsvRow& record) -> Status {
    if (header.has_value()) {
      csv::Row row(*header, record, errors);
      kind->read(row, context);
      return Status::Ok();
    }
    kind = Recognise(record.fields);
    if (kind == nullptr) {
      return InvalidArgument(csv::Where(name, record.line, 1) +
                             "not a plan table: the header names none of prefix (rules), "
                             "chute (chutes), group (groups) or door (doors)");
    }
    header.emplace(name, kind->name, kind->columns, record, csv::Header::Unknown::kProblem, errors);
    if (kind == &kChutes) {
      tables->chutes_file = &name;
      tables->chutes_header_line = record.line;
      if (header->has(kExit)) tables->exit_column = true;
    }
    return Status::Ok();
  };
  const Status parsed = csv::ParseCsv(file.text, name, on_row, {.comments = true});
  if (!parsed.ok()) {
    errors->push_back(parsed.message());
    return;
  }
  if (kind == nullptr) {
    errors->push_back(csv::Where(name, 1, 1) +
                      "the file is empty (expected the header of a rules, "
                      "chutes, groups or doors table)");
  }
}

}  // namespace sortline::sort::internal
