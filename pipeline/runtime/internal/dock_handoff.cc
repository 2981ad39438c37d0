#include "pipeline/runtime/internal/dock_handoff.h"

#include <cerrno>
#include <cstdint>
#include <cstring>

#include <pthread.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <unistd.h>

namespace sortline::runtime::internal {

constexpr int kBackgroundNice = 10;  // added to the process's nice value

// Under CPU contention the decisions go first: a background thread of the dock runs at
// a lower priority than the decision thread (Linux applies nice per thread), relative
// to the process's, so a dock started with a raised priority keeps the gap. Failing to
// lower it costs only that preference.
void LowerThreadPriority(const char* name) {
  pthread_setname_np(pthread_self(), name);
  const id_t self = static_cast<id_t>(::gettid());
  errno = 0;
  const int nice = ::getpriority(PRIO_PROCESS, self);
  if (errno == 0) ::setpriority(PRIO_PROCESS, self, std::min(19, nice + kBackgroundNice));
}

Result<Wakeup> Wakeup::Create() {
  const int fd = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (fd < 0) return IoError(std::string("eventfd: ") + std::strerror(errno));
  return Wakeup(UniqueFd(fd));
}

void Wakeup::Signal() {
  const uint64_t one = 1;
  // A full counter (2^64 - 2 signals unread) already wakes the reader: nothing to do.
  [[maybe_unused]] ssize_t written = ::write(fd_.get(), &one, sizeof(one));
}

void Wakeup::Clear() {
  uint64_t count = 0;
  [[maybe_unused]] ssize_t got = ::read(fd_.get(), &count, sizeof(count));
}

bool DockHealth::Fail(Status status) {
  MutexLock lock(mu_);
  if (!ok_.load()) return false;
  status_ = std::move(status);
  ok_.store(false);
  return true;
}

Status DockHealth::status() const {
  MutexLock lock(mu_);
  return status_;
}

bool DockHealth::SetStalled(Writer writer, bool stalled) {
  const int mask =
      stalled ? stalled_.fetch_or(writer) | writer : stalled_.fetch_and(~writer) & ~writer;
  return mask != 0;
}

}  // namespace sortline::runtime::internal
