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
Result<v1::Order> ParseOrderJson(std::string_view line);
// One line, no trailing newline, fields in proto order (deterministic).
std::string OrderToJson(const v1::Order& order);

// True when `id` is usable as an idempotency key and never as a path: 1..64 characters
// of [A-Za-z0-9._-], not starting with '.'.
bool IsValidOrderId(std::string_view id);

// OK when the order can be sorted and labelled. Otherwise kInvalidArgument with a short
// reason a warehouse operator understands ("unknown division code 999999", "weight must
// be positive", "recipient name is empty", "order id \"../x\" is not a valid id").
// A recipient division code, when present, must exist in `divisions`; a tracking
// number, when present, must pass the S10 check.
Status ValidateOrder(const v1::Order& order, const DivisionTable& divisions);

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
