#include "pipeline/dock/event_backlog.h"

#include <algorithm>
#include <iterator>

namespace sortline::dock {

void EventBacklog::Add(std::vector<v1::DockEvent> events) {
  for (v1::DockEvent& event : events) AddOne(std::move(event));
}

void EventBacklog::AddOne(v1::DockEvent event) {
  // Once events are kept by key, later ordered events would overtake them: keep by key
  // until the key map has drained.
  if (ordered_.size() < limit_ && latest_.empty()) {
    ordered_.push_back(std::move(event));
    return;
  }
  std::string key;
  switch (event.kind_case()) {
    case v1::DockEvent::kChute:
      key = event.chute().chute();
      break;
    case v1::DockEvent::kParcel:
      key = event.parcel().tracking_number();
      break;
    case v1::DockEvent::kTruck:
      key = event.truck().truck_id();
      break;
    case v1::DockEvent::kManifest:
      // Never replaced: one per closed truck, rare, and the manifest is the record of
      // what left on the truck. A truck closes once, so its id names its manifest.
      key = event.manifest().truck().truck_id();
      break;
    default:
      ++decisions_dropped_;
      return;
  }
  std::pair<int, std::string> slot(event.kind_case(), std::move(key));
  auto [it, inserted] = latest_.try_emplace(slot);
  if (!inserted) ++states_replaced_;
  if (inserted) latest_order_.push_back(std::move(slot));
  it->second = std::move(event);
}

std::vector<v1::DockEvent> EventBacklog::Take(size_t max) {
  std::vector<v1::DockEvent> out;
  out.reserve(std::min(max, size()));
  while (out.size() < max && !ordered_.empty()) {
    out.push_back(std::move(ordered_.front()));
    ordered_.pop_front();
  }
  while (out.size() < max && !latest_order_.empty()) {
    auto it = latest_.find(latest_order_.front());
    latest_order_.pop_front();
    out.push_back(std::move(it->second));
    latest_.erase(it);
  }
  return out;
}

void EventBacklog::PutBack(std::vector<v1::DockEvent> events) {
  ordered_.insert(ordered_.begin(), std::make_move_iterator(events.begin()),
                  std::make_move_iterator(events.end()));
}

}  // namespace sortline::dock
