#include "tests/testing/testing.h"

#include <atomic>
#include <stdexcept>
#include <system_error>

#include <unistd.h>

namespace sortline::testing {

v1::Order SampleOrder(const std::string& order_id) {
  v1::Order order;
  order.set_order_id(order_id);
  order.set_merchant("桂港助农旗舰店");
  order.set_created_unix_ms(1'726'704'000'000);
  order.set_service(v1::SERVICE_FRESH_PRODUCE);
  v1::Address* to = order.mutable_recipient();
  to->set_name("王秀英");
  to->set_phone("13812345678");
  to->set_division_code("610502");
  to->set_province("陕西省");
  to->set_city("渭南市");
  to->set_district("临渭区");
  to->set_street("杜桥街道");
  to->set_detail("朝阳大街12号3单元501室");
  v1::Address* from = order.mutable_sender();
  from->set_name("李建国");
  from->set_phone("13977512345");
  from->set_division_code("450802");
  from->set_province("广西壮族自治区");
  from->set_city("贵港市");
  from->set_district("港北区");
  from->set_detail("荷城大道88号");
  v1::Parcel* parcel = order.mutable_parcel();
  parcel->set_weight_g(2500);
  parcel->set_length_mm(300);
  parcel->set_width_mm(200);
  parcel->set_height_mm(150);
  parcel->set_declared_value_fen(8800);
  parcel->set_contents("沙田柚 5斤");
  parcel->set_perishable(true);
  return order;
}

std::string DivisionsDir() { return SORTLINE_DATA_DIR; }
std::string DefaultPlanPath() { return SORTLINE_DEFAULT_PLAN; }

TempDir::TempDir(const std::filesystem::path& under) {
  static std::atomic<int> counter{0};
  for (int attempt = 0; attempt < 100; ++attempt) {
    std::filesystem::path candidate =
        under / ("sortline-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    std::error_code ec;
    if (std::filesystem::create_directory(candidate, ec)) {
      path_ = candidate;
      return;
    }
  }
  throw std::runtime_error("cannot create a temporary directory under " + under.string());
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

}  // namespace sortline::testing
