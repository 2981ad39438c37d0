// Display text for labels: cleaning UTF-8 input, masking phone numbers, and the
// UTF-8 -> GBK conversion the CID fonts need. UTF-8 itself is decoded and encoded by
// pipeline/base/text.h, the project's one codec.
//
// Thread-safety: the free functions are pure. A GbkEncoder is not thread-safe (it owns
// an iconv descriptor and a cache); use one per renderer.
#ifndef PIPELINE_LABEL_INTERNAL_TEXT_H_
#define PIPELINE_LABEL_INTERNAL_TEXT_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "pipeline/base/result.h"

namespace sortline::label::internal {

// Decodes `utf8` into code points fit for drawing. Malformed UTF-8 becomes U+FFFD;
// TAB, LF and CR become a space; every other character IsControlOrInvisible
// (base/text.h: controls, NUL, bidi controls, zero-width characters, tags) is dropped,
// so text can neither reorder the label nor hide characters in it.
std::u32string SanitizeForDisplay(std::string_view utf8);
// The same into `out` (replaced), reusing its storage.
void SanitizeForDisplay(std::string_view utf8, std::u32string& out);

// Hides the middle of a phone number: "13812345678" -> "138****5678". Only digits are
// kept, and the country code of "+86 138 1234 5678" is dropped; at least 7 digits show
// the first 3 and the last 4 around "****", shorter numbers only their last 2 digits.
std::string MaskPhone(std::string_view phone);

// Converts code points to GBK byte pairs for the "GBK-EUC-H" CMap, caching each
// answer for the Basic Multilingual Plane.
class GbkEncoder {
 public:
  // kInternal when iconv has no UTF-8 -> GBK converter.
  static Result<std::unique_ptr<GbkEncoder>> Create();
  GbkEncoder(const GbkEncoder&) = delete;
  GbkEncoder& operator=(const GbkEncoder&) = delete;

  // The two-byte GBK code of `c` (lead byte in the high 8 bits), or 0 when GBK has no
  // two-byte code for it (ASCII, emoji, anything outside the BMP).
  uint16_t Encode(char32_t c);

 private:
  struct IconvCloser {
    void operator()(void* cd) const;
  };

  explicit GbkEncoder(void* cd);
  uint16_t Convert(char32_t c);

  std::unique_ptr<void, IconvCloser> cd_;  // an iconv_t
  // Per BMP code point: 0 = not looked up yet, 1 = not encodable, else the GBK code.
  std::unique_ptr<uint16_t[]> cache_;
};

}  // namespace sortline::label::internal

#endif  // PIPELINE_LABEL_INTERNAL_TEXT_H_
