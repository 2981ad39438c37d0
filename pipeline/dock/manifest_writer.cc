#include "pipeline/dock/manifest_writer.h"

#include "pipeline/csv/csv.h"
#include "pipeline/label/manifest.h"

namespace sortline::dock {

std::string ManifestCsv(const v1::Manifest& manifest) {
  std::string text = std::string(kManifestCsvHeader) + "\n";
  const v1::TruckStatus& truck = manifest.truck();
  for (const v1::ParcelStatus& parcel : manifest.parcels()) {
    csv::AppendCsvRecord({truck.truck_id(), truck.door(), std::to_string(parcel.load_index()),
                          parcel.tracking_number(), parcel.order_id(), parcel.chute(),
                          std::to_string(parcel.weight_g()), std::to_string(parcel.volume_cm3())},
                         &text);
  }
  return text;
}

Status WriteManifest(Directory& dir, const v1::Manifest& manifest) {
  const std::string& id = manifest.truck().truck_id();
  const std::string csv = ManifestCsv(manifest);
  Result<std::string> pdf = label::RenderManifestPdf(manifest);
  if (!pdf.ok()) return pdf.status().WithContext("manifest " + id);
  const std::string csv_name = id + ".csv";
  const std::string pdf_name = id + ".pdf";
  const FileContents files[] = {{csv_name, csv}, {pdf_name, *pdf}};
  Status written = dir.WriteAtomically(files, Durability::kDurable);
  if (!written.ok()) return written.WithContext("manifest " + id);
  return Status::Ok();
}

}  // namespace sortline::dock
