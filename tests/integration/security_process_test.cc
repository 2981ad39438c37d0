// CURVE across real processes: dock, intake and a worker with keys from `sortline keys
// gen`; only a submitter whose key is listed under "submitter" gets orders in (issue 5).
#include <chrono>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <signal.h>

#include "pipeline/store/dock_store.h"
#include "tests/integration/daemons.h"
#include "tests/testing/process.h"
#include "tests/testing/testing.h"

namespace sortline {
namespace {

using std::chrono::milliseconds;
using testing::Bin;
using testing::Endpoint;

// Writes NAME.key under `dir`/keys and returns its keys-table row.
std::string GenerateKey(const testing::TempDir& dir, const std::string& name,
                        const std::string& role) {
  testing::CommandResult made =
      testing::RunCommand(Bin("sortline") + " keys gen --out " + dir.file("keys") + " --name " +
                          name + " --role " + role + " 2>/dev/null");
  EXPECT_EQ(made.exit_code, 0) << made.output;
  std::string row = made.output.substr(0, made.output.find_last_not_of('\n') + 1);
  return row.substr(row.find_last_of('\n') + 1);
}

TEST(Security, OnlyAListedSubmitterGetsOrdersThroughCurveDaemonsIssue5) {
  testing::TempDir dir;
  // The table lists intake, dock, one worker, one submitter and one scanner gateway (the
  // dock refuses to start with no conveyor key listed); "stranger" has a valid key pair
  // that is not listed, and the worker's key is tried as a submitter's.
  std::string table = "role,name,public_key\n";
  for (const auto& [name, role] :
       std::vector<std::pair<std::string, std::string>>{{"intake", "intake"},
                                                        {"dock", "dock"},
                                                        {"w1", "worker"},
                                                        {"shop", "submitter"},
                                                        {"scanner", "conveyor"}}) {
    table += GenerateKey(dir, name, role) + "\n";
  }
  GenerateKey(dir, "stranger", "submitter");
  {
    std::ofstream out(dir.file("keys.csv"));
    out << table;
  }
  auto key = [&](const std::string& name) {
    return std::vector<std::string>{"--curve-key", dir.file("keys/" + name + ".key"),
                                    "--curve-keys", dir.file("keys.csv")};
  };
  auto with = [](std::vector<std::string> argv, const std::vector<std::string>& more) {
    argv.insert(argv.end(), more.begin(), more.end());
    return argv;
  };

  const testing::PipelinePorts ports;
  const std::string log = dir.file("daemons.log");
  std::vector<std::unique_ptr<testing::Subprocess>> daemons;
  daemons.push_back(std::make_unique<testing::Subprocess>(
      with({Bin("sortline-dock"), "--records", Endpoint(ports.records), "--conveyor",
            Endpoint(ports.conveyor), "--db", dir.file("dock.db"), "--events", "",
            "--telegram-port", "-1", "--metrics-port", "-1", "--manifests", dir.file("manifests")},
           key("dock")),
      log));
  daemons.push_back(std::make_unique<testing::Subprocess>(
      with({Bin("sortline-intake"), "--submit", Endpoint(ports.submit), "--work",
            Endpoint(ports.work), "--journal", dir.file("intake.db")},
           key("intake")),
      log));
  daemons.push_back(std::make_unique<testing::Subprocess>(
      with({Bin("sortline-worker"), "--intake", Endpoint(ports.work), "--dock",
            Endpoint(ports.records), "--labels", dir.file("labels"), "--name", "w1"},
           key("w1")),
      log));

  auto orders = [&](const std::string& name, int count, int seed) {
    std::string path = dir.file(name + ".jsonl");
    testing::CommandResult gen =
        testing::RunCommand(Bin("sortline") + " gen -n " + std::to_string(count) + " --seed " +
                            std::to_string(seed) + " -o " + path + " >/dev/null 2>&1");
    EXPECT_EQ(gen.exit_code, 0) << gen.output;
    return path;
  };
  // A submitter that is refused never hears back; `timeout` ends it (exit 124).
  auto submit = [&](const std::string& file, const std::string& extra, int seconds) {
    return testing::RunCommand("timeout " + std::to_string(seconds) + " " + Bin("sortline") +
                               " submit " + file + " --intake " + Endpoint(ports.submit) +
                               " --stall-timeout-ms 60000 " + extra + " 2>&1");
  };
  const std::string flags_of_stranger =
      "--curve-key " + dir.file("keys/stranger.key") + " --curve-keys " + dir.file("keys.csv");
  const std::string flags_of_worker =
      "--curve-key " + dir.file("keys/w1.key") + " --curve-keys " + dir.file("keys.csv");
  const std::string flags_of_shop =
      "--curve-key " + dir.file("keys/shop.key") + " --curve-keys " + dir.file("keys.csv");

  testing::CommandResult plaintext = submit(orders("plain", 50, 1), "", 6);
  EXPECT_EQ(plaintext.exit_code, 124) << "a plaintext client got an answer\n" << plaintext.output;
  testing::CommandResult stranger = submit(orders("stranger", 50, 2), flags_of_stranger, 6);
  EXPECT_EQ(stranger.exit_code, 124) << "an unlisted key got an answer\n" << stranger.output;
  testing::CommandResult wrong_role = submit(orders("worker", 50, 3), flags_of_worker, 6);
  EXPECT_EQ(wrong_role.exit_code, 124) << "a worker's key submitted\n" << wrong_role.output;

  testing::CommandResult shop = submit(orders("shop", 300, 4), flags_of_shop, 120);
  EXPECT_EQ(shop.exit_code, 0) << shop.output << "\n" << testing::ReadFile(log);

  for (auto& daemon : daemons) daemon->Signal(SIGTERM);
  for (auto& daemon : daemons) {
    std::optional<int> code = daemon->Wait(milliseconds(20'000));
    ASSERT_TRUE(code.has_value()) << testing::ReadFile(log);
    EXPECT_EQ(*code, 0) << testing::ReadFile(log);
  }
  // Only the listed submitter's 300 orders reached the dock, through the worker's
  // CURVE connections to intake and dock.
  Result<std::unique_ptr<store::DockStore>> dock =
      store::DockStore::Open(dir.file("dock.db"), store::DockStoreOptions{});
  ASSERT_TRUE(dock.ok()) << dock.status();
  Result<uint64_t> count = (*dock)->Count();
  ASSERT_TRUE(count.ok()) << count.status();
  EXPECT_EQ(*count, 300u) << testing::ReadFile(log);
}

}  // namespace
}  // namespace sortline
