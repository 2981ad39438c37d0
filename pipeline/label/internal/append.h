// Numbers appended to output buffers (PDF content streams, ZPL) without locale,
// allocation per number or printf: both writers format thousands of numbers a label.
//
// Thread-safety: pure functions.
#ifndef PIPELINE_LABEL_INTERNAL_APPEND_H_
#define PIPELINE_LABEL_INTERNAL_APPEND_H_

#include <charconv>
#include <cmath>
#include <string>

namespace sortline::label::internal {

inline void AppendInt(std::string& out, long long v) {
  char buf[24];
  const auto r = std::to_chars(buf, buf + sizeof(buf), v);
  out.append(buf, r.ptr);
}

// Writes `n` / 100 with trailing zeros dropped ("12.5", "3", "-0.25") at `p`, which
// must have room for 24 bytes; returns the end of what it wrote.
inline char* PutHundredths(char* p, long long n) {
  auto u = static_cast<unsigned long long>(n);
  if (n < 0) {
    *p++ = '-';
    u = 0 - u;
  }
  p = std::to_chars(p, p + 20, u / 100).ptr;
  const auto frac = static_cast<unsigned>(u % 100);
  if (frac != 0) {
    *p++ = '.';
    *p++ = static_cast<char>('0' + frac / 10);
    if (frac % 10 != 0) *p++ = static_cast<char>('0' + frac % 10);
  }
  return p;
}

// `hundredths` / 100 with trailing zeros dropped ("12.5", "3", "-0.25").
inline void AppendHundredths(std::string& out, long long n) {
  char buf[24];
  out.append(buf, PutHundredths(buf, n));
}

// `v` rounded to 1/100 with trailing zeros dropped: two decimals of a point (7 µm) are
// below any printer's dot.
inline void AppendNum(std::string& out, double v) { AppendHundredths(out, std::llround(v * 100)); }

}  // namespace sortline::label::internal

#endif  // PIPELINE_LABEL_INTERNAL_APPEND_H_
