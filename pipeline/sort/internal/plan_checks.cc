// The checks across a plan's tables, once every file is read (see plan_tables.h).
#include <string>
#include <unordered_map>
#include <vector>

#include "pipeline/csv/table.h"
#include "pipeline/sort/internal/plan_tables.h"

namespace sortline::sort::internal {
namespace {

void CheckChutes(PlanTables& t, std::vector<std::string>* errors) {
  const std::string& table = t.chutes_file != nullptr ? *t.chutes_file : t.names.front();
  const size_t header = t.chutes_file != nullptr ? t.chutes_header_line : 1;
  std::array<const Chute*, 5> first_of{};
  for (uint32_t i = 0; i < t.chutes.size(); ++i) {
    const Chute& chute = t.chutes[i];
    if (chute.kind == Kind::kNormal || chute.kind == Kind::kOverflow) continue;
    const Chute*& first = first_of[static_cast<size_t>(chute.kind)];
    if (first != nullptr) {
      errors->push_back(csv::Where(*chute.at.file, chute.at.line, 2) + "a second " +
                        KindName(chute.kind) + " chute " + chute.id + " (the first is " +
                        first->id + " at " + *first->at.file + ":" +
                        std::to_string(first->at.line) + "); a plan has exactly one");
      continue;
    }
    first = &chute;
    if (chute.kind == Kind::kManual) {
      t.manual = i;
      t.has_manual = true;
    }
  }
  t.reject = first_of[static_cast<size_t>(Kind::kReject)];
  t.no_rule = first_of[static_cast<size_t>(Kind::kNoRule)];
  if (t.reject == nullptr) {
    errors->push_back(csv::Where(table, header, 1) +
                      "the plan has no reject chute (exactly one is required: invalid orders "
                      "and no-reads go there)");
  }
  if (t.no_rule == nullptr) {
    errors->push_back(csv::Where(table, header, 1) +
                      "the plan has no no-rule chute (exactly one is required: orders no rule "
                      "reaches go there)");
  }

  std::vector<int32_t> next(t.chutes.size(), -1);
  for (uint32_t i = 0; i < t.chutes.size(); ++i) {
    const Chute& chute = t.chutes[i];
    if (chute.overflow.empty()) continue;
    const std::string at = csv::Where(*chute.at.file, chute.at.line, chute.overflow_field);
    auto it = t.chute_by_id.find(chute.overflow);
    if (it == t.chute_by_id.end()) {
      errors->push_back(at + "unknown overflow chute " + chute.overflow);
      continue;
    }
    const Chute& overflow = t.chutes[it->second];
    if (overflow.kind != Kind::kOverflow) {
      errors->push_back(at + "overflow " + overflow.id + " of chute " + chute.id + " is a " +
                        KindName(overflow.kind) + " chute; an overflow must be of kind overflow");
    }
    next[i] = static_cast<int32_t>(it->second);
  }
  // A cycle is reported once, at its chute that comes first in the plan.
  for (uint32_t start = 0; start < t.chutes.size(); ++start) {
    std::string chain = t.chutes[start].id;
    int32_t at = next[start];
    bool is_cycle = false;
    for (size_t steps = 0; at >= 0 && steps <= t.chutes.size(); ++steps) {
      chain += " -> " + t.chutes[static_cast<size_t>(at)].id;
      if (static_cast<uint32_t>(at) == start) {
        is_cycle = true;
        break;
      }
      if (static_cast<uint32_t>(at) < start) break;  // reported from a smaller start
      at = next[static_cast<size_t>(at)];
    }
    if (!is_cycle) continue;
    const Chute& chute = t.chutes[start];
    errors->push_back(csv::Where(*chute.at.file, chute.at.line, chute.overflow_field) +
                      "overflow chain " + chain + " is a cycle");
  }

  for (const PendingMember& member : t.pending_members) {
    Group& group = t.groups[member.group];
    const std::string at = csv::Where(*member.at.file, member.at.line, member.field);
    auto it = t.chute_by_id.find(member.chute);
    if (it == t.chute_by_id.end()) {
      errors->push_back(at + "unknown chute " + member.chute + " in group " + group.name);
      continue;
    }
    const Chute& chute = t.chutes[it->second];
    if (chute.kind != Kind::kNormal) {
      errors->push_back(at + "chute " + chute.id + " is a " + KindName(chute.kind) +
                        " chute; a group takes normal chutes only");
      continue;
    }
    if (std::find(group.chutes.begin(), group.chutes.end(), it->second) != group.chutes.end()) {
      errors->push_back(at + "chute " + chute.id + " is twice in group " + group.name);
      continue;
    }
    group.chutes.push_back(it->second);
  }
  for (const Group& group : t.groups) {
    if (t.chute_by_id.count(group.name) != 0) {
      errors->push_back(csv::Where(*group.at.file, group.at.line, 1) + "group " + group.name +
                        " has the name of a chute");
    }
  }
}

void CheckRules(PlanTables& t, std::vector<std::string>* errors) {
  std::unordered_map<std::string, std::vector<uint32_t>> by_prefix;
  by_prefix.reserve(t.rules.size());
  for (uint32_t i = 0; i < t.rules.size(); ++i) {
    Rule& rule = t.rules[i];
    const std::string at = csv::Where(*rule.at.file, rule.at.line, rule.group_field);
    auto group = t.group_by_name.find(rule.group_name);
    if (group != t.group_by_name.end()) {
      rule.group = group->second;
    } else if (auto chute = t.chute_by_id.find(rule.group_name); chute != t.chute_by_id.end()) {
      const Chute& target = t.chutes[chute->second];
      if (target.kind != Kind::kNormal) {
        errors->push_back(at + "chute " + target.id + " is a " + KindName(target.kind) +
                          " chute; a rule sends parcels to a normal chute or a group of them");
      } else {
        // A lone chute is a group of one, shared by every rule naming it.
        rule.group = static_cast<uint32_t>(t.groups.size());
        t.group_by_name.emplace(target.id, rule.group);
        t.groups.push_back(Group{target.id, {chute->second}, rule.at});
      }
    } else {
      errors->push_back(at + "unknown chute or group " + rule.group_name);
    }
    if ((rule.max_weight_g > 0 || rule.max_side_mm > 0) && !t.has_manual) {
      errors->push_back(csv::Where(*rule.at.file, rule.at.line, 1) +
                        "the rule has a weight or size limit but the plan has no manual chute "
                        "for parcels over it");
    }
    by_prefix[rule.prefix].push_back(i);
  }
  for (const auto& [prefix, indices] : by_prefix) {
    for (size_t b = 1; b < indices.size(); ++b) {
      for (size_t a = 0; a < b; ++a) {
        const Rule& first = t.rules[indices[a]];
        const Rule& second = t.rules[indices[b]];
        const uint32_t shared = first.services & second.services;
        if (first.precedence != second.precedence || first.specific != second.specific ||
            shared == 0) {
          continue;
        }
        std::string message = csv::Where(*second.at.file, second.at.line, 1) +
                              "rule conflicts with " + *first.at.file + ":" +
                              std::to_string(first.at.line) + ": ";
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

void CheckExits(PlanTables& t, std::vector<std::string>* errors) {
  std::unordered_map<int64_t, const Chute*> by_exit;
  for (Chute& chute : t.chutes) {
    const bool given = chute.exit > 0;
    if (!given) chute.exit = ExitFromChuteName(chute.id);
    if (!t.exit_column) continue;  // exits from names, unchecked, as before the column
    const std::string at = csv::Where(*chute.at.file, chute.at.line, chute.exit_field);
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

void CheckDoors(PlanTables& t, std::vector<std::string>* errors) {
  if (t.doors_file == nullptr) return;
  std::unordered_map<std::string, const Door*> route_door;
  for (const Door& door : t.doors) {
    for (const std::string& route : door.routes) {
      auto [first, inserted] = route_door.emplace(route, &door);
      if (!inserted) {
        errors->push_back(csv::Where(*door.at.file, door.at.line, door.routes_field) + "route " +
                          route + " is loaded at door " + first->second->id +
                          " already; a route has one door");
      }
    }
  }
  auto check = [&](const std::string& door, const std::string& route, const Where& at,
                   const std::string& what) {
    if (door.empty()) return;
    if (t.door_by_id.count(door) == 0) {
      errors->push_back(csv::Where(*at.file, at.line, 1) + what + " loads at door " + door +
                        ", which the doors table (" + *t.doors_file + ") does not have");
      return;
    }
    auto served = route_door.find(route);
    if (!route.empty() && served != route_door.end() && served->second->id != door) {
      errors->push_back(csv::Where(*at.file, at.line, 1) + what + " loads route " + route +
                        " at door " + door + ", but the doors table loads it at door " +
                        served->second->id);
    }
  };
  for (const Rule& rule : t.rules) check(rule.dock_door, rule.route, rule.at, "the rule");
  for (const Chute& chute : t.chutes) {
    check(chute.dock_door, chute.route, chute.at, "chute " + chute.id);
  }
}

}  // namespace

void CheckPlan(PlanTables* tables, std::vector<std::string>* errors) {
  CheckChutes(*tables, errors);
  CheckRules(*tables, errors);
  CheckExits(*tables, errors);
  CheckDoors(*tables, errors);
}

}  // namespace sortline::sort::internal
