// The dock's own tables (deploy/dock/chutes.csv and doors.csv as --chutes and --doors
// read them): the input split at a "=====" line into the chutes and the doors table,
// each read from a file as the dock reads it. Properties: nothing crashes, errors are
// valid UTF-8 without NUL, and every chute the table configures gets an exit number a telegram can
// carry.
#include <cstddef>
#include <cstdint>
#include <fstream>
#include <iterator>
#include <string>
#include <string_view>
#include <vector>

#include "pipeline/base/text.h"
#include "pipeline/dock/config.h"
#include "tests/fuzz/fuzz_support.h"

namespace sortline::fuzz {

// The sample dock tables the project ships (deploy/dock).
void WriteSeeds(const SeedWriter& write) {
  auto read = [](const std::string& path) {
    std::ifstream in(SourcePath(path), std::ios::binary);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  };
  const std::string chutes = read("deploy/dock/chutes.csv");
  const std::string doors = read("deploy/dock/doors.csv");
  write("chutes-and-doors", chutes + std::string(kFileMarker.substr(1)) + doors);
  write("chutes", chutes);
}

}  // namespace sortline::fuzz

namespace {

// Errors are printed on the terminal and logged: valid UTF-8, no NUL to cut them short.
void CheckError(const sortline::Status& status) {
  sortline::fuzz::Check(sortline::IsValidUtf8(status.message()), "a table error is not UTF-8");
  sortline::fuzz::Check(status.message().find('\0') == std::string::npos,
                        "a table error holds a NUL");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace sortline;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  std::vector<std::string_view> parts = fuzz::SplitFiles(input, 2);
  dock::DockConfig config;
  config.expected_parcels = 64;
  Status chutes = dock::LoadChutesCsv(fuzz::WriteTempFile("chutes.csv", parts[0]), &config);
  if (!chutes.ok()) CheckError(chutes);
  if (parts.size() > 1) {
    Status doors = dock::LoadDoorsCsv(fuzz::WriteTempFile("doors.csv", parts[1]), &config);
    if (!doors.ok()) CheckError(doors);
  }
  for (const auto& [name, chute] : config.chutes) {
    fuzz::Check(dock::ExitNumber(config, name) <= 255, "an exit number past one byte");
  }
  return 0;
}
