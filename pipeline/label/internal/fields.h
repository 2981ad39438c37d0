// What a label says: the tracking number and division its symbols carry, resolved from
// an order and its sort record, and the text of every template field (names, masked
// phones, addresses, weight, China time, ...). Both writers (PDF and ZPL) print these
// strings; nothing here knows fonts or geometry.
//
// Thread-safety: LabelData is a value; the functions are pure.
#ifndef PIPELINE_LABEL_INTERNAL_FIELDS_H_
#define PIPELINE_LABEL_INTERNAL_FIELDS_H_

#include <cstdint>
#include <string>

#include "pipeline/base/result.h"
#include "pipeline/label/internal/template.h"
#include "proto/order.pb.h"
#include "proto/record.pb.h"

namespace sortline::label::internal {

// One label's inputs and what it prints besides the order's own fields. Borrows the
// order, record and template: they must outlive it.
struct LabelData {
  const v1::Order* order = nullptr;
  const v1::SortRecord* record = nullptr;
  const LabelTemplate* layout = nullptr;
  std::string tracking;  // the record's tracking number, else the order's
  std::string division;  // the record's division code, else the recipient's
  bool perishable = false;
  std::string page_counter;  // "3/120" on batch pages, empty otherwise
};

// The longest tracking number a label takes.
inline constexpr size_t kMaxTrackingLength = 40;

// LabelData for `order` as sorted in `record`, printed on `layout`.
// kInvalidArgument when the tracking number is not 1 to kMaxTrackingLength visible
// ASCII characters (Code 128 could not carry it).
Result<LabelData> ResolveLabel(const v1::Order& order, const v1::SortRecord& record,
                               const LabelTemplate& layout);

// What the QR code carries: "S10:<tracking>|SC:<sort code>|DC:<division code>".
std::string QrPayload(const LabelData& data);

// The text of `field` for the label (UTF-8, not yet cleaned for display), into `out`
// (replaced). Empty when the label prints nothing there (kPerishable on a parcel that
// is not perishable, kPageCounter outside a batch).
void FieldText(Field field, const LabelData& data, std::string& out);

// `unix_ms` as local time in China (UTC+8, no daylight saving), "2024-09-19 08:00";
// "-" for 0, negative times and times after 9999-12-31 23:59 China time. Needs no
// time-zone database, so every machine prints the same label.
std::string FormatChinaTime(int64_t unix_ms);

}  // namespace sortline::label::internal

#endif  // PIPELINE_LABEL_INTERNAL_FIELDS_H_
