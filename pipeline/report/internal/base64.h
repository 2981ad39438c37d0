// Base64 (RFC 4648, with padding) for the pictures embedded as data: URIs.
//
// Thread-safety: pure.
#ifndef PIPELINE_REPORT_INTERNAL_BASE64_H_
#define PIPELINE_REPORT_INTERNAL_BASE64_H_

#include <string>
#include <string_view>

namespace sortline::report::internal {

std::string Base64(std::string_view bytes);

}  // namespace sortline::report::internal

#endif  // PIPELINE_REPORT_INTERNAL_BASE64_H_
