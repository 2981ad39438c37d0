// `sortline plan check`: validates a sort plan and reports its coverage.
#include <algorithm>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "pipeline/sort/sort_plan.h"
#include "workers/commands.h"
#include "workers/common.h"

namespace sortline::cli {
namespace {

constexpr char kProgram[] = "sortline plan check";

struct PlanCheckOptions {
  std::vector<std::string> paths;
  bool coverage = false;
  std::string divisions = kDefaultDivisions;
};

// Exit status: 0 valid (and, with --coverage, every county reached), 1 problems found,
// 2 the plan or the table could not be read.
int PlanCheck(const PlanCheckOptions& options) {
  Result<std::unique_ptr<model::DivisionTable>> divisions = LoadDivisions(options.divisions);
  if (!divisions.ok()) return Fatal(kProgram, divisions.status());
  std::string what;
  for (const std::string& path : options.paths) what += (what.empty() ? "" : " ") + path;
  Result<std::unique_ptr<sort::SortPlan>> plan =
      sort::SortPlan::LoadFiles(options.paths, divisions->get());
  if (!plan.ok()) {
    if (plan.status().code() != StatusCode::kInvalidArgument) {
      return Fatal(kProgram, plan.status());
    }
    const std::string& message = plan.status().message();
    const size_t problems =
        1 + static_cast<size_t>(std::count(message.begin(), message.end(), '\n'));
    std::printf("%s\n%s: %zu problem%s, the plan is not valid\n", message.c_str(), what.c_str(),
                problems, problems == 1 ? "" : "s");
    return kExitOrdersFailed;
  }
  std::printf("%s: valid, version %s, %zu rules, %zu chutes, %zu doors\n", what.c_str(),
              (*plan)->version().c_str(), (*plan)->rule_count(), (*plan)->chutes().size(),
              (*plan)->doors().size());
  if (!options.coverage) return kExitOk;
  std::vector<std::string> unreached = (*plan)->Unreached(**divisions);
  for (const std::string& line : unreached) std::printf("unreached: %s\n", line.c_str());
  const size_t counties = (*divisions)->Counties().size();
  std::printf("coverage: %zu of %zu county-level divisions reached for every service\n",
              counties - unreached.size(), counties);
  return unreached.empty() ? kExitOk : kExitOrdersFailed;
}

}  // namespace

Command AddPlanCommand(CLI::App& app) {
  CLI::App* plan = app.add_subcommand("plan", "Sort plan tools");
  plan->require_subcommand(1);
  CLI::App* cmd = plan->add_subcommand(
      "check",
      "Validate a sort plan (a directory of CSV tables, or the table files; together they "
      "form one plan: rules, chutes, groups and the dock's doors). Every problem is printed as "
      "FILE:LINE:COLUMN: problem. Exit status: 0 "
      "valid, 1 problems found (or, with --coverage, a county unreached), 2 unreadable.");
  auto options = std::make_shared<PlanCheckOptions>();
  cmd->add_option("paths", options->paths, "Plan directory or CSV files")->required();
  cmd->add_flag("--coverage", options->coverage,
                "Also list the county-level divisions that no rule reaches for some service");
  cmd->add_option("--divisions", options->divisions, "Division table directory")
      ->capture_default_str();
  return {plan, [options] { return PlanCheck(*options); }};
}

}  // namespace sortline::cli
