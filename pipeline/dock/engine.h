// The scan-time decision engine: chute for each scanned parcel, chute states and fills,
// dock doors and their trucks. Everything it needs is in memory (the RecordIndex and
// its own state); it never waits on disk. What it changes comes out as DockEvents for
// the caller to persist in batches and publish.
//
// Decisions:
//   no barcode read                     -> the no-read chute      DECISION_NO_READ
//   several different known parcels     -> the no-read chute      DECISION_MULTI_BARCODE
//   no record for the barcode(s) read   -> the no-order chute     DECISION_NO_ORDER
//   weight far from the order's         -> the manual chute       DECISION_WEIGHT_MISMATCH
//   a known parcel                      -> its record's chute     DECISION_SORTED
// and whichever chute that is, when it is full or faulted the parcel goes to its
// overflow chute (DECISION_OVERFLOW), or round again when that is not available either
// (DECISION_RECIRCULATE). A transaction id repeated by the same scanner before the
// parcel's divert is confirmed gets the same answer and is counted once.
//
// Chutes: a confirmed divert adds one to the chute's fill; at capacity the chute is full
// until a BAG_CHANGE. FULL and FAULT events from the PLC hold a chute until AVAILABLE.
//
// Trucks: a parcel confirmed at a chute loads onto the open truck of its door (the
// record's dock door, else the door serving its route). A truck closes when the next
// parcel would exceed its weight or volume (or it reaches either), or at its departure
// time when it holds parcels; its Manifest event lists exactly the parcels loaded, and
// the next truck opens.
//
// Thread-safety: not thread-safe; one owner thread (the dock's decision loop). The
// RecordIndex may be filled from another thread meanwhile.
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
  // `index` and `clock` are borrowed and must outlive the engine.
  static std::unique_ptr<Engine> Create(const DockConfig& config, const RecordIndex& index,
                                        const Clock& clock);
  virtual ~Engine() = default;

  // Restores persisted state before the first decision (see DockStore::LoadState).
  // Closed trucks only advance their door's truck numbering.
  virtual void Restore(const v1::ChuteStatus& chute) = 0;
  virtual void Restore(const v1::TruckStatus& truck) = 0;
  virtual void Restore(const v1::ParcelStatus& parcel) = 0;

  // Decides `request`. `*repeated` (optional) is set when this is a repeated
  // transaction answered from memory.
  virtual v1::SortResponse Decide(const v1::SortRequest& request, bool* repeated) = 0;
  // kInvalidArgument for an event without a chute or kind; the state is unchanged then.
  virtual Status Apply(const v1::ChuteEvent& event) = 0;
  // kInvalidArgument for SORTED without a chute, or without a result.
  virtual Status Apply(const v1::DivertConfirm& confirm) = 0;
  // Closes the trucks whose departure time has passed.
  virtual void Tick() = 0;

  // The events produced since the last call, oldest first.
  virtual std::vector<v1::DockEvent> TakeEvents() = 0;

  virtual std::vector<v1::ChuteStatus> Chutes() const = 0;
  virtual std::optional<v1::ChuteStatus> Chute(const std::string& name) const = 0;
  virtual std::vector<v1::TruckStatus> OpenTrucks() const = 0;
  virtual std::optional<v1::ParcelStatus> Parcel(const std::string& tracking) const = 0;
  virtual const DockConfig& config() const = 0;
};

}  // namespace sortline::dock

#endif  // PIPELINE_DOCK_ENGINE_H_
