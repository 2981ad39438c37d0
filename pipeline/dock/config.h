// The dock's configuration: which chutes exist (kind, capacity, overflow, telegram exit
// number), which doors load which routes and what a truck there takes and when it
// leaves, the special chutes, the tolerances. Built from the sort plan the workers use
// (ConfigFromPlan), so the whole centre runs on one plan; tests may build one by hand.
//
// Thread-safety: a DockConfig is a value.
#ifndef PIPELINE_DOCK_CONFIG_H_
#define PIPELINE_DOCK_CONFIG_H_

#include <cstdint>
#include <map>
#include <string>

#include "pipeline/sort/sort_plan.h"
#include "proto/dock.pb.h"

namespace sortline::dock {

struct DockConfig {
  std::map<std::string, v1::ChuteConfig> chutes;  // by name
  std::map<std::string, v1::DoorConfig> doors;    // by door
  std::string no_read_chute = "C901";             // no read, several parcels read at once
  std::string no_order_chute = "C900";            // barcode read, no record for it
  std::string manual_chute = "C902";              // weight far from the order's
  std::string default_overflow = "C899";          // overflow of chutes that name none
  std::string recirculation = "RECIRC";           // "go round again" (telegram exit 0)
  uint32_t default_capacity = 200;                // parcels per bag
  // Chutes and doors the configuration does not list. false (a configuration built by
  // hand): they are served with the defaults. true (from a plan, which describes the
  // whole centre): a record naming a chute the plan does not have sends its parcel to
  // the no-order chute (DECISION_ERROR, with the reason), chute events for such chutes
  // are refused, and parcels whose door the plan does not have are sorted but not
  // loaded onto a truck.
  bool planned = false;
  std::string plan_version;  // of the plan it was built from; "" by hand
  // Weight check: a parcel is sent to the manual chute when its scanned weight differs
  // from its order's by more than both the relative and the absolute tolerance. A zero
  // weight on either side skips the check.
  double weight_tolerance_ratio = 0.25;
  int32_t weight_tolerance_g = 200;
  int64_t truck_max_weight_g = 10'000'000;    // 10 t
  int64_t truck_max_volume_cm3 = 60'000'000;  // 60 m3
  int64_t departure_every_s = 4 * 3600;       // for doors without departure times
  // Hub time, for the doors' departure times of day: China Standard Time.
  int64_t utc_offset_s = 8 * 3600;
  // Parcels expected between restarts: the record index makes room for this many up
  // front (address space only; memory is used as it fills).
  uint64_t expected_parcels = 1'000'000;
  // Scan transactions remembered for repeats and for their divert confirmations; the
  // oldest are forgotten first. Size it to the requests of the longest time a parcel
  // takes from the scanner to its chute (64 Ki: an hour at 18 requests a second).
  uint32_t remembered_transactions = 1 << 16;
};

// `base` with the chutes and doors of `plan`: its reject chute takes no-reads, its
// no-rule chute unknown barcodes, its manual chute (else the reject chute) weight
// mismatches; chutes overflow only where the plan says so; planned = true.
DockConfig ConfigFromPlan(const sort::SortPlan& plan, DockConfig base);

// The telegram exit number of `chute`: its configured one, else the trailing digits of
// its name when they make 1..254, else 0 (recirculation).
uint32_t ExitNumber(const DockConfig& config, const std::string& chute);

}  // namespace sortline::dock

#endif  // PIPELINE_DOCK_CONFIG_H_
