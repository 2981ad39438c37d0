#include "pipeline/dock/manifest_writer.h"

#include <filesystem>
#include <fstream>
#include <system_error>

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

Status WriteAtomically(const std::filesystem::path& path, const std::string& bytes) {
  std::filesystem::path temporary = path;
  temporary += ".tmp";
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    out.flush();
    if (!out) return IoError("cannot write " + temporary.string());
  }
  std::error_code ec;
  std::filesystem::rename(temporary, path, ec);
  if (ec) return IoError("cannot rename " + temporary.string() + ": " + ec.message());
  return Status::Ok();
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

Status WriteManifest(const std::string& dir, const v1::Manifest& manifest) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return IoError("cannot create " + dir + ": " + ec.message());
  const std::filesystem::path base = std::filesystem::path(dir) / manifest.truck().truck_id();
  std::filesystem::path csv = base;
  csv += ".csv";
  SORTLINE_RETURN_IF_ERROR(WriteAtomically(csv, ManifestCsv(manifest)));
  Result<std::string> pdf = label::RenderManifestPdf(manifest);
  if (!pdf.ok()) return pdf.status().WithContext("manifest " + manifest.truck().truck_id());
  std::filesystem::path pdf_path = base;
  pdf_path += ".pdf";
  return WriteAtomically(pdf_path, *pdf);
}

}  // namespace sortline::dock
