// The soak (issue 5): 200,000 orders through intake, two workers and dock while one
// worker or the other is killed (kill -9) and restarted every few seconds. Everything,
// labels and databases, lives on /dev/shm so the run measures the pipeline rather than
// the VM's file creation. Prints orders/s.
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "tests/fault/fault_harness.h"
#include "tests/testing/testing.h"

namespace sortline {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using Steady = std::chrono::steady_clock;

constexpr int kOrders = 200'000;

TEST(Soak, TwoHundredThousandOrdersWhileWorkersAreKilledAndRestartedEndAsOneRecordEach) {
  testing::TempDir dir(testing::kShm);
  testing::GeneratedOrders orders = testing::GenerateOrders(dir.file("orders.jsonl"), kOrders, 919);
  ASSERT_EQ(orders.ids.size(), static_cast<size_t>(kOrders));

  testing::FaultPipelineOptions options;
  options.dir = dir.path().string();
  testing::FaultPipeline pipeline(options);
  pipeline.StartDaemons({"w1", "w2"});
  const auto start = Steady::now();
  pipeline.StartSubmit(orders.path);

  // Every 3 s one worker, in turn, is killed and started again at once.
  const auto deadline = start + seconds(400);
  int kills = 0;
  std::optional<int> submitted;
  while (Steady::now() < deadline) {
    submitted = pipeline.WaitExit("submit", milliseconds(3000));
    if (submitted.has_value()) break;
    const std::string victim = kills % 2 == 0 ? "w1" : "w2";
    pipeline.Kill(victim);
    pipeline.StartWorker(victim);
    ++kills;
  }
  const double elapsed = std::chrono::duration<double>(Steady::now() - start).count();
  ASSERT_TRUE(submitted.has_value()) << "submit did not finish in 400 s\n" << pipeline.Logs();
  EXPECT_EQ(*submitted, 0) << pipeline.Logs();
  EXPECT_GE(kills, 3) << "the run was too short to kill workers during it";
  std::printf("soak: %d orders in %.1f s with %d worker kills: %.0f orders/s\n", kOrders, elapsed,
              kills, kOrders / elapsed);
  const std::string said = pipeline.Log("submit");
  const size_t last_line = said.rfind("labels written");
  if (last_line != std::string::npos) {
    std::printf("soak: submit says: %s", said.substr(last_line).c_str());
  }
  testing::Ledger ledger = pipeline.LedgerFor(orders.ids);
  ledger.sample = 10;
  testing::ExpectCleanStopAndLedgerHolds(pipeline, ledger);
}

}  // namespace
}  // namespace sortline
