#include "pipeline/model/s10.h"

#include <cassert>
#include <utility>

#include "pipeline/base/text.h"

namespace sortline::model {
namespace {

constexpr uint32_t kMaxSerial = 99'999'999;

bool IsUpper(char c) { return c >= 'A' && c <= 'Z'; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }

bool IsTwoUpperLetters(std::string_view s) {
  return s.size() == 2 && IsUpper(s[0]) && IsUpper(s[1]);
}

}  // namespace

int S10CheckDigit(uint32_t serial) {
  assert(serial <= kMaxSerial);
  static constexpr int kWeights[8] = {8, 6, 4, 2, 3, 5, 9, 7};
  int sum = 0;
  // kWeights[0] applies to the most significant of the eight digits.
  for (int i = 7; i >= 0; --i) {
    sum += static_cast<int>(serial % 10) * kWeights[i];
    serial /= 10;
  }
  int check = 11 - sum % 11;
  if (check == 10) return 0;
  if (check == 11) return 5;
  return check;
}

Status ValidateS10(std::string_view number) {
  if (number.size() != 13) {
    return InvalidArgument("tracking number " + EchoQuoted(number) + " has " +
                           std::to_string(number.size()) + " characters, expected 13");
  }
  if (!IsTwoUpperLetters(number.substr(0, 2))) {
    return InvalidArgument("tracking number " + EchoQuoted(number) +
                           " must start with two upper-case letters");
  }
  const std::optional<uint64_t> serial = ParseDigits(number.substr(2, 8));
  if (!serial.has_value()) {
    return InvalidArgument("tracking number " + EchoQuoted(number) +
                           " must have eight serial digits after the letters");
  }
  if (!IsDigit(number[10])) {
    return InvalidArgument("tracking number " + EchoQuoted(number) +
                           " must have a check digit in position 11");
  }
  if (!IsTwoUpperLetters(number.substr(11, 2))) {
    return InvalidArgument("tracking number " + EchoQuoted(number) +
                           " must end with a two-letter country code");
  }
  int expected = S10CheckDigit(static_cast<uint32_t>(*serial));
  if (number[10] - '0' != expected) {
    return InvalidArgument("tracking number " + EchoQuoted(number) + " has check digit " +
                           std::string(1, number[10]) + ", expected " + std::to_string(expected));
  }
  return Status::Ok();
}

std::string FormatS10(std::string_view prefix, uint32_t serial, std::string_view country) {
  assert(IsTwoUpperLetters(prefix) && IsTwoUpperLetters(country) && serial <= kMaxSerial);
  std::string out(13, '0');
  out[0] = prefix[0];
  out[1] = prefix[1];
  uint32_t rest = serial;
  for (size_t i = 9; i >= 2; --i) {
    out[i] = static_cast<char>('0' + rest % 10);
    rest /= 10;
  }
  out[10] = static_cast<char>('0' + S10CheckDigit(serial));
  out[11] = country[0];
  out[12] = country[1];
  return out;
}

Result<S10Issuer> S10Issuer::Create(const S10Range& range, uint32_t next_serial) {
  if (!IsTwoUpperLetters(range.prefix)) {
    return InvalidArgument("S10 range prefix " + EchoQuoted(range.prefix) +
                           " is not two upper-case letters");
  }
  if (!IsTwoUpperLetters(range.country)) {
    return InvalidArgument("S10 range country " + EchoQuoted(range.country) +
                           " is not two upper-case letters");
  }
  if (range.last > kMaxSerial) {
    return InvalidArgument("S10 range last serial " + std::to_string(range.last) +
                           " exceeds 99999999");
  }
  if (range.first > range.last) {
    return InvalidArgument("S10 range first serial " + std::to_string(range.first) +
                           " is after last serial " + std::to_string(range.last));
  }
  // last + 1 is accepted: it is what next_serial() reports once the range is spent.
  if (next_serial < range.first || next_serial > range.last + 1) {
    return InvalidArgument("S10 next serial " + std::to_string(next_serial) +
                           " is outside the range " + std::to_string(range.first) + ".." +
                           std::to_string(range.last));
  }
  return S10Issuer(range, next_serial);
}

Result<std::string> S10Issuer::Next() {
  if (next_ > range_.last) {
    return ResourceExhausted("S10 range " + range_.prefix + " " + std::to_string(range_.first) +
                             ".." + std::to_string(range_.last) + " " + range_.country +
                             " is spent");
  }
  return FormatS10(range_.prefix, next_++, range_.country);
}

}  // namespace sortline::model
