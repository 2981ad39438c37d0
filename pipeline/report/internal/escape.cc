#include "pipeline/report/internal/escape.h"

#include <cstdint>
#include <cstdio>

#include "pipeline/base/text.h"

namespace sortline::report::internal {
namespace {

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
    const Utf8Char decoded = DecodeUtf8(text, 0);
    const uint32_t cp = decoded.code_point;
    const size_t len = decoded.length;
    if (!decoded.valid) {
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
        } else if (IsControlOrInvisible(cp)) {
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
    at += DecodeUtf8(text, at).length;
    ++chars;
    if (chars > max_chars) {
      return std::string(text.substr(0, cut == std::string_view::npos ? 0 : cut)) + "…";
    }
  }
  return std::string(text);
}

}  // namespace sortline::report::internal
