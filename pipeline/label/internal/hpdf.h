// libharu ownership and error capture shared by the label renderer and the manifest
// page: a document handle owned by a unique_ptr, and an error callback that records the
// first error instead of jumping or throwing, so callers turn it into a Status.
//
// Thread-safety: one HpdfError per document; a document is used by one thread.
#ifndef PIPELINE_LABEL_INTERNAL_HPDF_H_
#define PIPELINE_LABEL_INTERNAL_HPDF_H_

#include <memory>
#include <type_traits>

#include <hpdf.h>

namespace sortline::label::internal {

struct HpdfError {
  HPDF_STATUS error_no = HPDF_OK;
  HPDF_STATUS detail_no = 0;
};

// libharu reports through this callback instead of returning to the caller when it
// raises an error; recording the first one (no longjmp, no throw) lets the caller
// finish its calls, which libharu turns into no-ops, and return kInternal.
// REQUIRES: `user_data` is the HpdfError passed to HPDF_NewEx.
inline void OnHpdfError(HPDF_STATUS error_no, HPDF_STATUS detail_no, void* user_data) {
  auto* error = static_cast<HpdfError*>(user_data);
  if (error->error_no == HPDF_OK) {
    error->error_no = error_no;
    error->detail_no = detail_no;
  }
}

struct DocDeleter {
  void operator()(HPDF_Doc doc) const { HPDF_Free(doc); }
};
using DocPtr = std::unique_ptr<std::remove_pointer_t<HPDF_Doc>, DocDeleter>;

}  // namespace sortline::label::internal

#endif  // PIPELINE_LABEL_INTERNAL_HPDF_H_
