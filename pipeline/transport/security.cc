#include "pipeline/transport/security.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <optional>
#include <set>
#include <utility>

#include <zmq.h>

#include "pipeline/base/file.h"
#include "pipeline/base/text.h"
#include "pipeline/csv/table.h"

namespace sortline::transport {
namespace {

constexpr size_t kZ85KeySize = 40;
constexpr std::string_view kZ85Alphabet =
    "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#";

// A problem line keeps this many characters; it may quote a value from the file.
constexpr size_t kMaxProblemCodePoints = 300;

Status LineError(const std::string& path, size_t line, const std::string& problem) {
  return InvalidArgument(
      Echo(path + ":" + std::to_string(line) + ": " + problem, kMaxProblemCodePoints));
}

// Empty when `key` is a 40-character Z85 key, else why not.
std::string Z85KeyProblem(const std::string& key) {
  if (key.size() != kZ85KeySize) {
    return "a key is " + std::to_string(kZ85KeySize) + " Z85 characters, this one has " +
           std::to_string(key.size());
  }
  if (!std::all_of(key.begin(), key.end(),
                   [](char c) { return kZ85Alphabet.find(c) != std::string_view::npos; })) {
    return "a key holds only Z85 characters";
  }
  std::array<uint8_t, 32> binary{};
  if (zmq_z85_decode(binary.data(), key.c_str()) == nullptr) return "not a Z85 key";
  return "";
}

std::string_view Trim(std::string_view text) {
  const size_t begin = text.find_first_not_of(" \t\r");
  if (begin == std::string_view::npos) return {};
  const size_t end = text.find_last_not_of(" \t\r");
  return text.substr(begin, end - begin + 1);
}

// The curve keys of a ZPL certificate (czmq's zcert layout): `public-key` and
// `secret-key` under the `curve` section, values optionally in double quotes.
struct CertKeys {
  std::string public_key;
  size_t public_line = 0;
  std::string secret_key;
  size_t secret_line = 0;
};

Result<CertKeys> ParseCertificate(const std::string& text, const std::string& path) {
  CertKeys keys;
  std::string section;
  size_t line_number = 0;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    std::string_view raw(text.data() + start, end - start);
    start = end + 1;
    ++line_number;
    std::string_view line = Trim(raw);
    if (line.empty() || line.front() == '#') continue;
    const bool indented = raw.front() == ' ' || raw.front() == '\t';
    if (!indented) {
      section = std::string(line);
      continue;
    }
    const size_t equals = line.find('=');
    if (equals == std::string_view::npos) {
      return LineError(path, line_number, "expected name = \"value\"");
    }
    std::string_view name = Trim(line.substr(0, equals));
    std::string_view value = Trim(line.substr(equals + 1));
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
      value = value.substr(1, value.size() - 2);
    }
    if (section != "curve") continue;
    if (name == "public-key" || name == "secret-key") {
      std::string key(value);
      std::string problem = Z85KeyProblem(key);
      if (!problem.empty()) return LineError(path, line_number, std::string(name) + ": " + problem);
      if (name == "public-key") {
        keys.public_key = std::move(key);
        keys.public_line = line_number;
      } else {
        keys.secret_key = std::move(key);
        keys.secret_line = line_number;
      }
    }
  }
  return keys;
}

struct KeyTableEntry {
  std::string name;
  size_t line = 0;
};

// The keys table's columns, in the order of its documented header.
enum KeyColumn { kRole, kName, kPublicKey };
constexpr csv::Column kKeyColumns[] = {{"role", true}, {"name", true}, {"public_key", true}};

Result<std::map<std::string, std::vector<std::string>>> ReadKeysTable(const std::string& path) {
  std::map<std::string, std::vector<std::string>> keys_by_role;
  // (role, name) and (role, key) seen so far, for duplicate checks.
  std::map<std::pair<std::string, std::string>, size_t> names;
  std::map<std::pair<std::string, std::string>, KeyTableEntry> keys;
  std::vector<std::string> problems;
  std::optional<csv::Header> header;
  size_t header_fields = 0;
  auto on_row = [&](const csv::CsvRow& record) -> Status {
    if (!header.has_value()) {
      header.emplace(path, "keys", kKeyColumns, record, csv::Header::Unknown::kProblem, &problems);
      header_fields = record.fields.size();
      if (!header->complete()) {
        problems.push_back(csv::Where(path, record.line) +
                           "expected the header role,name,public_key");
      }
      return Status::Ok();
    }
    if (!header->complete()) return Status::Ok();  // rows of an unknown layout say nothing
    const csv::Row row(*header, record, &problems);
    auto problem = [&](const std::string& what) {
      problems.push_back(csv::Where(path, row.line()) + what);
    };
    if (row.size() != header_fields) {
      problem("expected " + std::to_string(header_fields) +
              " fields (role,name,public_key), found " + std::to_string(row.size()));
      return Status::Ok();
    }
    const std::string role(row[kRole]);
    const std::string name(row[kName]);
    const std::string key(row[kPublicKey]);
    if (!IsKnownRole(role)) {
      problem("unknown role \"" + role + "\" (submitter, worker, conveyor, intake, dock)");
      return Status::Ok();
    }
    if (name.empty()) {
      problem("empty name");
      return Status::Ok();
    }
    if (std::string key_problem = Z85KeyProblem(key); !key_problem.empty()) {
      problem("public_key: " + key_problem);
      return Status::Ok();
    }
    auto [name_at, new_name] = names.emplace(std::make_pair(role, name), row.line());
    if (!new_name) {
      problem(role + " \"" + name + "\" is already listed on line " +
              std::to_string(name_at->second));
      return Status::Ok();
    }
    auto [key_at, new_key] =
        keys.emplace(std::make_pair(role, key), KeyTableEntry{name, row.line()});
    if (!new_key) {
      problem("this key is already listed for " + role + " \"" + key_at->second.name +
              "\" on line " + std::to_string(key_at->second.line));
      return Status::Ok();
    }
    keys_by_role[role].push_back(key);
    return Status::Ok();
  };
  const Status status = csv::ReadCsvFile(path, on_row, {.comments = true});
  if (!status.ok()) return status;
  if (!header.has_value()) {
    problems.push_back(csv::Where(path, 1) +
                       "empty table, expected the header role,name,public_key");
  }
  if (!problems.empty()) {
    std::string message;
    for (const std::string& line : problems) {
      message += (message.empty() ? "" : "\n") + Echo(line, kMaxProblemCodePoints);
    }
    return InvalidArgument(message);
  }
  return keys_by_role;
}

std::string Certificate(const CurveKeyPair& pair, const std::string& name, const std::string& role,
                        bool with_secret) {
  std::string text =
      "#   ****  Generated by sortline keys gen  ****\n"
      "#   ZeroMQ CURVE " +
      std::string(with_secret ? "**Secret** Certificate\n"
                                "#   DO NOT PROVIDE THIS FILE TO OTHER USERS nor change its "
                                "permissions.\n"
                              : "Public Certificate\n"
                                "#   Exchange securely, or use a secure mechanism to verify the "
                                "contents\n"
                                "#   of this file after exchange.\n") +
      "\n"
      "metadata\n"
      "    name = \"" +
      name + "\"\n" + "    role = \"" + role + "\"\n" + "curve\n" + "    public-key = \"" +
      pair.public_key + "\"\n";
  if (with_secret) text += "    secret-key = \"" + pair.secret_key + "\"\n";
  return text;
}

}  // namespace

bool IsKnownRole(std::string_view role) {
  return std::find(std::begin(kClientRoles), std::end(kClientRoles), role) !=
             std::end(kClientRoles) ||
         std::find(std::begin(kServerRoles), std::end(kServerRoles), role) !=
             std::end(kServerRoles);
}

Result<CurveKeyPair> GenerateCurveKeyPair() {
  std::array<char, kZ85KeySize + 1> public_key{};
  std::array<char, kZ85KeySize + 1> secret_key{};
  if (zmq_curve_keypair(public_key.data(), secret_key.data()) != 0) {
    return FailedPrecondition(std::string("cannot generate a CURVE key pair: ") +
                              zmq_strerror(zmq_errno()) + " (libzmq built without CURVE?)");
  }
  return CurveKeyPair{std::string(public_key.data()), std::string(secret_key.data())};
}

Result<CurveKeyPair> ReadKeyPairFile(const std::string& path) {
  std::string text;
  SORTLINE_RETURN_IF_ERROR(DefaultFileSystem().ReadFile(path, &text));
  SORTLINE_ASSIGN_OR_RETURN(CertKeys keys, ParseCertificate(text, path));
  if (keys.secret_key.empty()) {
    return InvalidArgument(path + ": no curve secret-key (a .pub file is not a key pair)");
  }
  if (keys.public_key.empty()) return InvalidArgument(path + ": no curve public-key");
  std::array<char, kZ85KeySize + 1> derived{};
  if (zmq_curve_public(derived.data(), keys.secret_key.c_str()) != 0) {
    return FailedPrecondition(std::string("cannot check a CURVE key pair: ") +
                              zmq_strerror(zmq_errno()));
  }
  if (keys.public_key != derived.data()) {
    return LineError(path, keys.public_line, "public-key does not belong to the secret-key");
  }
  return CurveKeyPair{std::move(keys.public_key), std::move(keys.secret_key)};
}

Result<Security> LoadSecurity(const std::string& key_file, const std::string& keys_table) {
  Security security;
  SORTLINE_ASSIGN_OR_RETURN(security.own, ReadKeyPairFile(key_file));
  SORTLINE_ASSIGN_OR_RETURN(security.keys_by_role, ReadKeysTable(keys_table));
  return security;
}

Status WriteKeyPairFiles(const CurveKeyPair& pair, const std::string& dir, const std::string& name,
                         const std::string& role) {
  const bool plain =
      !name.empty() && name.front() != '.' && std::all_of(name.begin(), name.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' || c == '_' || c == '.';
      });
  if (!plain) {
    return InvalidArgument("key name \"" + name +
                           "\": use letters, digits, '-', '_' and '.' (not first)");
  }
  if (!IsKnownRole(role)) {
    return InvalidArgument("unknown role \"" + role +
                           "\" (submitter, worker, conveyor, intake, dock)");
  }
  SORTLINE_ASSIGN_OR_RETURN(std::unique_ptr<Directory> out,
                            DefaultFileSystem().OpenDirectory(dir.empty() ? "." : dir));
  const std::string key_name = name + ".key";
  const std::string pub_name = name + ".pub";
  std::string existing;
  if (out->ReadFile(pub_name, &existing).code() != StatusCode::kNotFound) {
    return AlreadyExists(out->path() + "/" + pub_name + ": exists, not overwritten");
  }
  // The secret is created with its final mode (never readable by others, never a
  // replaced file); the public half follows, and a failure there takes the secret back.
  SORTLINE_RETURN_IF_ERROR(
      out->CreateNew(key_name, Certificate(pair, name, role, true), 0600, Durability::kDurable));
  Status pub =
      out->CreateNew(pub_name, Certificate(pair, name, role, false), 0644, Durability::kDurable);
  if (!pub.ok()) out->Remove(key_name).IgnoreError();
  return pub;
}

std::string KeysTableLine(const std::string& role, const std::string& name,
                          const std::string& public_key) {
  return role + "," + name + "," + public_key;
}

Status CheckLibraryVersion(int major, int minor, int patch) {
  const std::array<int, 3> have = {major, minor, patch};
  const std::array<int, 3> need = {kMinLibraryVersion[0], kMinLibraryVersion[1],
                                   kMinLibraryVersion[2]};
  if (have >= need) return Status::Ok();
  auto text = [](const std::array<int, 3>& v) {
    return std::to_string(v[0]) + "." + std::to_string(v[1]) + "." + std::to_string(v[2]);
  };
  return FailedPrecondition("libzmq " + text(have) + " is too old: sortline needs " + text(need) +
                            " or newer (CVE-2020-15166: unauthenticated clients can stall " +
                            "CURVE servers before 4.3.3)");
}

}  // namespace sortline::transport
