#include "pipeline/report/internal/subprocess.h"

#include <array>
#include <cerrno>
#include <csignal>
#include <cstring>

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pipeline/base/file.h"

extern char** environ;

namespace sortline::report::internal {
namespace {

using SteadyClock = std::chrono::steady_clock;

Result<std::array<UniqueFd, 2>> Pipe() {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return ErrnoToStatus(errno, "pipe");
  return std::array<UniqueFd, 2>{UniqueFd(fds[0]), UniqueFd(fds[1])};
}

// The posix_spawn file actions that put the pipe ends on 0, 1 and 2 of the child.
class FileActions {
 public:
  FileActions() { ok_ = ::posix_spawn_file_actions_init(&actions_) == 0; }
  ~FileActions() {
    if (ok_) ::posix_spawn_file_actions_destroy(&actions_);
  }
  FileActions(const FileActions&) = delete;
  FileActions& operator=(const FileActions&) = delete;

  bool Dup(int from, int to) {
    return ok_ && ::posix_spawn_file_actions_adddup2(&actions_, from, to) == 0;
  }
  const posix_spawn_file_actions_t* get() const { return &actions_; }

 private:
  posix_spawn_file_actions_t actions_;
  bool ok_ = false;
};

// write(2) that reports a reader gone as EPIPE instead of raising SIGPIPE, which would
// end this process: the signal is blocked in this thread for the call and a pending
// one it raised is taken back before unblocking.
ssize_t WriteWithoutSigpipe(int fd, std::string_view bytes) {
  sigset_t pipe_set;
  sigset_t old_set;
  sigemptyset(&pipe_set);
  sigaddset(&pipe_set, SIGPIPE);
  ::pthread_sigmask(SIG_BLOCK, &pipe_set, &old_set);
  sigset_t pending;
  sigpending(&pending);
  const bool was_pending = sigismember(&pending, SIGPIPE) == 1;
  const ssize_t w = ::write(fd, bytes.data(), bytes.size());
  const int saved_errno = errno;
  if (w < 0 && saved_errno == EPIPE && !was_pending) {
    const timespec zero{0, 0};
    ::sigtimedwait(&pipe_set, nullptr, &zero);
  }
  ::pthread_sigmask(SIG_SETMASK, &old_set, nullptr);
  errno = saved_errno;
  return w;
}

int ExitCode(int wait_status) {
  if (WIFEXITED(wait_status)) return WEXITSTATUS(wait_status);
  if (WIFSIGNALED(wait_status)) return 128 + WTERMSIG(wait_status);
  return -1;
}

}  // namespace

Result<ProgramOutput> RunProgram(const std::vector<std::string>& argv, std::string_view input,
                                 std::chrono::milliseconds timeout) {
  if (argv.empty()) return InvalidArgument("no program to run");
  SORTLINE_ASSIGN_OR_RETURN(auto in, Pipe());
  SORTLINE_ASSIGN_OR_RETURN(auto out, Pipe());
  SORTLINE_ASSIGN_OR_RETURN(auto err, Pipe());
  FileActions actions;
  if (!actions.Dup(in[0].get(), 0) || !actions.Dup(out[1].get(), 1) ||
      !actions.Dup(err[1].get(), 2)) {
    return Internal("posix_spawn file actions for " + argv[0]);
  }
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = -1;
  const int spawned =
      ::posix_spawnp(&pid, argv[0].c_str(), actions.get(), nullptr, args.data(), environ);
  if (spawned != 0) {
    return NotFound("cannot start " + argv[0] + ": " + std::strerror(spawned));
  }
  in[0] = UniqueFd();
  out[1] = UniqueFd();
  err[1] = UniqueFd();
  // Non-blocking, so a full pipe never stalls the reading of the program's output.
  ::fcntl(in[1].get(), F_SETFL, O_NONBLOCK);

  ProgramOutput result;
  size_t written = 0;
  if (input.empty()) in[1] = UniqueFd();
  const auto deadline = SteadyClock::now() + timeout;
  bool timed_out = false;
  char buf[65536];
  while (out[0].valid() || err[0].valid()) {
    std::array<pollfd, 3> fds{};
    nfds_t n = 0;
    auto watch = [&](const UniqueFd& fd, short events) {
      if (fd.valid()) fds[n++] = pollfd{fd.get(), events, 0};
    };
    watch(out[0], POLLIN);
    watch(err[0], POLLIN);
    watch(in[1], POLLOUT);
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - SteadyClock::now());
    if (left.count() <= 0) {
      timed_out = true;
      break;
    }
    const int ready = ::poll(fds.data(), n, static_cast<int>(left.count()));
    if (ready < 0 && errno != EINTR) return ErrnoToStatus(errno, "poll " + argv[0]);
    for (nfds_t i = 0; i < n; ++i) {
      if (fds[i].revents == 0) continue;
      if (in[1].valid() && fds[i].fd == in[1].get()) {
        const ssize_t w = WriteWithoutSigpipe(in[1].get(), input.substr(written));
        if (w > 0) written += static_cast<size_t>(w);
        if ((w < 0 && errno != EAGAIN && errno != EINTR) || written == input.size()) {
          in[1] = UniqueFd();  // done, or the program stopped reading (EPIPE)
        }
        continue;
      }
      UniqueFd& fd = fds[i].fd == out[0].get() ? out[0] : err[0];
      std::string& sink = fds[i].fd == out[0].get() ? result.out : result.err;
      const ssize_t r = ::read(fd.get(), buf, sizeof buf);
      if (r > 0) {
        sink.append(buf, static_cast<size_t>(r));
      } else if (r == 0 || (errno != EAGAIN && errno != EINTR)) {
        fd = UniqueFd();
      }
    }
  }
  if (timed_out) ::kill(pid, SIGKILL);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (timed_out) {
    return Unavailable(argv[0] + " did not finish within " + std::to_string(timeout.count()) +
                       " ms");
  }
  result.exit_code = ExitCode(status);
  return result;
}

}  // namespace sortline::report::internal
