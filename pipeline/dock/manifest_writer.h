// Writes a closed truck's manifest as `<truck id>.csv` (one row per parcel loaded, in
// loading order) and `<truck id>.pdf` (the one-page summary) into a directory, through
// the file seam: both files together, atomically and durably (a reader never sees half a
// manifest, and a manifest reported written survives a power cut).
//
// Thread-safety: pure functions over their arguments; distinct manifests may be written
// concurrently.
#ifndef PIPELINE_DOCK_MANIFEST_WRITER_H_
#define PIPELINE_DOCK_MANIFEST_WRITER_H_

#include <string>

#include "pipeline/base/file.h"
#include "pipeline/base/status.h"
#include "proto/dock.pb.h"

namespace sortline::dock {

// The CSV header of a manifest file.
inline constexpr const char* kManifestCsvHeader =
    "manifest_id,door,load_index,tracking_number,order_id,chute,weight_g,volume_cm3";

// The CSV text of `manifest`, header first.
std::string ManifestCsv(const v1::Manifest& manifest);

// Writes both files into `dir` with Durability::kDurable. The errors of
// Directory::WriteAtomically (kResourceExhausted for a full disk: worth retrying;
// kDataLoss for a failed flush), and those of label::RenderManifestPdf.
Status WriteManifest(Directory& dir, const v1::Manifest& manifest);

}  // namespace sortline::dock

#endif  // PIPELINE_DOCK_MANIFEST_WRITER_H_
