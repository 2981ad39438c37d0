// Page surgery on batch files with qpdf's library (Debian libqpdf-dev). Compiled as
// C++17 (see qpdf_pages.h). qpdf reports errors as exceptions; they stop here.
// qpdf 11 asks its users to say they no longer use its old PointerHolder (4: none).
#define POINTERHOLDER_TRANSITION 4
#include "pipeline/label/internal/qpdf_pages.h"

#include <exception>
#include <memory>
#include <vector>

#include <qpdf/Buffer.hh>
#include <qpdf/Pl_Buffer.hh>
#include <qpdf/QPDF.hh>
#include <qpdf/QPDFPageDocumentHelper.hh>
#include <qpdf/QPDFPageObjectHelper.hh>
#include <qpdf/QPDFWriter.hh>

namespace sortline::label::internal {
namespace {

// Parses `pdf` and hands its page `page` (1-based) to `use`; says why when it has no
// such page, and turns qpdf's exceptions into kBadPdf.
template <typename Use>
QpdfOutcome WithPage(std::string_view pdf, uint32_t page, std::string& error, Use use) {
  try {
    QPDF in;
    in.setSuppressWarnings(true);
    in.processMemoryFile("label batch", pdf.data(), pdf.size());
    std::vector<QPDFPageObjectHelper> pages = QPDFPageDocumentHelper(in).getAllPages();
    if (page == 0 || page > pages.size()) {
      error = "page " + std::to_string(page) + " of a PDF of " + std::to_string(pages.size()) +
              " pages";
      return QpdfOutcome::kNoSuchPage;
    }
    use(in, pages[page - 1]);
    return QpdfOutcome::kOk;
  } catch (const std::exception& e) {
    error = e.what();
    return QpdfOutcome::kBadPdf;
  }
}

void Take(Buffer* raw, std::string& out) {
  std::unique_ptr<Buffer> buffer(raw);
  out.assign(reinterpret_cast<const char*>(buffer->getBuffer()), buffer->getSize());
}

}  // namespace

QpdfOutcome QpdfExtractPage(std::string_view pdf, uint32_t page, std::string& out,
                            std::string& error) {
  return WithPage(pdf, page, error, [&](QPDF& in, QPDFPageObjectHelper& source) {
    in.pushInheritedAttributesToPage();
    QPDF copy;
    copy.emptyPDF();
    QPDFPageDocumentHelper(copy).addPage(source, /*first=*/false);
    QPDFWriter writer(copy);
    writer.setOutputMemory();
    writer.setDecodeLevel(qpdf_dl_none);
    writer.setCompressStreams(false);
    writer.setDeterministicID(true);
    writer.write();
    Take(writer.getBuffer(), out);
  });
}

QpdfOutcome QpdfPageContent(std::string_view pdf, uint32_t page, std::string& out,
                            std::string& error) {
  return WithPage(pdf, page, error, [&](QPDF&, QPDFPageObjectHelper& source) {
    Pl_Buffer content("page content");
    source.pipeContents(&content);
    Take(content.getBuffer(), out);
  });
}

}  // namespace sortline::label::internal
