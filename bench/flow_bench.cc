// The order flow end to end inside one process: assign only, and assign + render +
// store the labels (one batch file, or one PDF per parcel) in a temporary directory,
// not flushed.
#include <filesystem>
#include <memory>
#include <vector>

#include <benchmark/benchmark.h>

#include "pipeline/flow/order_flow.h"
#include "pipeline/model/orders.h"
#include "pipeline/model/s10.h"

namespace sortline::flow {
namespace {

struct Fixture {
  Fixture() {
    divisions = std::move(model::DivisionTable::Load(SORTLINE_DATA_DIR)).value();
    plan = std::shared_ptr<const sort::SortPlan>(
        std::move(sort::SortPlan::Load(SORTLINE_DEFAULT_PLAN, divisions.get())).value());
    model::OrderGenerator gen(*divisions, model::GeneratorOptions{});
    for (uint32_t i = 0; i < 4096; ++i) {
      v1::Order order = gen.Generate(i);
      order.set_tracking_number(model::FormatS10("EA", 1 + i, "CN"));
      orders.push_back(std::move(order));
    }
    dir = std::filesystem::temp_directory_path() / "sortline-flow-bench";
    label::LabelStoreOptions store_options;
    store_options.durable = false;
    labels = std::move(label::LabelStore::Open(dir.string(), store_options)).value();
  }
  ~Fixture() { std::filesystem::remove_all(dir); }

  std::unique_ptr<model::DivisionTable> divisions;
  std::shared_ptr<const sort::SortPlan> plan;
  std::vector<v1::Order> orders;
  std::filesystem::path dir;
  std::unique_ptr<label::LabelStore> labels;
};

Fixture& Shared() {
  static Fixture* fixture = new Fixture();
  return *fixture;
}

void RunBatch(benchmark::State& state, bool render,
              label::LabelFiles files = label::LabelFiles::kBatch) {
  Fixture& f = Shared();
  FlowDeps deps;
  deps.divisions = f.divisions.get();
  deps.plan = [&f] { return f.plan; };
  deps.labels = f.labels.get();
  FlowOptions options;
  options.render_labels = render;
  options.label_files = files;
  const size_t batch = static_cast<size_t>(state.range(0));
  for (auto _ : state) {
    size_t next = 0;
    size_t emitted = 0;
    Status s = RunOrderFlow(
        options, deps,
        [&](FlowItem& item) {
          if (next == batch) return false;
          item.order = f.orders[next++ % f.orders.size()];
          return true;
        },
        [&](FlowItem&&) { ++emitted; });
    if (!s.ok() || emitted != batch) state.SkipWithError("flow failed");
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * state.range(0));
}

void BM_FlowAssignOnly(benchmark::State& state) { RunBatch(state, false); }
void BM_FlowRenderAndWriteBatchFile(benchmark::State& state) { RunBatch(state, true); }
void BM_FlowRenderAndWritePerParcel(benchmark::State& state) {
  RunBatch(state, true, label::LabelFiles::kPerParcel);
}

BENCHMARK(BM_FlowAssignOnly)->Arg(4096)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_FlowRenderAndWriteBatchFile)->Arg(512)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_FlowRenderAndWritePerParcel)->Arg(512)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
}  // namespace sortline::flow
