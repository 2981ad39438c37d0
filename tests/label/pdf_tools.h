// The real tools a label must satisfy, run on PDF bytes: poppler (pdftoppm, pdftotext)
// and zbar (zbarimg). Each call writes the PDF into its own temporary directory.
//
// Thread-safety: the functions are independent; each uses its own directory.
#ifndef TESTS_LABEL_PDF_TOOLS_H_
#define TESTS_LABEL_PDF_TOOLS_H_

#include <string>
#include <vector>

#include "pipeline/label/internal/layout.h"

namespace sortline::label::tools {

struct CommandResult {
  int exit_code = -1;
  std::string output;  // stdout
};

// Runs `command` with /bin/sh; stderr is discarded.
CommandResult RunCommand(const std::string& command);

// Every symbol zbarimg finds on a 300 dpi rendering of the first page, as "TYPE:data"
// ("CODE-128:EA473124829CN", "QR-Code:S10:..."), sorted.
std::vector<std::string> DecodeSymbols(const std::string& pdf);

// DecodeSymbols for every page, in page order; empty when rendering fails.
std::vector<std::vector<std::string>> DecodeSymbolsPerPage(const std::string& pdf);

// pdftotext's UTF-8 output in physical layout order; exit_code 0 when poppler parsed
// the file.
CommandResult ExtractText(const std::string& pdf);

// Number of pixels darker than mid-grey inside `box` of a `dpi` greyscale rendering of
// page `page` (1-based). -1 when rendering fails.
long InkInBox(const std::string& pdf, const internal::Box& box, int dpi = 150, int page = 1);

// The ink of `text` drawn by an independent renderer: ReportLab writes it at `size_pt`
// in the TrueType font `ttf_path` (embedded and subset by ReportLab, not libharu), and
// poppler rasterizes it at `dpi` like InkInBox. -1 when ReportLab or poppler fails.
long ReferenceInk(const std::string& text, double size_pt, const std::string& ttf_path,
                  int dpi = 150);

}  // namespace sortline::label::tools

#endif  // TESTS_LABEL_PDF_TOOLS_H_
