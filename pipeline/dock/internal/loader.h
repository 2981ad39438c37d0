// The dock engine's doors and trucks: which door a parcel's destination loads at, the
// truck open at each door, loading parcels onto it, and closing it (full, departed on
// the plan's schedule, closed at the door, or its door removed from the plan) with its
// manifest. What happens is told as DockEvents through the engine's `emit`.
//
// Thread-safety: not thread-safe; owned by one Engine, on its thread.
#ifndef PIPELINE_DOCK_INTERNAL_LOADER_H_
#define PIPELINE_DOCK_INTERNAL_LOADER_H_

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "pipeline/base/clock.h"
#include "pipeline/base/status.h"
#include "pipeline/dock/config.h"
#include "pipeline/dock/record_index.h"
#include "proto/dock.pb.h"

namespace sortline::dock::internal {

class Loader {
 public:
  using Emit = std::function<v1::DockEvent&()>;

  // `config`, `clock` and `index` must outlive the Loader (the engine owns all three;
  // `config` is the engine's current configuration, read at each call). `emit` appends
  // an event to the engine's and returns it to be filled.
  Loader(const DockConfig& config, const Clock& clock, RecordIndex& index, Emit emit);

  // Takes the doors and routes of the current configuration (at start and after each
  // reconfiguration).
  void ApplyConfig();
  // Applies a changed configuration to the doors before ApplyConfig: an open truck takes
  // its door's new limits and departure (closing if now full); a door removed from the
  // plan closes its truck with what it holds. `note` is told what changed.
  void Reconfigure(const std::function<void(const std::string&)>& note);

  // Restoring from the store, at start: a truck (an open one becomes the door's), then
  // the parcels loaded on the open trucks.
  void Restore(const v1::TruckStatus& truck);
  void Restore(const v1::ParcelStatus& parcel);

  // The door a parcel of `entry` loads at ("" when none).
  std::string DoorOf(const Entry& entry) const;
  // Whether parcels for `door` load onto trucks: any door unplanned, else a planned one.
  bool LoadsAt(const std::string& door) const;
  // Loads `parcel` (its door, weight and volume set) onto its door's truck, opening one,
  // and closing it first or after when full; sets the parcel's state, truck and load
  // index.
  void Load(v1::ParcelStatus& parcel);

  // The door's truck closed at the door (a new one opens). kInvalidArgument for an
  // unknown door, kFailedPrecondition when nothing is loaded there.
  Status CloseAtDoor(const std::string& door);
  // Closes the trucks whose departure time has come (an empty truck's departure moves
  // on to the next one instead).
  void Tick();

  std::vector<v1::TruckStatus> OpenTrucks() const;
  // The loaded parcel `tracking` of an open truck, or null.
  const v1::ParcelStatus* Loaded(const std::string& tracking) const;

 private:
  struct Door {
    v1::DoorConfig config;
    bool planned = false;  // listed by the configuration
    uint32_t next_sequence = 1;
    std::optional<v1::TruckStatus> open;
    std::vector<v1::ParcelStatus> loaded;
  };

  Door& DoorFor(const std::string& name);
  int64_t MaxWeight(const Door& door) const;
  int64_t MaxVolume(const Door& door) const;
  // The first departure of `door` after `after_ms`: its next time of day (hub time), else
  // its interval later.
  int64_t NextDeparture(const Door& door, int64_t after_ms) const;
  void Open(Door& door);
  // Closes the door's truck: its manifest lists its parcels, whose memory goes with it
  // (the store keeps them); their index state becomes kDeparted.
  void Close(Door& door, v1::TruckState state);
  static bool Full(const v1::TruckStatus& truck);

  const DockConfig& config_;
  const Clock& clock_;
  RecordIndex& index_;
  Emit emit_;
  std::map<std::string, Door> doors_;
  std::unordered_map<std::string, std::string> route_doors_;
};

}  // namespace sortline::dock::internal

#endif  // PIPELINE_DOCK_INTERNAL_LOADER_H_
