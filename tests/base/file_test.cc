#include "pipeline/base/file.h"

#include <algorithm>
#include <cerrno>
#include <ctime>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tests/testing/fault_file_system.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/testing.h"

namespace sortline {
namespace {

std::vector<std::string> Sorted(Result<std::vector<std::string>> names) {
  EXPECT_OK(names);
  std::vector<std::string> v = names.ok() ? *names : std::vector<std::string>{};
  std::sort(v.begin(), v.end());
  return v;
}

std::string Slurp(const std::string& path) {
  std::string text;
  EXPECT_OK(DefaultFileSystem().ReadFile(path, &text)) << path;
  return text;
}

TEST(Directory, AGroupIsWrittenWholeUnderItsFinalNamesWithNoTemporaryLeft) {
  testing::TempDir tmp;
  Result<std::unique_ptr<Directory>> dir = DefaultFileSystem().OpenDirectory(tmp.file("labels/a"));
  ASSERT_OK(dir);
  const std::vector<FileContents> files = {{"one.pdf", "first"}, {"two.pdf", "second"}};
  for (Durability d : {Durability::kNone, Durability::kDurable}) {
    ASSERT_OK((*dir)->WriteAtomically(files, d));
    EXPECT_EQ(Sorted((*dir)->List()), (std::vector<std::string>{"one.pdf", "two.pdf"}));
    EXPECT_EQ(Slurp(tmp.file("labels/a/two.pdf")), "second");
  }
}

TEST(Directory, ASecondWriteReplacesTheFileAtomically) {
  testing::TempDir tmp;
  auto dir = DefaultFileSystem().OpenDirectory(tmp.path().string());
  ASSERT_OK(dir);
  ASSERT_OK((*dir)->WriteAtomically("x.csv", "old", Durability::kDurable));
  ASSERT_OK((*dir)->WriteAtomically("x.csv", "new!", Durability::kDurable));
  std::string text;
  ASSERT_OK((*dir)->ReadFile("x.csv", &text));
  EXPECT_EQ(text, "new!");
}

TEST(Directory, NamesThatCouldLeaveTheDirectoryOrHideAreRefusedAndNothingIsWritten) {
  testing::TempDir tmp;
  auto dir = DefaultFileSystem().OpenDirectory(tmp.path().string());
  ASSERT_OK(dir);
  for (std::string_view bad :
       {std::string_view(""), std::string_view("../x"), std::string_view("a/b"),
        std::string_view(".hidden"), std::string_view("..", 2), std::string_view("a\0b", 3)}) {
    Status s = (*dir)->WriteAtomically(bad, "x", Durability::kNone);
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << bad;
  }
  // One bad name in a group refuses the whole group.
  const std::vector<FileContents> group = {{"good.pdf", "x"}, {"../bad.pdf", "y"}};
  EXPECT_EQ((*dir)->WriteAtomically(group, Durability::kDurable).code(),
            StatusCode::kInvalidArgument);
  EXPECT_TRUE(Sorted((*dir)->List()).empty());
}

TEST(PendingFile, AppearsOnlyOnCommitAndVanishesWhenAbandoned) {
  testing::TempDir tmp;
  auto dir = DefaultFileSystem().OpenDirectory(tmp.path().string());
  ASSERT_OK(dir);
  {
    Result<std::unique_ptr<PendingFile>> file = (*dir)->CreatePending("orders.jsonl");
    ASSERT_OK(file);
    ASSERT_OK((*file)->Append("half a file"));
    std::string text;
    EXPECT_EQ((*dir)->ReadFile("orders.jsonl", &text).code(), StatusCode::kNotFound);
  }
  EXPECT_TRUE(Sorted((*dir)->List()).empty());  // abandoned: nothing left

  Result<std::unique_ptr<PendingFile>> file = (*dir)->CreatePending("orders.jsonl");
  ASSERT_OK(file);
  std::string expected;  // more than the write buffer, in pieces of every size
  for (int i = 0; i < 5000; ++i) {
    const std::string line = std::string(static_cast<size_t>(i % 97), 'x') + "\n";
    expected += line;
    ASSERT_OK((*file)->Append(line));
  }
  const std::string big(200'000, 'y');
  expected += big;
  ASSERT_OK((*file)->Append(big));
  ASSERT_OK((*file)->Commit(Durability::kDurable));
  EXPECT_EQ(Sorted((*dir)->List()), (std::vector<std::string>{"orders.jsonl"}));
  EXPECT_EQ(Slurp(tmp.file("orders.jsonl")), expected);
  EXPECT_FALSE((*file)->Commit(Durability::kNone).ok());
}

TEST(AppendFile, AppendsAtTheEndAcrossOpeningsAndStatTellsSizeAndTime) {
  testing::TempDir tmp;
  auto dir = DefaultFileSystem().OpenDirectory(tmp.path().string());
  ASSERT_OK(dir);
  EXPECT_EQ((*dir)->Stat("log").status().code(), StatusCode::kNotFound);
  {
    Result<std::unique_ptr<AppendFile>> log = (*dir)->OpenAppend("log");
    ASSERT_OK(log);
    ASSERT_OK((*log)->Append("one\n"));
    ASSERT_OK((*log)->Sync());
  }
  Result<std::unique_ptr<AppendFile>> again = (*dir)->OpenAppend("log");
  ASSERT_OK(again);
  ASSERT_OK((*again)->Append("two\n"));
  EXPECT_EQ(Slurp(tmp.file("log")), "one\ntwo\n");
  const int64_t now_ms = static_cast<int64_t>(::time(nullptr)) * 1000;
  Result<FileInfo> info = (*dir)->Stat("log");
  ASSERT_OK(info);
  EXPECT_EQ(info->size, 8u);
  EXPECT_NEAR(static_cast<double>(info->modified_unix_ms), static_cast<double>(now_ms), 5000.0);
  EXPECT_EQ((*dir)->OpenAppend("../log").status().code(), StatusCode::kInvalidArgument);
}

TEST(Directory, CreateNewNeverReplacesAndSetsTheModeExactly) {
  testing::TempDir tmp;
  auto dir = DefaultFileSystem().OpenDirectory(tmp.path().string());
  ASSERT_OK(dir);
  const mode_t old_mask = ::umask(0);
  ::umask(0077);
  ASSERT_OK((*dir)->CreateNew("k.key", "secret", 0600, Durability::kDurable));
  ::umask(old_mask);
  struct stat st {};
  ASSERT_EQ(::stat(tmp.file("k.key").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ((*dir)->CreateNew("k.key", "other", 0600, Durability::kNone).code(),
            StatusCode::kAlreadyExists);
  EXPECT_EQ(Slurp(tmp.file("k.key")), "secret");
}

TEST(Directory, ReadingOrRemovingAMissingFileIsNotFound) {
  testing::TempDir tmp;
  auto dir = DefaultFileSystem().OpenDirectory(tmp.path().string());
  ASSERT_OK(dir);
  std::string text;
  EXPECT_EQ((*dir)->ReadFile("nope", &text).code(), StatusCode::kNotFound);
  EXPECT_EQ((*dir)->Remove("nope").code(), StatusCode::kNotFound);
  EXPECT_EQ(DefaultFileSystem().ReadFile(tmp.file("nope"), &text).code(), StatusCode::kNotFound);
}

TEST(Directory, OrphanedTemporariesOfThisHostAreSweptAndOtherHostsAreLeftAlone) {
  testing::TempDir tmp;
  auto dir = DefaultFileSystem().OpenDirectory(tmp.path().string());
  ASSERT_OK(dir);
  // A pid that is surely not running (above pid_max's default range), this host's.
  const std::string host = TemporaryHostTag();
  const std::string dead = ".b.pdf.tmp." + host + ".999999999.0";
  const std::string mine = ".c.pdf.tmp." + host + "." + std::to_string(::getpid()) + ".3";
  const std::string live_parent = ".d.pdf.tmp." + host + "." + std::to_string(::getppid()) + ".0";
  const std::string other_host = ".e.pdf.tmp.some-other-host.999999999.0";
  for (const std::string& name : {dead, mine, live_parent, other_host, std::string("f.pdf")}) {
    std::ofstream(tmp.file(name)) << "x";
  }
  Result<size_t> removed = (*dir)->RemoveOrphanedTemporaries();
  ASSERT_OK(removed);
  EXPECT_EQ(*removed, 2u);
  EXPECT_EQ(Sorted((*dir)->List()), (std::vector<std::string>{live_parent, other_host, "f.pdf"}));
}

TEST(TemporaryName, ParsesHostAndPidAndRefusesOtherNames) {
  std::string host;
  pid_t pid = 0;
  EXPECT_TRUE(ParseTemporaryName(".batch-1.pdf.tmp.node-7.4242.12", &host, &pid));
  EXPECT_EQ(host, "node-7");
  EXPECT_EQ(pid, 4242);
  EXPECT_FALSE(ParseTemporaryName("batch-1.pdf", &host, &pid));
  EXPECT_FALSE(ParseTemporaryName(".batch-1.pdf.tmp.4242.12", &host, &pid));  // no host
  EXPECT_FALSE(ParseTemporaryName(".x.tmp.h.-3.1", &host, &pid));
  EXPECT_FALSE(ParseTemporaryName(".x.tmp.h.12a.1", &host, &pid));
}

TEST(ErrnoToStatus, AFullDiskIsResourceExhaustedAndTheRestIoError) {
  EXPECT_EQ(ErrnoToStatus(ENOSPC, "w").code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(ErrnoToStatus(EDQUOT, "w").code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(ErrnoToStatus(EIO, "w").code(), StatusCode::kIoError);
  EXPECT_EQ(ErrnoToStatus(ENOENT, "w").code(), StatusCode::kIoError);
}

TEST(FaultInjectingFileSystem, RefusesWritesWhileFullAndFailsTheFlushesAskedFor) {
  testing::TempDir tmp;
  testing::FaultInjectingFileSystem fs;
  auto dir = fs.OpenDirectory(tmp.path().string());
  ASSERT_OK(dir);
  fs.SetDiskFull(true);
  EXPECT_EQ((*dir)->WriteAtomically("a.pdf", "x", Durability::kNone).code(),
            StatusCode::kResourceExhausted);
  fs.SetDiskFull(false);
  fs.FailNextFlushes(1);
  EXPECT_EQ((*dir)->WriteAtomically("a.pdf", "x", Durability::kDurable).code(),
            StatusCode::kDataLoss);
  EXPECT_TRUE(Sorted((*dir)->List()).empty());
  EXPECT_OK((*dir)->WriteAtomically("a.pdf", "x", Durability::kDurable));
  Result<std::unique_ptr<AppendFile>> log = (*dir)->OpenAppend("log");
  ASSERT_OK(log);
  fs.SetDiskFull(true);
  EXPECT_EQ((*log)->Append("x").code(), StatusCode::kResourceExhausted);
  fs.SetDiskFull(false);
  fs.FailNextFlushes(1);
  EXPECT_EQ((*log)->Sync().code(), StatusCode::kDataLoss);
  EXPECT_EQ(fs.refused(), 4);
  EXPECT_EQ(fs.written(), 1);
}

}  // namespace
}  // namespace sortline
