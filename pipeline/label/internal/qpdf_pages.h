// The qpdf seam. qpdf 11's headers (Debian 12) do not compile as C++20 with clang
// (JSON.hh destroys a vector of a type that is still incomplete there), so the one unit
// that includes them is compiled as C++17 and this header uses nothing newer: plain
// strings in and out, the outcome as a code. pdf_pages.cc turns it into a Status.
#ifndef SORTLINE_PIPELINE_LABEL_INTERNAL_QPDF_PAGES_H_
#define SORTLINE_PIPELINE_LABEL_INTERNAL_QPDF_PAGES_H_

#include <cstdint>
#include <string>
#include <string_view>

namespace sortline::label::internal {

enum class QpdfOutcome {
  kOk,
  kNoSuchPage,  // `error` says which page of how many
  kBadPdf,      // qpdf could not read or write it; `error` has qpdf's message
};

// Writes page `page` (1-based) of `pdf` to `out` as a one-page PDF of its own: streams
// copied as stored, the file ID taken from the content (the same page gives the same
// bytes), attributes inherited from the page tree pushed onto the page.
QpdfOutcome QpdfExtractPage(std::string_view pdf, uint32_t page, std::string& out,
                            std::string& error);

// Writes the decoded content stream(s) of page `page` (1-based) of `pdf` to `out`.
QpdfOutcome QpdfPageContent(std::string_view pdf, uint32_t page, std::string& out,
                            std::string& error);

}  // namespace sortline::label::internal

#endif  // SORTLINE_PIPELINE_LABEL_INTERNAL_QPDF_PAGES_H_
