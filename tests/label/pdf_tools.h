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

// Every symbol zbarimg finds on a 300 dpi rendering, as "TYPE:data"
// ("CODE-128:EA473124829CN", "QR-Code:S10:..."), sorted.
std::vector<std::string> DecodeSymbols(const std::string& pdf);

// pdftotext's UTF-8 output in physical layout order; exit_code 0 when poppler parsed
// the file.
CommandResult ExtractText(const std::string& pdf);

// Number of pixels darker than mid-grey inside `box` of a `dpi` greyscale rendering.
// -1 when rendering fails.
long InkInBox(const std::string& pdf, const internal::Box& box, int dpi = 150);

}  // namespace sortline::label::tools

#endif  // TESTS_LABEL_PDF_TOOLS_H_
