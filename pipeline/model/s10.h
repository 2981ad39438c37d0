// UPU S10 tracking numbers: two letters, eight serial digits, a check digit, and the
// ISO 3166 country code, e.g. "EA473124829CN".
//
// Thread-safety: the free functions are pure. S10Issuer is not thread-safe; guard it.
#ifndef PIPELINE_MODEL_S10_H_
#define PIPELINE_MODEL_S10_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include "pipeline/base/result.h"
#include "pipeline/base/status.h"

namespace sortline::model {

// Check digit of an 8-digit serial: weights 8 6 4 2 3 5 9 7, C = 11 - (S mod 11),
// 10 -> 0, 11 -> 5. REQUIRES: serial <= 99'999'999. S10CheckDigit(47312482) == 9.
int S10CheckDigit(uint32_t serial);

// OK when `number` is 13 characters: [A-Z]{2}, 8 digits, the right check digit, [A-Z]{2}.
// The message names what is wrong.
Status ValidateS10(std::string_view number);

// Builds the number; REQUIRES: prefix and country are two upper-case letters.
std::string FormatS10(std::string_view prefix, uint32_t serial, std::string_view country);

struct S10Range {
  std::string prefix = "EA";   // service indicator
  std::string country = "CN";  // ISO 3166-1 alpha-2 of the issuing post
  uint32_t first = 1;          // first serial of the range
  uint32_t last = 99'999'999;  // last serial, inclusive
};

// Issues consecutive numbers from a range; kResourceExhausted once the range is spent.
class S10Issuer {
 public:
  // Fails when the range is malformed (letters, first > last, last > 99'999'999).
  // `next_serial` is the serial Next() issues first, in [first, last + 1]; pass the
  // persisted next_serial() to resume without reissuing a number.
  static Result<S10Issuer> Create(const S10Range& range, uint32_t next_serial);

  Result<std::string> Next();
  // The serial the next call to Next() issues; last + 1 once the range is spent.
  uint32_t next_serial() const { return next_; }

 private:
  S10Issuer(S10Range range, uint32_t next) : range_(std::move(range)), next_(next) {}
  S10Range range_;
  uint32_t next_;
};

}  // namespace sortline::model

#endif  // PIPELINE_MODEL_S10_H_
