// The test layer's own promise: daemons started by a test never outlive it.
#include <cerrno>
#include <chrono>
#include <thread>

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/testing/process.h"
#include "tests/testing/testing.h"

namespace sortline::testing {
namespace {

bool Running(pid_t pid) {
  // A killed child of a dead parent is reaped by init (or a subreaper) soon after.
  return ::kill(pid, 0) == 0 || errno != ESRCH;
}

TEST(Subprocess, DiesWithATestProcessThatIsKilledBeforeItCanCleanUpIssue15) {
  TempDir tmp;
  int pipe_fds[2];
  ASSERT_EQ(::pipe(pipe_fds), 0);
  const pid_t test_process = ::fork();
  ASSERT_GE(test_process, 0);
  if (test_process == 0) {
    // Stands for a test binary: starts a "daemon", then is killed by a timeout, so
    // no destructor runs.
    Subprocess daemon({"/bin/sleep", "600"}, tmp.file("sleep.log"));
    const pid_t pid = daemon.pid();
    (void)!::write(pipe_fds[1], &pid, sizeof pid);
    ::pause();
    ::_exit(0);
  }
  pid_t daemon = -1;
  ASSERT_EQ(::read(pipe_fds[0], &daemon, sizeof daemon), static_cast<ssize_t>(sizeof daemon));
  ::close(pipe_fds[0]);
  ::close(pipe_fds[1]);
  ASSERT_TRUE(Running(daemon));
  ::kill(test_process, SIGKILL);
  ::waitpid(test_process, nullptr, 0);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (Running(daemon) && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_FALSE(Running(daemon)) << "the daemon of a killed test is still running";
  if (Running(daemon)) ::kill(daemon, SIGKILL);
}

}  // namespace
}  // namespace sortline::testing
