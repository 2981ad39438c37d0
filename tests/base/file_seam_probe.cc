// A writer of the file seam, run by shared_directory_test.cc on "hosts" that are UTS
// namespaces with their own host names:
//   file_seam_probe leave DIR NAME   starts writing DIR/NAME (a PendingFile), then is
//                                    killed (SIGKILL) before it commits: its temporary
//                                    stays behind, as a crashed writer's would
//   file_seam_probe sweep DIR        removes the orphaned temporaries this host may
//                                    remove and prints "<host tag> removed <n>"
#include <csignal>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>

#include "pipeline/base/file.h"

int main(int argc, char** argv) {
  using namespace sortline;
  if (argc < 3) return 2;
  Result<std::unique_ptr<Directory>> dir = DefaultFileSystem().OpenDirectory(argv[2]);
  if (!dir.ok()) {
    std::fprintf(stderr, "%s\n", dir.status().ToString().c_str());
    return 2;
  }
  if (std::strcmp(argv[1], "leave") == 0 && argc == 4) {
    Result<std::unique_ptr<PendingFile>> file = (*dir)->CreatePending(argv[3]);
    if (!file.ok() || !(*file)->Append(std::string(64 << 10, 'x')).ok()) return 2;
    std::raise(SIGKILL);
  }
  if (std::strcmp(argv[1], "sweep") == 0) {
    Result<size_t> removed = (*dir)->RemoveOrphanedTemporaries();
    if (!removed.ok()) return 2;
    std::printf("%s removed %zu\n", TemporaryHostTag().c_str(), *removed);
    return 0;
  }
  return 2;
}
