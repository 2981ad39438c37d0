// The hostile orders file of issue 13: a few dozen lines a shop platform should never
// send (truncated JSON, invalid UTF-8, NUL bytes and path traversal in order ids, bidi
// overrides and PDF operators in names, impossible weights, sides, values and time
// stamps, wrong JSON types, unknown enums and fields, deep nesting, repeated order ids
// and tracking numbers) among good orders, plus the lines too big to keep in the
// repository (a 5 MB line, a 10,000-character order id, a 2 KB name), made here.
//
// Thread-safety: pure functions apart from writing the file.
#ifndef TESTS_TESTING_HOSTILE_H_
#define TESTS_TESTING_HOSTILE_H_

#include <cstdint>
#include <string>

namespace sortline::testing {

// tests/testing/data/hostile_orders.jsonl, the committed part (54 lines).
std::string HostileOrdersDataPath();

// Line numbers of the whole file WriteHostileOrders writes.
inline constexpr uint64_t kHostileLines = 59;
// Orders that finish: GOOD-01..07, HEAVY-40KG, the first of each repeated id (3), and
// six odd but valid ones (bidi overrides, PDF operators, terminal escapes, raw control
// characters or emoji in the name, whose label drops what cannot be shown; names no
// division matches, which go to the no-rule chute).
inline constexpr uint64_t kHostileGoodOrders = 17;
inline constexpr uint64_t kHostileNulIdLine = 5;
inline constexpr uint64_t kHostileBadUtf8Line = 3;
inline constexpr uint64_t kHostileNegativeValueLine = 15;
inline constexpr uint64_t kHostileNegativeCodLine = 16;
inline constexpr uint64_t kHostileHugeWeightLine = 12;
inline constexpr uint64_t kHostileHugeSidesLine = 13;
inline constexpr uint64_t kHostileFiveMegabyteLine = 55;
inline constexpr uint64_t kHostileLongIdLine = 56;
inline constexpr uint64_t kHostileLongNameLine = 57;
inline constexpr uint64_t kHostileHeavyLine = 58;  // 40 kg: over the plan's limit, plausible

// Writes the committed lines followed by the generated ones to `path`.
void WriteHostileOrders(const std::string& path);

}  // namespace sortline::testing

#endif  // TESTS_TESTING_HOSTILE_H_
