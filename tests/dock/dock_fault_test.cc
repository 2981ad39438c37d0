// sortline-dock as a process under faults: killed between the steps of storing records,
// its disk full, its fsync failing. Each test checks what a worker relies on: an
// acknowledged record is durable, an unacknowledged one is stored exactly once when
// resent, and the conveyor is answered throughout.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pipeline/store/dock_store.h"
#include "pipeline/transport/channel.h"
#include "tests/dock/dock_process.h"
#include "tests/testing/process.h"
#include "tests/testing/testing.h"

namespace sortline::dock::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr int kKilled = 128 + SIGKILL;

int CountLines(const std::string& text, const std::string& needle) {
  int count = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) {
    ++count;
  }
  return count;
}

uint64_t StoredCount(const std::string& db) {
  auto store = store::DockStore::Open(db, {});
  if (!store.ok()) return 0;
  Result<uint64_t> count = (*store)->Count();
  return count.ok() ? *count : 0;
}

// Resending `batch` (named by `what`), every record of which is stored already, is
// acknowledged with each record unchanged and none stored again.
void ExpectResendUnchanged(transport::ClientChannel& worker, const v1::RecordBatch& batch,
                           const std::string& what) {
  std::optional<v1::RecordsStored> stored = SendUntilStored(worker, batch, seconds(30));
  ASSERT_TRUE(stored.has_value()) << what << " is acknowledged";
  EXPECT_EQ(stored->stored(), 0u) << what;
  EXPECT_EQ(stored->unchanged(), static_cast<uint32_t>(batch.records_size())) << what;
}

class DockFault : public ::testing::Test {
 protected:
  void SetUp() override { context_ = transport::Context::Create().value(); }

  std::unique_ptr<transport::ClientChannel> Connect(const std::string& endpoint,
                                                    const std::string& identity = "") {
    return transport::ClientChannel::Connect(*context_, endpoint, identity).value();
  }

  sortline::testing::TempDir dir_;
  std::unique_ptr<transport::Context> context_;
};

TEST_F(DockFault, KilledAfterTheCommitTheUnacknowledgedRecordsAreStoredAfterARestart) {
  DockProcess dock(dir_.file("dock.db"), dir_.path().string());
  ASSERT_TRUE(dock.Start({"--fault-kill-at", "after-commit"}));
  auto worker = Connect(dock.records_endpoint(), "worker-1");
  const v1::RecordBatch batch = Batch(1, 0, 50);
  std::optional<v1::RecordsMessage> reply = SendOnce(*worker, batch, milliseconds(3000));
  EXPECT_FALSE(reply.has_value()) << "acknowledged before the kill: " << reply->DebugString();
  ASSERT_EQ(dock.Wait(seconds(30)), kKilled) << sortline::testing::ReadFile(dock.log());
  EXPECT_EQ(StoredCount(dir_.file("dock.db")), 50u) << "committed before the kill";

  ASSERT_TRUE(dock.Start());
  auto scanner = Connect(dock.conveyor_endpoint());
  std::optional<v1::SortResponse> answer = Ask(*scanner, 1, batch.records(7).tracking_number());
  ASSERT_TRUE(answer.has_value());
  EXPECT_EQ(answer->outcome(), v1::DECISION_SORTED) << "indexed from the store at restart";
  EXPECT_EQ(answer->chute(), batch.records(7).chute());
  ASSERT_NO_FATAL_FAILURE(ExpectResendUnchanged(*worker, batch, "the worker's resend"));
  ASSERT_EQ(dock.Stop(), 0);
  EXPECT_EQ(StoredCount(dir_.file("dock.db")), 50u);
}

TEST_F(DockFault, KilledBeforeTheCommitTheResentBatchIsStoredOnce) {
  DockProcess dock(dir_.file("dock.db"), dir_.path().string());
  ASSERT_TRUE(dock.Start({"--fault-kill-at", "before-commit:2"}));
  auto worker = Connect(dock.records_endpoint(), "worker-1");
  ASSERT_TRUE(SendUntilStored(*worker, Batch(1, 0, 50), seconds(30)).has_value());
  const v1::RecordBatch batch = Batch(2, 50, 50);
  EXPECT_FALSE(SendOnce(*worker, batch, milliseconds(3000)).has_value());
  ASSERT_EQ(dock.Wait(seconds(30)), kKilled) << sortline::testing::ReadFile(dock.log());
  EXPECT_EQ(StoredCount(dir_.file("dock.db")), 50u) << "only the first batch was committed";

  ASSERT_TRUE(dock.Start());
  std::optional<v1::RecordsStored> stored = SendUntilStored(*worker, batch, seconds(30));
  ASSERT_TRUE(stored.has_value());
  EXPECT_EQ(stored->stored(), 50u);
  ASSERT_NO_FATAL_FAILURE(ExpectResendUnchanged(*worker, batch, "a duplicate resend"));
  ASSERT_EQ(dock.Stop(), 0);
  EXPECT_EQ(StoredCount(dir_.file("dock.db")), 100u);
}

TEST_F(DockFault, AnUnknownFaultPointIsRefusedWithTheKnownOnes) {
  sortline::testing::CommandResult result = sortline::testing::RunCommand(
      sortline::testing::Bin("sortline-dock") + " --fault-kill-at commit --db " +
      dir_.file("dock.db") + " 2>&1");
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_NE(result.output.find("before-commit, after-commit"), std::string::npos) << result.output;
}

// A tmpfs of its own, unmounted (lazily, in case something still holds it) at the end.
class SmallDisk {
 public:
  SmallDisk(const std::string& dir, const std::string& size) : dir_(dir) {
    ::mkdir(dir_.c_str(), 0755);
    mounted_ = sortline::testing::RunCommand("mount -t tmpfs -o size=" + size + " tmpfs " + dir_)
                   .exit_code == 0;
  }
  ~SmallDisk() {
    if (mounted_) sortline::testing::RunCommand("umount -l " + dir_);
  }
  bool mounted() const { return mounted_; }

  // Writes `path` until the file system has no room left.
  static bool Fill(const std::string& path) {
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) return false;
    std::vector<char> block(4096, 'x');
    while (::write(fd, block.data(), block.size()) > 0) {
    }
    const bool full = errno == ENOSPC;
    ::close(fd);
    return full;
  }

 private:
  std::string dir_;
  bool mounted_ = false;
};

TEST_F(DockFault, DiskFullRefusesRecordsAndResumesByItselfWhenSpaceReturns) {
  if (::geteuid() != 0) GTEST_SKIP() << "mounting a small tmpfs needs root";
  SmallDisk disk(dir_.file("disk"), "4m");
  ASSERT_TRUE(disk.mounted()) << "mount -t tmpfs failed";
  const std::string db = dir_.file("disk/dock.db");
  DockProcess dock(db, dir_.path().string());
  ASSERT_TRUE(dock.Start());
  auto worker = Connect(dock.records_endpoint(), "worker-1");
  auto scanner = Connect(dock.conveyor_endpoint());
  const v1::RecordBatch first = Batch(1, 0, 20);
  ASSERT_TRUE(SendUntilStored(*worker, first, seconds(30)).has_value());
  EXPECT_EQ(dock.Metric("sortline_dock_store_stalled"), 0);

  const std::string filler = dir_.file("disk/filler");
  ASSERT_TRUE(SmallDisk::Fill(filler));
  const v1::RecordBatch big = Batch(2, 1000, 3000);
  std::optional<v1::RecordsMessage> refused = SendOnce(*worker, big, milliseconds(10000));
  ASSERT_TRUE(refused.has_value()) << "no answer while the disk is full";
  EXPECT_TRUE(refused->has_error())
      << "acknowledged without room to commit: " << refused->ShortDebugString();
  EXPECT_EQ(dock.Metric("sortline_dock_store_stalled"), 1);
  // The conveyor is answered from memory meanwhile, and its events wait.
  for (uint64_t transaction = 1; transaction <= 20; ++transaction) {
    std::optional<v1::SortResponse> answer = Ask(
        *scanner, transaction, first.records(static_cast<int>(transaction) - 1).tracking_number());
    ASSERT_TRUE(answer.has_value()) << "no decision while the disk is full";
    EXPECT_EQ(answer->outcome(), v1::DECISION_SORTED);
  }
  for (int resend = 0; resend < 3; ++resend) {
    std::optional<v1::RecordsMessage> again = SendOnce(*worker, big, milliseconds(10000));
    ASSERT_TRUE(again.has_value());
    EXPECT_TRUE(again->has_error()) << "acknowledged on resend while full";
    std::this_thread::sleep_for(milliseconds(200));
  }
  EXPECT_GT(dock.Metric("sortline_dock_event_backlog"), 0) << "the decisions' events wait";

  ASSERT_EQ(::unlink(filler.c_str()), 0);
  std::optional<v1::RecordsStored> stored = SendUntilStored(*worker, big, seconds(60));
  ASSERT_TRUE(stored.has_value()) << "not stored after space returned";
  EXPECT_EQ(stored->stored(), 3000u);
  const auto deadline = std::chrono::steady_clock::now() + seconds(30);
  while (std::chrono::steady_clock::now() < deadline &&
         dock.Metric("sortline_dock_event_backlog") != 0) {
    std::this_thread::sleep_for(milliseconds(100));
  }
  EXPECT_EQ(dock.Metric("sortline_dock_event_backlog"), 0) << "the waiting events persisted";
  EXPECT_EQ(dock.Metric("sortline_dock_store_stalled"), 0);
  EXPECT_EQ(dock.Metric("sortline_dock_events_dropped_total"), 0);
  std::optional<v1::SortResponse> answer = Ask(*scanner, 100, big.records(5).tracking_number());
  ASSERT_TRUE(answer.has_value());
  EXPECT_EQ(answer->outcome(), v1::DECISION_SORTED) << "the late records are indexed";
  ASSERT_EQ(dock.Stop(), 0);

  const std::string log = sortline::testing::ReadFile(dock.log());
  EXPECT_EQ(CountLines(log, "level=alarm component=dock msg=\"store refuses writes"), 1) << log;
  EXPECT_EQ(CountLines(log, "store writable again"), 1) << log;
  auto store = store::DockStore::Open(db, {}).value();
  EXPECT_EQ(store->Count().value(), 3020u);
  EXPECT_GE(store->EventCount().value(), 20u) << "every decision of the stall is in the log";
}

TEST_F(DockFault, AFailedFsyncStopsTheDockAndARestartRecoversFromItsStore) {
  DockProcess dock(dir_.file("dock.db"), dir_.path().string());
  const std::string flag = dir_.file("fail-fsync");
  ASSERT_TRUE(dock.Start({}, {"/usr/bin/env", "LD_PRELOAD=" + std::string(SORTLINE_FSYNC_FAULT),
                              "SORTLINE_FAULT_FSYNC_WHILE=" + flag}));
  auto worker = Connect(dock.records_endpoint(), "worker-1");
  ASSERT_TRUE(SendUntilStored(*worker, Batch(1, 0, 50), seconds(30)).has_value());

  ASSERT_TRUE(sortline::testing::RunCommand("touch " + flag).exit_code == 0);
  const v1::RecordBatch batch = Batch(2, 50, 50);
  std::optional<v1::RecordsMessage> reply = SendOnce(*worker, batch, milliseconds(3000));
  EXPECT_FALSE(reply.has_value() && reply->has_stored()) << "acknowledged an unsynced commit";
  std::optional<int> code = dock.Wait(seconds(30));
  const std::string log = sortline::testing::ReadFile(dock.log());
  ASSERT_TRUE(code.has_value()) << "still running after a failed fsync\n" << log;
  EXPECT_NE(*code, 0) << log;
  EXPECT_NE(log.find("store failed, stopping"), std::string::npos) << log;

  ASSERT_TRUE(dock.Start());
  auto scanner = Connect(dock.conveyor_endpoint());
  std::optional<v1::SortResponse> answer = Ask(*scanner, 1, "EA000000007CN");
  ASSERT_TRUE(answer.has_value());
  EXPECT_EQ(answer->outcome(), v1::DECISION_SORTED) << "acknowledged records survive";
  std::optional<v1::RecordsStored> stored = SendUntilStored(*worker, batch, seconds(30));
  ASSERT_TRUE(stored.has_value());
  EXPECT_EQ(stored->stored() + stored->unchanged(), 50u);
  ASSERT_EQ(dock.Stop(), 0);
  EXPECT_EQ(StoredCount(dir_.file("dock.db")), 100u);
}

}  // namespace
}  // namespace sortline::dock::testing
