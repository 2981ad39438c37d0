// Lane assignment with the example Xi'an hub plan over generated festival orders, and the
// cost of loading what it needs (division table, plan).
#include <memory>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "bench/bench_status.h"
#include "pipeline/model/divisions.h"
#include "pipeline/model/orders.h"
#include "pipeline/sort/sort_plan.h"

namespace sortline::sort {
namespace {

const model::DivisionTable* Table() {
  static const model::DivisionTable* table = [] {
    auto loaded = model::DivisionTable::Load(SORTLINE_DATA_DIR);
    return loaded.ok() ? std::move(loaded).value().release() : nullptr;
  }();
  return table;
}

const std::vector<v1::Order>& Orders() {
  static const std::vector<v1::Order> orders = [] {
    std::vector<v1::Order> out;
    if (Table() == nullptr) return out;
    model::OrderGenerator generator(*Table(), model::GeneratorOptions{});
    for (uint64_t i = 0; i < 4096; ++i) out.push_back(generator.Generate(i));
    return out;
  }();
  return orders;
}

// Orders with tracking numbers, as intake hands them to workers, so that balancing over a
// chute group hashes what it hashes in production.
const std::vector<v1::Order>& TrackedOrders() {
  static const std::vector<v1::Order> orders = [] {
    std::vector<v1::Order> out = Orders();
    for (size_t i = 0; i < out.size(); ++i) {
      out[i].set_tracking_number("EA" + std::to_string(100'000'000 + i) + "CN");
    }
    return out;
  }();
  return orders;
}

// The division table; null, and the benchmark skipped, when it cannot be loaded.
const model::DivisionTable* TableOrSkip(benchmark::State& state) {
  if (Table() == nullptr) state.SkipWithError("cannot load the division table");
  return Table();
}

std::unique_ptr<SortPlan> ExamplePlan(benchmark::State& state) {
  if (TableOrSkip(state) == nullptr) return nullptr;
  return bench::ValueOrSkip(state, SortPlan::Load(SORTLINE_DEFAULT_PLAN, Table()));
}

// Times `step(plan, order)` with the example plan over the first `distinct` tracked
// orders in turn (items = orders). REQUIRES: `distinct` is a power of two, at most 4096.
template <typename Step>
void CycleOrders(benchmark::State& state, size_t distinct, Step step) {
  std::unique_ptr<SortPlan> plan = ExamplePlan(state);
  if (plan == nullptr) return;
  const std::vector<v1::Order>& orders = TrackedOrders();
  const size_t mask = distinct - 1;
  size_t i = 0;
  for (auto _ : state) step(*plan, orders[i++ & mask]);
  state.SetItemsProcessed(state.iterations());
}

// One assignment decision: flat-table lookup of the rule by county code and service,
// limits, and balancing over the chute group (items = orders). The argument is how many
// distinct orders cycle: 64 stay in cache (the plan's cost), 4096 (about 6 MB of
// protobuf orders) add the cache misses of reading each order.
void BM_SortPlanDecide(benchmark::State& state) {
  CycleOrders(state, static_cast<size_t>(state.range(0)),
              [](const SortPlan& plan, const v1::Order& order) {
                Decision decision = plan.Decide(order);
                benchmark::DoNotOptimize(decision);
              });
}
BENCHMARK(BM_SortPlanDecide)->Arg(64)->Arg(4096);

// Decide plus writing chute, sort code, dock door, route and version into the record;
// the argument as for BM_SortPlanDecide.
void BM_SortPlanAssign(benchmark::State& state) {
  v1::SortRecord record;
  CycleOrders(state, static_cast<size_t>(state.range(0)),
              [&record](const SortPlan& plan, const v1::Order& order) {
                plan.Assign(order, &record);
                benchmark::DoNotOptimize(record);
              });
}
BENCHMARK(BM_SortPlanAssign)->Arg(64)->Arg(4096);

void BM_ValidateAndAssign(benchmark::State& state) {
  v1::SortRecord record;
  CycleOrders(state, 4096, [&record](const SortPlan& plan, const v1::Order& order) {
    Status valid = model::ValidateOrder(order, *Table());
    if (valid.ok()) {
      plan.Assign(order, &record);
    } else {
      plan.Reject(valid.message(), &record);
    }
    benchmark::DoNotOptimize(record);
  });
}
BENCHMARK(BM_ValidateAndAssign);

// Parse, validate and compile the example plan from its files (items = plan loads).
void BM_SortPlanLoadExample(benchmark::State& state) {
  if (TableOrSkip(state) == nullptr) return;
  for (auto _ : state) {
    auto plan = SortPlan::Load(SORTLINE_DEFAULT_PLAN, Table());
    if (!bench::OkOrSkip(state, plan)) return;
    benchmark::DoNotOptimize(plan);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SortPlanLoadExample)->Unit(benchmark::kMillisecond);

// A generated 50,000-rule plan over the real table: every province and city, every
// county twice (any service, and fresh produce), every town, and county express rules
// up to the count; 200 chutes, 50 groups of four.
const std::vector<PlanFile>& LargePlan() {
  static const std::vector<PlanFile> files = [] {
    constexpr size_t kRules = 50'000;
    std::string rules =
        "prefix,services,max_weight_g,max_side_mm,precedence,sort_code,destination,"
        "chute_group,dock_door,route\n";
    size_t count = 0;
    auto add = [&](const std::string& prefix, const char* services, size_t n) {
      if (count == kRules) return;
      rules += prefix + "," + services + ",30000,1500,0,710-" + std::to_string(n % 100) + "-" +
               std::to_string(n % 97) + "," + prefix + ",G" + std::to_string(n % 50) + ",D" +
               std::to_string(n % 13) + ",R-" + std::to_string(n % 200) + "\n";
      ++count;
    };
    std::vector<std::string> provinces;
    std::vector<std::string> cities;
    for (const model::Division* county : Table()->Counties()) {
      if (provinces.empty() || provinces.back() != county->code.substr(0, 2)) {
        provinces.push_back(county->code.substr(0, 2));
      }
      if (cities.empty() || cities.back() != county->code.substr(0, 4)) {
        cities.push_back(county->code.substr(0, 4));
      }
    }
    for (const std::string& p : provinces) add(p, "", count);
    for (const std::string& c : cities) add(c, "", count);
    for (const model::Division* county : Table()->Counties()) {
      add(county->code, "", count);
      add(county->code, "fresh-produce|cold-chain", count);
    }
    for (const model::Division* county : Table()->Counties()) {
      for (const model::Division* town : Table()->TownsOf(county->code)) {
        add(town->code, "", count);
      }
    }
    for (const model::Division* county : Table()->Counties()) {
      add(county->code, "express", count);
    }
    std::string chutes = "chute,kind,capacity,overflow,sort_code,dock_door,route\n";
    std::string groups = "group,chute\n";
    for (int i = 0; i < 200; ++i) {
      chutes += "C" + std::to_string(i) + ",normal,400,C950,,,\n";
      groups += "G" + std::to_string(i % 50) + ",C" + std::to_string(i) + "\n";
    }
    chutes +=
        "C950,overflow,800,,,,\n"
        "C900,no-rule,300,,710-99-99,D12,R-HOLD\n"
        "C901,reject,300,,710-99-00,D12,R-HOLD\n"
        "C902,manual,100,,,,\n";
    return std::vector<PlanFile>{{"rules.csv", std::move(rules)},
                                 {"chutes.csv", std::move(chutes)},
                                 {"groups.csv", std::move(groups)}};
  }();
  return files;
}

// Parse, validate against the table and compile the 50,000-rule plan (items = rules).
void BM_SortPlanCompile50k(benchmark::State& state) {
  if (TableOrSkip(state) == nullptr) return;
  const std::vector<PlanFile>& files = LargePlan();
  size_t rules = 0;
  for (auto _ : state) {
    auto plan = SortPlan::Parse(files, Table());
    if (!plan.ok()) {
      state.SkipWithError(plan.status().message().substr(0, 300).c_str());
      return;
    }
    rules = (*plan)->rule_count();
  }
  state.counters["rules"] = static_cast<double>(rules);
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(rules));
}
BENCHMARK(BM_SortPlanCompile50k)->Unit(benchmark::kMillisecond);

// The whole division table, towns included (items = divisions loaded).
void BM_DivisionTableLoad(benchmark::State& state) {
  const bool with_towns = state.range(0) != 0;
  size_t divisions = 0;
  for (auto _ : state) {
    auto table = model::DivisionTable::Load(SORTLINE_DATA_DIR, with_towns);
    if (!bench::OkOrSkip(state, table)) return;
    divisions = (*table)->size();
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(divisions));
}
BENCHMARK(BM_DivisionTableLoad)->Arg(1)->Arg(0)->Unit(benchmark::kMillisecond);

void BM_OrderGenerate(benchmark::State& state) {
  if (TableOrSkip(state) == nullptr) return;
  model::OrderGenerator generator(*Table(), model::GeneratorOptions{});
  uint64_t i = 0;
  for (auto _ : state) {
    v1::Order order = generator.Generate(i++);
    benchmark::DoNotOptimize(order);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_OrderGenerate);

}  // namespace
}  // namespace sortline::sort
