// The festival surge profile and its batch schedule (issue 16).
#include "pipeline/model/surge.h"

#include <cmath>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace sortline::model {
namespace {

using ::testing::HasSubstr;

SurgeOptions TwoMinutes() {
  SurgeOptions options;
  options.minutes = 2;
  options.base_rate = 10;
  return options;
}

TEST(SurgeFactor, IsTheBaselineThenRampsToThePeakHoldsItAndDeclinesBackIssue16) {
  const SurgeOptions options = TwoMinutes();  // 120 s: ramp 24-36 s, plateau to 66, decline to 90
  EXPECT_DOUBLE_EQ(SurgeFactor(options, 0), 1);
  EXPECT_DOUBLE_EQ(SurgeFactor(options, 23.9), 1);
  EXPECT_NEAR(SurgeFactor(options, 30), 5.5, 1e-9);  // half way up the ramp
  EXPECT_DOUBLE_EQ(SurgeFactor(options, 36), 10);
  EXPECT_DOUBLE_EQ(SurgeFactor(options, 65.9), 10);
  EXPECT_NEAR(SurgeFactor(options, 78), 5.5, 1e-9);  // half way down
  EXPECT_DOUBLE_EQ(SurgeFactor(options, 90), 1);
  EXPECT_DOUBLE_EQ(SurgeFactor(options, 119), 1);
  EXPECT_EQ(SurgePhase(options, 10), "baseline");
  EXPECT_EQ(SurgePhase(options, 30), "ramp");
  EXPECT_EQ(SurgePhase(options, 50), "plateau");
  EXPECT_EQ(SurgePhase(options, 80), "decline");
  EXPECT_EQ(SurgePhase(options, 100), "after");
}

TEST(SurgeSchedule, HasOneBatchASecondFollowingTheProfileWithNoOrderLostBetweenBatchesIssue16) {
  const SurgeOptions options = TwoMinutes();
  const std::vector<SurgeBatch> batches = SurgeSchedule(options);
  ASSERT_EQ(batches.size(), 120u);
  uint64_t next = 0;
  for (const SurgeBatch& batch : batches) {
    EXPECT_EQ(batch.offset_ms, batch.index * 1000);
    EXPECT_EQ(batch.first_order, next) << "batch " << batch.index;
    next += batch.orders;
  }
  // The integral: 10/s × (24 + 12×5.5 + 30×10 + 24×5.5 + 30) s = 10 × 552 = 5,520.
  EXPECT_EQ(next, 5520u);
  EXPECT_EQ(batches[0].orders, 10u);
  EXPECT_EQ(batches[50].orders, 100u);
  EXPECT_EQ(batches[50].phase, "plateau");
  EXPECT_DOUBLE_EQ(batches[50].factor, 10);
  EXPECT_EQ(batches[119].orders, 10u);
}

TEST(SurgeSchedule, FractionalRatesNeverDriftFromTheIntegralByAnOrderIssue16) {
  SurgeOptions options = TwoMinutes();
  options.base_rate = 0.7;
  options.batch_seconds = 0.25;
  double integral = 0;
  uint64_t total = 0;
  for (const SurgeBatch& batch : SurgeSchedule(options)) {
    const double begin = batch.offset_ms / 1000.0;
    for (int s = 0; s < 100; ++s) {
      integral += options.base_rate * SurgeFactor(options, begin + (s + 0.5) * 0.0025) * 0.0025;
    }
    total += batch.orders;
    EXPECT_LE(std::fabs(static_cast<double>(total) - integral), 1.0) << "batch " << batch.index;
  }
}

TEST(SurgeOptions, ImpossibleProfilesAreRefusedNamingTheOptionIssue16) {
  SurgeOptions options;
  options.minutes = 0;
  EXPECT_THAT(CheckSurgeOptions(options).message(), HasSubstr("--minutes"));
  options = SurgeOptions{};
  options.peak_factor = 0.5;
  EXPECT_THAT(CheckSurgeOptions(options).message(), HasSubstr("--peak-factor"));
  options = SurgeOptions{};
  options.decline_start = 0.1;
  EXPECT_THAT(CheckSurgeOptions(options).message(), HasSubstr("ascend"));
  EXPECT_TRUE(SurgeSchedule(options).empty());
  EXPECT_TRUE(CheckSurgeOptions(SurgeOptions{}).ok());
}

TEST(SurgeBatchJson, IsOneLineWithEveryField) {
  SurgeBatch batch;
  batch.index = 3;
  batch.offset_ms = 3000;
  batch.first_order = 75;
  batch.orders = 25;
  batch.factor = 1;
  batch.phase = "baseline";
  EXPECT_EQ(SurgeBatchToJson(batch),
            "{\"batch\":3,\"offset_ms\":3000,\"first_order\":75,\"orders\":25,\"factor\":1,"
            "\"phase\":\"baseline\"}");
}

}  // namespace
}  // namespace sortline::model
