// A sort plan's tables as read from its CSV files (one reader per table, see
// plan_readers.cc) and the checks across them (plan_checks.cc). SortPlan (sort_plan.cc)
// builds its lookup index from the checked tables.
//
// Thread-safety: PlanTables is filled and checked by one thread, then only read.
#ifndef PIPELINE_SORT_INTERNAL_PLAN_TABLES_H_
#define PIPELINE_SORT_INTERNAL_PLAN_TABLES_H_

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "pipeline/model/divisions.h"
#include "pipeline/sort/sort_plan.h"

namespace sortline::sort::internal {

inline constexpr int kServices = 6;  // v1::ServiceClass values 0..5
inline constexpr uint32_t kAnyService = (1u << kServices) - 1;

// Service names as a plan writes them, indexed by v1::ServiceClass.
inline constexpr std::array<std::string_view, kServices> kServiceNames = {
    "unspecified", "standard", "express", "economy", "fresh-produce", "cold-chain"};

enum class Kind { kNormal, kOverflow, kReject, kNoRule, kManual };
inline constexpr std::array<std::string_view, 5> kKindNames = {"normal", "overflow", "reject",
                                                               "no-rule", "manual"};

inline std::string KindName(Kind kind) {
  return std::string(kKindNames[static_cast<size_t>(kind)]);
}

inline bool IsDigits(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// The value of a run of digits. REQUIRES: IsDigits(s) and at most 9 digits.
inline uint32_t DigitsValue(std::string_view s) {
  uint32_t value = 0;
  std::from_chars(s.data(), s.data() + s.size(), value);
  return value;
}

// Where a row of the plan is, for messages. `file` points into PlanTables::names.
struct Where {
  const std::string* file = nullptr;
  size_t line = 0;
};

// Fields named *_field are the 1-based CSV field of that cell, for messages.
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
  size_t overflow_field = 1;
  size_t exit_field = 1;
};

struct Door {
  std::string id;
  std::vector<std::string> routes;
  int64_t max_weight_g = 0;
  int64_t max_volume_cm3 = 0;
  std::vector<uint32_t> departures;  // minutes after midnight, ascending
  Where at;
  size_t routes_field = 1;
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
  size_t group_field = 1;
};

// A group member as read, resolved once every chutes table has been read.
struct PendingMember {
  uint32_t group;
  std::string chute;
  Where at;
  size_t field;
};

struct PlanTables {
  std::vector<std::string> names;  // file names, for Where; reserved up front
  std::vector<PendingMember> pending_members;
  std::vector<Chute> chutes;
  std::unordered_map<std::string, uint32_t> chute_by_id;
  std::vector<Group> groups;
  std::unordered_map<std::string, uint32_t> group_by_name;
  std::vector<Rule> rules;
  std::vector<Door> doors;
  std::unordered_map<std::string, uint32_t> door_by_id;
  const std::string* chutes_file = nullptr;  // for whole-plan problems: the chutes
  size_t chutes_header_line = 1;             // table's header
  bool exit_column = false;                  // a chutes table has the exit column
  const std::string* doors_file = nullptr;
  // Set by CheckPlan.
  const Chute* no_rule = nullptr;
  const Chute* reject = nullptr;
  uint32_t manual = 0;
  bool has_manual = false;
};

// Reads `file` into `tables`, recognising its table by the header. Each problem is
// appended to `errors` as "NAME:LINE:COLUMN: problem". REQUIRES: tables->names has room
// for the file's name without reallocating (Where points into it).
void ReadPlanFile(const PlanFile& file, const model::DivisionTable* divisions, PlanTables* tables,
                  std::vector<std::string>* errors);

// The checks across tables, once every file is read: one reject, no-rule and manual
// chute, overflow chains, group members, rules' chutes and groups, exit numbers, doors.
// Resolves group members and the rules' groups; sets no_rule, reject and manual.
void CheckPlan(PlanTables* tables, std::vector<std::string>* errors);

}  // namespace sortline::sort::internal

#endif  // PIPELINE_SORT_INTERNAL_PLAN_TABLES_H_
