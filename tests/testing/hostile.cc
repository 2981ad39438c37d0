#include "tests/testing/hostile.h"

#include <fstream>
#include <stdexcept>

#include <google/protobuf/util/json_util.h>

#include "tests/testing/process.h"
#include "tests/testing/testing.h"

namespace sortline::testing {
namespace {

std::string Json(const v1::Order& order) {
  std::string json;
  if (!google::protobuf::util::MessageToJsonString(order, &json).ok()) {
    throw std::runtime_error("an order does not print as JSON");
  }
  return json;
}

}  // namespace

std::string HostileOrdersDataPath() {
  return std::string(SORTLINE_TESTING_DATA_DIR) + "/hostile_orders.jsonl";
}

void WriteHostileOrders(const std::string& path) {
  const std::string committed = ReadFile(HostileOrdersDataPath());
  if (committed.empty()) throw std::runtime_error("cannot read " + HostileOrdersDataPath());
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << committed;
  // 55: a 5 MB line (a whole order whose address detail is 5 MB).
  v1::Order big = SampleOrder("FIVE-MB");
  big.mutable_recipient()->set_detail(std::string(5 << 20, 'D'));
  out << Json(big) << '\n';
  // 56: a 10,000-character order id.
  out << Json(SampleOrder(std::string(10'000, 'X'))) << '\n';
  // 57: a 2 KB recipient name (past the 1 KB text limit, within the line limit).
  v1::Order long_name = SampleOrder("LONG-NAME");
  std::string name;
  for (int i = 0; i < 700; ++i) name += "王";
  long_name.mutable_recipient()->set_name(name);
  out << Json(long_name) << '\n';
  // 58: 40 kg, over the Xi'an plan's 30 kg rules: the manual chute, not an error.
  v1::Order heavy = SampleOrder("HEAVY-40KG");
  heavy.mutable_parcel()->set_weight_g(40'000);
  out << Json(heavy) << '\n';
  // 59: a good order after all of it.
  out << Json(SampleOrder("GOOD-07")) << '\n';
  if (!out) throw std::runtime_error("cannot write " + path);
}

}  // namespace sortline::testing
