// Real processes for integration tests: start a program, signal it, wait for it with a
// bound, and run a shell command for its output. A Subprocess still running when
// destroyed is killed, so a failing test leaves nothing behind; and it gets SIGKILL when
// the thread that started it ends (PR_SET_PDEATHSIG), so a test binary killed by a
// timeout leaves nothing either. Start subprocesses from the test's own thread.
//
// Thread-safety: a Subprocess is owned by one test thread.
#ifndef TESTS_TESTING_PROCESS_H_
#define TESTS_TESTING_PROCESS_H_

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include <sys/types.h>

namespace sortline::testing {

class Subprocess {
 public:
  // Starts argv[0] (a path) with its stdout and stderr appended to `log_path`.
  // Throws std::runtime_error when the program cannot be started.
  Subprocess(const std::vector<std::string>& argv, const std::string& log_path);
  ~Subprocess();
  Subprocess(Subprocess&& other) noexcept;
  Subprocess(const Subprocess&) = delete;
  Subprocess& operator=(const Subprocess&) = delete;
  Subprocess& operator=(Subprocess&&) = delete;

  pid_t pid() const { return pid_; }
  void Signal(int signal) const;
  // The exit code (128 + signal when killed by one), or empty when still running after
  // `timeout`.
  std::optional<int> Wait(std::chrono::milliseconds timeout);

 private:
  pid_t pid_ = -1;
  std::optional<int> exit_code_;
};

struct CommandResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr together
};

// Runs `command` with /bin/sh and returns its exit code and output.
CommandResult RunCommand(const std::string& command);

// A TCP port on 127.0.0.1 that was free a moment ago, below the kernel's ephemeral range
// (so no outgoing connection can be given it as its source port).
int FreeLoopbackPort();

// A TCP connection to 127.0.0.1:`port` with a 5 s receive timeout, retried every 50 ms
// for up to `patience` while nothing listens yet; the descriptor (the caller closes it),
// or -1.
int ConnectLoopback(int port, std::chrono::milliseconds patience = std::chrono::milliseconds(0));

// The whole response (status line, headers, body) to "GET `path`" from 127.0.0.1:`port`,
// or "" when nothing answers; gives up after 5 s of silence.
std::string HttpGet(int port, const std::string& path);

// The contents of a file, or "" when it cannot be read.
std::string ReadFile(const std::string& path);

}  // namespace sortline::testing

#endif  // TESTS_TESTING_PROCESS_H_
