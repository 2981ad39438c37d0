#include "pipeline/label/manifest.h"

#include <ctime>
#include <memory>
#include <type_traits>

#include <hpdf.h>

#include "pipeline/label/internal/hpdf.h"
#include "pipeline/label/internal/symbol.h"

namespace sortline::label {
namespace {

constexpr float kPageWidth = 595.0f;  // A4 in points
constexpr float kPageHeight = 842.0f;
constexpr float kMargin = 50.0f;
constexpr float kModule = 1.2f;  // Code 128 module width, points
constexpr int kListedParcels = 40;

using internal::DocPtr;
using internal::HpdfError;
using internal::OnHpdfError;

std::string Time(int64_t unix_ms) {
  if (unix_ms <= 0) return "-";
  std::time_t seconds = static_cast<std::time_t>(unix_ms / 1000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char buffer[32];
  std::strftime(buffer, sizeof(buffer), "%Y-%m-%d %H:%M:%S UTC", &tm);
  return buffer;
}

std::string StateName(v1::TruckState state) {
  switch (state) {
    case v1::TRUCK_OPEN:
      return "open";
    case v1::TRUCK_CLOSED_FULL:
      return "closed: full";
    case v1::TRUCK_CLOSED_DEPARTED:
      return "closed: departed";
    default:
      return "unknown";
  }
}

}  // namespace

Result<std::string> RenderManifestPdf(const v1::Manifest& manifest) {
  const v1::TruckStatus& truck = manifest.truck();
  SORTLINE_ASSIGN_OR_RETURN(std::unique_ptr<internal::SymbolEncoder> encoder,
                            internal::SymbolEncoder::Create());
  internal::ModuleMatrix code;
  SORTLINE_RETURN_IF_ERROR(encoder->Code128(truck.truck_id(), code));

  HpdfError error;
  DocPtr doc(HPDF_NewEx(&OnHpdfError, nullptr, nullptr, 0, &error));
  if (doc == nullptr) return Internal("libharu: cannot create a document");
  HPDF_SetCompressionMode(doc.get(), HPDF_COMP_ALL);
  HPDF_Page page = HPDF_AddPage(doc.get());
  HPDF_Page_SetWidth(page, kPageWidth);
  HPDF_Page_SetHeight(page, kPageHeight);
  HPDF_Font bold = HPDF_GetFont(doc.get(), "Helvetica-Bold", nullptr);
  HPDF_Font regular = HPDF_GetFont(doc.get(), "Helvetica", nullptr);

  float y = kPageHeight - kMargin - 20;
  auto line = [&](HPDF_Font font, float size, const std::string& text) {
    HPDF_Page_BeginText(page);
    HPDF_Page_SetFontAndSize(page, font, size);
    HPDF_Page_TextOut(page, kMargin, y, text.c_str());
    HPDF_Page_EndText(page);
    y -= size * 1.45f;
  };
  line(bold, 22, "Truck manifest " + truck.truck_id());

  const float bar_height = 60;
  const float bar_top = y - 4;
  HPDF_Page_SetRGBFill(page, 0, 0, 0);
  for (int c = 0; c < code.columns;) {  // one rectangle per bar
    if (!code.dark(0, c)) {
      ++c;
      continue;
    }
    int end = c + 1;
    while (end < code.columns && code.dark(0, end)) ++end;
    HPDF_Page_Rectangle(page, kMargin + 10 * kModule + c * kModule, bar_top - bar_height,
                        (end - c) * kModule, bar_height);
    c = end;
  }
  HPDF_Page_Fill(page);
  y = bar_top - bar_height - 24;

  line(regular, 12, "Dock door: " + truck.door());
  line(regular, 12, "State: " + StateName(truck.state()));
  line(regular, 12, "Opened: " + Time(truck.opened_unix_ms()));
  line(regular, 12, "Departure: " + Time(truck.departure_unix_ms()));
  line(regular, 12, "Closed: " + Time(truck.closed_unix_ms()));
  line(regular, 12, "Parcels: " + std::to_string(manifest.parcels_size()));
  char weight[64];
  std::snprintf(weight, sizeof(weight), "Weight: %.1f kg of %.1f kg",
                static_cast<double>(truck.weight_g()) / 1000,
                static_cast<double>(truck.max_weight_g()) / 1000);
  line(regular, 12, weight);
  char volume[64];
  std::snprintf(volume, sizeof(volume), "Volume: %.3f m3 of %.3f m3",
                static_cast<double>(truck.volume_cm3()) / 1e6,
                static_cast<double>(truck.max_volume_cm3()) / 1e6);
  line(regular, 12, volume);
  y -= 8;
  line(bold, 12, "Tracking number      Order              Chute");
  const int listed = std::min(manifest.parcels_size(), kListedParcels);
  for (int i = 0; i < listed; ++i) {
    const v1::ParcelStatus& parcel = manifest.parcels(i);
    char row[160];
    std::snprintf(row, sizeof(row), "%-20.20s %-18.18s %s", parcel.tracking_number().c_str(),
                  parcel.order_id().c_str(), parcel.chute().c_str());
    line(regular, 9, row);
  }
  if (manifest.parcels_size() > listed) {
    line(regular, 9,
         "... and " + std::to_string(manifest.parcels_size() - listed) +
             " more (see the CSV manifest)");
  }

  if (error.error_no != HPDF_OK || HPDF_SaveToStream(doc.get()) != HPDF_OK) {
    return Internal("libharu error " + std::to_string(error.error_no) + " (detail " +
                    std::to_string(error.detail_no) + ") rendering manifest " + truck.truck_id());
  }
  HPDF_UINT32 size = HPDF_GetStreamSize(doc.get());
  std::string pdf(size, '\0');
  if (size == 0 || HPDF_ResetStream(doc.get()) != HPDF_OK) {
    return Internal("libharu: empty manifest stream");
  }
  HPDF_UINT32 read = size;
  HPDF_STATUS rc = HPDF_ReadFromStream(doc.get(), reinterpret_cast<HPDF_BYTE*>(pdf.data()), &read);
  if ((rc != HPDF_OK && rc != HPDF_STREAM_EOF) || read != size) {
    return Internal("libharu: short read of the manifest");
  }
  return pdf;
}

}  // namespace sortline::label
