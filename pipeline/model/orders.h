// Orders files (one order per line in protobuf's JSON mapping), order validation and
// the synthetic festival order generator.
//
// Thread-safety: ValidateOrder and the JSON functions are pure. OrderGenerator is not
// thread-safe.
#ifndef PIPELINE_MODEL_ORDERS_H_
#define PIPELINE_MODEL_ORDERS_H_

#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <string_view>

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
// counties (weighted towards big cities), senders at farms in Shaanxi and Guangxi,
// plausible Chinese names, phones, weights and contents.
class OrderGenerator {
 public:
  OrderGenerator(const DivisionTable& divisions, GeneratorOptions options);
  // The i-th order of the sequence; the same (seed, i) always gives the same order.
  v1::Order Generate(uint64_t index);

 private:
  const DivisionTable& divisions_;
  GeneratorOptions options_;
  std::vector<const Division*> towns_by_county_;  // private cache, see .cc
};

}  // namespace sortline::model

#endif  // PIPELINE_MODEL_ORDERS_H_
