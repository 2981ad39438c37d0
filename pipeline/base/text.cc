#include "pipeline/base/text.h"

#include <charconv>
#include <cstdio>
#include <system_error>

namespace sortline {

bool IsControlOrInvisible(char32_t c) {
  if (c < 0x20 || c == 0x7F) return true;                           // C0 controls, DEL
  if (c >= 0x80 && c <= 0x9F) return true;                          // C1 controls
  if (c == 0x061C || c == 0x180E) return true;                      // Arabic letter mark, MVS
  if (c >= 0x200B && c <= 0x200F) return true;                      // zero-width, LRM, RLM
  if (c >= 0x2028 && c <= 0x202E) return true;                      // separators, bidi
  if (c >= 0x2060 && c <= 0x206F) return true;                      // joiners, isolates
  if (c == 0xFEFF) return true;                                     // BOM / ZWNBSP
  if (c >= 0xFFF9 && c <= 0xFFFB) return true;                      // interlinear annotation
  if (c == 0xE0001 || (c >= 0xE0020 && c <= 0xE007F)) return true;  // tags
  return false;
}

namespace {

void AppendEscape(char32_t c, std::string* out) {
  switch (c) {
    case 0:
      *out += "\\0";
      return;
    case '\t':
      *out += "\\t";
      return;
    case '\n':
      *out += "\\n";
      return;
    case '\r':
      *out += "\\r";
      return;
    default:
      break;
  }
  char buf[16];
  if (c < 0x80) {
    std::snprintf(buf, sizeof buf, "\\x%02x", static_cast<unsigned>(c));
  } else if (c <= 0xFFFF) {
    std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(c));
  } else {
    std::snprintf(buf, sizeof buf, "\\U%08x", static_cast<unsigned>(c));
  }
  *out += buf;
}

std::string EchoImpl(std::string_view text, size_t max_code_points, bool escape_quote) {
  std::string out;
  out.reserve(text.size() < 256 ? text.size() + 8 : 256);
  size_t pos = 0;
  size_t shown = 0;
  while (pos < text.size()) {
    if (shown == max_code_points) {
      out += "…[" + std::to_string(text.size()) + " bytes]";
      return out;
    }
    const Utf8Char ch = DecodeUtf8(text, pos);
    pos += ch.length;
    ++shown;
    if (escape_quote && ch.code_point == '"') {
      out += "\\\"";
    } else if (ch.valid && IsControlOrInvisible(ch.code_point)) {
      AppendEscape(ch.code_point, &out);
    } else {
      AppendUtf8(ch.code_point, &out);
    }
  }
  return out;
}

}  // namespace

Utf8Char DecodeUtf8(std::string_view text, size_t pos) {
  const auto b0 = static_cast<unsigned char>(text[pos]);
  if (b0 < 0x80) return {b0, 1, true};
  size_t extra;
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
    return {};
  }
  if (extra >= text.size() - pos) return {};
  for (size_t k = 1; k <= extra; ++k) {
    const auto b = static_cast<unsigned char>(text[pos + k]);
    if ((b & 0xC0) != 0x80) return {};
    c = (c << 6) | (b & 0x3F);
  }
  if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) return {};
  return {c, static_cast<uint8_t>(extra + 1), true};
}

bool IsValidUtf8(std::string_view text) {
  size_t pos = 0;
  while (pos < text.size()) {
    // ASCII runs are the common case in orders and CSV files.
    if (static_cast<unsigned char>(text[pos]) < 0x80) {
      ++pos;
      continue;
    }
    const Utf8Char ch = DecodeUtf8(text, pos);
    if (!ch.valid) return false;
    pos += ch.length;
  }
  return true;
}

std::string ToValidUtf8(std::string_view text) {
  if (IsValidUtf8(text)) return std::string(text);
  std::string out;
  out.reserve(text.size() + 8);
  size_t pos = 0;
  while (pos < text.size()) {
    const Utf8Char ch = DecodeUtf8(text, pos);
    if (ch.valid) {
      out.append(text.substr(pos, ch.length));
    } else {
      AppendUtf8(kReplacementCharacter, &out);
    }
    pos += ch.length;
  }
  return out;
}

void AppendUtf8(char32_t c, std::string* out) {
  if (c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) c = kReplacementCharacter;
  if (c < 0x80) {
    out->push_back(static_cast<char>(c));
  } else if (c < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (c >> 6)));
    out->push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else if (c < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (c >> 12)));
    out->push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (c >> 18)));
    out->push_back(static_cast<char>(0x80 | ((c >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (c & 0x3F)));
  }
}

size_t CountCodePoints(std::string_view text) {
  size_t count = 0;
  for (size_t pos = 0; pos < text.size(); ++count) pos += DecodeUtf8(text, pos).length;
  return count;
}

std::string Echo(std::string_view untrusted, size_t max_code_points) {
  return EchoImpl(untrusted, max_code_points, false);
}

std::string EchoQuoted(std::string_view untrusted, size_t max_code_points) {
  return "\"" + EchoImpl(untrusted, max_code_points, true) + "\"";
}

std::optional<uint64_t> ParseDigits(std::string_view text) {
  if (text.empty() || text.front() < '0' || text.front() > '9') return std::nullopt;
  uint64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

std::optional<int64_t> ParseInteger(std::string_view text) {
  int64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || error != std::errc() || end != text.data() + text.size()) {
    return std::nullopt;
  }
  return value;
}

std::string GroupThousands(uint64_t n) {
  const std::string digits = std::to_string(n);
  std::string out;
  out.reserve(digits.size() + digits.size() / 3);
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

}  // namespace sortline
