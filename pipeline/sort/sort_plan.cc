#include "pipeline/sort/sort_plan.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <unordered_map>
#include <utility>
#include <vector>

#include "pipeline/base/hash.h"
#include "pipeline/model/csv.h"

namespace sortline::sort {
namespace {

constexpr std::string_view kUtf8Bom = "\xEF\xBB\xBF";
constexpr std::array<std::string_view, 6> kColumns = {"kind",  "prefix",    "sort_code",
                                                      "chute", "dock_door", "route"};
enum Column { kKind, kPrefix, kSortCode, kChute, kDockDoor, kRoute };

constexpr uint32_t kNoRule = UINT32_MAX;
constexpr uint32_t kCountyCodes = 1'000'000;  // every 6-digit code

// Where a parcel goes: one row of the plan.
struct Destination {
  std::string prefix;  // empty for the no-rule and reject rows
  std::string sort_code;
  std::string chute;
  std::string dock_door;
  std::string route;
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

// The plan text with comment lines emptied, so that libcsv never sees them and line
// numbers stay those of the file.
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

class SortPlanImpl final : public SortPlan {
 public:
  // Parses `text` into this plan, appending every problem to `errors`.
  void Build(std::string_view text, std::string_view source, const model::DivisionTable* divisions,
             std::vector<std::string>* errors);

  void Assign(const v1::Order& order, v1::SortRecord* record) const override {
    const std::string& code = order.recipient().division_code();
    if (code.empty()) {
      Fill(no_rule_, v1::OUTCOME_NO_RULE, record);
      record->set_reason("no division code");
      return;
    }
    if ((code.size() != 6 && code.size() != 9) || !IsDigits(code)) {
      Fill(no_rule_, v1::OUTCOME_NO_RULE, record);
      record->set_reason("division code is not 6 or 9 digits");
      return;
    }
    uint32_t rule = kNoRule;
    if (code.size() == 9 && !town_rules_.empty()) {
      auto it = town_rules_.find(DigitsValue(code));
      if (it != town_rules_.end()) rule = it->second;
    }
    if (rule == kNoRule) rule = county_rules_[DigitsValue(std::string_view(code).substr(0, 6))];
    if (rule == kNoRule) {
      Fill(no_rule_, v1::OUTCOME_NO_RULE, record);
      record->set_reason("no rule for division code ");
      record->mutable_reason()->append(code);
      return;
    }
    Fill(rules_[rule], v1::OUTCOME_SORTED, record);
    record->clear_reason();
  }

  void Reject(std::string_view reason, v1::SortRecord* record) const override {
    Fill(reject_, v1::OUTCOME_REJECTED, record);
    record->mutable_reason()->assign(reason.data(), reason.size());
  }

  const std::string& version() const override { return version_; }
  size_t rule_count() const override { return rules_.size(); }

 private:
  void Fill(const Destination& to, v1::Outcome outcome, v1::SortRecord* record) const {
    record->set_chute(to.chute);
    record->set_sort_code(to.sort_code);
    record->set_dock_door(to.dock_door);
    record->set_route(to.route);
    record->set_plan_version(version_);
    record->set_outcome(outcome);
  }

  void Index();

  std::vector<Destination> rules_;  // the `rule` rows, in file order
  Destination no_rule_;
  Destination reject_;
  // Best rule of 2, 4 or 6 digits for each 6-digit code, indexed by the code's value:
  // one load per parcel, no hashing, no allocation. 4 MB per plan.
  std::vector<uint32_t> county_rules_;
  std::unordered_map<uint32_t, uint32_t> town_rules_;  // 9-digit code -> rule
  std::string version_;
};

void SortPlanImpl::Build(std::string_view text, std::string_view source,
                         const model::DivisionTable* divisions, std::vector<std::string>* errors) {
  version_ = HashHex(Fnv1a64(text));
  const std::string cleaned = BlankComments(text);
  const std::string src(source);
  auto at = [&src](size_t line) { return src + ":" + std::to_string(line) + ": "; };

  std::array<int, kColumns.size()> column{};
  column.fill(-1);
  bool header_seen = false;
  std::unordered_map<std::string, size_t> prefix_line;
  size_t no_rule_line = 0;
  size_t reject_line = 0;

  Status parsed = model::ParseCsv(cleaned, source, [&](const model::CsvRow& row) -> Status {
    if (!header_seen) {
      header_seen = true;
      for (size_t i = 0; i < row.fields.size(); ++i) {
        auto it = std::find(kColumns.begin(), kColumns.end(), row.fields[i]);
        if (it != kColumns.end()) {
          column[static_cast<size_t>(it - kColumns.begin())] = static_cast<int>(i);
        }
      }
      if (std::find(column.begin(), column.end(), -1) != column.end()) {
        return InvalidArgument(at(row.line) +
                               "the header must be kind,prefix,sort_code,chute,dock_door,route");
      }
      return Status::Ok();
    }
    const int needed = *std::max_element(column.begin(), column.end()) + 1;
    if (static_cast<int>(row.fields.size()) < needed) {
      errors->push_back(at(row.line) + "expected " + std::to_string(needed) + " fields, got " +
                        std::to_string(row.fields.size()));
      return Status::Ok();
    }
    auto field = [&](Column c) -> const std::string& {
      return row.fields[static_cast<size_t>(column[c])];
    };
    Destination to{field(kPrefix), field(kSortCode), field(kChute), field(kDockDoor),
                   field(kRoute)};
    const std::string& kind = field(kKind);

    if (to.chute.empty()) errors->push_back(at(row.line) + "chute is empty");
    if (!IsSortCode(to.sort_code)) {
      errors->push_back(at(row.line) + "sort code \"" + to.sort_code +
                        "\" is not three dash-separated segments (hub-station-route)");
    }

    if (kind == "rule") {
      const std::string& prefix = to.prefix;
      bool well_formed = IsDigits(prefix) && (prefix.size() == 2 || prefix.size() == 4 ||
                                              prefix.size() == 6 || prefix.size() == 9);
      if (!well_formed) {
        errors->push_back(at(row.line) + "prefix \"" + prefix + "\" is not 2, 4, 6 or 9 digits");
        return Status::Ok();
      }
      // A table loaded without towns vouches for a town prefix through its county.
      bool known = divisions == nullptr || divisions->Find(prefix) != nullptr ||
                   (prefix.size() == 9 && divisions->Find(prefix.substr(0, 6)) != nullptr &&
                    divisions->TownsOf(prefix.substr(0, 6)).empty());
      if (!known) {
        errors->push_back(at(row.line) + "prefix " + prefix + " is not in the division table");
      }
      auto [first, inserted] = prefix_line.emplace(prefix, row.line);
      if (!inserted) {
        errors->push_back(at(row.line) + "duplicate prefix " + prefix + " (first on line " +
                          std::to_string(first->second) + ")");
        return Status::Ok();
      }
      rules_.push_back(std::move(to));
    } else if (kind == "no-rule" || kind == "reject") {
      const bool is_no_rule = kind == "no-rule";
      size_t& seen = is_no_rule ? no_rule_line : reject_line;
      if (!to.prefix.empty()) {
        errors->push_back(at(row.line) + "a " + kind + " row takes no prefix");
      }
      if (seen != 0) {
        errors->push_back(at(row.line) + "duplicate " + kind + " row (first on line " +
                          std::to_string(seen) + ")");
        return Status::Ok();
      }
      seen = row.line;
      (is_no_rule ? no_rule_ : reject_) = std::move(to);
    } else {
      errors->push_back(at(row.line) + "unknown kind \"" + kind +
                        "\" (expected rule, no-rule or reject)");
    }
    return Status::Ok();
  });
  if (!parsed.ok()) {
    errors->push_back(parsed.message());
    return;
  }

  // Whole-file problems point at the last line, where the missing row would go.
  const size_t last_line =
      std::max<size_t>(1, static_cast<size_t>(std::count(text.begin(), text.end(), '\n')) +
                              (!text.empty() && text.back() != '\n' ? 1 : 0));
  if (!header_seen) {
    errors->push_back(
        at(1) +
        "the plan is empty (expected the header kind,prefix,sort_code,chute,dock_door,route)");
    return;
  }
  if (no_rule_line == 0) {
    errors->push_back(at(last_line) + "missing no-rule row (exactly one is required)");
  }
  if (reject_line == 0) {
    errors->push_back(at(last_line) + "missing reject row (exactly one is required)");
  }
  if (errors->empty()) Index();
}

void SortPlanImpl::Index() {
  county_rules_.assign(kCountyCodes, kNoRule);
  std::vector<uint32_t> order(rules_.size());
  for (uint32_t i = 0; i < order.size(); ++i) order[i] = i;
  // Shorter prefixes first, so that longer ones overwrite them: longest prefix wins.
  std::stable_sort(order.begin(), order.end(), [this](uint32_t a, uint32_t b) {
    return rules_[a].prefix.size() < rules_[b].prefix.size();
  });
  for (uint32_t i : order) {
    const std::string& prefix = rules_[i].prefix;
    const uint32_t value = DigitsValue(prefix);
    switch (prefix.size()) {
      case 2:
      case 4:
      case 6: {
        const uint32_t span = prefix.size() == 2 ? 10'000 : prefix.size() == 4 ? 100 : 1;
        std::fill_n(county_rules_.begin() + value * span, span, i);
        break;
      }
      case 9:
        town_rules_.emplace(value, i);
        break;
      default:
        break;
    }
  }
}

}  // namespace

Result<std::unique_ptr<SortPlan>> SortPlan::Parse(std::string_view text, std::string_view source,
                                                  const model::DivisionTable* divisions) {
  auto plan = std::make_unique<SortPlanImpl>();
  std::vector<std::string> errors;
  plan->Build(text, source, divisions, &errors);
  if (!errors.empty()) {
    std::string message;
    for (const std::string& e : errors) {
      if (!message.empty()) message += '\n';
      message += e;
    }
    return InvalidArgument(std::move(message));
  }
  return std::unique_ptr<SortPlan>(std::move(plan));
}

Result<std::unique_ptr<SortPlan>> SortPlan::Load(const std::string& path,
                                                 const model::DivisionTable* divisions) {
  std::string text;
  SORTLINE_RETURN_IF_ERROR(model::ReadFileToString(path, &text));
  return Parse(text, path, divisions);
}

}  // namespace sortline::sort
