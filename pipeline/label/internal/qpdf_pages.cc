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

// Parses `pdf` (which must outlive `in`) into `in`; returns false and says why when
// it has no page `page` (1-based).
bool OpenPage(QPDF& in, std::string_view pdf, uint32_t page, QPDFPageObjectHelper& found,
              std::string& error) {
  in.setSuppressWarnings(true);
  in.processMemoryFile("label batch", pdf.data(), pdf.size());
  std::vector<QPDFPageObjectHelper> pages = QPDFPageDocumentHelper(in).getAllPages();
  if (page == 0 || page > pages.size()) {
    error =
        "page " + std::to_string(page) + " of a PDF of " + std::to_string(pages.size()) + " pages";
    return false;
  }
  found = pages[page - 1];
  return true;
}

void Take(Buffer* raw, std::string& out) {
  std::unique_ptr<Buffer> buffer(raw);
  out.assign(reinterpret_cast<const char*>(buffer->getBuffer()), buffer->getSize());
}

}  // namespace

QpdfOutcome QpdfExtractPage(std::string_view pdf, uint32_t page, std::string& out,
                            std::string& error) {
  try {
    QPDF in;
    QPDFPageObjectHelper source(QPDFObjectHandle::newNull());
    if (!OpenPage(in, pdf, page, source, error)) return QpdfOutcome::kNoSuchPage;
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
    return QpdfOutcome::kOk;
  } catch (const std::exception& e) {
    error = e.what();
    return QpdfOutcome::kBadPdf;
  }
}

QpdfOutcome QpdfPageContent(std::string_view pdf, uint32_t page, std::string& out,
                            std::string& error) {
  try {
    QPDF in;
    QPDFPageObjectHelper source(QPDFObjectHandle::newNull());
    if (!OpenPage(in, pdf, page, source, error)) return QpdfOutcome::kNoSuchPage;
    Pl_Buffer content("page content");
    source.pipeContents(&content);
    Take(content.getBuffer(), out);
    return QpdfOutcome::kOk;
  } catch (const std::exception& e) {
    error = e.what();
    return QpdfOutcome::kBadPdf;
  }
}

}  // namespace sortline::label::internal
