// The shipped division table (with towns), loaded once for every test of model_test.
//
// Thread-safety: safe after the first call; the table is never freed.
#ifndef TESTS_MODEL_SHIPPED_DIVISIONS_H_
#define TESTS_MODEL_SHIPPED_DIVISIONS_H_

#include <gtest/gtest.h>

#include "pipeline/model/divisions.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/testing.h"

namespace sortline::model {

inline const DivisionTable& ShippedDivisions() {
  static const DivisionTable* table = [] {
    auto loaded = DivisionTable::Load(testing::DivisionsDir());
    EXPECT_OK(loaded);
    return std::move(loaded).value().release();
  }();
  return *table;
}

}  // namespace sortline::model

#endif  // TESTS_MODEL_SHIPPED_DIVISIONS_H_
