// The per-order stage graph (oneTBB flow graph):
//   source -> decode -> validate -> assign -> render -> emit
// with at most `max_in_flight` orders between source and emit. Decode, validate,
// assign and render run in parallel; source and emit are called from one thread at a
// time. A stage never throws: a bad order is marked failed on its item (status, record
// outcome and reason) and flows on to emit, so it never costs the other orders.
//
// Thread-safety: RunOrderFlow blocks the calling thread until every item has been
// emitted; the dependencies must stay valid until it returns.
#ifndef PIPELINE_FLOW_ORDER_FLOW_H_
#define PIPELINE_FLOW_ORDER_FLOW_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "pipeline/base/status.h"
#include "pipeline/label/label.h"
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
  std::string label_pdf;  // rendered bytes, released once written
};

struct FlowOptions {
  size_t max_in_flight = 512;  // items between source and emit (bounds memory)
  bool render_labels = true;   // false: assign only (benchmarks, dry runs)
  // Label template for this run; empty: FlowDeps::renderer's. See label::TemplateNames().
  std::string label_template;
  // Also write one multi-page PDF of every label of the run for the printer queue,
  // "batch-<hash of its tracking numbers>.pdf" in the sink (the same orders give the
  // same name and bytes), pages in chute order when `batch_chute_order`. Written after
  // the last item is emitted; a failure to write it is RunOrderFlow's result.
  bool batch_pdf = false;
  bool batch_chute_order = false;
};

struct FlowDeps {
  const model::DivisionTable* divisions = nullptr;  // required
  // The plan each order is assigned with; called once per order, so a caller can swap
  // plans between orders (an order keeps the plan it got). Required.
  std::function<std::shared_ptr<const sort::SortPlan>()> plan;
  label::LabelSink* sink = nullptr;  // required when rendering
  label::RendererOptions renderer;   // one renderer per TBB thread
};

// Pulls items from `source` until it returns false, runs them through the stages and
// hands each finished item to `emit` (in completion order, not input order).
// Returns non-OK only when the graph itself cannot run (missing dependency, renderer
// cannot be created); per-order failures are on the items.
Status RunOrderFlow(const FlowOptions& options, const FlowDeps& deps,
                    const std::function<bool(FlowItem&)>& source,
                    const std::function<void(FlowItem&&)>& emit);

}  // namespace sortline::flow

#endif  // PIPELINE_FLOW_ORDER_FLOW_H_
