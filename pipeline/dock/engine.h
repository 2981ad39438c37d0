// pipeline/dock owns the loading dock's logic, without threads or sockets: the decision
// engine (here), its configuration from the plan (config.h), the index of committed
// records (record_index.h), the conveyor's binary telegrams (telegram.h), the backlog of
// events to persist (event_backlog.h) and the trucks' manifests (manifest_writer.h).
//
// The scan-time decision engine: chute for each scanned parcel, chute states and fills,
// dock doors and their trucks. Everything it needs is in memory (its RecordIndex and
// its own state); it never waits on disk. What it changes comes out as DockEvents for
// the caller to persist in batches and publish.
//
// Decisions:
//   no barcode read                     -> the no-read chute      DECISION_NO_READ
//   several different known parcels     -> the no-read chute      DECISION_MULTI_BARCODE
//   no record for the barcode(s) read   -> the no-order chute     DECISION_NO_ORDER
//   weight far from the order's         -> the manual chute       DECISION_WEIGHT_MISMATCH
//   a planned dock, the record's chute
//   not in the plan                     -> the no-order chute     DECISION_ERROR
//   a known parcel                      -> its record's chute     DECISION_SORTED
// and whichever chute that is, when it is full or faulted the parcel goes to its
// overflow chute (DECISION_OVERFLOW), or round again when that is not available either
// (DECISION_RECIRCULATE). A transaction id repeated by the same scanner before the
// parcel's divert is confirmed gets the same answer and is counted once.
//
// Chutes: a confirmed divert adds one to the chute's fill; at capacity the chute is full
// until a BAG_CHANGE. FULL and FAULT events from the PLC hold a chute until AVAILABLE.
//
// Trucks: a parcel confirmed at a normal or overflow chute loads onto the open truck of
// its door (the record's dock door, else the door serving its route), once. A truck
// closes when the next parcel would exceed its weight or volume (or it reaches either),
// at its departure time when it holds parcels, or when the loader closes it at the door
// (DoorEvent); its Manifest event lists exactly the parcels loaded, and the next truck
// opens. Once a truck has left, nothing of its parcels is kept in memory but their state
// (kDeparted): the store keeps the rest.
//
// Reconfigure (a reloaded plan) applies between two calls, all at once:
//   - a chute keeps its fill, bag, sensor and fault state and takes its new capacity,
//     kind, overflow and exit: a full chute whose capacity grew past its fill takes
//     parcels again; one whose capacity shrank to or below its fill is full until its
//     bag is changed;
//   - a chute removed while its bag holds parcels is held: no parcel is sent to it any
//     more (records naming it go to the no-order chute, DECISION_ERROR), divert
//     confirmations of parcels already sent to it still count and load, and it is shown
//     until its bag is changed, when it goes; an empty removed chute goes at once;
//   - an open truck whose door changes takes the door's new limits and its next
//     departure from the new times; when it already holds as much as the new limits
//     allow it closes at once (TRUCK_CLOSED_FULL). Its loaded parcels stay on it; new
//     routes apply to parcels confirmed from then on;
//   - an open truck whose door was removed closes at once with what it holds
//     (TRUCK_CLOSED_DOOR_REMOVED, manifest written).
//
// Thread-safety: not thread-safe; one owner thread (the dock's decision loop).
#ifndef PIPELINE_DOCK_ENGINE_H_
#define PIPELINE_DOCK_ENGINE_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "pipeline/base/clock.h"
#include "pipeline/base/result.h"
#include "pipeline/dock/config.h"
#include "pipeline/dock/record_index.h"
#include "proto/dock.pb.h"

namespace sortline::dock {

class Engine {
 public:
  // `clock` is borrowed and must outlive the engine.
  static std::unique_ptr<Engine> Create(const DockConfig& config, const Clock& clock);
  virtual ~Engine() = default;

  // Indexes a committed record (see RecordIndex::Add).
  virtual bool AddRecord(const IndexedRecord& record) = 0;
  virtual const RecordIndex& index() const = 0;

  // Restores persisted state before the first decision (see DockStore::LoadState).
  // Closed trucks only advance their door's truck numbering.
  virtual void Restore(const v1::ChuteStatus& chute) = 0;
  virtual void Restore(const v1::TruckStatus& truck) = 0;
  virtual void Restore(const v1::ParcelStatus& parcel) = 0;

  // Switches to `config` as described above; returns what changed, for the log.
  virtual std::string Reconfigure(const DockConfig& config) = 0;

  // Decides `request`. `*repeated` (optional) is set when this is a repeated
  // transaction answered from memory.
  virtual v1::SortResponse Decide(const v1::SortRequest& request, bool* repeated) = 0;
  // The telegram exit number of a decision's chute (0: recirculation).
  virtual uint32_t ExitNumberOf(const std::string& chute) const = 0;
  // kInvalidArgument for an event without a chute or kind, or (planned) for a chute the
  // plan does not have; the state is unchanged then.
  virtual Status Apply(const v1::ChuteEvent& event) = 0;
  // kInvalidArgument for SORTED without a chute, or without a result.
  virtual Status Apply(const v1::DivertConfirm& confirm) = 0;
  // kInvalidArgument for an unknown door or kind; kFailedPrecondition when the door's
  // truck holds no parcel.
  virtual Status Apply(const v1::DoorEvent& event) = 0;
  // Closes the trucks whose departure time has passed.
  virtual void Tick() = 0;

  // Moves the events produced since the last call, oldest first, to the end of `out`.
  virtual void TakeEvents(std::vector<v1::DockEvent>& out) = 0;
  std::vector<v1::DockEvent> TakeEvents() {
    std::vector<v1::DockEvent> events;
    TakeEvents(events);
    return events;
  }

  virtual std::vector<v1::ChuteStatus> Chutes() const = 0;
  virtual std::optional<v1::ChuteStatus> Chute(const std::string& name) const = 0;
  virtual std::vector<v1::TruckStatus> OpenTrucks() const = 0;
  // What is known of the parcel in memory: all of it while its truck is open, its state
  // otherwise.
  virtual std::optional<v1::ParcelStatus> Parcel(const std::string& tracking) const = 0;
  virtual const DockConfig& config() const = 0;
  // Scan transactions forgotten before their divert was confirmed (the table was full).
  virtual uint64_t transactions_forgotten_unconfirmed() const = 0;
};

}  // namespace sortline::dock

#endif  // PIPELINE_DOCK_ENGINE_H_
