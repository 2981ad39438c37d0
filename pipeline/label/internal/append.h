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

// `hundredths` / 100 with trailing zeros dropped ("12.5", "3", "-0.25").
inline void AppendHundredths(std::string& out, long long n) {
  if (n < 0) {
    out.push_back('-');
    n = -n;
  }
  AppendInt(out, n / 100);
  const long long frac = n % 100;
  if (frac != 0) {
    out.push_back('.');
    out.push_back(static_cast<char>('0' + frac / 10));
    if (frac % 10 != 0) out.push_back(static_cast<char>('0' + frac % 10));
  }
}

// `v` rounded to 1/100 with trailing zeros dropped: two decimals of a point (7 µm) are
// below any printer's dot.
inline void AppendNum(std::string& out, double v) { AppendHundredths(out, std::llround(v * 100)); }

}  // namespace sortline::label::internal

#endif  // PIPELINE_LABEL_INTERNAL_APPEND_H_
