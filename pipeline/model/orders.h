// pipeline/model owns an order's data apart from any stage of the pipeline: orders and
// their validation (here), orders files (orders_file.h), S10 tracking numbers (s10.h),
// the division table of China (divisions.h) and resolving addresses to it
// (address_resolver.h).
//
// Orders files (one order per line in protobuf's JSON mapping), order validation and
// the synthetic festival order generator.
//
// Thread-safety: ValidateOrder and the JSON functions are pure. OrderGenerator is not
// thread-safe.
#ifndef PIPELINE_MODEL_ORDERS_H_
#define PIPELINE_MODEL_ORDERS_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "pipeline/base/result.h"
#include "pipeline/model/divisions.h"
#include "proto/order.pb.h"

namespace sortline::model {

// Parses one line of an orders file (protobuf JSON mapping, unknown fields refused).
// Errors are kInvalidArgument "order JSON: <what the parser says>", one line, passed
// through Echo (the parser quotes the input it chokes on).
Result<v1::Order> ParseOrderJson(std::string_view line);
// One line, no trailing newline, fields in proto order (deterministic).
std::string OrderToJson(const v1::Order& order);

// True when `id` is usable as an idempotency key and never as a path: 1..64 characters
// of [A-Za-z0-9._-], not starting with '.'.
bool IsValidOrderId(std::string_view id);

// OK when the order can be sorted and labelled. Otherwise kInvalidArgument with a short
// reason a warehouse operator understands ("unknown division code 999999", "weight must
// be positive", "recipient name is empty", "invalid order id \"../x\"", "negative
// parcel.cod_fen: -5"); input quoted in a reason is passed through EchoQuoted.
// A recipient division code, when present, must exist in `divisions`; a tracking
// number, when present, must pass the S10 check; weight must be positive, sides,
// declared value and cash on delivery must not be negative.
Status ValidateOrder(const v1::Order& order, const DivisionTable& divisions);

// Plausibility limits, checked where orders enter (intake): a value past them cannot be
// a parcel and is a data error, refused with the field and the limit named. A parcel
// within them but over a sort rule's own limits (max_weight_g, max_side_mm in the plan)
// is merely large and still goes to the plan's manual chute. The defaults are generous
// on purpose (freight-sized) so that no real parcel trips them; `sortline run` and
// sortline-intake set them with --max-weight-g, --max-side-mm, --max-value-fen,
// --min-created-ms, --max-created-ms, --max-text-bytes.
struct OrderLimits {
  int32_t max_weight_g = 1'000'000;  // 1 t
  int32_t max_side_mm = 5'000;       // 5 m, each of length, width, height
  // Declared value and cash on delivery alike: 10 million yuan.
  int64_t max_value_fen = 1'000'000'000;
  // created_unix_ms, when given (0 = not given): from 2000-01-01T00:00:00Z up to and
  // excluding 2100-01-01T00:00:00Z.
  int64_t min_created_unix_ms = 946'684'800'000;
  int64_t max_created_unix_ms = 4'102'444'800'000;
  // Each text field (names, phones, address lines, merchant, contents) in bytes: a
  // label prints a few dozen characters of each, and a record carries them all.
  uint32_t max_text_bytes = 1'024;
};

// OK when every value of `order` is within `limits`; otherwise kInvalidArgument
// "implausible <field>: <value> <unit> is over the limit of <limit> <unit>" (or "before",
// "not before" for time stamps), e.g. "implausible parcel.weight_g: 2147483647 g is over
// the limit of 1000000 g". Checks only the limits; ValidateOrder checks the rest.
Status CheckOrderLimits(const v1::Order& order, const OrderLimits& limits);

struct GeneratorOptions {
  uint64_t seed = 919;  // same seed, same orders
  std::string order_id_prefix = "O";
  std::string merchant = "助农优选旗舰店";
  int64_t start_unix_ms = 1'726'704'000'000;  // 2024-09-19 08:00 +08:00, the 919 festival
  double perishable_share = 0.3;              // share of fresh-produce / cold-chain orders
  bool with_towns = true;                     // give recipients 9-digit town codes where known
};

// Synthetic orders drawn from the real division table: recipients spread over all
// counties (each province by its 2020 census population, urban districts weighing
// more than rural counties), senders at farms in Shaanxi and Guangxi, plausible Chinese
// names, phones, weights (300 g to 15 kg), carton sizes and contents. Every generated
// order passes ValidateOrder against the table it was generated from.
//
// order_id is order_id_prefix followed by the index padded to nine digits;
// created_unix_ms grows strictly with the index (50 ms apart on average, from
// start_unix_ms). tracking_number is left empty for intake to assign.
//
// Thread-safety: not thread-safe; give each thread its own generator. Orders depend
// only on (seed, index), so threads may split the index range between them.
class OrderGenerator {
 public:
  // `divisions` is borrowed and must outlive the generator.
  OrderGenerator(const DivisionTable& divisions, GeneratorOptions options);
  // The i-th order of the sequence; the same (seed, i) always gives the same order, on
  // every platform, whatever order the indices are generated in.
  v1::Order Generate(uint64_t index);

 private:
  const DivisionTable& divisions_;
  GeneratorOptions options_;
  // Running sum of the recipient weights of divisions_.Counties(), in the same order.
  std::vector<double> cumulative_weight_;
  // The towns of each county of divisions_.Counties(); empty unless options_.with_towns.
  std::vector<std::vector<const Division*>> towns_by_county_;
  // The division code of each sender farm; empty when the table lacks it.
  std::vector<std::string> sender_codes_;
};

}  // namespace sortline::model

#endif  // PIPELINE_MODEL_ORDERS_H_
