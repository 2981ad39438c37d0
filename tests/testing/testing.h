// Shared test helpers: order builders with real division codes and a temporary
// directory that removes itself.
//
// Thread-safety: builders are pure; a TempDir is owned by one test.
#ifndef TESTS_TESTING_TESTING_H_
#define TESTS_TESTING_TESTING_H_

#include <filesystem>
#include <string>

#include "proto/order.pb.h"

namespace sortline::testing {

// A complete, valid order to 陕西省渭南市临渭区 (610502) from a farm in Guigang, Guangxi.
v1::Order SampleOrder(const std::string& order_id = "T0001");

// The shipped division table and the default sort plan.
std::string DivisionsDir();
std::string DefaultPlanPath();

// A fresh directory under `under` (the system temp dir; kShm for the large runs, where
// ext4 file creation would dominate the run time), removed with its contents on
// destruction.
inline constexpr char kShm[] = "/dev/shm";
class TempDir {
 public:
  explicit TempDir(const std::filesystem::path& under = std::filesystem::temp_directory_path());
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

}  // namespace sortline::testing

#endif  // TESTS_TESTING_TESTING_H_
