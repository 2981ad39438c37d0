#include "pipeline/flow/order_flow.h"

#include <algorithm>
#include <exception>
#include <memory>
#include <utility>
#include <vector>

#include <oneapi/tbb/enumerable_thread_specific.h>
#include <oneapi/tbb/flow_graph.h>

#include "pipeline/base/hash.h"
#include "pipeline/model/orders.h"

namespace sortline::flow {
namespace {

namespace tf = oneapi::tbb::flow;

using ItemPtr = FlowItem*;

// Marks `item` failed at `stage` unless an earlier stage already did.
void Fail(FlowItem& item, v1::Outcome outcome, const Status& status) {
  item.status = status;
  item.record.set_outcome(outcome);
  item.record.set_reason(status.message());
  item.label_pdf.clear();
}

label::RendererOptions RendererOptionsFor(const FlowOptions& options, const FlowDeps& deps) {
  label::RendererOptions renderer = deps.renderer;
  if (!options.label_template.empty()) renderer.template_name = options.label_template;
  return renderer;
}

// The run's batch file (FlowOptions::batch_pdf) from the orders whose labels were
// written, in emit order.
Status WriteBatchPdf(const FlowOptions& options, const FlowDeps& deps,
                     const std::vector<std::pair<v1::Order, v1::SortRecord>>& labelled) {
  if (labelled.empty()) return Status::Ok();
  // Completion order varies between runs; sort by tracking number so the same orders
  // give the same file.
  std::vector<const std::pair<v1::Order, v1::SortRecord>*> sorted;
  for (const auto& entry : labelled) sorted.push_back(&entry);
  std::sort(sorted.begin(), sorted.end(), [](const auto* a, const auto* b) {
    return a->first.tracking_number() < b->first.tracking_number();
  });
  std::vector<label::LabelInput> inputs;
  std::string numbers;
  for (const auto* entry : sorted) {
    inputs.push_back({&entry->first, &entry->second});
    numbers += entry->first.tracking_number();
    numbers += '\n';
  }
  SORTLINE_ASSIGN_OR_RETURN(std::unique_ptr<label::LabelRenderer> renderer,
                            label::LabelRenderer::Create(RendererOptionsFor(options, deps)));
  SORTLINE_ASSIGN_OR_RETURN(
      label::BatchPdf batch,
      renderer->RenderBatch(inputs, {.chute_order = options.batch_chute_order}));
  return deps.sink->WriteFile("batch-" + HashHex(Fnv1a64(numbers)) + ".pdf", batch.pdf).status();
}

// The stages as plain functions of one item; each leaves a failed item untouched so
// that the first failure is the one reported.
class Stages {
 public:
  Stages(const FlowOptions& options, const FlowDeps& deps)
      : options_(options),
        deps_(deps),
        renderer_options_(RendererOptionsFor(options, deps)),
        renderers_([this] { return MakeRenderer(); }) {}

  void Decode(FlowItem& item) const {
    if (item.json.empty()) return;
    Result<v1::Order> order = model::ParseOrderJson(item.json);
    if (!order.ok()) {
      Fail(item, v1::OUTCOME_REJECTED, order.status());
      return;
    }
    item.order = std::move(order).value();
    item.json.clear();
    item.json.shrink_to_fit();
  }

  void Validate(FlowItem& item) const {
    if (!item.status.ok()) return;
    item.record.set_order_id(item.order.order_id());
    item.record.set_tracking_number(item.order.tracking_number());
    item.record.set_division_code(item.order.recipient().division_code());
    item.record.set_weight_g(item.order.parcel().weight_g());
    Status valid = model::ValidateOrder(item.order, *deps_.divisions);
    if (!valid.ok()) Fail(item, v1::OUTCOME_REJECTED, valid);
  }

  void Assign(FlowItem& item) const {
    std::shared_ptr<const sort::SortPlan> plan = deps_.plan();
    if (!item.status.ok()) {
      // Invalid data: the parcel goes to the reject chute of the plan it met.
      if (item.record.outcome() == v1::OUTCOME_REJECTED) {
        std::string reason = item.record.reason();
        plan->Reject(reason, &item.record);
      }
      return;
    }
    plan->Assign(item.order, &item.record);
  }

  void Render(FlowItem& item) {
    if (!item.status.ok() || !options_.render_labels) return;
    if (item.order.tracking_number().empty()) {
      Fail(item, v1::OUTCOME_FAILED, InvalidArgument("no tracking number assigned"));
      return;
    }
    std::unique_ptr<label::LabelRenderer>& renderer = renderers_.local();
    if (renderer == nullptr) {
      Fail(item, v1::OUTCOME_FAILED, Internal("label renderer could not be created"));
      return;
    }
    Result<std::string> pdf = renderer->Render(item.order, item.record);
    if (!pdf.ok()) {
      Fail(item, v1::OUTCOME_FAILED, pdf.status().WithContext("render"));
      return;
    }
    Result<v1::LabelRef> ref = deps_.sink->Write(item.order.tracking_number(), pdf.value());
    if (!ref.ok()) {
      Fail(item, v1::OUTCOME_FAILED, ref.status().WithContext("write label"));
      return;
    }
    *item.record.mutable_label() = std::move(ref).value();
  }

 private:
  std::unique_ptr<label::LabelRenderer> MakeRenderer() const {
    Result<std::unique_ptr<label::LabelRenderer>> r =
        label::LabelRenderer::Create(renderer_options_);
    return r.ok() ? std::move(r).value() : nullptr;
  }

  const FlowOptions& options_;
  const FlowDeps& deps_;
  const label::RendererOptions renderer_options_;
  oneapi::tbb::enumerable_thread_specific<std::unique_ptr<label::LabelRenderer>> renderers_;
};

// Runs `body` on `item`, turning an escaped exception into a failed item: one throw
// inside a TBB node would cancel the whole graph.
template <typename Body>
ItemPtr Guarded(ItemPtr item, Body&& body) {
  try {
    body(*item);
  } catch (const std::exception& e) {
    Fail(*item, v1::OUTCOME_FAILED, Internal(std::string("unexpected exception: ") + e.what()));
  } catch (...) {
    Fail(*item, v1::OUTCOME_FAILED, Internal("unexpected exception"));
  }
  return item;
}

}  // namespace

Status RunOrderFlow(const FlowOptions& options, const FlowDeps& deps,
                    const std::function<bool(FlowItem&)>& source,
                    const std::function<void(FlowItem&&)>& emit) {
  if (deps.divisions == nullptr) return InvalidArgument("flow: no division table");
  if (!deps.plan) return InvalidArgument("flow: no sort plan");
  if (deps.plan() == nullptr) return InvalidArgument("flow: sort plan is empty");
  if (options.render_labels && deps.sink == nullptr) return InvalidArgument("flow: no label sink");
  if (options.max_in_flight == 0) return InvalidArgument("flow: max_in_flight must be positive");
  if (options.render_labels) {
    Result<std::unique_ptr<label::LabelRenderer>> probe =
        label::LabelRenderer::Create(RendererOptionsFor(options, deps));
    if (!probe.ok()) return probe.status().WithContext("flow: label renderer");
  }

  Stages stages(options, deps);
  uint64_t next_index = 0;
  Status source_error;

  tf::graph graph;
  tf::input_node<ItemPtr> input(graph, [&](oneapi::tbb::flow_control& control) -> ItemPtr {
    auto item = std::make_unique<FlowItem>();
    item->index = next_index;
    bool more = false;
    try {
      more = source(*item);
    } catch (const std::exception& e) {
      source_error = Internal(std::string("flow source: ") + e.what());
    }
    if (!more) {
      control.stop();
      return nullptr;
    }
    ++next_index;
    return item.release();
  });
  tf::limiter_node<ItemPtr> limiter(graph, options.max_in_flight);
  auto stage = [&graph](auto body) {
    return tf::function_node<ItemPtr, ItemPtr>(
        graph, tf::unlimited, [body](ItemPtr item) { return Guarded(item, body); });
  };
  auto decode = stage([&stages](FlowItem& item) { stages.Decode(item); });
  auto validate = stage([&stages](FlowItem& item) { stages.Validate(item); });
  auto assign = stage([&stages](FlowItem& item) { stages.Assign(item); });
  auto render = stage([&stages](FlowItem& item) { stages.Render(item); });
  std::vector<std::pair<v1::Order, v1::SortRecord>> labelled;  // for the batch file
  const bool keep = options.render_labels && options.batch_pdf;
  tf::function_node<ItemPtr, tf::continue_msg> sink(graph, tf::serial, [&](ItemPtr item) {
    std::unique_ptr<FlowItem> owned(item);
    owned->label_pdf.clear();
    if (keep && owned->status.ok() && owned->record.has_label()) {
      labelled.emplace_back(owned->order, owned->record);
    }
    try {
      emit(std::move(*owned));
    } catch (...) {
      // The emitter owns reporting; an exception here must not cancel the graph.
    }
    return tf::continue_msg();
  });

  tf::make_edge(input, limiter);
  tf::make_edge(limiter, decode);
  tf::make_edge(decode, validate);
  tf::make_edge(validate, assign);
  tf::make_edge(assign, render);
  tf::make_edge(render, sink);
  tf::make_edge(sink, limiter.decrementer());

  input.activate();
  graph.wait_for_all();
  if (!source_error.ok()) return source_error;
  return WriteBatchPdf(options, deps, labelled).WithContext("flow: batch label file");
}

}  // namespace sortline::flow
