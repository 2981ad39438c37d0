// A FileSystem that refuses writes or flushes on request, for showing in-process what a
// component does when its disk is full or fails (in the spirit of LevelDB's
// FaultInjectionTestEnv). Everything else goes to the wrapped file system.
//
// Thread-safety: thread-safe; the switches may be flipped while components write.
#ifndef TESTS_TESTING_FAULT_FILE_SYSTEM_H_
#define TESTS_TESTING_FAULT_FILE_SYSTEM_H_

#include <atomic>
#include <memory>
#include <string>

#include "pipeline/base/file.h"

namespace sortline::testing {

class FaultInjectingFileSystem final : public FileSystem {
 public:
  explicit FaultInjectingFileSystem(FileSystem& base = DefaultFileSystem()) : base_(base) {}

  // While set, every write (WriteAtomically, CreateNew, pending and
  // appended bytes) fails with kResourceExhausted
  // ("No space left on device") and writes nothing.
  void SetDiskFull(bool full) { disk_full_.store(full); }
  // The next `n` durable writes fail their flush with kDataLoss and write nothing.
  void FailNextFlushes(int n) { flushes_to_fail_.store(n); }

  // Writes (groups) refused so far, and writes that went through.
  int refused() const { return refused_.load(); }
  int written() const { return written_.load(); }

  Result<std::unique_ptr<Directory>> OpenDirectory(const std::string& path) override;
  Status ReadFile(const std::string& path, std::string* out) override {
    return base_.ReadFile(path, out);
  }

  // Used by the directories it opens: the injected refusal for a write, or OK.
  Status Admit(Durability durability);
  void CountWritten() { written_.fetch_add(1); }

 private:
  FileSystem& base_;
  std::atomic<bool> disk_full_{false};
  std::atomic<int> flushes_to_fail_{0};
  std::atomic<int> refused_{0};
  std::atomic<int> written_{0};
};

}  // namespace sortline::testing

#endif  // TESTS_TESTING_FAULT_FILE_SYSTEM_H_
