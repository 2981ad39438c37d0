// One line of an orders file as `sortline run` and `sortline submit` take it: the
// JSON decode, validation and plausibility limits as intake applies them, and the lane
// assignment with the shipped plan and divisions as a worker applies it. Properties:
// nothing crashes, every reason is one line of valid UTF-8 of bounded length (it is
// echoed to terminals, logs and summary.json), and an order that passes is assigned a
// chute of the plan.
#include <cstddef>
#include <cstdint>
#include <fstream>
#include <string>
#include <string_view>

#include "pipeline/base/text.h"
#include "pipeline/model/orders.h"
#include "pipeline/sort/sort_plan.h"
#include "proto/record.pb.h"
#include "tests/fuzz/fuzz_support.h"

namespace {

using sortline::fuzz::Check;

void CheckReason(const std::string& reason) {
  Check(sortline::IsValidUtf8(reason), "reason is not UTF-8: " + reason);
  Check(reason.find('\n') == std::string::npos, "reason spans lines: " + reason);
  Check(reason.find('\0') == std::string::npos, "reason holds a NUL");
  Check(reason.size() < 1024, "reason of " + std::to_string(reason.size()) + " bytes");
}

}  // namespace

namespace sortline::fuzz {

// Generated festival orders (the generator's own seed), and every line of the hostile
// orders file of the tests.
void WriteSeeds(const SeedWriter& write) {
  model::OrderGenerator generator(ShippedDivisions(), model::GeneratorOptions{});
  for (uint64_t i = 0; i < 24; ++i) {
    write("generated-" + std::to_string(i), model::OrderToJson(generator.Generate(i)));
  }
  std::ifstream hostile(SourcePath("tests/testing/data/hostile_orders.jsonl"), std::ios::binary);
  std::string line;
  for (int n = 1; std::getline(hostile, line); ++n) write("hostile-" + std::to_string(n), line);
}

}  // namespace sortline::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace sortline;
  const std::string_view line(reinterpret_cast<const char*>(data), size);
  Result<v1::Order> order = model::ParseOrderJson(line);
  if (!order.ok()) {
    CheckReason(order.status().message());
    return 0;
  }
  Status valid = model::ValidateOrder(*order, fuzz::ShippedDivisions());
  if (valid.ok()) valid = model::CheckOrderLimits(*order, model::OrderLimits());
  v1::SortRecord record;
  if (!valid.ok()) {
    CheckReason(valid.message());
    fuzz::ShippedPlan().Reject(valid.message(), &record);
    Check(record.outcome() == v1::OUTCOME_REJECTED, "a rejected order is not OUTCOME_REJECTED");
    return 0;
  }
  fuzz::ShippedPlan().Assign(*order, &record);
  Check(!record.chute().empty(), "an assigned order has no chute");
  Check(record.outcome() == v1::OUTCOME_SORTED || record.outcome() == v1::OUTCOME_NO_RULE,
        "an assigned order is " + v1::Outcome_Name(record.outcome()));
  CheckReason(record.reason());
  // The order as the journal stores it and a worker reads it back.
  std::string bytes;
  Check(order->SerializeToString(&bytes), "a parsed order does not serialize");
  v1::Order again;
  Check(again.ParseFromString(bytes), "a parsed order does not parse back");
  return 0;
}
