#include "pipeline/dock/engine.h"

#include <algorithm>
#include <cstdlib>
#include <functional>
#include <map>
#include <utility>

#include "pipeline/dock/internal/loader.h"
#include "pipeline/dock/internal/transactions.h"

namespace sortline::dock {
namespace {

using internal::Remembered;

struct ChuteState {
  v1::ChuteStatus status;
  bool held = false;  // removed from the plan while holding parcels
};

v1::ParcelState ToProto(ParcelState state) {
  switch (state) {
    case ParcelState::kDecided:
      return v1::PARCEL_DECIDED;
    case ParcelState::kSorted:
      return v1::PARCEL_SORTED;
    case ParcelState::kLoaded:
      return v1::PARCEL_LOADED;
    case ParcelState::kLost:
      return v1::PARCEL_LOST;
    case ParcelState::kTimedOut:
      return v1::PARCEL_TIMED_OUT;
    default:
      return v1::PARCEL_STATE_UNSPECIFIED;
  }
}

class EngineImpl final : public Engine {
 public:
  EngineImpl(const DockConfig& config, const Clock& clock)
      : config_(config),
        clock_(clock),
        index_(config.expected_parcels),
        loader_(config_, clock_, index_, [this]() -> v1::DockEvent& { return Emit(); }),
        transactions_(config.remembered_transactions) {
    ApplyConfig();
  }

  bool AddRecord(const IndexedRecord& record) override { return index_.Add(record); }
  const RecordIndex& index() const override { return index_; }

  void Restore(const v1::ChuteStatus& chute) override {
    const bool known = config_.chutes.count(chute.chute()) > 0;
    if (config_.planned && !known && chute.fill() == 0) return;  // removed from the plan
    ChuteState& state = ChuteFor(chute.chute());
    state.held = config_.planned && !known;
    v1::ChuteStatus& status = state.status;
    status.set_fill(chute.fill());
    status.set_bag_barcode(chute.bag_barcode());
    status.set_sensor_full(chute.sensor_full());
    status.set_faulted(chute.faulted());
    UpdateState(status);
  }

  void Restore(const v1::TruckStatus& truck) override { loader_.Restore(truck); }
  void Restore(const v1::ParcelStatus& parcel) override { loader_.Restore(parcel); }

  std::string Reconfigure(const DockConfig& config) override {
    std::string summary;
    auto note = [&summary](const std::string& what) {
      summary += (summary.empty() ? "" : "; ") + what;
    };
    config_ = config;
    // Chutes.
    std::vector<std::string> gone;
    for (auto& [name, state] : chutes_) {
      auto planned = config_.chutes.find(name);
      if (planned != config_.chutes.end() || !config_.planned) {
        if (state.held) note("chute " + name + " is back in the plan");
        state.held = false;
        Configure(state.status);
        UpdateState(state.status);
        *Emit().mutable_chute() = state.status;
        continue;
      }
      if (state.status.fill() == 0) {
        gone.push_back(name);
        note("chute " + name + " removed");
      } else if (!state.held) {
        state.held = true;
        note("chute " + name + " removed; held until its bag of " +
             std::to_string(state.status.fill()) + " parcels is changed");
      }
    }
    for (const std::string& name : gone) chutes_.erase(name);
    // Doors and their trucks.
    loader_.Reconfigure(note);
    ApplyConfig();
    return summary.empty() ? "no chute or truck affected" : summary;
  }

  v1::SortResponse Decide(const v1::SortRequest& request, bool* repeated) override {
    if (repeated != nullptr) *repeated = false;
    const Remembered* remembered =
        transactions_.Find(request.scanner_id(), request.transaction_id());
    if (remembered != nullptr && !remembered->confirmed) {
      if (repeated != nullptr) *repeated = true;
      return remembered->response;
    }

    v1::SortResponse response;
    response.set_transaction_id(request.transaction_id());
    const Entry* match = nullptr;
    std::string_view match_tracking;
    int known = 0;
    bool any_read = false;
    for (const std::string& barcode : request.barcodes()) {
      if (barcode.empty()) continue;
      any_read = true;
      const Entry* found = index_.Find(barcode);
      if (found == nullptr) continue;
      if (match == nullptr) {
        match = found;
        match_tracking = barcode;
        known = 1;
      } else if (found != match) {
        ++known;
      }
    }

    const std::string* target = nullptr;
    if (!any_read) {
      response.set_outcome(v1::DECISION_NO_READ);
      target = &config_.no_read_chute;
    } else if (known > 1) {
      response.set_outcome(v1::DECISION_MULTI_BARCODE);
      response.set_reason(std::to_string(known) + " different parcels read at once");
      target = &config_.no_read_chute;
    } else if (match == nullptr) {
      response.set_outcome(v1::DECISION_NO_ORDER);
      response.set_reason("no record for the barcode read");
      target = &config_.no_order_chute;
    } else {
      response.set_tracking_number(std::string(match_tracking));
      const std::string& chute = index_.symbols().Name(match->chute);
      if (WeightMismatch(request.weight_g(), static_cast<int32_t>(match->weight_g))) {
        response.set_outcome(v1::DECISION_WEIGHT_MISMATCH);
        response.set_reason("weighed " + std::to_string(request.weight_g()) + " g, order says " +
                            std::to_string(match->weight_g) + " g");
        target = &config_.manual_chute;
      } else if (chute.empty()) {
        // A record naming no chute (a hostile or broken sender) cannot route the parcel.
        response.set_outcome(v1::DECISION_ERROR);
        response.set_reason("the parcel's record names no chute");
        target = &config_.no_order_chute;
      } else if (!Servable(chute)) {
        response.set_outcome(v1::DECISION_ERROR);
        response.set_reason("chute " + chute + " of the record is not in plan " +
                            config_.plan_version);
        target = &config_.no_order_chute;
      } else {
        response.set_outcome(v1::DECISION_SORTED);
        target = &chute;
      }
    }
    Route(*target, &response);

    const int32_t weight_g = request.weight_g() > 0
                                 ? request.weight_g()
                                 : (match != nullptr ? static_cast<int32_t>(match->weight_g) : 0);
    // Each side clamped to 100 m so that a hostile request cannot overflow the product.
    auto side = [](int32_t mm) { return static_cast<int64_t>(std::clamp(mm, 0, 100'000)); };
    const int64_t volume_cm3 =
        side(request.length_mm()) * side(request.width_mm()) * side(request.height_mm()) / 1000;
    transactions_.Remember(request.scanner_id(), request.transaction_id(), response, weight_g,
                           volume_cm3);

    if (match != nullptr) {
      Entry* entry = index_.Find(match_tracking);
      if (entry->parcel_state() != ParcelState::kLoaded &&
          entry->parcel_state() != ParcelState::kDeparted) {
        entry->set_parcel_state(ParcelState::kDecided);
      }
      v1::ParcelStatus& parcel = *Emit().mutable_parcel();
      parcel.set_tracking_number(response.tracking_number());
      parcel.set_state(v1::PARCEL_DECIDED);
      parcel.set_chute(response.chute());
      parcel.set_door(DoorOf(*entry));
      parcel.set_weight_g(weight_g);
      parcel.set_volume_cm3(volume_cm3);
      parcel.set_updated_unix_ms(clock_.UnixMillis());
    }
    *Emit().mutable_decision() = response;
    return response;
  }

  uint32_t ExitNumberOf(const std::string& chute) const override {
    return ExitNumber(config_, chute);
  }

  Status Apply(const v1::ChuteEvent& event) override {
    if (event.chute().empty()) return InvalidArgument("chute event without a chute");
    if (event.kind() == v1::ChuteEvent::KIND_UNSPECIFIED) {
      return InvalidArgument("chute event for " + event.chute() + " without a kind");
    }
    if (event.kind() < v1::ChuteEvent::FULL || event.kind() > v1::ChuteEvent::BAG_CHANGE) {
      return InvalidArgument("unknown chute event kind");
    }
    if (config_.planned && config_.chutes.count(event.chute()) == 0 &&
        chutes_.count(event.chute()) == 0) {
      return InvalidArgument("chute " + event.chute() + " is not in plan " + config_.plan_version);
    }
    ChuteState& state = ChuteFor(event.chute());
    v1::ChuteStatus& chute = state.status;
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
      default:  // BAG_CHANGE
        chute.set_fill(0);
        chute.set_sensor_full(false);
        chute.set_bag_barcode(event.bag_barcode());
        break;
    }
    UpdateState(chute);
    *Emit().mutable_chute() = chute;
    if (state.held && chute.fill() == 0) chutes_.erase(event.chute());
    return Status::Ok();
  }

  Status Apply(const v1::DivertConfirm& confirm) override {
    if (confirm.result() == v1::DivertConfirm::RESULT_UNSPECIFIED) {
      return InvalidArgument("divert confirmation without a result");
    }
    if (confirm.result() == v1::DivertConfirm::SORTED && confirm.chute().empty()) {
      return InvalidArgument("sorted divert confirmation without a chute");
    }
    Remembered* remembered = transactions_.Find(confirm.scanner_id(), confirm.transaction_id());
    if (remembered != nullptr && remembered->confirmed) return Status::Ok();
    if (confirm.result() == v1::DivertConfirm::SORTED) {
      v1::ChuteStatus& chute = ChuteFor(confirm.chute()).status;
      chute.set_fill(chute.fill() + 1);
      UpdateState(chute);
      *Emit().mutable_chute() = chute;
    }
    if (remembered == nullptr) return Status::Ok();
    remembered->confirmed = true;
    const std::string& tracking = remembered->response.tracking_number();
    Entry* entry = tracking.empty() ? nullptr : index_.Find(tracking);
    if (entry == nullptr) return Status::Ok();
    v1::ParcelStatus parcel;
    parcel.set_tracking_number(tracking);
    parcel.set_updated_unix_ms(clock_.UnixMillis());
    parcel.set_door(DoorOf(*entry));
    parcel.set_weight_g(remembered->weight_g);
    parcel.set_volume_cm3(remembered->volume_cm3);
    switch (confirm.result()) {
      case v1::DivertConfirm::SORTED: {
        parcel.set_state(v1::PARCEL_SORTED);
        parcel.set_chute(confirm.chute());
        const ParcelState before = entry->parcel_state();
        if (before == ParcelState::kLoaded || before == ParcelState::kDeparted) {
          return Status::Ok();  // on a truck already: loaded once
        }
        entry->set_parcel_state(ParcelState::kSorted);
        if (LoadsOntoTruck(confirm.chute()) && loader_.LoadsAt(parcel.door())) {
          entry->set_parcel_state(ParcelState::kLoaded);
          loader_.Load(parcel);
          return Status::Ok();
        }
        break;
      }
      case v1::DivertConfirm::LOST:
        parcel.set_state(v1::PARCEL_LOST);
        entry->set_parcel_state(ParcelState::kLost);
        break;
      default:
        parcel.set_state(v1::PARCEL_TIMED_OUT);
        entry->set_parcel_state(ParcelState::kTimedOut);
        break;
    }
    *Emit().mutable_parcel() = std::move(parcel);
    return Status::Ok();
  }

  Status Apply(const v1::DoorEvent& event) override {
    if (event.kind() != v1::DoorEvent::CLOSE_TRUCK) {
      return InvalidArgument("door event for " + event.door() + " without a known kind");
    }
    return loader_.CloseAtDoor(event.door());
  }

  void Tick() override { loader_.Tick(); }

  void TakeEvents(std::vector<v1::DockEvent>& out) override {
    if (out.empty()) {
      out.swap(events_);
      return;
    }
    for (v1::DockEvent& event : events_) out.push_back(std::move(event));
    events_.clear();
  }

  std::vector<v1::ChuteStatus> Chutes() const override {
    std::vector<v1::ChuteStatus> chutes;
    chutes.reserve(chutes_.size());
    for (const auto& [name, chute] : chutes_) chutes.push_back(chute.status);
    return chutes;
  }

  std::optional<v1::ChuteStatus> Chute(const std::string& name) const override {
    auto it = chutes_.find(name);
    if (it == chutes_.end()) return std::nullopt;
    return it->second.status;
  }

  std::vector<v1::TruckStatus> OpenTrucks() const override { return loader_.OpenTrucks(); }

  std::optional<v1::ParcelStatus> Parcel(const std::string& tracking) const override {
    const Entry* entry = index_.Find(tracking);
    if (entry == nullptr) return std::nullopt;
    if (entry->parcel_state() == ParcelState::kLoaded) {
      if (const v1::ParcelStatus* loaded = loader_.Loaded(tracking)) return *loaded;
    }
    v1::ParcelStatus parcel;
    parcel.set_tracking_number(tracking);
    parcel.set_state(ToProto(entry->parcel_state()));
    parcel.set_door(DoorOf(*entry));
    return parcel;
  }

  const DockConfig& config() const override { return config_; }
  uint64_t transactions_forgotten_unconfirmed() const override {
    return transactions_.forgotten_unconfirmed();
  }

 private:
  // Builds what the configuration decides: the doors it lists, the routes' doors (the
  // loader), the chutes it lists.
  void ApplyConfig() {
    loader_.ApplyConfig();
    for (const auto& [name, chute] : config_.chutes) ChuteFor(name);
  }

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

  // Whether parcels may be sent to `chute`: any chute unplanned, else one in the plan.
  bool Servable(const std::string& chute) const {
    return !config_.planned || config_.chutes.count(chute) > 0;
  }

  // Sets the chute and outcome for a parcel bound for `target`: the target when
  // available, else its overflow chute, else recirculation.
  void Route(const std::string& target, v1::SortResponse* response) {
    if (Available(target)) {
      response->set_chute(target);
      return;
    }
    const std::string& overflow = OverflowOf(target);
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
    if (it == chutes_.end()) return config_.planned ? "not in the plan" : "available";
    if (it->second.held) return "held (removed from the plan)";
    return it->second.status.state() == v1::CHUTE_FAULTED ? "faulted" : "full";
  }

  bool Available(const std::string& name) const {
    auto it = chutes_.find(name);
    if (it == chutes_.end()) return !config_.planned;
    return !it->second.held && it->second.status.state() == v1::CHUTE_AVAILABLE;
  }

  const std::string& OverflowOf(const std::string& name) const {
    static const std::string kNone;
    auto it = config_.chutes.find(name);
    if (it != config_.chutes.end()) {
      if (it->second.kind() == v1::CHUTE_OVERFLOW) return kNone;
      if (!it->second.overflow().empty()) return it->second.overflow();
      if (it->second.kind() != v1::CHUTE_NORMAL &&
          it->second.kind() != v1::CHUTE_KIND_UNSPECIFIED) {
        return kNone;
      }
    } else if (config_.planned) {
      return kNone;
    }
    if (name == config_.no_read_chute || name == config_.no_order_chute ||
        name == config_.manual_chute) {
      return kNone;
    }
    return config_.default_overflow;
  }

  bool LoadsOntoTruck(const std::string& chute) const {
    if (chute == config_.no_read_chute || chute == config_.no_order_chute ||
        chute == config_.manual_chute || chute == config_.recirculation) {
      return false;
    }
    auto it = config_.chutes.find(chute);
    if (it == config_.chutes.end()) return !config_.planned || chutes_.count(chute) > 0;
    return it->second.kind() == v1::CHUTE_NORMAL || it->second.kind() == v1::CHUTE_OVERFLOW ||
           it->second.kind() == v1::CHUTE_KIND_UNSPECIFIED;
  }

  // Capacity and kind from the configuration (or the defaults).
  void Configure(v1::ChuteStatus& chute) const {
    auto config = config_.chutes.find(chute.chute());
    uint32_t capacity = config_.default_capacity;
    if (config != config_.chutes.end()) {
      if (config->second.capacity() > 0) capacity = config->second.capacity();
      chute.set_kind(config->second.kind());
    } else {
      chute.set_kind(v1::CHUTE_NORMAL);
    }
    chute.set_capacity(capacity);
  }

  ChuteState& ChuteFor(const std::string& name) {
    auto it = chutes_.find(name);
    if (it != chutes_.end()) return it->second;
    ChuteState& state = chutes_[name];
    state.status.set_chute(name);
    Configure(state.status);
    state.status.set_state(v1::CHUTE_AVAILABLE);
    return state;
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

  std::string DoorOf(const Entry& entry) const { return loader_.DoorOf(entry); }

  DockConfig config_;
  const Clock& clock_;
  RecordIndex index_;
  std::map<std::string, ChuteState> chutes_;
  internal::Loader loader_;  // doors and trucks; after config_, clock_, index_
  internal::TransactionMemory transactions_;
  std::vector<v1::DockEvent> events_;
};

}  // namespace

std::unique_ptr<Engine> Engine::Create(const DockConfig& config, const Clock& clock) {
  return std::make_unique<EngineImpl>(config, clock);
}

}  // namespace sortline::dock
