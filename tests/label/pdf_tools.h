// The real tools a label must satisfy, run on PDF bytes: poppler (pdftoppm, pdftotext,
// pdfimages), zbar (zbarimg) and qpdf; and zint's own reading of a symbol. Each call
// writes the PDF into its own temporary directory.
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

// Every symbol zbarimg finds on a `dpi` rendering of the first page, as "TYPE:data"
// ("CODE-128:EA473124829CN", "QR-Code:S10:..."), sorted. 203 dpi is the label
// printers' resolution, 300 dpi a finer one.
std::vector<std::string> DecodeSymbols(const std::string& pdf, int dpi = 300);

// DecodeSymbols for every page, in page order; empty when rendering fails.
std::vector<std::vector<std::string>> DecodeSymbolsPerPage(const std::string& pdf, int dpi = 300);

// How many images, inline or XObject, pdfimages finds on all pages; -1 when it fails.
int CountImages(const std::string& pdf);

// `qpdf --check`: exit code 0 when qpdf finds neither errors nor warnings.
CommandResult CheckWithQpdf(const std::string& pdf);

// Page `page` (1-based) of `pdf` cut into a file of its own by qpdf (as a reprint from
// a batch file is); empty when qpdf fails.
std::string ExtractPageWithQpdf(const std::string& pdf, int page);

// The modules zint encodes for `data` (row by row, true for dark) with `symbology`
// (BARCODE_CODE128, or BARCODE_QRCODE at error correction level M) and `option_3`.
std::vector<std::vector<bool>> ZintModules(int symbology, const std::string& data,
                                           int option_3 = 0);

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
