#include "pipeline/flow/order_flow.h"

#include <atomic>
#include <filesystem>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "pipeline/model/orders.h"
#include "pipeline/model/s10.h"
#include "tests/testing/testing.h"

namespace sortline::flow {
namespace {

class OrderFlowTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto divisions = model::DivisionTable::Load(testing::DivisionsDir(), /*with_towns=*/true);
    ASSERT_TRUE(divisions.ok()) << divisions.status();
    divisions_ = std::move(divisions).value().release();
    auto plan = sort::SortPlan::Load(testing::DefaultPlanPath(), divisions_);
    ASSERT_TRUE(plan.ok()) << plan.status();
    plan_ = std::shared_ptr<const sort::SortPlan>(std::move(plan).value());
  }
  static void TearDownTestSuite() {
    plan_.reset();
    delete divisions_;
  }

  FlowDeps Deps(label::LabelSink* sink) const {
    FlowDeps deps;
    deps.divisions = divisions_;
    deps.plan = [] { return plan_; };
    deps.sink = sink;
    return deps;
  }

  // Orders with tracking numbers, as intake hands them to a worker.
  static std::vector<v1::Order> Orders(int n) {
    model::OrderGenerator gen(*divisions_, model::GeneratorOptions{});
    std::vector<v1::Order> orders;
    for (int i = 0; i < n; ++i) {
      v1::Order order = gen.Generate(static_cast<uint64_t>(i));
      order.set_tracking_number(model::FormatS10("EA", static_cast<uint32_t>(1000 + i), "CN"));
      orders.push_back(std::move(order));
    }
    return orders;
  }

  static model::DivisionTable* divisions_;
  static std::shared_ptr<const sort::SortPlan> plan_;
  testing::TempDir dir_;
};

model::DivisionTable* OrderFlowTest::divisions_ = nullptr;
std::shared_ptr<const sort::SortPlan> OrderFlowTest::plan_;

TEST_F(OrderFlowTest, EveryOrderIsSortedLabelledAndEmittedOnce) {
  auto sink = label::OpenDirectorySink(dir_.file("labels"), label::SinkOptions{});
  ASSERT_TRUE(sink.ok());
  std::vector<v1::Order> orders = Orders(200);
  size_t next = 0;
  std::map<std::string, v1::SortRecord> emitted;
  Status s = RunOrderFlow(
      FlowOptions{}, Deps(sink->get()),
      [&](FlowItem& item) {
        if (next == orders.size()) return false;
        item.order = orders[next++];
        return true;
      },
      [&](FlowItem&& item) {
        EXPECT_TRUE(item.status.ok()) << item.status;
        EXPECT_TRUE(emitted.emplace(item.record.order_id(), item.record).second);
      });
  ASSERT_TRUE(s.ok()) << s;
  ASSERT_EQ(emitted.size(), orders.size());
  for (const v1::Order& order : orders) {
    const v1::SortRecord& record = emitted.at(order.order_id());
    EXPECT_EQ(record.tracking_number(), order.tracking_number());
    EXPECT_TRUE(record.outcome() == v1::OUTCOME_SORTED || record.outcome() == v1::OUTCOME_NO_RULE);
    EXPECT_FALSE(record.chute().empty());
    EXPECT_EQ(record.plan_version(), plan_->version());
    EXPECT_TRUE(std::filesystem::exists(dir_.path() / "labels" / record.label().path()));
    EXPECT_GT(record.label().bytes(), 0u);
  }
}

TEST_F(OrderFlowTest, BadOrdersFailOnTheirItemAndNeverCostTheOthers) {
  auto sink = label::OpenDirectorySink(dir_.file("labels"), label::SinkOptions{});
  ASSERT_TRUE(sink.ok());
  std::vector<v1::Order> good = Orders(50);
  v1::Order unknown = good[0];
  unknown.set_order_id("BAD-DIV");
  unknown.mutable_recipient()->set_division_code("999999");
  std::vector<std::string> lines;
  for (const v1::Order& o : good) lines.push_back(model::OrderToJson(o));
  lines.insert(lines.begin() + 10, "{not json");
  lines.insert(lines.begin() + 20, model::OrderToJson(unknown));
  size_t next = 0;
  std::map<uint64_t, FlowItem> by_line;
  Status s = RunOrderFlow(
      FlowOptions{}, Deps(sink->get()),
      [&](FlowItem& item) {
        if (next == lines.size()) return false;
        item.line = next + 1;
        item.json = lines[next++];
        return true;
      },
      [&](FlowItem&& item) { by_line.emplace(item.line, std::move(item)); });
  ASSERT_TRUE(s.ok()) << s;
  ASSERT_EQ(by_line.size(), lines.size());
  int ok = 0;
  for (const auto& [line, item] : by_line) {
    if (line == 11 || line == 21) {
      EXPECT_FALSE(item.status.ok()) << line;
      EXPECT_EQ(item.record.outcome(), v1::OUTCOME_REJECTED);
      EXPECT_FALSE(item.record.reason().empty());
      EXPECT_FALSE(item.record.has_label()) << "no label for a rejected order";
    } else {
      EXPECT_TRUE(item.status.ok()) << line << ": " << item.status;
      ++ok;
    }
  }
  EXPECT_EQ(ok, 50);
  EXPECT_NE(by_line.at(21).record.reason().find("999999"), std::string::npos);
  EXPECT_FALSE(by_line.at(21).record.chute().empty()) << "rejected parcels get the reject chute";
}

TEST_F(OrderFlowTest, NeverHoldsMoreThanMaxInFlightItems) {
  std::vector<v1::Order> orders = Orders(300);
  std::atomic<int> in_flight{0};
  int peak = 0;
  size_t next = 0;
  FlowOptions options;
  options.max_in_flight = 8;
  options.render_labels = false;
  Status s = RunOrderFlow(
      options, Deps(nullptr),
      [&](FlowItem& item) {
        if (next == orders.size()) return false;
        item.order = orders[next++];
        peak = std::max(peak, ++in_flight);
        return true;
      },
      [&](FlowItem&&) { --in_flight; });
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_EQ(next, orders.size());
  EXPECT_LE(peak, 8);
  EXPECT_EQ(in_flight.load(), 0);
}

TEST_F(OrderFlowTest, AnOrderKeepsThePlanItWasAssignedWith) {
  auto other = sort::SortPlan::Parse({{"rules.csv",
                                       "prefix,sort_code,chute_group,dock_door,route\n"
                                       "61,111-11-11,C111,D01,R-X\n"},
                                      {"chutes.csv",
                                       "chute,kind,capacity,sort_code,dock_door,route\n"
                                       "C111,normal,100,,,\n"
                                       "C900,no-rule,100,999-99-99,D09,R-HOLD\n"
                                       "C901,reject,100,000-00-00,D09,R-HOLD\n"}},
                                     divisions_);
  ASSERT_TRUE(other.ok()) << other.status();
  std::shared_ptr<const sort::SortPlan> second(std::move(other).value());
  std::atomic<int> calls{0};
  FlowDeps deps = Deps(nullptr);
  deps.plan = [&] { return calls++ < 5 ? plan_ : second; };
  std::vector<v1::Order> orders = Orders(20);
  size_t next = 0;
  std::set<std::string> versions;
  FlowOptions options;
  options.render_labels = false;
  ASSERT_TRUE(RunOrderFlow(
                  options, deps,
                  [&](FlowItem& item) {
                    if (next == orders.size()) return false;
                    item.order = orders[next++];
                    return true;
                  },
                  [&](FlowItem&& item) { versions.insert(item.record.plan_version()); })
                  .ok());
  EXPECT_EQ(versions, (std::set<std::string>{plan_->version(), second->version()}));
}

TEST_F(OrderFlowTest, MissingDependenciesAreRefusedUpFront) {
  FlowDeps deps;
  Status s = RunOrderFlow(
      FlowOptions{}, deps, [](FlowItem&) { return false; }, [](FlowItem&&) {});
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace sortline::flow
