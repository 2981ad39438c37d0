// Content hashes for plan versions and label references (not for security).
//
// Thread-safety: pure functions.
#ifndef PIPELINE_BASE_HASH_H_
#define PIPELINE_BASE_HASH_H_

#include <cstdint>
#include <string>
#include <string_view>

namespace sortline {

// 64-bit FNV-1a of `data`, continuing from `seed` so a hash can be built in pieces.
uint64_t Fnv1a64(std::string_view data, uint64_t seed = 0xcbf29ce484222325ULL);

// The hash as 16 lower-case hex digits.
std::string HashHex(uint64_t hash);

}  // namespace sortline

#endif  // PIPELINE_BASE_HASH_H_
