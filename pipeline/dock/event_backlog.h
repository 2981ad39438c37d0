// The dock's events waiting for the store, bounded for when the store refuses writes
// (disk full) for a long time while the conveyor keeps deciding.
//
// Up to `limit` events are kept whole, in order. Past the limit nothing that the dock's
// state needs is dropped: a chute, parcel or truck event replaces the previous pending
// event of the same chute, parcel or truck (the state tables keep only the latest
// anyway), and manifests are always kept. Decision events, which are only logged, are
// dropped and counted. So memory stays within `limit` events plus one per chute, truck
// and parcel (parcels are bounded by the records already in the index).
//
// Thread-safety: not thread-safe; one owner thread (the dock's store thread).
#ifndef PIPELINE_DOCK_EVENT_BACKLOG_H_
#define PIPELINE_DOCK_EVENT_BACKLOG_H_

#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "proto/dock.pb.h"

namespace sortline::dock {

class EventBacklog {
 public:
  // REQUIRES: limit > 0.
  explicit EventBacklog(size_t limit) : limit_(limit) {}

  // Appends `events`, oldest first, after every event already pending.
  void Add(std::vector<v1::DockEvent> events);
  // Removes and returns up to `max` events in the order they must be persisted: the
  // ordered ones, then the latest state of each chute, parcel and truck past the limit.
  std::vector<v1::DockEvent> Take(size_t max);
  // Puts back, ahead of everything pending, events Take returned that were not
  // persisted.
  void PutBack(std::vector<v1::DockEvent> events);

  size_t size() const { return ordered_.size() + latest_.size(); }
  bool empty() const { return ordered_.empty() && latest_.empty(); }
  // Decision events dropped past the limit, since construction.
  uint64_t decisions_dropped() const { return decisions_dropped_; }
  // Chute, parcel and truck events replaced by a newer one of the same key past the limit.
  uint64_t states_replaced() const { return states_replaced_; }

 private:
  void AddOne(v1::DockEvent event);

  const size_t limit_;
  std::deque<v1::DockEvent> ordered_;
  // Past the limit: (event kind, chute / tracking number / truck id) -> latest event,
  // and the order in which the keys first arrived.
  std::map<std::pair<int, std::string>, v1::DockEvent> latest_;
  std::deque<std::pair<int, std::string>> latest_order_;
  uint64_t decisions_dropped_ = 0;
  uint64_t states_replaced_ = 0;
};

}  // namespace sortline::dock

#endif  // PIPELINE_DOCK_EVENT_BACKLOG_H_
