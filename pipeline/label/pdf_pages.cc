// ExtractPage and PageContent (label_store.h) over the qpdf seam (internal/qpdf_pages.h).
#include <string>
#include <utility>

#include "pipeline/label/internal/qpdf_pages.h"
#include "pipeline/label/label_store.h"

namespace sortline::label {
namespace {

Result<std::string> ToResult(internal::QpdfOutcome outcome, std::string out,
                             const std::string& error, std::string_view doing) {
  switch (outcome) {
    case internal::QpdfOutcome::kOk:
      return out;
    case internal::QpdfOutcome::kNoSuchPage:
      return InvalidArgument(error);
    case internal::QpdfOutcome::kBadPdf:
      break;
  }
  return DataLoss(std::string(doing) + ": " + error);
}

}  // namespace

Result<std::string> ExtractPage(std::string_view pdf, uint32_t page) {
  std::string out, error;
  internal::QpdfOutcome outcome = internal::QpdfExtractPage(pdf, page, out, error);
  return ToResult(outcome, std::move(out), error, "cutting a page out of a batch file");
}

Result<std::string> PageContent(std::string_view pdf, uint32_t page) {
  std::string out, error;
  internal::QpdfOutcome outcome = internal::QpdfPageContent(pdf, page, out, error);
  return ToResult(outcome, std::move(out), error, "reading a page of a batch file");
}

}  // namespace sortline::label
