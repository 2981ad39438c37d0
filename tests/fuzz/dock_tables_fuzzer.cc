// The dock's tables, as the dock reads them from the plan (issue 14: one plan for the
// whole centre): the chutes table with its telegram exits and the doors table with the
// trucks' routes, capacities and departure times, through the CSV reader, plan
// validation (the dock reads the plan without the division table, as sortline-dock
// does) and the dock's configuration. The input is split at "=====" lines into up to
// four tables. Properties: nothing crashes; errors are valid UTF-8 without NUL; in an
// accepted plan every chute gets an exit number a telegram can carry, and no door's
// truck has a negative capacity (0 stands for the dock's default).
#include <cstddef>
#include <cstdint>
#include <fstream>
#include <iterator>
#include <string>
#include <string_view>
#include <vector>

#include "pipeline/base/text.h"
#include "pipeline/dock/config.h"
#include "pipeline/sort/sort_plan.h"
#include "tests/fuzz/fuzz_support.h"

namespace sortline::fuzz {

// The shipped plan's chutes and doors, together and alone, and with the other tables.
void WriteSeeds(const SeedWriter& write) {
  auto read = [](const std::string& table) {
    std::ifstream in(SourcePath("deploy/plans/xian-hub/" + table + ".csv"), std::ios::binary);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  };
  const std::string marker(kFileMarker.substr(1));
  const std::string chutes = read("chutes");
  const std::string doors = read("doors");
  write("plan-chutes-and-doors", chutes + marker + doors);
  write("plan-whole", chutes + marker + doors + marker + read("groups") + marker + read("rules"));
  write("plan-doors", doors);
}

}  // namespace sortline::fuzz

namespace {

// Errors are printed on the terminal and logged: valid UTF-8, no NUL to cut them short.
void CheckError(const sortline::Status& status) {
  sortline::fuzz::Check(sortline::IsValidUtf8(status.message()), "a table error is not UTF-8");
  sortline::fuzz::Check(status.message().find('\0') == std::string::npos,
                        "a table error holds a NUL");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace sortline;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const std::vector<sort::PlanFile> files = fuzz::SplitPlanFiles(input, "table");
  Result<std::unique_ptr<sort::SortPlan>> plan = sort::SortPlan::Parse(files, nullptr);
  if (!plan.ok()) {
    CheckError(plan.status());
    return 0;
  }
  dock::DockConfig base;
  base.expected_parcels = 64;
  const dock::DockConfig config = dock::ConfigFromPlan(**plan, base);
  for (const auto& [name, chute] : config.chutes) {
    fuzz::Check(dock::ExitNumber(config, name) <= 255, "an exit number past one byte");
  }
  for (const auto& [name, door] : config.doors) {
    fuzz::Check(door.truck_max_weight_g() >= 0 && door.truck_max_volume_cm3() >= 0,
                "a door whose truck has a negative capacity");
  }
  return 0;
}
