// `sortline keys gen`: writes a CURVE key pair for one peer and prints its keys table row.
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <system_error>

#include "pipeline/transport/security.h"
#include "workers/commands.h"
#include "workers/common.h"

namespace sortline::cli {
namespace {

constexpr char kProgram[] = "sortline keys gen";

struct KeysGenOptions {
  std::string out_dir;
  std::string name;
  std::string role = "worker";
};

// Exit status: 0 written, 2 refused (files exist, bad name or role) or not writable.
int KeysGen(const KeysGenOptions& options) {
  std::error_code error;
  std::filesystem::create_directories(options.out_dir, error);
  if (error) return Fatal(kProgram, IoError(options.out_dir + ": " + error.message()));
  Result<transport::CurveKeyPair> pair = transport::GenerateCurveKeyPair();
  if (!pair.ok()) return Fatal(kProgram, pair.status());
  Status written = transport::WriteKeyPairFiles(*pair, options.out_dir, options.name, options.role);
  if (!written.ok()) return Fatal(kProgram, written);
  const std::string base = options.out_dir + "/" + options.name;
  std::fprintf(stderr, "wrote %s.key (secret, mode 0600) and %s.pub\nadd to the keys table:\n",
               base.c_str(), base.c_str());
  std::printf("%s\n",
              transport::KeysTableLine(options.role, options.name, pair->public_key).c_str());
  return kExitOk;
}

}  // namespace

Command AddKeysCommand(CLI::App& app) {
  CLI::App* keys = app.add_subcommand("keys", "CURVE key tools");
  keys->require_subcommand(1);
  CLI::App* cmd = keys->add_subcommand(
      "gen",
      "Write a CURVE key pair: DIR/NAME.key (public and secret key, mode 0600; give it to "
      "the peer's --curve-key) and DIR/NAME.pub (public key only). Never overwrites. Prints "
      "the row to add to the keys table (--curve-keys): role,name,public_key. Exit status: "
      "0 written, 2 refused or not writable.");
  auto options = std::make_shared<KeysGenOptions>();
  cmd->add_option("--out", options->out_dir, "Directory for the key files (created if missing)")
      ->required();
  cmd->add_option("--name", options->name,
                  "Peer name: file name and keys table name (letters, digits, '-', '_', '.')")
      ->required();
  cmd->add_option("--role", options->role,
                  "Role of the peer: submitter, worker, conveyor (clients), intake, dock "
                  "(servers)")
      ->capture_default_str()
      ->check(CLI::IsMember({"submitter", "worker", "conveyor", "intake", "dock"}));
  return {keys, [options] { return KeysGen(*options); }};
}

}  // namespace sortline::cli
