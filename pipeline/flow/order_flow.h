// pipeline/flow owns running a batch through its stages, the only folder that knows
// oneTBB.
//
// The stage graph of a batch of orders (oneTBB flow graph):
//   source -> decode -> validate -> assign [-> render, per-parcel labels] -> collect
// then, once every order is through, the labels of the batch as one unit:
//   render (batch labels: one multi-page PDF) -> store (one durable write) -> emit
// At most `max_in_flight` orders are between source and collect. Decode, validate,
// assign and per-parcel render run in parallel; source and emit are called from one
// thread at a time. A stage never throws: a bad order is marked failed on its item
// (status, record outcome and reason) and flows on to emit, so it never costs the other
// orders. Labels are stored before any item is emitted, so an emitted record's label is
// durable (when the store is).
//
// Thread-safety: RunOrderFlow blocks the calling thread until every item has been
// emitted; the dependencies must stay valid until it returns.
#ifndef PIPELINE_FLOW_ORDER_FLOW_H_
#define PIPELINE_FLOW_ORDER_FLOW_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "pipeline/base/status.h"
#include "pipeline/label/label.h"
#include "pipeline/label/label_store.h"
#include "pipeline/model/divisions.h"
#include "pipeline/sort/sort_plan.h"
#include "proto/order.pb.h"
#include "proto/record.pb.h"

namespace sortline::flow {

// One order on its way through the graph.
struct FlowItem {
  uint64_t index = 0;  // position in the input, assigned by the source
  uint64_t line = 0;   // 1-based line in an orders file; 0 when not from a file
  std::string json;    // raw order text to decode; empty when `order` is set
  v1::Order order;
  v1::SortRecord record;  // outcome, chute, label reference ...
  Status status;          // not OK: the order failed, record.reason says why
  std::string label_pdf;  // per-parcel label bytes, released once stored
};

// The stages a StageTimer hears about: decode once per order given as JSON text;
// validate and assign once per order;
// render once per order with per-parcel labels, once per batch with batch labels; write
// (the label store's durable write) once per batch.
enum class Stage { kDecode, kValidate, kAssign, kRender, kWrite };

// Told how long each stage took, for the run report (pipeline/runtime/stage_timings.h).
// Thread-safety: Record is called from several TBB threads at once; implementations must
// be thread-safe and cheap (it is on every order's path).
class StageTimer {
 public:
  virtual ~StageTimer() = default;
  virtual void Record(Stage stage, std::chrono::nanoseconds took) = 0;
};

struct FlowOptions {
  size_t max_in_flight = 512;  // items between source and collect
  bool render_labels = true;   // false: assign only (benchmarks, dry runs)
  // Label template for this run; empty: FlowDeps::renderer's. See label::TemplateNames().
  std::string label_template;
  // kBatch: the labels of the batch are one PDF, pages sorted by tracking number (or,
  // with `chute_order`, by chute and then tracking number), so the same orders give the
  // same file. kPerParcel: one PDF per parcel, stored as one group.
  label::LabelFiles label_files = label::LabelFiles::kBatch;
  bool chute_order = false;
  // With batch labels, also one ZPL print job of the batch at this dpi (203 or 300);
  // 0: none.
  int zpl_dpi = 0;
  StageTimer* timer = nullptr;  // not owned; nullptr: stages are not timed
  // Told of each item lost because `emit` threw on it (it reached nobody): the item's
  // input position and why (kInternal, the exception's text). Called on the thread that
  // runs the emitter, from RunOrderFlow; must not throw. The caller counts and logs the
  // loss. null: losses are not reported.
  std::function<void(uint64_t index, const Status& why)> on_lost;
};

struct FlowDeps {
  const model::DivisionTable* divisions = nullptr;  // required
  // The plan each order is assigned with; called once per order, so a caller can swap
  // plans between orders (an order keeps the plan it got). Required.
  std::function<std::shared_ptr<const sort::SortPlan>()> plan;
  label::LabelStore* labels = nullptr;  // required when rendering
  label::RendererOptions renderer;      // one renderer per TBB thread
};

// Pulls items from `source` until it returns false (one batch: a worker's lease), runs
// them through the stages, stores their labels and hands each finished item to `emit`,
// in input order. A label the store refuses fails its item with the store's status
// (kResourceExhausted, kIoError, kDataLoss) and outcome OUTCOME_FAILED.
// Returns non-OK only when the graph itself cannot run (missing dependency, renderer
// cannot be created); per-order failures are on the items. An item whose `emit` throws
// is reported to FlowOptions::on_lost and the others are still emitted.
Status RunOrderFlow(const FlowOptions& options, const FlowDeps& deps,
                    const std::function<bool(FlowItem&)>& source,
                    const std::function<void(FlowItem&&)>& emit);

}  // namespace sortline::flow

#endif  // PIPELINE_FLOW_ORDER_FLOW_H_
