// Text from outside: the project's one UTF-8 decoder, encoder and validator, numbers
// read from text, and Echo, the one way untrusted text (order ids, names, parser
// messages, peer names, file names) is shown back to people and tools: on the terminal,
// in logs, in summary.json, in metrics labels and in the report.
//
// Thread-safety: pure functions.
#ifndef PIPELINE_BASE_TEXT_H_
#define PIPELINE_BASE_TEXT_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sortline {

inline constexpr char32_t kReplacementCharacter = 0xFFFD;

// One step of UTF-8 decoding.
struct Utf8Char {
  char32_t code_point = kReplacementCharacter;  // U+FFFD when !valid
  uint8_t length = 1;                           // bytes consumed, 1..4; 1 when !valid
  bool valid = false;
};

// Decodes the character that starts at `text[pos]`. Well-formed means RFC 3629: no
// overlong forms, no surrogates (U+D800..U+DFFF), nothing above U+10FFFF, no truncated
// sequence. A malformed sequence yields {U+FFFD, 1, false}: it consumes one byte, so a
// decoding loop always advances and resynchronises at the next lead byte.
// REQUIRES: pos < text.size().
Utf8Char DecodeUtf8(std::string_view text, size_t pos);

// True when the whole of `text` is well-formed UTF-8 (protobuf string fields, CSV fields
// and label text require it).
bool IsValidUtf8(std::string_view text);

// `text` with every malformed byte replaced by U+FFFD.
std::string ToValidUtf8(std::string_view text);

// Appends the UTF-8 form of `c`; a value that is not a Unicode scalar value (a surrogate
// or above U+10FFFF) appends U+FFFD.
void AppendUtf8(char32_t c, std::string* out);

// Characters in `text`, counting each malformed byte as one.
size_t CountCodePoints(std::string_view text);

// True for the characters that are well-formed but must not be shown as they are: they
// control a terminal, end a line, or are invisible and can reorder or hide the text
// around them (bidi controls, zero-width characters, tags). Echo escapes them, the
// report escapes them, labels drop them.
bool IsControlOrInvisible(char32_t c);

// How much of a value Echo shows by default.
inline constexpr size_t kEchoMaxCodePoints = 64;

// `untrusted` made safe to show anywhere a line of text goes. The result:
//  - is well-formed UTF-8: each malformed byte becomes U+FFFD;
//  - is one line of visible text: NUL becomes \0; TAB, LF, CR become \t, \n, \r; other C0
//    controls and DEL become \xHH; C1 controls and the invisible or reordering characters
//    (bidi embeddings, overrides, isolates and marks, zero-width characters, line and
//    paragraph separators, BOM, interlinear annotation and tag characters) become \uHHHH
//    or \UHHHHHHHH, so text can neither move the cursor, colour a terminal, end a log
//    line, reorder what is around it nor hide characters;
//  - keeps at most `max_code_points` characters of the input (an escape counts as one);
//    when it cuts, it ends with "…[N bytes]", N the input's length in bytes.
// Everything else, Chinese text and emoji included, passes unchanged. A backslash is
// not escaped: Echo is for people, not reversible, and so idempotent (Echo(Echo(s)) ==
// Echo(s) when nothing is cut), which lets each boundary apply it again safely.
// It does not quote for a syntax: the writer of JSON, HTML or Prometheus text still
// escapes that syntax's own specials (quotes, <, &).
std::string Echo(std::string_view untrusted, size_t max_code_points = kEchoMaxCodePoints);

// Echo in double quotes, with the double quotes inside escaped as \": for values inside a
// message, e.g. `invalid order id "../x"`.
std::string EchoQuoted(std::string_view untrusted, size_t max_code_points = kEchoMaxCodePoints);

// Numbers in text, through std::from_chars. ParseDigits: nullopt unless `text` is one
// or more decimal digits whose value fits. ParseInteger: the same with an optional
// leading '-'; no '+', no spaces.
std::optional<uint64_t> ParseDigits(std::string_view text);
std::optional<int64_t> ParseInteger(std::string_view text);

// `n` in decimal with its digits grouped in threes by commas: 1234567 -> "1,234,567".
std::string GroupThousands(uint64_t n);

}  // namespace sortline

#endif  // PIPELINE_BASE_TEXT_H_
