#include "pipeline/label/internal/text.h"

#include <cerrno>

#include <iconv.h>

#include "pipeline/base/text.h"

namespace sortline::label::internal {

std::u32string SanitizeForDisplay(std::string_view utf8) {
  std::u32string out;
  SanitizeForDisplay(utf8, out);
  return out;
}

void SanitizeForDisplay(std::string_view utf8, std::u32string& out) {
  out.clear();
  size_t i = 0;
  while (i < utf8.size()) {
    const Utf8Char decoded = DecodeUtf8(utf8, i);
    i += decoded.length;
    char32_t c = decoded.code_point;
    if (c == '\t' || c == '\n' || c == '\r') c = ' ';
    if (IsControlOrInvisible(c)) continue;
    out.push_back(c);
  }
}

std::string MaskPhone(std::string_view phone) {
  std::string digits;
  for (char c : phone) {
    if (c >= '0' && c <= '9') digits.push_back(c);
  }
  if (digits.size() == 13 && digits.compare(0, 2, "86") == 0) digits.erase(0, 2);
  if (digits.size() >= 7) {
    return digits.substr(0, 3) + "****" + digits.substr(digits.size() - 4);
  }
  if (digits.size() <= 2) return std::string(digits.size(), '*');
  return std::string(digits.size() - 2, '*') + digits.substr(digits.size() - 2);
}

Result<std::unique_ptr<GbkEncoder>> GbkEncoder::Create() {
  iconv_t cd = iconv_open("GBK", "UTF-8");
  if (cd == reinterpret_cast<iconv_t>(-1)) {
    return Internal("iconv has no UTF-8 to GBK converter");
  }
  return std::unique_ptr<GbkEncoder>(new GbkEncoder(cd));
}

GbkEncoder::GbkEncoder(void* cd) : cd_(cd), cache_(new uint16_t[0x10000]()) {}

void GbkEncoder::IconvCloser::operator()(void* cd) const { iconv_close(static_cast<iconv_t>(cd)); }

uint16_t GbkEncoder::Encode(char32_t c) {
  if (c >= 0x10000) return 0;
  uint16_t& slot = cache_[c];
  if (slot == 0) slot = Convert(c);
  return slot == 1 ? 0 : slot;
}

uint16_t GbkEncoder::Convert(char32_t c) {
  std::string in;
  AppendUtf8(c, &in);
  char out[8];
  char* in_ptr = in.data();
  char* out_ptr = out;
  size_t in_left = in.size();
  size_t out_left = sizeof(out);
  auto cd = static_cast<iconv_t>(cd_.get());
  const size_t rc = iconv(cd, &in_ptr, &in_left, &out_ptr, &out_left);
  iconv(cd, nullptr, nullptr, nullptr, nullptr);
  const size_t written = sizeof(out) - out_left;
  if (rc == static_cast<size_t>(-1) || in_left != 0 || written != 2) return 1;
  const auto lead = static_cast<unsigned char>(out[0]);
  const auto trail = static_cast<unsigned char>(out[1]);
  if (lead < 0x81 || lead == 0xFF || trail < 0x40) return 1;
  return static_cast<uint16_t>((lead << 8) | trail);
}

}  // namespace sortline::label::internal
