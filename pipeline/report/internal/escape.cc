#include "pipeline/report/internal/escape.h"

#include <cstdint>
#include <cstdio>

namespace sortline::report::internal {
namespace {

// The length of the well-formed UTF-8 sequence at the start of `s` and its code point,
// or 0 when it is not one (overlong, surrogate, beyond U+10FFFF, truncated).
size_t DecodeUtf8(std::string_view s, uint32_t* code_point) {
  const auto b0 = static_cast<unsigned char>(s[0]);
  size_t len;
  uint32_t cp;
  if (b0 < 0x80) {
    *code_point = b0;
    return 1;
  } else if (b0 >= 0xC2 && b0 <= 0xDF) {
    len = 2;
    cp = b0 & 0x1F;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    len = 3;
    cp = b0 & 0x0F;
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    len = 4;
    cp = b0 & 0x07;
  } else {
    return 0;
  }
  if (s.size() < len) return 0;
  for (size_t i = 1; i < len; ++i) {
    const auto b = static_cast<unsigned char>(s[i]);
    if ((b & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (b & 0x3F);
  }
  const bool overlong = (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000);
  if (overlong || (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF) return 0;
  *code_point = cp;
  return len;
}

bool Invisible(uint32_t cp) {
  return (cp >= 0x200B && cp <= 0x200F) ||  // zero-width space/joiners, LRM, RLM
         (cp >= 0x202A && cp <= 0x202E) ||  // bidi embeddings and overrides
         (cp >= 0x2066 && cp <= 0x2069) ||  // bidi isolates
         cp == 0x061C || cp == 0xFEFF;      // Arabic letter mark, BOM
}

void AppendHex(std::string& out, const char* format, unsigned value) {
  char buf[16];
  std::snprintf(buf, sizeof buf, format, value);
  out += buf;
}

}  // namespace

std::string EscapeHtml(std::string_view text) {
  std::string out;
  out.reserve(text.size() + text.size() / 8);
  while (!text.empty()) {
    uint32_t cp = 0;
    const size_t len = DecodeUtf8(text, &cp);
    if (len == 0) {
      AppendHex(out, "\\x%02X", static_cast<unsigned char>(text[0]));
      text.remove_prefix(1);
      continue;
    }
    switch (cp) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        if (cp < 0x20 || (cp >= 0x7F && cp < 0xA0)) {
          AppendHex(out, "\\x%02X", cp);
        } else if (Invisible(cp)) {
          AppendHex(out, "\\u{%04X}", cp);
        } else {
          out.append(text.substr(0, len));
        }
    }
    text.remove_prefix(len);
  }
  return out;
}

std::string Shorten(std::string_view text, size_t max_chars) {
  size_t chars = 0;
  size_t at = 0;
  size_t cut = std::string_view::npos;  // where the last character that fits with "…" ends
  while (at < text.size()) {
    if (chars + 1 == max_chars) cut = at;
    uint32_t cp = 0;
    const size_t len = DecodeUtf8(text.substr(at), &cp);
    at += len == 0 ? 1 : len;
    ++chars;
    if (chars > max_chars) {
      return std::string(text.substr(0, cut == std::string_view::npos ? 0 : cut)) + "…";
    }
  }
  return std::string(text);
}

}  // namespace sortline::report::internal
