#include "pipeline/dock/manifest_writer.h"

#include "pipeline/label/manifest.h"

namespace sortline::dock {
namespace {

// Fields are ids and codes; quote any that could break a CSV row.
std::string Field(const std::string& value) {
  if (value.find_first_of(",\"\r\n") == std::string::npos) return value;
  std::string quoted = "\"";
  for (char c : value) {
    if (c == '"') quoted += '"';
    quoted += c;
  }
  return quoted + "\"";
}

}  // namespace

std::string ManifestCsv(const v1::Manifest& manifest) {
  std::string csv = std::string(kManifestCsvHeader) + "\n";
  const v1::TruckStatus& truck = manifest.truck();
  for (const v1::ParcelStatus& parcel : manifest.parcels()) {
    csv += Field(truck.truck_id()) + "," + Field(truck.door()) + "," +
           std::to_string(parcel.load_index()) + "," + Field(parcel.tracking_number()) + "," +
           Field(parcel.order_id()) + "," + Field(parcel.chute()) + "," +
           std::to_string(parcel.weight_g()) + "," + std::to_string(parcel.volume_cm3()) + "\n";
  }
  return csv;
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
