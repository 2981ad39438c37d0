// Lane assignment with the example Xi'an hub plan over generated festival orders, and the
// cost of loading what it needs (division table, plan).
#include <memory>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "pipeline/model/csv.h"
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

void BM_SortPlanAssign(benchmark::State& state) {
  auto plan = SortPlan::Load(SORTLINE_DEFAULT_PLAN, Table());
  if (Table() == nullptr || !plan.ok()) {
    state.SkipWithError("cannot load the division table or the example plan");
    return;
  }
  const std::vector<v1::Order>& orders = Orders();
  v1::SortRecord record;
  size_t i = 0;
  for (auto _ : state) {
    (*plan)->Assign(orders[i++ & 4095], &record);
    benchmark::DoNotOptimize(record);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SortPlanAssign);

void BM_ValidateAndAssign(benchmark::State& state) {
  auto plan = SortPlan::Load(SORTLINE_DEFAULT_PLAN, Table());
  if (Table() == nullptr || !plan.ok()) {
    state.SkipWithError("cannot load the division table or the example plan");
    return;
  }
  const std::vector<v1::Order>& orders = Orders();
  v1::SortRecord record;
  size_t i = 0;
  for (auto _ : state) {
    const v1::Order& order = orders[i++ & 4095];
    Status valid = model::ValidateOrder(order, *Table());
    if (valid.ok()) {
      (*plan)->Assign(order, &record);
    } else {
      (*plan)->Reject(valid.message(), &record);
    }
    benchmark::DoNotOptimize(record);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ValidateAndAssign);

// Parse and validate the example plan against the table (items = plan loads).
void BM_SortPlanParse(benchmark::State& state) {
  std::string text;
  if (Table() == nullptr || !model::ReadFileToString(SORTLINE_DEFAULT_PLAN, &text).ok()) {
    state.SkipWithError("cannot load the division table or the example plan");
    return;
  }
  for (auto _ : state) {
    auto plan = SortPlan::Parse(text, "xian-hub.csv", Table());
    benchmark::DoNotOptimize(plan);
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(text.size()));
}
BENCHMARK(BM_SortPlanParse)->Unit(benchmark::kMicrosecond);

// The whole division table, towns included (items = divisions loaded).
void BM_DivisionTableLoad(benchmark::State& state) {
  const bool with_towns = state.range(0) != 0;
  size_t divisions = 0;
  for (auto _ : state) {
    auto table = model::DivisionTable::Load(SORTLINE_DATA_DIR, with_towns);
    if (!table.ok()) {
      state.SkipWithError(table.status().ToString().c_str());
      return;
    }
    divisions = (*table)->size();
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(divisions));
}
BENCHMARK(BM_DivisionTableLoad)->Arg(1)->Arg(0)->Unit(benchmark::kMillisecond);

void BM_OrderGenerate(benchmark::State& state) {
  if (Table() == nullptr) {
    state.SkipWithError("cannot load the division table");
    return;
  }
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
