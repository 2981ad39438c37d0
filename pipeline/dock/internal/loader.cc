#include "pipeline/dock/internal/loader.h"

#include <algorithm>
#include <utility>

#include "pipeline/base/text.h"

namespace sortline::dock::internal {
namespace {

constexpr int64_t kDayMs = 24LL * 3600 * 1000;

// Truck ids are "<door>-<sequence>"; the sequence of a restored truck (0: none).
uint32_t TruckSequence(const std::string& truck_id) {
  const size_t dash = truck_id.rfind('-');
  if (dash == std::string::npos) return 0;
  const std::optional<uint64_t> sequence = ParseDigits(std::string_view(truck_id).substr(dash + 1));
  return sequence.has_value() && *sequence <= UINT32_MAX ? static_cast<uint32_t>(*sequence) : 0;
}

}  // namespace

Loader::Loader(const DockConfig& config, const Clock& clock, RecordIndex& index, Emit emit)
    : config_(config), clock_(clock), index_(index), emit_(std::move(emit)) {}

void Loader::ApplyConfig() {
  route_doors_.clear();
  for (const auto& [name, door] : config_.doors) {
    Door& state = doors_[name];
    state.config = door;
    state.planned = true;
    for (const std::string& route : door.routes()) route_doors_[route] = name;
  }
}

void Loader::Reconfigure(const std::function<void(const std::string&)>& note) {
  std::vector<std::string> removed;
  for (auto& [name, door] : doors_) {
    auto planned = config_.doors.find(name);
    if (planned == config_.doors.end()) {
      if (!config_.planned) continue;
      if (door.open.has_value()) {
        note("door " + name + " removed: truck " + door.open->truck_id() + " closed with " +
             std::to_string(door.loaded.size()) + " parcels");
        if (door.loaded.empty()) {
          door.open.reset();
        } else {
          Close(door, v1::TRUCK_CLOSED_DOOR_REMOVED);
        }
      }
      removed.push_back(name);
      continue;
    }
    door.config = planned->second;
    door.planned = true;
    if (!door.open.has_value()) continue;
    v1::TruckStatus& truck = *door.open;
    truck.set_max_weight_g(MaxWeight(door));
    truck.set_max_volume_cm3(MaxVolume(door));
    truck.set_departure_unix_ms(NextDeparture(door, clock_.UnixMillis()));
    *emit_().mutable_truck() = truck;
    if (truck.parcels() > 0 && Full(truck)) {
      note("truck " + truck.truck_id() + " closed: full under door " + name + "'s new limits");
      Close(door, v1::TRUCK_CLOSED_FULL);
      Open(door);
    }
  }
  for (const std::string& name : removed) doors_.erase(name);
}

void Loader::Restore(const v1::TruckStatus& truck) {
  Door& door = DoorFor(truck.door());
  door.next_sequence = std::max(door.next_sequence, TruckSequence(truck.truck_id()) + 1);
  if (truck.state() == v1::TRUCK_OPEN) {
    door.open = truck;
    door.loaded.clear();
  }
}

void Loader::Restore(const v1::ParcelStatus& parcel) {
  if (parcel.state() != v1::PARCEL_LOADED) return;
  auto it = doors_.find(parcel.door());
  if (it == doors_.end() || !it->second.open.has_value() ||
      it->second.open->truck_id() != parcel.truck_id()) {
    return;
  }
  if (Entry* entry = index_.Find(parcel.tracking_number())) {
    entry->set_parcel_state(ParcelState::kLoaded);
  }
  auto& loaded = it->second.loaded;
  loaded.insert(std::upper_bound(loaded.begin(), loaded.end(), parcel,
                                 [](const v1::ParcelStatus& a, const v1::ParcelStatus& b) {
                                   return a.load_index() < b.load_index();
                                 }),
                parcel);
}

std::string Loader::DoorOf(const Entry& entry) const {
  const std::string& name = index_.symbols().Name(entry.destination);
  if (!entry.destination_is_route) return name;
  auto it = route_doors_.find(name);
  return it == route_doors_.end() ? "" : it->second;
}

bool Loader::LoadsAt(const std::string& door) const {
  if (door.empty()) return false;
  if (!config_.planned) return true;
  auto it = doors_.find(door);
  return it != doors_.end() && it->second.planned;
}

void Loader::Load(v1::ParcelStatus& parcel) {
  Door& door = DoorFor(parcel.door());
  if (!door.open.has_value()) Open(door);
  if (door.open->parcels() > 0 &&
      (door.open->weight_g() + parcel.weight_g() > door.open->max_weight_g() ||
       door.open->volume_cm3() + parcel.volume_cm3() > door.open->max_volume_cm3())) {
    Close(door, v1::TRUCK_CLOSED_FULL);
    Open(door);
  }
  v1::TruckStatus& truck = *door.open;
  truck.set_weight_g(truck.weight_g() + parcel.weight_g());
  truck.set_volume_cm3(truck.volume_cm3() + parcel.volume_cm3());
  truck.set_parcels(truck.parcels() + 1);
  parcel.set_state(v1::PARCEL_LOADED);
  parcel.set_truck_id(truck.truck_id());
  parcel.set_load_index(truck.parcels());
  door.loaded.push_back(parcel);
  *emit_().mutable_parcel() = parcel;
  *emit_().mutable_truck() = truck;
  if (Full(truck)) {
    Close(door, v1::TRUCK_CLOSED_FULL);
    Open(door);
  }
}

Status Loader::CloseAtDoor(const std::string& name) {
  auto it = doors_.find(name);
  if (it == doors_.end()) return InvalidArgument("unknown door \"" + name + "\"");
  Door& door = it->second;
  if (!door.open.has_value() || door.loaded.empty()) {
    return FailedPrecondition("no parcel on a truck at door " + name);
  }
  Close(door, v1::TRUCK_CLOSED_AT_DOOR);
  Open(door);
  return Status::Ok();
}

void Loader::Tick() {
  const int64_t now = clock_.UnixMillis();
  for (auto& [name, door] : doors_) {
    if (!door.open.has_value() || door.open->departure_unix_ms() > now) continue;
    if (door.loaded.empty()) {
      // An empty truck does not leave; its departure moves on to the next one.
      door.open->set_departure_unix_ms(NextDeparture(door, now));
      *emit_().mutable_truck() = *door.open;
      continue;
    }
    Close(door, v1::TRUCK_CLOSED_DEPARTED);
    Open(door);
  }
}

std::vector<v1::TruckStatus> Loader::OpenTrucks() const {
  std::vector<v1::TruckStatus> trucks;
  for (const auto& [name, door] : doors_) {
    if (door.open.has_value()) trucks.push_back(*door.open);
  }
  return trucks;
}

const v1::ParcelStatus* Loader::Loaded(const std::string& tracking) const {
  for (const auto& [name, door] : doors_) {
    for (const v1::ParcelStatus& parcel : door.loaded) {
      if (parcel.tracking_number() == tracking) return &parcel;
    }
  }
  return nullptr;
}

Loader::Door& Loader::DoorFor(const std::string& name) {
  Door& door = doors_[name];
  if (door.config.door().empty()) door.config.set_door(name);
  return door;
}

int64_t Loader::MaxWeight(const Door& door) const {
  return door.config.truck_max_weight_g() > 0 ? door.config.truck_max_weight_g()
                                              : config_.truck_max_weight_g;
}

int64_t Loader::MaxVolume(const Door& door) const {
  return door.config.truck_max_volume_cm3() > 0 ? door.config.truck_max_volume_cm3()
                                                : config_.truck_max_volume_cm3;
}

int64_t Loader::NextDeparture(const Door& door, int64_t after_ms) const {
  if (door.config.departure_minutes_size() == 0) {
    const int64_t every = door.config.departure_every_s() > 0 ? door.config.departure_every_s()
                                                              : config_.departure_every_s;
    return after_ms + every * 1000;
  }
  const int64_t local = after_ms + config_.utc_offset_s * 1000;
  const int64_t midnight = local - ((local % kDayMs) + kDayMs) % kDayMs;
  for (int day = 0; day < 2; ++day) {
    for (uint32_t minutes : door.config.departure_minutes()) {
      const int64_t at = midnight + day * kDayMs + static_cast<int64_t>(minutes) * 60'000;
      if (at > local) return at - config_.utc_offset_s * 1000;
    }
  }
  return after_ms + kDayMs;  // not reached: a day always has its departures
}

void Loader::Open(Door& door) {
  v1::TruckStatus truck;
  truck.set_truck_id(door.config.door() + "-" + std::to_string(door.next_sequence++));
  truck.set_door(door.config.door());
  truck.set_state(v1::TRUCK_OPEN);
  const int64_t now = clock_.UnixMillis();
  truck.set_opened_unix_ms(now);
  truck.set_departure_unix_ms(NextDeparture(door, now));
  truck.set_max_weight_g(MaxWeight(door));
  truck.set_max_volume_cm3(MaxVolume(door));
  door.open = truck;
  door.loaded.clear();
  *emit_().mutable_truck() = truck;
}

void Loader::Close(Door& door, v1::TruckState state) {
  door.open->set_state(state);
  door.open->set_closed_unix_ms(clock_.UnixMillis());
  v1::Manifest& manifest = *emit_().mutable_manifest();
  *manifest.mutable_truck() = *door.open;
  for (v1::ParcelStatus& parcel : door.loaded) {
    if (Entry* entry = index_.Find(parcel.tracking_number())) {
      entry->set_parcel_state(ParcelState::kDeparted);
    }
    *manifest.add_parcels() = std::move(parcel);
  }
  std::vector<v1::ParcelStatus>().swap(door.loaded);
  door.open.reset();
}

bool Loader::Full(const v1::TruckStatus& truck) {
  return truck.weight_g() >= truck.max_weight_g() || truck.volume_cm3() >= truck.max_volume_cm3();
}

}  // namespace sortline::dock::internal
