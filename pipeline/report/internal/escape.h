// Text from a run (order ids, reasons, file names) made safe to show in HTML.
// TODO(issue 12): switch to the project's one escaping helper for text echoed from input
// once it lands in pipeline/base/.
//
// Thread-safety: pure functions.
#ifndef PIPELINE_REPORT_INTERNAL_ESCAPE_H_
#define PIPELINE_REPORT_INTERNAL_ESCAPE_H_

#include <string>
#include <string_view>

namespace sortline::report::internal {

// `text` as HTML character data or a quoted attribute value: & < > " ' become
// entities; control characters (C0, DEL, C1) and bytes that are not UTF-8 become
// visible "\xNN"; the Unicode bidirectional controls and zero-width characters, which
// could make one id look like another, become "\u{NNNN}".
std::string EscapeHtml(std::string_view text);

// At most `max_chars` characters (code points) of `text`, ending in "…" when cut; never
// splits a UTF-8 sequence. Bytes that are not UTF-8 count as one character each.
std::string Shorten(std::string_view text, size_t max_chars);

}  // namespace sortline::report::internal

#endif  // PIPELINE_REPORT_INTERNAL_ESCAPE_H_
