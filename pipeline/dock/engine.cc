#include "pipeline/dock/engine.h"

#include <algorithm>
#include <cstdlib>
#include <deque>
#include <map>
#include <unordered_map>
#include <utility>

namespace sortline::dock {
namespace {

// Transactions remembered for repeats; the oldest are forgotten first. A PLC repeats
// within seconds, and 64 Ki covers minutes of a busy sorter.
constexpr size_t kRememberedTransactions = 1 << 16;

struct Remembered {
  v1::SortResponse response;
  bool confirmed = false;
  int32_t weight_g = 0;
  int64_t volume_cm3 = 0;
};

struct Door {
  v1::DoorConfig config;
  uint32_t next_sequence = 1;
  std::optional<v1::TruckStatus> open;
  std::vector<v1::ParcelStatus> loaded;
};

std::string TransactionKey(const v1::SortRequest& request) {
  return request.scanner_id() + '\x1f' + std::to_string(request.transaction_id());
}

std::string TransactionKey(const v1::DivertConfirm& confirm) {
  return confirm.scanner_id() + '\x1f' + std::to_string(confirm.transaction_id());
}

// Truck ids are "<door>-<sequence>"; the sequence of a restored truck.
uint32_t TruckSequence(const std::string& truck_id) {
  size_t dash = truck_id.rfind('-');
  if (dash == std::string::npos) return 0;
  return static_cast<uint32_t>(std::strtoul(truck_id.c_str() + dash + 1, nullptr, 10));
}

class EngineImpl final : public Engine {
 public:
  EngineImpl(const DockConfig& config, const RecordIndex& index, const Clock& clock)
      : config_(config), index_(index), clock_(clock) {
    // Growing these on the decision path would rehash them there.
    parcels_.reserve(config_.expected_parcels);
    transactions_.reserve(kRememberedTransactions + 1);
    for (const auto& [name, door] : config_.doors) {
      doors_[name].config = door;
      for (const std::string& route : door.routes()) route_doors_[route] = name;
    }
    for (const auto& [name, chute] : config_.chutes) ChuteFor(name);
  }

  void Restore(const v1::ChuteStatus& chute) override {
    v1::ChuteStatus& status = ChuteFor(chute.chute());
    status.set_fill(chute.fill());
    status.set_bag_barcode(chute.bag_barcode());
    status.set_sensor_full(chute.sensor_full());
    status.set_faulted(chute.faulted());
    UpdateState(status);
  }

  void Restore(const v1::TruckStatus& truck) override {
    Door& door = DoorFor(truck.door());
    door.next_sequence = std::max(door.next_sequence, TruckSequence(truck.truck_id()) + 1);
    if (truck.state() == v1::TRUCK_OPEN) {
      door.open = truck;
      door.loaded.clear();
    }
  }

  void Restore(const v1::ParcelStatus& parcel) override {
    parcels_[parcel.tracking_number()] = parcel;
    if (parcel.state() != v1::PARCEL_LOADED) return;
    auto it = doors_.find(parcel.door());
    if (it == doors_.end() || !it->second.open.has_value() ||
        it->second.open->truck_id() != parcel.truck_id()) {
      return;
    }
    auto& loaded = it->second.loaded;
    loaded.insert(std::upper_bound(loaded.begin(), loaded.end(), parcel,
                                   [](const v1::ParcelStatus& a, const v1::ParcelStatus& b) {
                                     return a.load_index() < b.load_index();
                                   }),
                  parcel);
  }

  v1::SortResponse Decide(const v1::SortRequest& request, bool* repeated) override {
    if (repeated != nullptr) *repeated = false;
    const std::string key = TransactionKey(request);
    auto remembered = transactions_.find(key);
    if (remembered != transactions_.end() && !remembered->second.confirmed) {
      if (repeated != nullptr) *repeated = true;
      return remembered->second.response;
    }

    v1::SortResponse response;
    response.set_transaction_id(request.transaction_id());
    std::shared_ptr<const v1::SortRecord> match;
    int known = 0;
    bool any_read = false;
    for (const std::string& barcode : request.barcodes()) {
      if (barcode.empty()) continue;
      any_read = true;
      std::shared_ptr<const v1::SortRecord> found = index_.Find(barcode);
      if (found == nullptr) continue;
      if (match == nullptr) {
        match = std::move(found);
        known = 1;
      } else if (found->tracking_number() != match->tracking_number()) {
        ++known;
      }
    }

    std::string target;
    if (!any_read) {
      response.set_outcome(v1::DECISION_NO_READ);
      target = config_.no_read_chute;
    } else if (known > 1) {
      response.set_outcome(v1::DECISION_MULTI_BARCODE);
      response.set_reason(std::to_string(known) + " different parcels read at once");
      target = config_.no_read_chute;
    } else if (match == nullptr) {
      response.set_outcome(v1::DECISION_NO_ORDER);
      response.set_reason("no record for the barcode read");
      target = config_.no_order_chute;
    } else {
      response.set_tracking_number(match->tracking_number());
      if (WeightMismatch(request.weight_g(), match->weight_g())) {
        response.set_outcome(v1::DECISION_WEIGHT_MISMATCH);
        response.set_reason("weighed " + std::to_string(request.weight_g()) + " g, order says " +
                            std::to_string(match->weight_g()) + " g");
        target = config_.manual_chute;
      } else if (match->chute().empty()) {
        // A record naming no chute (a hostile or broken sender) cannot route the parcel.
        response.set_outcome(v1::DECISION_ERROR);
        response.set_reason("the parcel's record names no chute");
        target = config_.manual_chute;
      } else {
        response.set_outcome(v1::DECISION_SORTED);
        target = match->chute();
      }
    }
    Route(target, &response);

    Remembered entry;
    entry.response = response;
    entry.weight_g =
        request.weight_g() > 0 ? request.weight_g() : (match != nullptr ? match->weight_g() : 0);
    // Each side clamped to 100 m so that a hostile request cannot overflow the product.
    auto side = [](int32_t mm) { return static_cast<int64_t>(std::clamp(mm, 0, 100'000)); };
    entry.volume_cm3 =
        side(request.length_mm()) * side(request.width_mm()) * side(request.height_mm()) / 1000;
    const int32_t weight_g = entry.weight_g;
    const int64_t volume_cm3 = entry.volume_cm3;
    Remember(key, std::move(entry));

    if (match != nullptr) {
      v1::ParcelStatus& parcel = parcels_[match->tracking_number()];
      parcel.set_tracking_number(match->tracking_number());
      parcel.set_order_id(match->order_id());
      parcel.set_state(v1::PARCEL_DECIDED);
      parcel.set_chute(response.chute());
      parcel.set_door(DoorOf(*match));
      parcel.set_weight_g(weight_g);
      parcel.set_volume_cm3(volume_cm3);
      parcel.set_updated_unix_ms(clock_.UnixMillis());
      Emit().mutable_parcel()->CopyFrom(parcel);
    }
    *Emit().mutable_decision() = response;
    return response;
  }

  Status Apply(const v1::ChuteEvent& event) override {
    if (event.chute().empty()) return InvalidArgument("chute event without a chute");
    if (event.kind() == v1::ChuteEvent::KIND_UNSPECIFIED) {
      return InvalidArgument("chute event for " + event.chute() + " without a kind");
    }
    v1::ChuteStatus& chute = ChuteFor(event.chute());
    switch (event.kind()) {
      case v1::ChuteEvent::FULL:
        chute.set_sensor_full(true);
        break;
      case v1::ChuteEvent::AVAILABLE:
        chute.set_sensor_full(false);
        chute.set_faulted(false);
        break;
      case v1::ChuteEvent::FAULT:
        chute.set_faulted(true);
        break;
      case v1::ChuteEvent::BAG_CHANGE:
        chute.set_fill(0);
        chute.set_sensor_full(false);
        chute.set_bag_barcode(event.bag_barcode());
        break;
      default:
        return InvalidArgument("unknown chute event kind");
    }
    UpdateState(chute);
    *Emit().mutable_chute() = chute;
    return Status::Ok();
  }

  Status Apply(const v1::DivertConfirm& confirm) override {
    if (confirm.result() == v1::DivertConfirm::RESULT_UNSPECIFIED) {
      return InvalidArgument("divert confirmation without a result");
    }
    if (confirm.result() == v1::DivertConfirm::SORTED && confirm.chute().empty()) {
      return InvalidArgument("sorted divert confirmation without a chute");
    }
    auto it = transactions_.find(TransactionKey(confirm));
    if (it != transactions_.end() && it->second.confirmed) return Status::Ok();
    std::string tracking;
    int32_t weight_g = 0;
    int64_t volume_cm3 = 0;
    if (it != transactions_.end()) {
      it->second.confirmed = true;
      tracking = it->second.response.tracking_number();
      weight_g = it->second.weight_g;
      volume_cm3 = it->second.volume_cm3;
    }
    if (confirm.result() == v1::DivertConfirm::SORTED) {
      v1::ChuteStatus& chute = ChuteFor(confirm.chute());
      chute.set_fill(chute.fill() + 1);
      UpdateState(chute);
      *Emit().mutable_chute() = chute;
    }
    if (tracking.empty()) return Status::Ok();
    v1::ParcelStatus& parcel = parcels_[tracking];
    parcel.set_tracking_number(tracking);
    parcel.set_updated_unix_ms(clock_.UnixMillis());
    switch (confirm.result()) {
      case v1::DivertConfirm::SORTED:
        parcel.set_state(v1::PARCEL_SORTED);
        parcel.set_chute(confirm.chute());
        if (weight_g > 0) parcel.set_weight_g(weight_g);
        parcel.set_volume_cm3(volume_cm3);
        if (LoadsOntoTruck(confirm.chute()) && !parcel.door().empty()) {
          Load(parcel);
          return Status::Ok();
        }
        break;
      case v1::DivertConfirm::LOST:
        parcel.set_state(v1::PARCEL_LOST);
        break;
      default:
        parcel.set_state(v1::PARCEL_TIMED_OUT);
        break;
    }
    *Emit().mutable_parcel() = parcel;
    return Status::Ok();
  }

  void Tick() override {
    const int64_t now = clock_.UnixMillis();
    for (auto& [name, door] : doors_) {
      if (!door.open.has_value() || door.open->departure_unix_ms() > now) continue;
      if (door.loaded.empty()) {
        // An empty truck does not leave; its departure moves on by one interval.
        door.open->set_departure_unix_ms(now + DepartureEveryMs(door));
        *Emit().mutable_truck() = *door.open;
        continue;
      }
      Close(door, v1::TRUCK_CLOSED_DEPARTED);
      Open(door);
    }
  }

  std::vector<v1::DockEvent> TakeEvents() override {
    std::vector<v1::DockEvent> events;
    events.swap(events_);
    return events;
  }

  std::vector<v1::ChuteStatus> Chutes() const override {
    std::vector<v1::ChuteStatus> chutes;
    chutes.reserve(chutes_.size());
    for (const auto& [name, chute] : chutes_) chutes.push_back(chute);
    return chutes;
  }

  std::optional<v1::ChuteStatus> Chute(const std::string& name) const override {
    auto it = chutes_.find(name);
    if (it == chutes_.end()) return std::nullopt;
    return it->second;
  }

  std::vector<v1::TruckStatus> OpenTrucks() const override {
    std::vector<v1::TruckStatus> trucks;
    for (const auto& [name, door] : doors_) {
      if (door.open.has_value()) trucks.push_back(*door.open);
    }
    return trucks;
  }

  std::optional<v1::ParcelStatus> Parcel(const std::string& tracking) const override {
    auto it = parcels_.find(tracking);
    if (it == parcels_.end()) return std::nullopt;
    return it->second;
  }

  const DockConfig& config() const override { return config_; }

 private:
  v1::DockEvent& Emit() {
    events_.emplace_back();
    events_.back().set_unix_ms(clock_.UnixMillis());
    return events_.back();
  }

  bool WeightMismatch(int32_t scanned, int32_t ordered) const {
    if (scanned <= 0 || ordered <= 0) return false;
    const double difference = std::abs(static_cast<double>(scanned) - ordered);
    return difference > config_.weight_tolerance_g &&
           difference > config_.weight_tolerance_ratio * ordered;
  }

  // Sets the chute and outcome for a parcel bound for `target`: the target when
  // available, else its overflow chute, else recirculation.
  void Route(const std::string& target, v1::SortResponse* response) {
    if (Available(target)) {
      response->set_chute(target);
      return;
    }
    const std::string overflow = OverflowOf(target);
    if (!overflow.empty() && overflow != target && Available(overflow)) {
      response->set_chute(overflow);
      response->set_outcome(v1::DECISION_OVERFLOW);
      response->set_reason("chute " + target + " is " + StateName(target));
      return;
    }
    response->set_chute(config_.recirculation);
    response->set_outcome(v1::DECISION_RECIRCULATE);
    response->set_reason("chute " + target + " is " + StateName(target) +
                         (overflow.empty() ? "" : " and so is " + overflow));
  }

  std::string StateName(const std::string& chute) const {
    auto it = chutes_.find(chute);
    if (it == chutes_.end()) return "available";
    return it->second.state() == v1::CHUTE_FAULTED ? "faulted" : "full";
  }

  bool Available(const std::string& name) const {
    auto it = chutes_.find(name);
    return it == chutes_.end() || it->second.state() == v1::CHUTE_AVAILABLE;
  }

  std::string OverflowOf(const std::string& name) const {
    auto it = config_.chutes.find(name);
    if (it != config_.chutes.end()) {
      if (it->second.kind() == v1::CHUTE_OVERFLOW) return "";
      if (!it->second.overflow().empty()) return it->second.overflow();
      if (it->second.kind() != v1::CHUTE_NORMAL &&
          it->second.kind() != v1::CHUTE_KIND_UNSPECIFIED) {
        return "";
      }
    }
    if (name == config_.no_read_chute || name == config_.no_order_chute ||
        name == config_.manual_chute) {
      return "";
    }
    return config_.default_overflow;
  }

  bool LoadsOntoTruck(const std::string& chute) const {
    if (chute == config_.no_read_chute || chute == config_.no_order_chute ||
        chute == config_.manual_chute || chute == config_.recirculation) {
      return false;
    }
    auto it = config_.chutes.find(chute);
    return it == config_.chutes.end() || it->second.kind() == v1::CHUTE_NORMAL ||
           it->second.kind() == v1::CHUTE_OVERFLOW ||
           it->second.kind() == v1::CHUTE_KIND_UNSPECIFIED;
  }

  v1::ChuteStatus& ChuteFor(const std::string& name) {
    auto it = chutes_.find(name);
    if (it != chutes_.end()) return it->second;
    v1::ChuteStatus& chute = chutes_[name];
    chute.set_chute(name);
    auto config = config_.chutes.find(name);
    uint32_t capacity = config_.default_capacity;
    if (config != config_.chutes.end()) {
      if (config->second.capacity() > 0) capacity = config->second.capacity();
      chute.set_kind(config->second.kind());
    } else {
      chute.set_kind(v1::CHUTE_NORMAL);
    }
    chute.set_capacity(capacity);
    chute.set_state(v1::CHUTE_AVAILABLE);
    return chute;
  }

  static void UpdateState(v1::ChuteStatus& chute) {
    if (chute.faulted()) {
      chute.set_state(v1::CHUTE_FAULTED);
    } else if (chute.sensor_full() || (chute.capacity() > 0 && chute.fill() >= chute.capacity())) {
      chute.set_state(v1::CHUTE_FULL);
    } else {
      chute.set_state(v1::CHUTE_AVAILABLE);
    }
  }

  std::string DoorOf(const v1::SortRecord& record) const {
    if (!record.dock_door().empty()) return record.dock_door();
    auto it = route_doors_.find(record.route());
    return it == route_doors_.end() ? "" : it->second;
  }

  Door& DoorFor(const std::string& name) {
    Door& door = doors_[name];
    if (door.config.door().empty()) door.config.set_door(name);
    return door;
  }

  int64_t DepartureEveryMs(const Door& door) const {
    int64_t every = door.config.departure_every_s() > 0 ? door.config.departure_every_s()
                                                        : config_.departure_every_s;
    return every * 1000;
  }

  void Open(Door& door) {
    v1::TruckStatus truck;
    truck.set_truck_id(door.config.door() + "-" + std::to_string(door.next_sequence++));
    truck.set_door(door.config.door());
    truck.set_state(v1::TRUCK_OPEN);
    const int64_t now = clock_.UnixMillis();
    truck.set_opened_unix_ms(now);
    truck.set_departure_unix_ms(now + DepartureEveryMs(door));
    truck.set_max_weight_g(door.config.truck_max_weight_g() > 0 ? door.config.truck_max_weight_g()
                                                                : config_.truck_max_weight_g);
    truck.set_max_volume_cm3(door.config.truck_max_volume_cm3() > 0
                                 ? door.config.truck_max_volume_cm3()
                                 : config_.truck_max_volume_cm3);
    door.open = truck;
    door.loaded.clear();
    *Emit().mutable_truck() = truck;
  }

  void Close(Door& door, v1::TruckState state) {
    door.open->set_state(state);
    door.open->set_closed_unix_ms(clock_.UnixMillis());
    v1::Manifest& manifest = *Emit().mutable_manifest();
    *manifest.mutable_truck() = *door.open;
    for (v1::ParcelStatus& parcel : door.loaded) *manifest.add_parcels() = std::move(parcel);
    door.loaded.clear();
    door.open.reset();
  }

  static bool Full(const v1::TruckStatus& truck) {
    return truck.weight_g() >= truck.max_weight_g() || truck.volume_cm3() >= truck.max_volume_cm3();
  }

  void Load(v1::ParcelStatus& parcel) {
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
    *Emit().mutable_parcel() = parcel;
    *Emit().mutable_truck() = truck;
    if (Full(truck)) {
      Close(door, v1::TRUCK_CLOSED_FULL);
      Open(door);
    }
  }

  void Remember(const std::string& key, Remembered entry) {
    auto [it, inserted] = transactions_.insert_or_assign(key, std::move(entry));
    if (!inserted) return;
    order_.push_back(key);
    if (order_.size() > kRememberedTransactions) {
      transactions_.erase(order_.front());
      order_.pop_front();
    }
  }

  const DockConfig config_;
  const RecordIndex& index_;
  const Clock& clock_;
  std::map<std::string, v1::ChuteStatus> chutes_;
  std::map<std::string, Door> doors_;
  std::unordered_map<std::string, std::string> route_doors_;
  std::unordered_map<std::string, v1::ParcelStatus> parcels_;
  std::unordered_map<std::string, Remembered> transactions_;
  std::deque<std::string> order_;
  std::vector<v1::DockEvent> events_;
};

}  // namespace

std::unique_ptr<Engine> Engine::Create(const DockConfig& config, const RecordIndex& index,
                                       const Clock& clock) {
  return std::make_unique<EngineImpl>(config, index, clock);
}

}  // namespace sortline::dock
