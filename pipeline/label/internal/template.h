// Label templates as data: the page size, the frame and rules, where each symbol goes
// and, for every printed field, its box and type style. The renderers (PDF and ZPL)
// read a template and contain no per-template code; a new template is a new table.
//
// Thread-safety: templates are immutable static data.
#ifndef PIPELINE_LABEL_INTERNAL_TEMPLATE_H_
#define PIPELINE_LABEL_INTERNAL_TEMPLATE_H_

#include <cstdint>
#include <span>
#include <string_view>

#include "pipeline/label/internal/layout.h"

namespace sortline::label::internal {

// What a field prints; the renderer turns the order and record into its text.
enum class Field : uint8_t {
  kSortCode,      // three-segment sort code, big
  kPerishable,    // "生鲜 易腐" / "冷链 易腐", only for perishable parcels
  kService,       // service class name
  kTracking,      // tracking number under the Code 128
  kRecipientTag,  // "收件人 TO"
  kRecipientName,
  kRecipientPhone,    // masked
  kRecipientAddress,  // full address, province to door
  kDivision,          // "DC <division code>" under the QR code
  kSenderTag,         // "寄件人 FROM"
  kSenderName,
  kSenderPhone,  // masked
  kSenderAddress,
  kWeight,
  kDimensions,
  kValue,  // declared value and cash on delivery
  kContents,
  kOrderId,
  kCreated,  // the order's date, China time
  kMerchant,
  kChute,
  kDockDoor,
  kPageCounter,  // "3/120", only on pages of a batch file
};

enum class Align : uint8_t { kLeft, kCenter, kRight };

struct TextStyle {
  double max_size = 10;  // points
  double min_size = 6;   // points; below it text is cut with "..."
  bool bold = false;
  Align align = Align::kLeft;
  int max_lines = 1;
};

struct FieldSpec {
  Field field;
  Box box;
  TextStyle style;
};

// A straight rule from (x0, y0) to (x1, y1), mm.
struct Rule {
  double x0, y0, x1, y1;
};

struct LabelTemplate {
  std::string_view name;  // as given to --template
  double width_mm;
  double height_mm;
  Box frame;                    // stroked 0.8 pt; symbols must fit its width
  std::span<const Rule> rules;  // stroked 0.8 pt
  Box perishable_frame;         // stroked 1.6 pt around the perishable mark
  double code128_top_mm;        // top of the bars; centred horizontally on the page
  int code128_height_dots;      // bar height in 203 dpi dots
  Box qr;                       // the QR code is centred in it, quiet zone included
  std::span<const FieldSpec> fields;
};

// The template called `name`, or nullptr. Names: "100x150" (default), "76x130",
// "100x180", "4x6".
const LabelTemplate* FindTemplate(std::string_view name);

// Every template, the default first.
std::span<const LabelTemplate* const> AllTemplates();

// The first field of kind `field` in `t`, or nullptr when the template has none.
const FieldSpec* FindField(const LabelTemplate& t, Field field);

}  // namespace sortline::label::internal

#endif  // PIPELINE_LABEL_INTERNAL_TEMPLATE_H_
