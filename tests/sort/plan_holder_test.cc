#include "pipeline/sort/plan_holder.h"

#include <atomic>
#include <chrono>
#include <fstream>
#include <thread>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/testing/status_matchers.h"
#include "tests/testing/testing.h"

namespace sortline::sort {
namespace {

using ::testing::HasSubstr;

const model::DivisionTable& Table() {
  static const model::DivisionTable* table = [] {
    auto loaded = model::DivisionTable::Load(testing::DivisionsDir(), /*with_towns=*/false);
    EXPECT_OK(loaded);
    return std::move(loaded).value().release();
  }();
  return *table;
}

constexpr char kChutes[] =
    "chute,kind,capacity,overflow,sort_code,dock_door,route\n"
    "C027,normal,400,,,,\n"
    "C052,normal,400,,,,\n"
    "C900,no-rule,300,,710-99-99,D12,R-HOLD\n"
    "C901,reject,300,,710-99-00,D12,R-HOLD\n";

// A plan that sends Weinan's 临渭区 to `chute`.
std::string RulesTo(const std::string& chute) {
  return "prefix,sort_code,chute_group,dock_door,route\n"
         "61,710-00-27,C027,D07,R-SN\n"
         "610502,710-50-01," +
         chute + ",D11,R-WN\n";
}

void WritePlan(const testing::TempDir& dir, const std::string& rules) {
  std::ofstream(dir.file("chutes.csv")) << kChutes;
  // Write then rename, as an editor does, so a reader never sees half a file.
  { std::ofstream(dir.file(".rules.tmp")) << rules; }
  std::filesystem::rename(dir.file(".rules.tmp"), dir.file("rules.csv"));
}

std::shared_ptr<const SortPlan> MustLoad(const testing::TempDir& dir) {
  auto plan = SortPlan::Load(dir.path().string(), &Table());
  EXPECT_OK(plan);
  return plan.ok() ? std::shared_ptr<const SortPlan>(std::move(plan).value()) : nullptr;
}

v1::Order OrderTo610502() {
  v1::Order order = testing::SampleOrder();
  order.set_service(v1::SERVICE_STANDARD);
  return order;
}

ReloaderOptions NoWatcher(std::vector<std::string>* log = nullptr) {
  ReloaderOptions options;
  options.poll_interval = std::chrono::milliseconds(0);
  if (log != nullptr) {
    options.log = [log](LogLevel level, std::string_view component, std::string_view message) {
      log->push_back(std::string(LogLevelName(level)) + " " + std::string(component) + ": " +
                     std::string(message));
    };
  }
  return options;
}

TEST(PlanReloader, ReloadSwapsInTheEditedPlanAndOldSnapshotsStayUsable) {
  testing::TempDir dir;
  WritePlan(dir, RulesTo("C052"));
  PlanHolder holder(MustLoad(dir));
  std::vector<std::string> log;
  PlanReloader reloader({dir.path().string()}, &Table(), holder, NoWatcher(&log));
  std::shared_ptr<const SortPlan> before = holder.Get();

  WritePlan(dir, RulesTo("C027"));
  ASSERT_OK(reloader.Reload());
  std::shared_ptr<const SortPlan> after = holder.Get();
  EXPECT_NE(after->version(), before->version());
  v1::SortRecord record;
  after->Assign(OrderTo610502(), &record);
  EXPECT_EQ(record.chute(), "C027");
  EXPECT_EQ(record.plan_version(), after->version());
  before->Assign(OrderTo610502(), &record);  // an order in flight keeps its plan
  EXPECT_EQ(record.chute(), "C052");
  EXPECT_EQ(record.plan_version(), before->version());
  ASSERT_EQ(log.size(), 1u);
  EXPECT_THAT(log[0], HasSubstr("info plan: sort plan "));
  EXPECT_THAT(log[0], HasSubstr("replaces " + before->version()));
}

TEST(PlanReloader, AnInvalidPlanIsRefusedWithItsErrorsAndTheOldOneKeepsServing) {
  testing::TempDir dir;
  WritePlan(dir, RulesTo("C052"));
  PlanHolder holder(MustLoad(dir));
  const std::string version = holder.Get()->version();
  std::vector<std::string> log;
  PlanReloader reloader({dir.path().string()}, &Table(), holder, NoWatcher(&log));

  WritePlan(dir, RulesTo("C404"));
  Status refused = reloader.Reload();
  EXPECT_EQ(refused.code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(refused.message(), HasSubstr("rules.csv:3:3: unknown chute or group C404"));
  EXPECT_EQ(holder.Get()->version(), version);
  ASSERT_EQ(log.size(), 1u);
  EXPECT_THAT(log[0], HasSubstr("error plan: sort plan reload refused, still serving " + version));
  EXPECT_THAT(log[0], HasSubstr("unknown chute or group C404"));
}

TEST(PlanReloader, TheWatcherPicksUpAChangedFile) {
  testing::TempDir dir;
  WritePlan(dir, RulesTo("C052"));
  PlanHolder holder(MustLoad(dir));
  const std::string version = holder.Get()->version();
  ReloaderOptions options;
  options.poll_interval = std::chrono::milliseconds(10);
  PlanReloader reloader({dir.path().string()}, &Table(), holder, options);
  WritePlan(dir, RulesTo("C027") + "# one more line, so the size changes too\n");
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (holder.Get()->version() == version && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ASSERT_NE(holder.Get()->version(), version);
  v1::SortRecord record;
  holder.Get()->Assign(OrderTo610502(), &record);
  EXPECT_EQ(record.chute(), "C027");
}

// Each record must be wholly from one plan: the chute that plan gives with its version.
TEST(PlanReloader, ReloadingWhileOtherThreadsAssignGivesConsistentRecords) {
  testing::TempDir dir_a;
  testing::TempDir dir_b;
  WritePlan(dir_a, RulesTo("C052"));
  WritePlan(dir_b, RulesTo("C027"));
  std::shared_ptr<const SortPlan> a = MustLoad(dir_a);
  std::shared_ptr<const SortPlan> b = MustLoad(dir_b);
  ASSERT_TRUE(a && b);
  const std::string version_a = a->version();
  const std::string version_b = b->version();
  PlanHolder holder(a);
  testing::TempDir live;
  WritePlan(live, RulesTo("C052"));
  PlanReloader reloader({live.path().string()}, &Table(), holder, NoWatcher());
  a.reset();
  b.reset();

  std::atomic<bool> stop{false};
  std::atomic<int> mismatches{0};
  std::atomic<int> seen_a{0};
  std::atomic<int> seen_b{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 3; ++t) {
    threads.emplace_back([&] {
      const v1::Order order = OrderTo610502();
      v1::SortRecord record;
      while (!stop.load()) {
        std::shared_ptr<const SortPlan> plan = holder.Get();
        plan->Assign(order, &record);
        const bool is_a = record.plan_version() == version_a && record.chute() == "C052";
        const bool is_b = record.plan_version() == version_b && record.chute() == "C027";
        if (!is_a && !is_b) mismatches.fetch_add(1);
        (is_a ? seen_a : seen_b).fetch_add(1);
      }
    });
  }
  for (int i = 0; i < 40; ++i) {
    WritePlan(live, RulesTo(i % 2 == 0 ? "C027" : "C052"));
    ASSERT_OK(reloader.Reload());
    WritePlan(live, RulesTo("C404"));  // refused: the last good plan stays
    ASSERT_FALSE(reloader.Reload().ok());
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  stop = true;
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(mismatches.load(), 0);
  EXPECT_GT(seen_a.load(), 0);
  EXPECT_GT(seen_b.load(), 0);
  EXPECT_EQ(holder.Get()->version(), version_a);  // the 40th reload wrote C052
}

}  // namespace
}  // namespace sortline::sort
