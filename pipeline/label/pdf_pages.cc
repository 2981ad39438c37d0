// Page surgery on batch files with qpdf's library (Debian libqpdf-dev). qpdf reports
// errors as exceptions; they stop here and become a Status.
// qpdf 11 asks its users to say they no longer use its old PointerHolder (4: none).
#define POINTERHOLDER_TRANSITION 4
#include <exception>
#include <memory>
#include <string>
#include <vector>

#include <qpdf/Buffer.hh>
#include <qpdf/Pl_Buffer.hh>
#include <qpdf/QPDF.hh>
#include <qpdf/QPDFPageDocumentHelper.hh>
#include <qpdf/QPDFPageObjectHelper.hh>
#include <qpdf/QPDFWriter.hh>

#include "pipeline/label/label_store.h"

namespace sortline::label {
namespace {

// Parses `pdf` (which must outlive `in`) and returns page `page` (1-based).
Result<QPDFPageObjectHelper> OpenPage(QPDF& in, std::string_view pdf, uint32_t page) {
  in.setSuppressWarnings(true);
  in.processMemoryFile("label batch", pdf.data(), pdf.size());
  std::vector<QPDFPageObjectHelper> pages = QPDFPageDocumentHelper(in).getAllPages();
  if (page == 0 || page > pages.size()) {
    return InvalidArgument("page " + std::to_string(page) + " of a PDF of " +
                           std::to_string(pages.size()) + " pages");
  }
  return pages[page - 1];
}

}  // namespace

Result<std::string> ExtractPage(std::string_view pdf, uint32_t page) {
  try {
    QPDF in;
    SORTLINE_ASSIGN_OR_RETURN(QPDFPageObjectHelper source, OpenPage(in, pdf, page));
    // Attributes a page inherits from the page tree (resources, media box) go onto the
    // page itself, so the copy does not lose them.
    in.pushInheritedAttributesToPage();
    QPDF out;
    out.emptyPDF();
    QPDFPageDocumentHelper(out).addPage(source, /*first=*/false);
    QPDFWriter writer(out);
    writer.setOutputMemory();
    // Streams are copied as they are stored (no decoding, no recompression), and the
    // file ID comes from the content: the same page gives the same bytes.
    writer.setDecodeLevel(qpdf_dl_none);
    writer.setCompressStreams(false);
    writer.setDeterministicID(true);
    writer.write();
    std::unique_ptr<Buffer> buffer(writer.getBuffer());
    return std::string(reinterpret_cast<const char*>(buffer->getBuffer()), buffer->getSize());
  } catch (const std::exception& e) {
    return DataLoss(std::string("cutting a page out of a batch file: ") + e.what());
  }
}

Result<std::string> PageContent(std::string_view pdf, uint32_t page) {
  try {
    QPDF in;
    SORTLINE_ASSIGN_OR_RETURN(QPDFPageObjectHelper source, OpenPage(in, pdf, page));
    Pl_Buffer content("page content");
    source.pipeContents(&content);
    std::unique_ptr<Buffer> buffer(content.getBuffer());
    return std::string(reinterpret_cast<const char*>(buffer->getBuffer()), buffer->getSize());
  } catch (const std::exception& e) {
    return DataLoss(std::string("reading a page of a batch file: ") + e.what());
  }
}

}  // namespace sortline::label
