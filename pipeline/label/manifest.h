// The one-page PDF summary of a truck's manifest: manifest id as text and as a Code 128
// barcode, door, state, times, parcel count, weight, volume and the first tracking
// numbers loaded. A4 portrait, vector only, base-14 fonts (all fields are ASCII).
//
// Thread-safety: pure function; each call uses its own libharu document.
#ifndef PIPELINE_LABEL_MANIFEST_H_
#define PIPELINE_LABEL_MANIFEST_H_

#include <string>

#include "pipeline/base/result.h"
#include "proto/dock.pb.h"

namespace sortline::label {

// The PDF bytes. kInvalidArgument when the manifest id cannot be a Code 128 symbol;
// kInternal on a libharu error.
Result<std::string> RenderManifestPdf(const v1::Manifest& manifest);

}  // namespace sortline::label

#endif  // PIPELINE_LABEL_MANIFEST_H_
