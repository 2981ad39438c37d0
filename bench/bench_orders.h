// Order builders shared by the transport and codec benchmarks: festival orders varied
// from the shared sample order, and the work batch intake sends a worker.
//
// Thread-safety: pure functions.
#ifndef BENCH_BENCH_ORDERS_H_
#define BENCH_BENCH_ORDERS_H_

#include <cstdio>
#include <string>

#include "proto/order.pb.h"
#include "proto/wire.pb.h"
#include "tests/testing/testing.h"

namespace sortline::bench {

// Order `i` of a festival run, its tracking number assigned: every fourth is fresh
// produce (perishable), and ids, phones, addresses and weights vary with `i`.
inline v1::Order FestivalOrder(int i) {
  char id[32];
  std::snprintf(id, sizeof(id), "JD919-%08d", i);
  char tracking[16];
  std::snprintf(tracking, sizeof(tracking), "EA%08dCN", 10'000'000 + i);
  v1::Order order = testing::SampleOrder(id);
  order.set_created_unix_ms(order.created_unix_ms() + i);
  order.set_service(i % 4 == 0 ? v1::SERVICE_FRESH_PRODUCE : v1::SERVICE_STANDARD);
  order.set_tracking_number(tracking);
  order.mutable_recipient()->set_phone("138" + std::to_string(10'000'000 + i));
  order.mutable_recipient()->set_detail("朝阳大街" + std::to_string(i % 200) + "号3单元501室");
  order.mutable_parcel()->set_weight_g(500 + i % 5000);
  order.mutable_parcel()->set_perishable(i % 4 == 0);
  return order;
}

// A leased work batch of FestivalOrder(0) .. FestivalOrder(orders - 1).
inline v1::WorkMessage FestivalWorkMessage(int orders) {
  v1::WorkMessage message;
  v1::WorkBatch* work = message.mutable_work();
  work->set_lease_id(42);
  work->set_lease_expires_unix_ms(1'726'704'060'000);
  for (int i = 0; i < orders; ++i) *work->add_orders() = FestivalOrder(i);
  return message;
}

}  // namespace sortline::bench

#endif  // BENCH_BENCH_ORDERS_H_
