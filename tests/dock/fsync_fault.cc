// Fault injection preloaded into sortline-dock (LD_PRELOAD) by its data-loss test: while
// the file named by SORTLINE_FAULT_FSYNC_WHILE exists, fsync and fdatasync fail with EIO
// the way they do on a failing disk. Everything else goes to the C library untouched.
#include <dlfcn.h>
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

namespace {

bool Failing() {
  const char* flag = ::getenv("SORTLINE_FAULT_FSYNC_WHILE");
  return flag != nullptr && ::access(flag, F_OK) == 0;
}

using SyncFn = int (*)(int);

SyncFn Next(const char* name) { return reinterpret_cast<SyncFn>(::dlsym(RTLD_NEXT, name)); }

// EIO while failing, else what the C library's `next` says.
int SyncOrFail(SyncFn next, int fd) {
  if (Failing()) {
    errno = EIO;
    return -1;
  }
  return next(fd);
}

}  // namespace

extern "C" int fsync(int fd) {
  static const SyncFn next = Next("fsync");
  return SyncOrFail(next, fd);
}

extern "C" int fdatasync(int fd) {
  static const SyncFn next = Next("fdatasync");
  return SyncOrFail(next, fd);
}
