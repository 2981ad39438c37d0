// The frame of a test of one store file (a Journal, a DockStore: anything with
// `static Result<std::unique_ptr<Store>> Open(const std::string& path, const Options&)`):
// a temporary directory per test and the store opened on a file in it.
//
//   class JournalTest : public testing::StoreFileTest<Journal, JournalOptions> {
//    protected:
//     JournalTest() : StoreFileTest("journal.db") {}
//   };
//
// Thread-safety: test-thread only.
#ifndef TESTS_TESTING_STORE_FIXTURE_H_
#define TESTS_TESTING_STORE_FIXTURE_H_

#include <memory>
#include <string>
#include <utility>

#include <gtest/gtest.h>

#include "pipeline/base/result.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/testing.h"

namespace sortline::testing {

template <typename Store, typename Options>
class StoreFileTest : public ::testing::Test {
 protected:
  explicit StoreFileTest(std::string file_name) : file_name_(std::move(file_name)) {}

  // The store's file, <dir>/<file_name>.
  std::string path() const { return dir_.file(file_name_); }

  // The store on path() with `options`; null, and a failed test, when it does not open.
  std::unique_ptr<Store> Open(const Options& options = {}) {
    Result<std::unique_ptr<Store>> store = Store::Open(path(), options);
    EXPECT_OK(store);
    return store.ok() ? std::move(store).value() : nullptr;
  }

  TempDir dir_;

 private:
  std::string file_name_;
};

}  // namespace sortline::testing

#endif  // TESTS_TESTING_STORE_FIXTURE_H_
