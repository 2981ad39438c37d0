// The frame the runtime tests share: the shipped division table and sort plan, loaded
// once per suite, a temporary directory per test, and generated orders files in it.
//
// Thread-safety: used from the test thread; the services under test only read the
// table and the plan.
#ifndef TESTS_RUNTIME_RUNTIME_FIXTURE_H_
#define TESTS_RUNTIME_RUNTIME_FIXTURE_H_

#include <cstdint>
#include <fstream>
#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "pipeline/model/divisions.h"
#include "pipeline/model/orders.h"
#include "pipeline/sort/sort_plan.h"
#include "tests/testing/testing.h"

namespace sortline::runtime {

class RuntimeFixture : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    divisions_ = model::DivisionTable::Load(testing::DivisionsDir()).value().release();
    plan_ = std::shared_ptr<const sort::SortPlan>(
        sort::SortPlan::Load(testing::DefaultPlanPath(), divisions_).value().release());
  }
  static void TearDownTestSuite() {
    plan_.reset();
    delete divisions_;
    divisions_ = nullptr;
  }

  // `n` generated orders (generator seed `seed`) as <dir>/orders-<seed>.jsonl.
  std::string WriteOrders(int n, uint64_t seed) {
    model::GeneratorOptions options;
    options.seed = seed;
    model::OrderGenerator gen(*divisions_, options);
    std::string path = dir_.file("orders-" + std::to_string(seed) + ".jsonl");
    std::ofstream out(path);
    for (int i = 0; i < n; ++i) out << model::OrderToJson(gen.Generate(i)) << '\n';
    return path;
  }

  static inline model::DivisionTable* divisions_ = nullptr;
  static inline std::shared_ptr<const sort::SortPlan> plan_;
  testing::TempDir dir_;
};

}  // namespace sortline::runtime

#endif  // TESTS_RUNTIME_RUNTIME_FIXTURE_H_
