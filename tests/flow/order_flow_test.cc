#include "pipeline/flow/order_flow.h"

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "pipeline/model/orders.h"
#include "pipeline/model/s10.h"
#include "tests/testing/fault_file_system.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/testing.h"

namespace sortline::flow {
namespace {

// A flow source that hands out `orders` in turn and then ends. `orders` is borrowed and
// must outlive the run.
std::function<bool(FlowItem&)> SourceOf(const std::vector<v1::Order>& orders) {
  return [&orders, next = size_t{0}](FlowItem& item) mutable {
    if (next == orders.size()) return false;
    item.order = orders[next++];
    return true;
  };
}

class OrderFlowTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto divisions = model::DivisionTable::Load(testing::DivisionsDir(), /*with_towns=*/true);
    ASSERT_OK(divisions);
    divisions_ = std::move(divisions).value().release();
    auto plan = sort::SortPlan::Load(testing::DefaultPlanPath(), divisions_);
    ASSERT_OK(plan);
    plan_ = std::shared_ptr<const sort::SortPlan>(std::move(plan).value());
  }
  static void TearDownTestSuite() {
    plan_.reset();
    delete divisions_;
  }

  FlowDeps Deps(label::LabelStore* labels) const {
    FlowDeps deps;
    deps.divisions = divisions_;
    deps.plan = [] { return plan_; };
    deps.labels = labels;
    return deps;
  }

  std::unique_ptr<label::LabelStore> OpenStore(FileSystem* fs = nullptr) {
    label::LabelStoreOptions options;
    options.durable = false;
    options.file_system = fs;
    auto store = label::LabelStore::Open(dir_.file("labels"), options);
    EXPECT_OK(store);
    return std::move(store).value();
  }

  // Runs `orders` through the flow and returns the emitted items by order id.
  std::map<std::string, FlowItem> RunOrders(const std::vector<v1::Order>& orders,
                                            const FlowOptions& options, label::LabelStore* labels,
                                            std::vector<std::string>* emit_order = nullptr) {
    std::map<std::string, FlowItem> emitted;
    Status s = RunOrderFlow(options, Deps(labels), SourceOf(orders), [&](FlowItem&& item) {
      if (emit_order != nullptr) emit_order->push_back(item.order.order_id());
      const std::string id = item.order.order_id();
      EXPECT_TRUE(emitted.emplace(id, std::move(item)).second) << id;
    });
    EXPECT_OK(s);
    return emitted;
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

TEST_F(OrderFlowTest, EveryOrderIsSortedLabelledAndEmittedOnceInInputOrder) {
  auto labels = OpenStore();
  std::vector<v1::Order> orders = Orders(200);
  std::vector<std::string> emit_order;
  std::map<std::string, FlowItem> emitted =
      RunOrders(orders, FlowOptions{}, labels.get(), &emit_order);
  ASSERT_EQ(emitted.size(), orders.size());
  std::set<uint32_t> pages;
  for (size_t i = 0; i < orders.size(); ++i) {
    const v1::Order& order = orders[i];
    EXPECT_EQ(emit_order[i], order.order_id());
    const v1::SortRecord& record = emitted.at(order.order_id()).record;
    EXPECT_OK(emitted.at(order.order_id()).status);
    EXPECT_EQ(record.tracking_number(), order.tracking_number());
    EXPECT_TRUE(record.outcome() == v1::OUTCOME_SORTED || record.outcome() == v1::OUTCOME_NO_RULE);
    EXPECT_FALSE(record.chute().empty());
    EXPECT_EQ(record.plan_version(), plan_->version());
    // One batch file; each record names its own page.
    EXPECT_EQ(record.label().path(), emitted.begin()->second.record.label().path());
    EXPECT_TRUE(pages.insert(record.label().page()).second) << record.label().page();
    EXPECT_TRUE(std::filesystem::exists(dir_.path() / "labels" / record.label().path()));
  }
  EXPECT_EQ(*pages.begin(), 1u);
  EXPECT_EQ(*pages.rbegin(), 200u);
  // Pages are in tracking number order, so the same orders give the same file.
  auto file = labels->Find(orders[0].tracking_number());
  ASSERT_OK(file);
  EXPECT_EQ(file->page(), 1u);
}

TEST_F(OrderFlowTest, TheSameOrdersGiveTheSameBatchFileAndRecordsIssue10) {
  auto labels = OpenStore();
  std::vector<v1::Order> orders = Orders(40);
  std::map<std::string, FlowItem> first = RunOrders(orders, FlowOptions{}, labels.get());
  std::reverse(orders.begin(), orders.end());  // redelivered, in another order
  std::map<std::string, FlowItem> second = RunOrders(orders, FlowOptions{}, labels.get());
  ASSERT_EQ(first.size(), second.size());
  for (const auto& [id, item] : first) {
    EXPECT_EQ(second.at(id).record.SerializeAsString(), item.record.SerializeAsString()) << id;
  }
}

TEST_F(OrderFlowTest, ABatchAlsoGetsOneZplPrintJobInPageOrderWhenAsked) {
  auto labels = OpenStore();
  std::vector<v1::Order> orders = Orders(12);
  FlowOptions options;
  options.zpl_dpi = 203;
  options.chute_order = true;
  std::map<std::string, FlowItem> emitted = RunOrders(orders, options, labels.get());
  const std::string pdf = emitted.begin()->second.record.label().path();
  const std::string zpl_name = pdf.substr(0, pdf.size() - 4) + ".zpl";
  std::string zpl;
  ASSERT_OK(DefaultFileSystem().ReadFile(dir_.file("labels/" + zpl_name), &zpl));
  // One label per page, in the PDF's page order (by chute here).
  std::vector<std::pair<uint32_t, std::string>> by_page;
  for (const auto& [id, item] : emitted) {
    by_page.emplace_back(item.record.label().page(), item.order.tracking_number());
  }
  std::sort(by_page.begin(), by_page.end());
  size_t at = 0;
  for (const auto& [page, tracking] : by_page) {
    const size_t start = zpl.find("^XA", at);
    ASSERT_NE(start, std::string::npos) << "page " << page;
    const size_t found = zpl.find(tracking, start);
    ASSERT_NE(found, std::string::npos) << tracking;
    EXPECT_LT(found, zpl.find("^XZ", start)) << tracking << " is on label " << page;
    at = zpl.find("^XZ", start) + 3;
  }
  EXPECT_EQ(zpl.find("^XA", at), std::string::npos) << "no more labels than pages";
}

TEST_F(OrderFlowTest, PerParcelLabelsAreOneFileEach) {
  auto labels = OpenStore();
  std::vector<v1::Order> orders = Orders(30);
  FlowOptions options;
  options.label_files = label::LabelFiles::kPerParcel;
  std::map<std::string, FlowItem> emitted = RunOrders(orders, options, labels.get());
  ASSERT_EQ(emitted.size(), orders.size());
  for (const auto& [id, item] : emitted) {
    EXPECT_EQ(item.record.label().path(), item.order.tracking_number() + ".pdf");
    EXPECT_EQ(item.record.label().page(), 0u);
    EXPECT_TRUE(item.label_pdf.empty()) << "bytes released once stored";
    EXPECT_TRUE(std::filesystem::exists(dir_.path() / "labels" / item.record.label().path()));
  }
}

TEST_F(OrderFlowTest, ARefusedLabelWriteFailsEveryLabelledItemWithTheStoreStatusIssue10) {
  testing::FaultInjectingFileSystem fs;
  auto labels = OpenStore(&fs);
  std::vector<v1::Order> orders = Orders(20);
  orders[5].mutable_recipient()->set_division_code("999999");  // rejected: no label
  fs.SetDiskFull(true);
  for (label::LabelFiles files : {label::LabelFiles::kBatch, label::LabelFiles::kPerParcel}) {
    FlowOptions options;
    options.label_files = files;
    std::map<std::string, FlowItem> emitted = RunOrders(orders, options, labels.get());
    ASSERT_EQ(emitted.size(), orders.size());
    for (const auto& [id, item] : emitted) {
      if (id == orders[5].order_id()) {
        EXPECT_EQ(item.record.outcome(), v1::OUTCOME_REJECTED);
        continue;
      }
      EXPECT_EQ(item.status.code(), StatusCode::kResourceExhausted) << item.status;
      EXPECT_EQ(item.record.outcome(), v1::OUTCOME_FAILED);
      EXPECT_FALSE(item.record.has_label());
    }
  }
}

TEST_F(OrderFlowTest, BadOrdersFailOnTheirItemAndNeverCostTheOthers) {
  auto labels = OpenStore();
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
      FlowOptions{}, Deps(labels.get()),
      [&](FlowItem& item) {
        if (next == lines.size()) return false;
        item.line = next + 1;
        item.json = lines[next++];
        return true;
      },
      [&](FlowItem&& item) { by_line.emplace(item.line, std::move(item)); });
  ASSERT_OK(s);
  ASSERT_EQ(by_line.size(), lines.size());
  int ok = 0;
  for (const auto& [line, item] : by_line) {
    if (line == 11 || line == 21) {
      EXPECT_FALSE(item.status.ok()) << line;
      EXPECT_EQ(item.record.outcome(), v1::OUTCOME_REJECTED);
      EXPECT_FALSE(item.record.reason().empty());
      EXPECT_FALSE(item.record.has_label()) << "no label for a rejected order";
    } else {
      EXPECT_OK(item.status) << line << ": " << item.status;
      ++ok;
    }
  }
  EXPECT_EQ(ok, 50);
  EXPECT_NE(by_line.at(21).record.reason().find("999999"), std::string::npos);
  EXPECT_FALSE(by_line.at(21).record.chute().empty()) << "rejected parcels get the reject chute";
}

TEST_F(OrderFlowTest, NeverHasMoreThanMaxInFlightItemsInTheStages) {
  // An item leaves the stages when it is collected for the label phase, after its
  // assignment: so the source is never more than max_in_flight ahead of assign.
  std::vector<v1::Order> orders = Orders(300);
  std::atomic<int> assigned{0};
  int peak = 0;
  size_t next = 0;
  FlowOptions options;
  options.max_in_flight = 8;
  options.render_labels = false;
  FlowDeps deps = Deps(nullptr);
  deps.plan = [&] {
    ++assigned;
    return plan_;
  };
  size_t emitted = 0;
  Status s = RunOrderFlow(
      options, deps,
      [&](FlowItem& item) {
        if (next == orders.size()) return false;
        item.order = orders[next++];
        peak = std::max(peak, static_cast<int>(next) - assigned.load());
        return true;
      },
      [&](FlowItem&&) { ++emitted; });
  ASSERT_OK(s);
  EXPECT_EQ(next, orders.size());
  EXPECT_EQ(emitted, orders.size());
  EXPECT_LE(peak, 8);
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
  ASSERT_OK(other);
  std::shared_ptr<const sort::SortPlan> second(std::move(other).value());
  std::atomic<int> calls{0};
  FlowDeps deps = Deps(nullptr);
  deps.plan = [&] { return calls++ < 5 ? plan_ : second; };
  std::vector<v1::Order> orders = Orders(20);
  std::set<std::string> versions;
  FlowOptions options;
  options.render_labels = false;
  ASSERT_TRUE(RunOrderFlow(options, deps, SourceOf(orders), [&](FlowItem&& item) {
                versions.insert(item.record.plan_version());
              }).ok());
  EXPECT_EQ(versions, (std::set<std::string>{plan_->version(), second->version()}));
}

// Issue 15: an item whose emit throws was dropped without a trace; now it is reported
// with its position and why, and every other item is still emitted.
TEST_F(OrderFlowTest, AnItemWhoseEmitThrowsIsReportedAndTheOthersStillArriveIssue15) {
  std::vector<v1::Order> orders = Orders(10);
  std::vector<std::string> emitted;
  std::vector<std::pair<uint64_t, Status>> lost;
  FlowOptions options;
  options.render_labels = false;
  options.on_lost = [&lost](uint64_t index, const Status& why) { lost.emplace_back(index, why); };
  Status s = RunOrderFlow(options, Deps(nullptr), SourceOf(orders), [&](FlowItem&& item) {
    if (item.index == 3) throw std::runtime_error("socket gone");
    if (item.index == 7) throw 7;
    emitted.push_back(item.order.order_id());
  });
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_EQ(emitted.size(), 8u);
  ASSERT_EQ(lost.size(), 2u);
  EXPECT_EQ(lost[0].first, 3u);
  EXPECT_EQ(lost[0].second.code(), StatusCode::kInternal);
  EXPECT_NE(lost[0].second.message().find("socket gone"), std::string::npos) << lost[0].second;
  EXPECT_EQ(lost[1].first, 7u);
  EXPECT_NE(lost[1].second.message().find("unknown type"), std::string::npos) << lost[1].second;
}

TEST_F(OrderFlowTest, MissingDependenciesAreRefusedUpFront) {
  FlowDeps deps;
  Status s = RunOrderFlow(
      FlowOptions{}, deps, [](FlowItem&) { return false; }, [](FlowItem&&) {});
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace sortline::flow
