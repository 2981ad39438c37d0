// A running sortline-worker reloads its sort plan on SIGHUP: records after the switch
// carry the new plan version, and an invalid edit is refused while the old plan serves.
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <signal.h>

#include "pipeline/model/orders.h"
#include "pipeline/sort/sort_plan.h"
#include "pipeline/store/dock_store.h"
#include "tests/testing/daemons.h"
#include "tests/testing/process.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/testing.h"

namespace sortline {
namespace {

using std::chrono::milliseconds;

using testing::Bin;
using testing::Endpoint;

// `count` generated orders whose ids start with `prefix`, as an orders file.
void WriteOrders(const model::DivisionTable& divisions, const std::string& prefix, int count,
                 const std::string& path) {
  model::GeneratorOptions options;
  options.order_id_prefix = prefix;
  options.seed = static_cast<uint64_t>(prefix[0]);
  model::OrderGenerator generator(divisions, options);
  std::ofstream out(path, std::ios::trunc);
  for (int i = 0; i < count; ++i) {
    out << model::OrderToJson(generator.Generate(static_cast<uint64_t>(i))) << '\n';
  }
}

std::string Replace(std::string text, const std::string& from, const std::string& to) {
  size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) text.replace(at, from.size(), to);
  return text;
}

// Waits until `log` contains `needle` `times` times.
bool WaitForLog(const std::string& log, const std::string& needle, int times) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (std::chrono::steady_clock::now() < deadline) {
    std::string text = testing::ReadFile(log);
    int found = 0;
    for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) {
      ++found;
    }
    if (found >= times) return true;
    std::this_thread::sleep_for(milliseconds(50));
  }
  return false;
}

TEST(PlanReload, AWorkerSwitchesPlansOnSighupAndRefusesAnInvalidEdit) {
  testing::TempDir dir;
  auto divisions = model::DivisionTable::Load(testing::DivisionsDir());
  ASSERT_OK(divisions);
  const std::string plan = dir.file("plan");
  std::filesystem::copy(testing::DefaultPlanPath(), plan);
  const std::string rules_path = plan + "/rules.csv";
  const std::string original_rules = testing::ReadFile(rules_path);
  auto first = sort::SortPlan::Load(plan, divisions->get());
  ASSERT_OK(first);

  const testing::PipelinePorts ports;
  const std::string log = dir.file("daemons.log");
  std::vector<std::unique_ptr<testing::Subprocess>> daemons;
  testing::StartDockAndIntake(ports, dir.path().string(), log, daemons);
  // SIGHUP only: the file watcher must not be what switches the plan here.
  testing::WorkerFlags worker_flags = testing::PipelineWorker(
      ports, dir.file("labels"), "w1", {"--plan", plan, "--plan-poll-ms", "0"});
  worker_flags.fsync = false;
  daemons.push_back(testing::StartWorker(worker_flags, log));
  testing::Subprocess& worker = *daemons.back();

  auto submit = [&](const std::string& prefix) {
    const std::string orders = dir.file(prefix + ".jsonl");
    WriteOrders(**divisions, prefix, 300, orders);
    testing::CommandResult result =
        testing::RunCommand(Bin("sortline") + " submit " + orders + " --intake " +
                            Endpoint(ports.submit) + " --stall-timeout-ms 60000");
    EXPECT_EQ(result.exit_code, 0) << result.output << "\n" << testing::ReadFile(log);
  };

  submit("A");
  // The edit moves Xi'an's parcels to dock door D13 on a route of their own (a door of the
  // plan's doors table; issue 14); SIGHUP switches to it.
  const std::string edited_rules =
      Replace(original_rules, "西安市,G-XA-01,D08,R-XA-01", "西安市,G-XA-01,D13,R-XA-02");
  std::ofstream(rules_path, std::ios::trunc) << edited_rules;
  auto second = sort::SortPlan::Load(plan, divisions->get());
  ASSERT_OK(second);
  ASSERT_NE((*second)->version(), (*first)->version());
  worker.Signal(SIGHUP);
  ASSERT_TRUE(WaitForLog(log, "replaces " + (*first)->version(), 1)) << testing::ReadFile(log);
  submit("B");

  // An invalid edit: refused with its error, the edited plan keeps serving.
  std::ofstream(rules_path, std::ios::trunc)
      << Replace(edited_rules, "西安市,G-XA-01", "西安市,G-NOWHERE");
  worker.Signal(SIGHUP);
  ASSERT_TRUE(WaitForLog(log, "unknown chute or group G-NOWHERE", 1)) << testing::ReadFile(log);
  EXPECT_TRUE(WaitForLog(log, "still serving " + (*second)->version(), 1));
  submit("C");

  for (auto& daemon : daemons) daemon->Signal(SIGTERM);
  for (auto& daemon : daemons) {
    std::optional<int> code = daemon->Wait(milliseconds(20'000));
    ASSERT_TRUE(code.has_value()) << testing::ReadFile(log);
    EXPECT_EQ(*code, 0) << testing::ReadFile(log);
  }

  auto dock = store::DockStore::Open(dir.file("dock.db"), store::DockStoreOptions{});
  ASSERT_OK(dock);
  std::map<char, std::map<std::string, int>> versions;  // batch -> version -> records
  std::map<char, int> to_xian;
  ASSERT_TRUE((*dock)
                  ->ForEach([&](const v1::SortRecord& record) {
                    const char batch = record.order_id()[0];
                    ++versions[batch][record.plan_version()];
                    if (record.division_code().rfind("6101", 0) == 0 &&
                        record.outcome() == v1::OUTCOME_SORTED && record.route() == "R-XA-01") {
                      EXPECT_EQ(record.dock_door(), batch == 'A' ? "D08" : "D13")
                          << record.order_id();
                      ++to_xian[batch];
                    }
                    return true;
                  })
                  .ok());
  const std::map<std::string, int> all_first = {{(*first)->version(), 300}};
  const std::map<std::string, int> all_second = {{(*second)->version(), 300}};
  EXPECT_EQ(versions['A'], all_first);
  EXPECT_EQ(versions['B'], all_second);
  EXPECT_EQ(versions['C'], all_second);
  EXPECT_GT(to_xian['A'] + to_xian['B'] + to_xian['C'], 0);
}

}  // namespace
}  // namespace sortline
