// The CURVE keys: the keys table (CSV role,name,public_key) and a key pair file, split
// at a "=====" line, read from files as every daemon reads its --curve-keys and
// --curve-key. Properties: nothing crashes; errors are "FILE:LINE: reason" lines of valid
// UTF-8; a table that loads lists only known roles and 40-character Z85 keys.
#include <cstddef>
#include <cstdint>
#include <fstream>
#include <iterator>
#include <string>
#include <string_view>
#include <vector>

#include "pipeline/base/text.h"
#include "pipeline/transport/security.h"
#include "tests/fuzz/fuzz_support.h"

namespace {

using namespace sortline;

// A valid key pair file, so the table is read even when the fuzzed key file is bad.
const std::string& ValidKeyFile() {
  static const std::string path = [] {
    auto pair = transport::GenerateCurveKeyPair();
    if (!pair.ok()) fuzz::Fail("CURVE: " + pair.status().ToString());
    Status written = transport::WriteKeyPairFiles(*pair, fuzz::TempDirectory(), "own", "intake");
    if (!written.ok()) fuzz::Fail("key pair file: " + written.ToString());
    return fuzz::TempDirectory() + "/own.key";
  }();
  return path;
}

void CheckError(const Status& status) {
  fuzz::Check(IsValidUtf8(status.message()), "a keys error is not UTF-8");
  fuzz::Check(status.message().find('\0') == std::string::npos, "a keys error holds a NUL");
}

}  // namespace

namespace sortline::fuzz {

// A keys table as `sortline keys gen` lines build it, followed by a key pair file it
// writes.
void WriteSeeds(const SeedWriter& write) {
  std::string table = "# role,name,public_key\nrole,name,public_key\n";
  std::string key_file;
  for (const char* role : {"intake", "dock", "worker", "submitter", "conveyor"}) {
    auto pair = transport::GenerateCurveKeyPair();
    if (!pair.ok()) Fail("CURVE: " + pair.status().ToString());
    table += transport::KeysTableLine(role, std::string(role) + "-1", pair->public_key) + "\n";
    if (key_file.empty()) {
      Status written = transport::WriteKeyPairFiles(*pair, TempDirectory(), "seed", role);
      if (!written.ok()) Fail("key pair file: " + written.ToString());
      std::ifstream in(TempDirectory() + "/seed.key", std::ios::binary);
      key_file.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    }
  }
  write("table", table);
  write("table-and-key", table + std::string(kFileMarker.substr(1)) + key_file);
}

}  // namespace sortline::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  std::vector<std::string_view> parts = fuzz::SplitFiles(input, 2);
  const std::string table = fuzz::WriteTempFile("keys.csv", parts[0]);
  Result<transport::Security> security = transport::LoadSecurity(ValidKeyFile(), table);
  if (security.ok()) {
    for (const auto& [role, keys] : security->keys_by_role) {
      fuzz::Check(transport::IsKnownRole(role), "a table loaded an unknown role");
      for (const std::string& key : keys) fuzz::Check(key.size() == 40, "a key of another length");
    }
  } else {
    CheckError(security.status());
  }
  if (parts.size() > 1) {
    Result<transport::CurveKeyPair> pair =
        transport::ReadKeyPairFile(fuzz::WriteTempFile("fuzzed.key", parts[1]));
    if (!pair.ok()) CheckError(pair.status());
  }
  return 0;
}
