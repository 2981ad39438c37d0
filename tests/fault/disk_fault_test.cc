// The dock's disk fills up mid-run (issue 5): its database lives on a small tmpfs the
// test mounts, and a filler file takes the rest of the space. The dock must refuse (not
// acknowledge) what it cannot commit, say so, keep running, and carry on by itself once
// the filler is deleted; nothing is lost.
#include <chrono>
#include <filesystem>
#include <string>

#include <gtest/gtest.h>
#include <unistd.h>

#include "tests/fault/fault_harness.h"
#include "tests/testing/process.h"
#include "tests/testing/testing.h"

namespace sortline {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

// A tmpfs of `megabytes` mounted at `path` (created), unmounted on destruction.
class TmpfsMount {
 public:
  TmpfsMount(std::string path, int megabytes) : path_(std::move(path)) {
    std::filesystem::create_directories(path_);
    testing::CommandResult mount = testing::RunCommand(
        "mount -t tmpfs -o size=" + std::to_string(megabytes) + "m sortline-fault " + path_);
    if (mount.exit_code != 0) error_ = mount.output;
  }
  ~TmpfsMount() {
    if (error_.empty()) testing::RunCommand("umount -l " + path_);
  }
  TmpfsMount(const TmpfsMount&) = delete;
  TmpfsMount& operator=(const TmpfsMount&) = delete;
  const std::string& error() const { return error_; }

 private:
  std::string path_;
  std::string error_;
};

using DiskFault = testing::FaultTest;

TEST_F(DiskFault, DockDiskFullMidRunLosesNothingAndResumesOnceSpaceIsFreed) {
  if (::geteuid() != 0) GTEST_SKIP() << "mounting a tmpfs needs root";
  TmpfsMount disk(dir().file("dockfs"), 24);
  ASSERT_EQ(disk.error(), "") << "cannot mount a tmpfs";

  ASSERT_TRUE(Generate(6000, 509));
  const int metrics_port = testing::FreeLoopbackPort();
  testing::FaultPipelineOptions options;
  options.dock_db = dir().file("dockfs/dock.db");
  options.metrics_port = metrics_port;
  testing::FaultPipeline& pipeline = NewPipeline(options);
  pipeline.StartDaemons({"w1", "w2"});
  pipeline.StartSubmit(orders().path, {"--batch-size", "500"});

  ASSERT_TRUE(testing::WaitFor([&] { return testing::DockRecordCount(pipeline.dock_db()) >= 300; },
                               seconds(120)))
      << pipeline.Logs();
  // Fill the disk to the last block.
  const std::string filler = dir().file("dockfs/filler");
  testing::RunCommand("dd if=/dev/zero of=" + filler +
                      " bs=1M 2>/dev/null; dd if=/dev/zero bs=4k of=" + filler +
                      ".tail 2>/dev/null");

  // The dock reports its store stalled and the run stops advancing.
  EXPECT_TRUE(testing::WaitFor(
      [&] {
        return testing::MetricValue(testing::HttpGet(metrics_port, "/metrics"),
                                    "sortline_dock_store_stalled") == 1;
      },
      seconds(60)))
      << "the dock never reported its full disk\n"
      << pipeline.Logs();
  ExpectNoRecordsStoredFor(milliseconds(2000), "the disk filled");
  EXPECT_TRUE(pipeline.Running("dock")) << pipeline.Logs();
  EXPECT_TRUE(pipeline.Running("submit")) << pipeline.Logs();

  std::filesystem::remove(filler);
  std::filesystem::remove(filler + ".tail");
  ASSERT_NO_FATAL_FAILURE(AwaitSubmit(seconds(180), "after space returned"));
  EXPECT_EQ(testing::MetricValue(testing::HttpGet(metrics_port, "/metrics"),
                                 "sortline_dock_store_stalled"),
            0);
  ExpectCleanStopAndLedgerHolds();
}

}  // namespace
}  // namespace sortline
