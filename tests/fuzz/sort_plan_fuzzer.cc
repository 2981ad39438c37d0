// The sort plan tables as operations teams edit them in spreadsheets: up to four CSV
// files (split at "=====" lines) through the CSV reader, plan validation and
// compilation, with the shipped division table. Properties: nothing crashes; a refused
// plan says why in lines of "NAME:LINE:COLUMN: problem" that are valid UTF-8; a plan
// that is accepted sorts an order of the shipped sample to one of its chutes.
#include <cstddef>
#include <cstdint>
#include <fstream>
#include <iterator>
#include <string>
#include <string_view>
#include <vector>

#include "pipeline/base/text.h"
#include "pipeline/sort/sort_plan.h"
#include "proto/order.pb.h"
#include "proto/record.pb.h"
#include "tests/fuzz/fuzz_support.h"

namespace sortline::fuzz {

// The shipped Xi'an hub plan: all its tables in one input, and each table alone.
void WriteSeeds(const SeedWriter& write) {
  std::string all;
  for (const char* table : {"chutes", "doors", "groups", "rules"}) {
    std::ifstream in(SourcePath(std::string("deploy/plans/xian-hub/") + table + ".csv"),
                     std::ios::binary);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    write(std::string("xian-hub-") + table, text);
    if (!all.empty()) all += std::string(kFileMarker.substr(1));
    all += text;
  }
  write("xian-hub", all);
}

}  // namespace sortline::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace sortline;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const std::vector<sort::PlanFile> files = fuzz::SplitPlanFiles(input, "plan");
  Result<std::unique_ptr<sort::SortPlan>> plan =
      sort::SortPlan::Parse(files, &fuzz::ShippedDivisions());
  if (!plan.ok()) {
    const std::string& message = plan.status().message();
    fuzz::Check(IsValidUtf8(message), "a plan error is not UTF-8");
    fuzz::Check(message.find('\0') == std::string::npos, "a plan error holds a NUL");
    return 0;
  }
  v1::Order order;
  order.set_order_id("F1");
  order.mutable_recipient()->set_name("王秀英");
  order.mutable_recipient()->set_division_code("610502");
  order.mutable_parcel()->set_weight_g(2500);
  for (int service = 0; service <= 5; ++service) {
    order.set_service(static_cast<v1::ServiceClass>(service));
    v1::SortRecord record;
    (*plan)->Assign(order, &record);
    fuzz::Check(!record.chute().empty(), "an accepted plan sorted an order to no chute");
  }
  order.mutable_recipient()->clear_division_code();
  order.mutable_recipient()->set_province("陕西省");
  order.mutable_recipient()->set_district("临渭区");
  v1::SortRecord record;
  (*plan)->Assign(order, &record);
  fuzz::Check(!record.chute().empty(), "an accepted plan sorted an order to no chute");
  (void)(*plan)->Unreached(fuzz::ShippedDivisions());
  return 0;
}
