// Who may talk to whom: CURVE key pairs, the table of known public keys by role, and the
// libzmq version floor. Channels (channel.h) apply a Security to their tcp:// endpoints.
//
// Files:
//   key pair file   (`sortline keys gen` writes NAME.key, mode 0600): czmq's ZPL
//                   certificate layout, so zcert tools read it too:
//                       metadata
//                           name = "worker-1"
//                           role = "worker"
//                       curve
//                           public-key = "<40 Z85 characters>"
//                           secret-key = "<40 Z85 characters>"
//                   NAME.pub is the same without the secret-key line.
//   keys table      CSV with the header `role,name,public_key` (columns found by name,
//                   pipeline/csv/table.h), one known peer a row; '#' lines are comments. Roles:
//                   clients "submitter", "worker", "conveyor"; servers "intake", "dock".
// Errors name the place as FILE:LINE: reason (every problem of a table, one a line).
//
// Thread-safety: pure functions; a Security is a value type.
#ifndef PIPELINE_TRANSPORT_SECURITY_H_
#define PIPELINE_TRANSPORT_SECURITY_H_

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "pipeline/base/result.h"

namespace sortline::transport {

// The roles a keys table may list.
inline constexpr std::string_view kClientRoles[] = {"submitter", "worker", "conveyor"};
inline constexpr std::string_view kServerRoles[] = {"intake", "dock"};
bool IsKnownRole(std::string_view role);

struct CurveKeyPair {
  std::string public_key;  // Z85, 40 characters
  std::string secret_key;  // Z85, 40 characters
};

// A fresh key pair. kFailedPrecondition when libzmq was built without CURVE.
Result<CurveKeyPair> GenerateCurveKeyPair();

// Who may talk to whom. Disabled (plaintext) when own.secret_key is empty.
struct Security {
  CurveKeyPair own;  // this process's key pair
  // Known public keys (Z85) by role. A server channel admits a client only if its key is
  // listed under the channel's client role (ChannelOptions::peer_role); a client channel
  // trusts the one server key listed under the server role it connects to.
  std::map<std::string, std::vector<std::string>> keys_by_role;
  bool enabled() const { return !own.secret_key.empty(); }
};

// Loads the own key pair file and the keys table. kNotFound / kIoError when a file cannot
// be read; kInvalidArgument (FILE:LINE: reason) for bad content, including a key pair
// whose public key does not belong to its secret key.
Result<Security> LoadSecurity(const std::string& key_file, const std::string& keys_table);

// Reads a key pair file (secret-key required) as LoadSecurity does.
Result<CurveKeyPair> ReadKeyPairFile(const std::string& path);

// Writes `dir`/`name`.key (public and secret key, mode 0600) and `dir`/`name`.pub (public
// key only, mode 0644). Refuses to overwrite: kAlreadyExists when either file exists
// (then neither is written). kInvalidArgument for a name other than letters, digits,
// '-', '_' and '.' (not first), or an unknown role; kIoError when a file cannot be written.
Status WriteKeyPairFiles(const CurveKeyPair& pair, const std::string& dir, const std::string& name,
                         const std::string& role);

// The keys table row for a peer: "role,name,public_key".
std::string KeysTableLine(const std::string& role, const std::string& name,
                          const std::string& public_key);

// The oldest libzmq sortline runs on: 4.3.3 fixed CVE-2020-15166 (an unauthenticated
// client could stall a CURVE/ZAP server).
inline constexpr int kMinLibraryVersion[3] = {4, 3, 3};
// OK when `major.minor.patch` is at least kMinLibraryVersion, else kFailedPrecondition
// naming both versions. Context::Create applies it to the linked libzmq.
Status CheckLibraryVersion(int major, int minor, int patch);

}  // namespace sortline::transport

#endif  // PIPELINE_TRANSPORT_SECURITY_H_
