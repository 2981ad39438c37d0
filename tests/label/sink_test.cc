#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pipeline/base/file.h"
#include "pipeline/base/hash.h"
#include "pipeline/label/label.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/testing.h"

namespace sortline::label {
namespace {

namespace fs = std::filesystem;

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

std::set<std::string> Listing(const fs::path& dir) {
  std::set<std::string> names;
  for (const auto& entry : fs::recursive_directory_iterator(dir)) {
    names.insert(fs::relative(entry.path(), dir).string());
  }
  return names;
}

std::unique_ptr<LabelSink> OpenSink(const fs::path& dir, bool fsync = false) {
  auto sink = OpenDirectorySink(dir.string(), {.fsync = fsync});
  EXPECT_OK(sink);
  return std::move(sink).value();
}

TEST(DirectorySink, WritesTheBytesAndReturnsTheirReference) {
  testing::TempDir tmp;
  auto sink = OpenSink(tmp.path());
  const std::string pdf = std::string("%PDF-1.3\n\0\xff binary", 18);
  auto ref = sink->Write("EA473124829CN", pdf);
  ASSERT_OK(ref);
  EXPECT_EQ(ref->path(), "EA473124829CN.pdf");
  EXPECT_EQ(ref->page(), 0u);
  EXPECT_EQ(ref->bytes(), pdf.size());
  EXPECT_EQ(ref->content_hash(), HashHex(Fnv1a64(pdf)));
  EXPECT_EQ(ReadFile(tmp.path() / "EA473124829CN.pdf"), pdf);
  EXPECT_EQ(Listing(tmp.path()), std::set<std::string>{"EA473124829CN.pdf"});
}

TEST(DirectorySink, RefusesNamesThatAreNotTrackingNumbers) {
  testing::TempDir tmp;
  const fs::path dir = tmp.path() / "labels";
  auto sink = OpenSink(dir);
  for (const std::string& bad : std::vector<std::string>{
           "../../etc/x", "../../../../../../../tmp/EA473124829CN", "EA473124829cn",
           "EA47312482/CN", "EA473124829C.", ".EA473124829C", "EA473124829CN.pdf", "",
           "EA473124829C", "EA473124829CNX", std::string("EA473124829C\0", 13), "EA473124829C\n"}) {
    SCOPED_TRACE(bad);
    auto ref = sink->Write(bad, "%PDF");
    ASSERT_FALSE(ref.ok());
    EXPECT_EQ(ref.status().code(), StatusCode::kInvalidArgument);
  }
  EXPECT_TRUE(Listing(dir).empty());
  EXPECT_EQ(Listing(tmp.path()), std::set<std::string>{"labels"});
}

TEST(DirectorySink, LeavesNoTemporaryFilesAndReplacesAtomically) {
  testing::TempDir tmp;
  auto sink = OpenSink(tmp.path(), /*fsync=*/true);
  ASSERT_OK(sink->Write("EA473124829CN", "first version"));
  ASSERT_OK(sink->Write("EA123456785CN", "other label"));
  ASSERT_OK(sink->Write("EA473124829CN", "second version"));
  EXPECT_EQ(ReadFile(tmp.path() / "EA473124829CN.pdf"), "second version");
  EXPECT_EQ(ReadFile(tmp.path() / "EA123456785CN.pdf"), "other label");
  EXPECT_EQ(Listing(tmp.path()), (std::set<std::string>{"EA123456785CN.pdf", "EA473124829CN.pdf"}));
}

TEST(DirectorySink, WritesBatchAndZplFilesUnderSafeNamesOnly) {
  testing::TempDir tmp;
  const fs::path dir = tmp.path() / "labels";
  auto sink = OpenSink(dir);
  auto ref = sink->WriteFile("batch-0123abcdEF_9.pdf", "%PDF batch");
  ASSERT_OK(ref);
  EXPECT_EQ(ref->path(), "batch-0123abcdEF_9.pdf");
  EXPECT_EQ(ref->bytes(), 10u);
  ASSERT_OK(sink->WriteFile("EA473124829CN.zpl", "^XA^XZ"));
  ASSERT_OK(sink->WriteFile("EA473124829CN.png", "png"));
  for (const std::string& bad : std::vector<std::string>{
           "../x.pdf", "a/b.pdf", ".pdf", ".hidden.pdf", "x.pdf.tmp", "x.exe", "x", "", "x..pdf",
           std::string("x\0.pdf", 6), "x y.pdf", std::string(97, 'a') + ".pdf", "x.PDF"}) {
    SCOPED_TRACE(bad);
    auto refused = sink->WriteFile(bad, "data");
    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(refused.status().code(), StatusCode::kInvalidArgument);
  }
  EXPECT_EQ(Listing(dir), (std::set<std::string>{"EA473124829CN.png", "EA473124829CN.zpl",
                                                 "batch-0123abcdEF_9.pdf"}));
  EXPECT_EQ(ReadFile(dir / "EA473124829CN.zpl"), "^XA^XZ");
  EXPECT_EQ(Listing(tmp.path()).size(), 4u);  // nothing outside labels/
}

TEST(DirectorySink, OpeningRemovesTempFilesOfDeadWritersOnlyIssue5) {
  testing::TempDir tmp;
  // A child that exits at once gives a pid that no longer runs.
  const pid_t dead = ::fork();
  if (dead == 0) ::_exit(0);
  ASSERT_GT(dead, 0);
  ASSERT_EQ(::waitpid(dead, nullptr, 0), dead);
  const std::string host = TemporaryHostTag();
  const std::string orphan = ".EA473124829CN.pdf.tmp." + host + "." + std::to_string(dead) + ".7";
  const std::string live =
      ".EA000000014CN.pdf.tmp." + host + "." + std::to_string(::getppid()) + ".3";
  std::ofstream(tmp.path() / orphan) << "%PDF-1.3 half";
  std::ofstream(tmp.path() / live) << "%PDF-1.3 being written";
  std::ofstream(tmp.path() / ".hidden") << "not ours";
  std::ofstream(tmp.path() / "EA000000028CN.pdf") << "%PDF-1.3 whole";
  auto sink = OpenSink(tmp.path());
  EXPECT_EQ(Listing(tmp.path()), (std::set<std::string>{live, ".hidden", "EA000000028CN.pdf"}));
}

TEST(DirectorySink, CreatesMissingDirectories) {
  testing::TempDir tmp;
  const fs::path dir = tmp.path() / "a" / "b" / "labels";
  auto sink = OpenSink(dir);
  ASSERT_OK(sink->Write("EA473124829CN", "pdf"));
  EXPECT_EQ(ReadFile(dir / "EA473124829CN.pdf"), "pdf");
}

TEST(DirectorySink, FailsWhenTheDirectoryCannotBeCreated) {
  testing::TempDir tmp;
  std::ofstream(tmp.path() / "file") << "not a directory";
  auto sink = OpenDirectorySink((tmp.path() / "file" / "labels").string(), {});
  ASSERT_FALSE(sink.ok());
  EXPECT_EQ(sink.status().code(), StatusCode::kIoError);
}

TEST(DirectorySink, ConcurrentWritersAllLand) {
  testing::TempDir tmp;
  auto sink = OpenSink(tmp.path());
  constexpr int kThreads = 4;
  constexpr int kPerThread = 50;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&sink, t] {
      for (int i = 0; i < kPerThread; ++i) {
        char number[16];
        std::snprintf(number, sizeof(number), "EA%08d0CN", t * 1000 + i);
        ASSERT_OK(sink->Write(number, std::string("label ") + number));
        // Every thread also rewrites one shared label.
        ASSERT_OK(sink->Write("EA473124829CN", "shared"));
      }
    });
  }
  for (auto& thread : threads) thread.join();
  const std::set<std::string> names = Listing(tmp.path());
  EXPECT_EQ(names.size(), static_cast<size_t>(kThreads * kPerThread + 1));
  for (const std::string& name : names) {
    EXPECT_EQ(name.size(), 17u) << name;  // no temporary file left
    const std::string content = ReadFile(tmp.path() / name);
    EXPECT_TRUE(content == "shared" || content == "label " + name.substr(0, 13)) << name;
  }
}

}  // namespace
}  // namespace sortline::label
