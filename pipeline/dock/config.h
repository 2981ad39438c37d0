// The dock's own chute and door configuration: which chutes exist, their kind,
// capacity, overflow chute and telegram exit number; which routes load at which door
// and what a truck there takes. Independent of the sort plan: chutes that records name
// but the configuration does not are served with the defaults.
//
// Thread-safety: a DockConfig is a value.
#ifndef PIPELINE_DOCK_CONFIG_H_
#define PIPELINE_DOCK_CONFIG_H_

#include <cstdint>
#include <map>
#include <string>

#include "pipeline/base/result.h"
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
  // Weight check: a parcel is sent to the manual chute when its scanned weight differs
  // from its order's by more than both the relative and the absolute tolerance. A zero
  // weight on either side skips the check.
  double weight_tolerance_ratio = 0.25;
  int32_t weight_tolerance_g = 200;
  int64_t truck_max_weight_g = 10'000'000;    // 10 t
  int64_t truck_max_volume_cm3 = 60'000'000;  // 60 m3
  int64_t departure_every_s = 4 * 3600;
  // Parcels expected between restarts. The record index and the engine's parcel and
  // transaction tables reserve room for this many up front, so they do not rehash (a
  // stall of milliseconds on the decision path at a million entries) while they fill.
  uint64_t expected_parcels = 1'000'000;
};

// Reads a chutes CSV with the header `chute,kind,capacity,overflow,exit` (kind: normal,
// overflow, no_read, no_order, manual; empty fields take the defaults) into `config`.
// Errors: kInvalidArgument as "FILE:LINE: problem"; kNotFound when the file is missing.
Status LoadChutesCsv(const std::string& path, DockConfig* config);

// Reads a doors CSV with the header `door,routes,max_weight_kg,max_volume_m3,departure_min`
// (routes separated by ';') into `config`. Errors as LoadChutesCsv.
Status LoadDoorsCsv(const std::string& path, DockConfig* config);

// The telegram exit number of `chute`: its configured one, else the trailing digits of
// its name when they make 1..254, else 0 (recirculation).
uint32_t ExitNumber(const DockConfig& config, const std::string& chute);

}  // namespace sortline::dock

#endif  // PIPELINE_DOCK_CONFIG_H_
