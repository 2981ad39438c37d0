// Helpers of the dock tests: records and requests built the way the conveyor and the
// workers send them.
//
// Thread-safety: the builders are pure.
#ifndef TESTS_DOCK_DOCK_TESTING_H_
#define TESTS_DOCK_DOCK_TESTING_H_

#include <cstdint>
#include <string>
#include <vector>

#include "pipeline/dock/record_index.h"
#include "proto/dock.pb.h"
#include "proto/record.pb.h"

namespace sortline::dock::testing {

inline v1::SortRecord Record(const std::string& tracking, const std::string& chute,
                             int32_t weight_g = 1000, const std::string& door = "D01") {
  v1::SortRecord record;
  record.set_order_id("order-" + tracking);
  record.set_tracking_number(tracking);
  record.set_chute(chute);
  record.set_dock_door(door);
  record.set_route("R01");
  record.set_weight_g(weight_g);
  record.set_outcome(v1::OUTCOME_SORTED);
  return record;
}

// `record` as the dock's index takes it.
inline IndexedRecord Indexed(const v1::SortRecord& record) {
  IndexedRecord indexed;
  ToIndexed(record, &indexed);
  return indexed;
}

inline v1::SortRequest Request(uint64_t transaction, std::vector<std::string> barcodes,
                               int32_t weight_g = 0, const std::string& scanner = "S1") {
  v1::SortRequest request;
  request.set_scanner_id(scanner);
  request.set_transaction_id(transaction);
  for (std::string& barcode : barcodes) request.add_barcodes(std::move(barcode));
  request.set_weight_g(weight_g);
  request.set_length_mm(300);
  request.set_width_mm(200);
  request.set_height_mm(100);
  return request;
}

inline v1::DivertConfirm Confirm(uint64_t transaction, const std::string& chute,
                                 v1::DivertConfirm::Result result = v1::DivertConfirm::SORTED,
                                 const std::string& scanner = "S1") {
  v1::DivertConfirm confirm;
  confirm.set_scanner_id(scanner);
  confirm.set_transaction_id(transaction);
  confirm.set_chute(chute);
  confirm.set_result(result);
  return confirm;
}

inline v1::ChuteEvent ChuteEventOf(const std::string& chute, v1::ChuteEvent::Kind kind,
                                   const std::string& bag = "") {
  v1::ChuteEvent event;
  event.set_chute(chute);
  event.set_kind(kind);
  event.set_bag_barcode(bag);
  return event;
}

}  // namespace sortline::dock::testing

#endif  // TESTS_DOCK_DOCK_TESTING_H_
