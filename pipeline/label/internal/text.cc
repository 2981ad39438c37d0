#include "pipeline/label/internal/text.h"

#include <cerrno>

#include <iconv.h>

namespace sortline::label::internal {
namespace {

constexpr char32_t kReplacement = 0xFFFD;

// True for the characters that must not reach a label (see SanitizeForDisplay).
bool IsDropped(char32_t c) {
  if (c < 0x20 || c == 0x7F) return true;
  if (c >= 0x80 && c <= 0x9F) return true;
  if (c >= 0x200B && c <= 0x200F) return true;
  if (c >= 0x202A && c <= 0x202E) return true;
  if (c >= 0x2060 && c <= 0x2069) return true;
  return c == 0xFEFF;
}

// Decodes one scalar value at `s[i]`; advances `i`. Malformed input (overlong forms,
// surrogates, values above U+10FFFF, truncated sequences) yields U+FFFD and consumes
// one byte, so decoding always makes progress.
char32_t DecodeOne(std::string_view s, size_t& i) {
  const auto b0 = static_cast<unsigned char>(s[i]);
  if (b0 < 0x80) {
    ++i;
    return b0;
  }
  int extra;
  char32_t c;
  char32_t min;
  if ((b0 & 0xE0) == 0xC0) {
    extra = 1;
    c = b0 & 0x1F;
    min = 0x80;
  } else if ((b0 & 0xF0) == 0xE0) {
    extra = 2;
    c = b0 & 0x0F;
    min = 0x800;
  } else if ((b0 & 0xF8) == 0xF0) {
    extra = 3;
    c = b0 & 0x07;
    min = 0x10000;
  } else {
    ++i;
    return kReplacement;
  }
  if (i + static_cast<size_t>(extra) >= s.size()) {
    ++i;
    return kReplacement;
  }
  for (int k = 1; k <= extra; ++k) {
    const auto b = static_cast<unsigned char>(s[i + static_cast<size_t>(k)]);
    if ((b & 0xC0) != 0x80) {
      ++i;
      return kReplacement;
    }
    c = (c << 6) | (b & 0x3F);
  }
  if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) {
    ++i;
    return kReplacement;
  }
  i += static_cast<size_t>(extra) + 1;
  return c;
}

}  // namespace

std::u32string SanitizeForDisplay(std::string_view utf8) {
  std::u32string out;
  SanitizeForDisplay(utf8, out);
  return out;
}

void SanitizeForDisplay(std::string_view utf8, std::u32string& out) {
  out.clear();
  size_t i = 0;
  while (i < utf8.size()) {
    char32_t c = DecodeOne(utf8, i);
    if (c == '\t' || c == '\n' || c == '\r') c = ' ';
    if (IsDropped(c)) continue;
    out.push_back(c);
  }
}

void AppendUtf8(std::string& out, char32_t c) {
  if (c < 0x80) {
    out.push_back(static_cast<char>(c));
  } else if (c < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (c >> 6)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else if (c < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (c >> 12)));
    out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (c >> 18)));
    out.push_back(static_cast<char>(0x80 | ((c >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
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
  AppendUtf8(in, c);
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
