// Several intakes (issue 11): which intake a batch goes to, and which tracking numbers
// each intake issues.
#include <algorithm>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "pipeline/runtime/intake.h"
#include "pipeline/runtime/submit.h"
#include "tests/testing/status_matchers.h"

namespace sortline::runtime {
namespace {

std::string BatchId(int n) { return "orders.jsonl-" + std::to_string(n) + "-9f3a2c"; }

TEST(IntakeForBatch, TheSameBatchIdPicksTheSameIntakeWhateverTheOrderOfTheList_Issue11) {
  const std::vector<std::string> intakes = {"tcp://intake-0:5550", "tcp://intake-1:5550",
                                            "tcp://intake-2:5550"};
  std::vector<std::string> reversed(intakes.rbegin(), intakes.rend());
  for (int n = 0; n < 1000; ++n) {
    const std::string id = BatchId(n);
    EXPECT_EQ(intakes[IntakeForBatch(id, intakes)], reversed[IntakeForBatch(id, reversed)]) << id;
    EXPECT_EQ(IntakeForBatch(id, intakes), IntakeForBatch(id, intakes));
  }
}

TEST(IntakeForBatch, SpreadsBatchesEvenlyOverTheIntakes_Issue11) {
  const std::vector<std::string> intakes = {"tcp://10.0.0.1:5550", "tcp://10.0.0.2:5550",
                                            "tcp://10.0.0.3:5550"};
  std::vector<int> taken(intakes.size());
  const int batches = 30'000;
  for (int n = 0; n < batches; ++n) ++taken[IntakeForBatch(BatchId(n), intakes)];
  for (size_t i = 0; i < intakes.size(); ++i) {
    EXPECT_GT(taken[i], batches / 3 * 9 / 10) << intakes[i];
    EXPECT_LT(taken[i], batches / 3 * 11 / 10) << intakes[i];
  }
}

TEST(IntakeForBatch, AnAddedIntakeTakesItsShareFromEachAndMovesNothingElse_Issue11) {
  const std::vector<std::string> two = {"tcp://intake-0:5550", "tcp://intake-1:5550"};
  std::vector<std::string> three = two;
  three.push_back("tcp://intake-2:5550");
  int moved = 0;
  const int batches = 30'000;
  for (int n = 0; n < batches; ++n) {
    const std::string before = two[IntakeForBatch(BatchId(n), two)];
    const std::string after = three[IntakeForBatch(BatchId(n), three)];
    if (before == after) continue;
    ++moved;
    EXPECT_EQ(after, three.back()) << "a batch moved between the old intakes";
  }
  EXPECT_GT(moved, batches / 3 * 9 / 10);
  EXPECT_LT(moved, batches / 3 * 11 / 10);
}

TEST(IntakeForBatch, OneIntakeTakesEverything_Issue11) {
  EXPECT_EQ(IntakeForBatch(BatchId(7), {"tcp://127.0.0.1:5550"}), 0u);
}

TEST(TrackingShard, SharesSplitTheSerialsIntoDisjointSlicesThatCoverTheRange_Issue11) {
  model::S10Range whole;  // EA 1 .. 99,999,999 CN
  uint32_t next = whole.first;
  for (uint32_t n = 0; n < 3; ++n) {
    Result<model::S10Range> part = TrackingShard(whole, std::to_string(n) + "/3", "");
    ASSERT_OK(part);
    EXPECT_EQ(part->first, next);
    EXPECT_GT(part->last, part->first);
    EXPECT_EQ(part->prefix, "EA");
    next = part->last + 1;
  }
  EXPECT_EQ(next, whole.last + 1);
}

TEST(TrackingShard, AutoTakesTheOrdinalOfAStatefulSetPodName_Issue11) {
  model::S10Range whole;
  Result<model::S10Range> pod = TrackingShard(whole, "auto/8", "sortline-intake-1");
  Result<model::S10Range> explicit_one = TrackingShard(whole, "1/8", "");
  ASSERT_OK(pod);
  ASSERT_OK(explicit_one);
  EXPECT_EQ(pod->first, explicit_one->first);
  EXPECT_EQ(pod->last, explicit_one->last);
}

TEST(TrackingShard, RefusesMalformedSpecsAndOrdinalsOutOfRange_Issue11) {
  model::S10Range whole;
  for (const char* spec : {"", "2", "2/2", "x/2", "1/0", "-1/2"}) {
    EXPECT_EQ(TrackingShard(whole, spec, "h-0").status().code(), StatusCode::kInvalidArgument)
        << spec;
  }
  EXPECT_EQ(TrackingShard(whole, "auto/2", "workstation").status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(TrackingShard(whole, "auto/2", "sortline-intake-2").status().code(),
            StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace sortline::runtime
