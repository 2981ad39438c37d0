// A label directory shared by several hosts (issue 11: labels on a ReadWriteMany volume):
// a writer sweeps only the temporaries of its own host's dead writers, never another
// host's, whose process ids mean nothing here. Two "hosts" are UTS namespaces with their
// own host names (unshare --uts), writing into one directory as real processes.
#include <filesystem>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <unistd.h>

#include "pipeline/base/file.h"
#include "tests/testing/process.h"
#include "tests/testing/testing.h"

namespace sortline {
namespace {

namespace fs = std::filesystem;

// Runs the probe with `args` on host `host` (a UTS namespace of its own).
testing::CommandResult OnHost(const std::string& host, const std::string& args) {
  return testing::RunCommand("unshare --uts sh -c 'hostname " + host + " && exec " +
                             SORTLINE_FILE_SEAM_PROBE + " " + args + "' 2>&1");
}

// The temporaries in `dir` whose host tag is `host`.
std::vector<std::string> TemporariesOf(const std::string& dir, const std::string& host) {
  std::vector<std::string> found;
  for (const fs::directory_entry& entry : fs::directory_iterator(dir)) {
    std::string tag;
    pid_t pid = 0;
    if (ParseTemporaryName(entry.path().filename().string(), &tag, &pid) && tag == host) {
      found.push_back(entry.path().filename().string());
    }
  }
  return found;
}

TEST(SharedDirectory, AHostSweepsOnlyItsOwnDeadWritersTemporariesNeverAnotherHosts_Issue11) {
  if (::geteuid() != 0) GTEST_SKIP() << "UTS namespaces (unshare --uts) need root";
  testing::TempDir shared;
  const std::string dir = shared.path().string();
  const std::string host_a = "label-host-a-" + std::to_string(::getpid());
  const std::string host_b = "label-host-b-" + std::to_string(::getpid());

  // A writer on each host dies mid-write, leaving its temporary.
  OnHost(host_a, "leave " + dir + " EA000000001CN.pdf");
  OnHost(host_b, "leave " + dir + " EA000000002CN.pdf");
  ASSERT_EQ(TemporariesOf(dir, host_a).size(), 1u) << "host a left no temporary";
  ASSERT_EQ(TemporariesOf(dir, host_b).size(), 1u) << "host b left no temporary";

  // Host b sweeps: its own dead writer's temporary goes, host a's stays (its pid may
  // even be running on host b: it is another machine's).
  testing::CommandResult swept_b = OnHost(host_b, "sweep " + dir);
  EXPECT_EQ(swept_b.exit_code, 0) << swept_b.output;
  EXPECT_EQ(swept_b.output, host_b + " removed 1\n");
  EXPECT_EQ(TemporariesOf(dir, host_b).size(), 0u);
  EXPECT_EQ(TemporariesOf(dir, host_a).size(), 1u) << "host b removed host a's temporary";

  // Host a sweeps its own.
  testing::CommandResult swept_a = OnHost(host_a, "sweep " + dir);
  EXPECT_EQ(swept_a.output, host_a + " removed 1\n");
  EXPECT_EQ(TemporariesOf(dir, host_a).size(), 0u);
}

}  // namespace
}  // namespace sortline
