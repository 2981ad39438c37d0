// Writes a closed truck's manifest as `<dir>/<truck id>.csv` (one row per parcel loaded,
// in loading order) and `<dir>/<truck id>.pdf` (the one-page summary). Each file is
// written under a temporary name and renamed, so a reader never sees half a manifest.
//
// Thread-safety: pure function over its arguments; distinct manifests may be written
// concurrently.
#ifndef PIPELINE_DOCK_MANIFEST_WRITER_H_
#define PIPELINE_DOCK_MANIFEST_WRITER_H_

#include <string>

#include "pipeline/base/status.h"
#include "proto/dock.pb.h"

namespace sortline::dock {

// The CSV header of a manifest file.
inline constexpr const char* kManifestCsvHeader =
    "manifest_id,door,load_index,tracking_number,order_id,chute,weight_g,volume_cm3";

// The CSV text of `manifest`, header first.
std::string ManifestCsv(const v1::Manifest& manifest);

// Writes both files into `dir` (created if missing). kIoError when a file cannot be
// written; the PDF's errors as label::RenderManifestPdf.
Status WriteManifest(const std::string& dir, const v1::Manifest& manifest);

}  // namespace sortline::dock

#endif  // PIPELINE_DOCK_MANIFEST_WRITER_H_
