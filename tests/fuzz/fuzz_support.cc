#include "tests/fuzz/fuzz_support.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <system_error>

#include <google/protobuf/stubs/logging.h>
#include <unistd.h>

namespace sortline::fuzz {

const model::DivisionTable& ShippedDivisions() {
  static const model::DivisionTable* table = [] {
    auto loaded = model::DivisionTable::Load(SORTLINE_DATA_DIR);
    if (!loaded.ok()) Fail("division table: " + loaded.status().ToString());
    return loaded.value().release();
  }();
  return *table;
}

const sort::SortPlan& ShippedPlan() {
  static const sort::SortPlan* plan = [] {
    auto loaded = sort::SortPlan::Load(SORTLINE_DEFAULT_PLAN, &ShippedDivisions());
    if (!loaded.ok()) Fail("sort plan: " + loaded.status().ToString());
    return loaded.value().release();
  }();
  return *plan;
}

std::vector<std::string_view> SplitFiles(std::string_view data, size_t max_parts) {
  std::vector<std::string_view> parts;
  while (parts.size() + 1 < max_parts) {
    size_t at = data.find(kFileMarker);
    if (at == std::string_view::npos) break;
    parts.push_back(data.substr(0, at + 1));  // keeps the line end before the marker
    data.remove_prefix(at + kFileMarker.size());
  }
  parts.push_back(data);
  return parts;
}

std::vector<sort::PlanFile> SplitPlanFiles(std::string_view data, std::string_view stem) {
  std::vector<sort::PlanFile> files;
  for (std::string_view part : SplitFiles(data, 4)) {
    files.push_back({std::string(stem) + std::to_string(files.size()) + ".csv", std::string(part)});
  }
  return files;
}

namespace {

void RemoveTempDirectory() {
  std::error_code ec;
  std::filesystem::remove_all(TempDirectory(), ec);
}

}  // namespace

const std::string& TempDirectory() {
  static const std::string dir = [] {
    const char* tmp = std::getenv("TMPDIR");
    std::string base =
        ::access("/dev/shm", W_OK) == 0 ? "/dev/shm" : (tmp != nullptr ? tmp : "/tmp");
    std::string pattern = base + "/sortline-fuzz-XXXXXX";
    if (::mkdtemp(pattern.data()) == nullptr) Fail("cannot create a directory under " + base);
    return pattern;
  }();
  static const bool registered = std::atexit(RemoveTempDirectory) == 0;
  (void)registered;
  return dir;
}

std::string WriteTempFile(const std::string& name, std::string_view content) {
  const std::string path = TempDirectory() + "/" + name;
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(content.data(), static_cast<std::streamsize>(content.size()));
  if (!out) Fail("cannot write " + path);
  return path;
}

std::string SourcePath(const std::string& relative) {
  return std::string(SORTLINE_SOURCE_DIR) + "/" + relative;
}

}  // namespace sortline::fuzz

extern "C" int LLVMFuzzerInitialize(int* /*argc*/, char*** /*argv*/) {
  // Protobuf logs every string field that is not UTF-8; the daemons route that to their
  // rate-limited log (pipeline/runtime/protobuf_log.h), here it would only drown the
  // fuzzer's own output.
  google::protobuf::SetLogHandler(nullptr);
  const char* dir = std::getenv("SORTLINE_FUZZ_WRITE_SEEDS");
  if (dir == nullptr) return 0;
  std::filesystem::create_directories(dir);
  int written = 0;
  sortline::fuzz::WriteSeeds([&](const std::string& name, std::string_view bytes) {
    std::ofstream out(std::string(dir) + "/seed-" + name, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (!out) sortline::fuzz::Fail("cannot write seed " + name);
    ++written;
  });
  std::fprintf(stderr, "wrote %d seeds to %s\n", written, dir);
  std::exit(0);
}
