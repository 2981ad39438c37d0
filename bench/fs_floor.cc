// The file system's floor for label files (issue 10): how many files of a label's size a
// directory takes per second when each is created, written and renamed into place
// through the file seam (pipeline/base/file.h), as the per-parcel label store does:
//   none          no flush (the page cache decides when the data reaches the disk)
//   durable_each  each file flushed, then the directory (two flushes per file)
//   durable_group groups of GROUP files flushed together (one syncfs, one directory
//                 flush per group): what per-parcel labels do per work batch
// Prints one JSON object. Usage: fs_floor DIR FILES [BYTES=4800] [GROUP=512]
// DIR must not exist or be empty; the files are removed afterwards.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "pipeline/base/file.h"

namespace {

using sortline::Directory;
using sortline::Durability;
using sortline::FileContents;

// Files per second writing `files` files into a fresh `dir`, `group` at a time.
double Rate(const std::string& dir, size_t files, const std::string& bytes, size_t group,
            Durability durability) {
  std::filesystem::remove_all(dir);
  auto opened = sortline::DefaultFileSystem().OpenDirectory(dir);
  if (!opened.ok()) {
    std::fprintf(stderr, "fs_floor: %s\n", opened.status().ToString().c_str());
    std::exit(2);
  }
  std::unique_ptr<Directory> directory = std::move(opened).value();
  std::vector<std::string> names(files);
  for (size_t i = 0; i < files; ++i) names[i] = "EA" + std::to_string(10'000'000 + i) + "CN.pdf";
  const auto start = std::chrono::steady_clock::now();
  for (size_t first = 0; first < files; first += group) {
    std::vector<FileContents> batch;
    for (size_t i = first; i < std::min(files, first + group); ++i) {
      batch.push_back({names[i], bytes});
    }
    sortline::Status written = directory->WriteAtomically(batch, durability);
    if (!written.ok()) {
      std::fprintf(stderr, "fs_floor: %s\n", written.ToString().c_str());
      std::exit(2);
    }
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::filesystem::remove_all(dir);
  return static_cast<double>(files) / seconds;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: fs_floor DIR FILES [BYTES=4800] [GROUP=512]\n");
    return 2;
  }
  const std::string dir = argv[1];
  const size_t files = std::strtoul(argv[2], nullptr, 10);
  const size_t size = argc > 3 ? std::strtoul(argv[3], nullptr, 10) : 4800;
  const size_t group = argc > 4 ? std::strtoul(argv[4], nullptr, 10) : 512;
  if (files == 0 || group == 0) return 2;
  std::string bytes(size, 'x');
  const double none = Rate(dir + "/none", files, bytes, 1, Durability::kNone);
  // Two flushes per file are slow: a tenth of the files (at least 200) tell the rate.
  const size_t each_files = std::max<size_t>(200, files / 10);
  const double each = Rate(dir + "/each", each_files, bytes, 1, Durability::kDurable);
  const double grouped = Rate(dir + "/group", files, bytes, group, Durability::kDurable);
  std::filesystem::remove_all(dir);
  std::printf(
      "{\"files\": %zu, \"bytes\": %zu, \"group\": %zu, \"none_files_per_s\": %.0f, "
      "\"durable_each_files_per_s\": %.0f, \"durable_group_files_per_s\": %.0f}\n",
      files, size, group, none, each, grouped);
  return 0;
}
