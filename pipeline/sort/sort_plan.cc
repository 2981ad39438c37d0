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

#include "pipeline/base/file.h"
#include "pipeline/base/hash.h"
#include "pipeline/base/text.h"
#include "pipeline/csv/table.h"
#include "pipeline/model/address_resolver.h"
#include "pipeline/sort/internal/plan_tables.h"

namespace sortline::sort {
namespace {

using internal::Chute;
using internal::DigitsValue;
using internal::Door;
using internal::IsDigits;
using internal::kServiceNames;
using internal::kServices;
using internal::Rule;
using internal::Where;

constexpr uint32_t kCountyCodes = 1'000'000;  // every 6-digit code

std::string BaseName(const std::string& path) {
  size_t slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
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
        FillSpecial(*tables_.no_rule, v1::OUTCOME_NO_RULE, record);
        record->set_reason("no division code");
        return;
      }
      const v1::Address& to = order.recipient();
      Result<std::string> county = resolver_->Resolve(to.province(), to.city(), to.district());
      if (!county.ok()) {
        FillSpecial(*tables_.no_rule, v1::OUTCOME_NO_RULE, record);
        record->set_reason(county.status().message());
        return;
      }
      resolved = std::move(county).value();
      code = resolved;
      record->set_division_code(resolved);
    }
    if (!WellFormed(code)) {
      FillSpecial(*tables_.no_rule, v1::OUTCOME_NO_RULE, record);
      record->set_reason("division code is not 6 or 9 digits");
      return;
    }
    const int32_t r = Lookup(code, order.service());
    if (r < 0) {
      FillSpecial(*tables_.no_rule, v1::OUTCOME_NO_RULE, record);
      record->set_reason("no rule for division code ");
      record->mutable_reason()->append(code);
      return;
    }
    const Rule& rule = tables_.rules[static_cast<size_t>(r)];
    const v1::Parcel& parcel = order.parcel();
    const std::string* chute = nullptr;
    if (rule.max_weight_g > 0 && parcel.weight_g() > rule.max_weight_g) {
      chute = &tables_.chutes[tables_.manual].id;
      OverLimitReason("weight ", parcel.weight_g(), " g", rule.max_weight_g, record);
    } else if (rule.max_side_mm > 0 && LongestSide(parcel) > rule.max_side_mm) {
      chute = &tables_.chutes[tables_.manual].id;
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
      decision.chute = &tables_.no_rule->id;
      return decision;
    }
    const Rule& rule = tables_.rules[static_cast<size_t>(r)];
    const v1::Parcel& parcel = order.parcel();
    decision.outcome = v1::OUTCOME_SORTED;
    decision.rule = r;
    const bool over = (rule.max_weight_g > 0 && parcel.weight_g() > rule.max_weight_g) ||
                      (rule.max_side_mm > 0 && LongestSide(parcel) > rule.max_side_mm);
    decision.chute = over ? &tables_.chutes[tables_.manual].id : &Balance(rule, order);
    return decision;
  }

  void Reject(std::string_view reason, v1::SortRecord* record) const override {
    FillSpecial(*tables_.reject, v1::OUTCOME_REJECTED, record);
    record->mutable_reason()->assign(reason.data(), reason.size());
  }

  const std::string& version() const override { return version_; }
  const std::vector<v1::ChuteConfig>& chutes() const override { return chute_configs_; }
  const std::vector<v1::DoorConfig>& doors() const override { return door_configs_; }
  size_t rule_count() const override { return tables_.rules.size(); }
  std::string RuleSource(int32_t index) const override {
    if (index < 0 || static_cast<size_t>(index) >= tables_.rules.size()) return "";
    const Where& at = tables_.rules[static_cast<size_t>(index)].at;
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
    const std::vector<uint32_t>& members = tables_.groups[rule.group].chutes;
    if (members.size() == 1) return tables_.chutes[members[0]].id;
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
    return tables_.chutes[members[pick]].id;
  }

  void FillSpecial(const Chute& chute, v1::Outcome outcome, v1::SortRecord* record) const {
    record->set_chute(chute.id);
    record->set_sort_code(chute.sort_code);
    record->set_dock_door(chute.dock_door);
    record->set_route(chute.route);
    record->set_plan_version(version_);
    record->set_outcome(outcome);
  }

  void BuildDockTables();
  void Index();

  internal::PlanTables tables_;
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

void SortPlanImpl::BuildDockTables() {
  constexpr std::array<v1::ChuteKind, 5> kDockKinds = {v1::CHUTE_NORMAL, v1::CHUTE_OVERFLOW,
                                                       v1::CHUTE_NO_READ, v1::CHUTE_NO_ORDER,
                                                       v1::CHUTE_MANUAL};
  chute_configs_.reserve(tables_.chutes.size());
  for (const Chute& chute : tables_.chutes) {
    v1::ChuteConfig& config = chute_configs_.emplace_back();
    config.set_name(chute.id);
    config.set_kind(kDockKinds[static_cast<size_t>(chute.kind)]);
    config.set_capacity(static_cast<uint32_t>(std::min<int64_t>(chute.capacity, UINT32_MAX)));
    config.set_overflow(chute.overflow);
    config.set_exit_number(static_cast<uint32_t>(chute.exit));
    config.set_dock_door(chute.dock_door);
  }
  door_configs_.reserve(tables_.doors.size());
  for (const Door& door : tables_.doors) {
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
  for (uint32_t i = 0; i < tables_.rules.size(); ++i) {
    levels[{tables_.rules[i].prefix.size(), DigitsValue(tables_.rules[i].prefix)}].push_back(i);
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
        const Rule& rule = tables_.rules[i];
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
  tables_.names.reserve(files.size());
  for (const PlanFile& file : files) internal::ReadPlanFile(file, divisions, &tables_, errors);
  const std::string& first = tables_.names.front();
  if (tables_.chutes_file == nullptr) {
    errors->push_back(csv::Where(first, 1, 1) + "the plan has no chutes table");
  }
  if (tables_.rules.empty()) errors->push_back(csv::Where(first, 1, 1) + "the plan has no rules");
  internal::CheckPlan(&tables_, errors);

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

uint32_t ExitFromChuteName(std::string_view chute) {
  size_t digits = chute.size();
  while (digits > 0 && chute[digits - 1] >= '0' && chute[digits - 1] <= '9') --digits;
  if (digits == chute.size() || chute.size() - digits > 6) return 0;
  const uint32_t number = DigitsValue(chute.substr(digits));
  return number >= 1 && number <= 254 ? number : 0;
}

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
    SORTLINE_RETURN_IF_ERROR(DefaultFileSystem().ReadFile(name, &file.text));
    file.name = std::move(name);
    files.push_back(std::move(file));
  }
  return Parse(files, divisions);
}

}  // namespace sortline::sort
