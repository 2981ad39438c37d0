#include "pipeline/flow/order_flow.h"

#include <algorithm>
#include <chrono>
#include <exception>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <oneapi/tbb/flow_graph.h>

#include "pipeline/model/orders.h"

namespace sortline::flow {
namespace {

namespace tf = oneapi::tbb::flow;

using ItemPtr = FlowItem*;
using SteadyClock = std::chrono::steady_clock;

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

// What tells renderers apart: options that give different bytes give different keys.
std::string RendererKey(const label::RendererOptions& options) {
  std::string key = options.template_name + (options.compress ? "|z" : "|-");
  for (const auto& [service, name] : options.service_templates) {
    key += "|" + std::to_string(service) + "=" + name;
  }
  return key;
}

// This thread's renderer for `options`, made on first use and kept across runs: making
// one costs milliseconds (fonts, documents), about a hundred labels' worth, and a
// renderer is not thread-safe. A thread keeps the one it made for the options it was
// last asked for. nullptr when it cannot be made.
label::LabelRenderer* ThreadRenderer(const label::RendererOptions& options) {
  thread_local std::unique_ptr<label::LabelRenderer> renderer;
  thread_local std::string made_for;
  const std::string key = RendererKey(options);
  if (renderer == nullptr || made_for != key) {
    renderer.reset();
    Result<std::unique_ptr<label::LabelRenderer>> made = label::LabelRenderer::Create(options);
    if (!made.ok()) return nullptr;
    renderer = std::move(made).value();
    made_for = key;
  }
  return renderer.get();
}

// The stages as plain functions of one item; each leaves a failed item untouched so
// that the first failure is the one reported.
class Stages {
 public:
  Stages(const FlowOptions& options, const FlowDeps& deps)
      : options_(options), deps_(deps), renderer_options_(RendererOptionsFor(options, deps)) {}

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

  // Per-parcel labels: each order's own PDF, rendered in parallel.
  void Render(FlowItem& item) {
    if (!options_.render_labels || options_.label_files != label::LabelFiles::kPerParcel) return;
    if (!Labelled(item)) return;
    label::LabelRenderer* renderer = LocalRenderer(item);
    if (renderer == nullptr) return;
    Result<std::string> pdf = renderer->Render(item.order, item.record);
    if (!pdf.ok()) {
      Fail(item, v1::OUTCOME_FAILED, pdf.status().WithContext("render"));
      return;
    }
    item.label_pdf = std::move(pdf).value();
  }

  // Batch labels: the labels of every labelled item as one PDF, pages sorted by tracking
  // number (chute first with chute_order) so the same orders give the same bytes; then
  // ZPL when asked. Items whose label cannot be drawn fail. Fills `labelled` (the items
  // in page order), `pdf` and `zpl`.
  void RenderBatch(std::vector<FlowItem*>& items, std::vector<FlowItem*>& labelled,
                   std::string& pdf, std::string& zpl) {
    std::vector<FlowItem*> candidates;
    for (FlowItem* item : items) {
      if (Labelled(*item)) candidates.push_back(item);
    }
    if (candidates.empty()) return;
    std::sort(candidates.begin(), candidates.end(), [](const FlowItem* a, const FlowItem* b) {
      return a->order.tracking_number() < b->order.tracking_number();
    });
    label::LabelRenderer* renderer = LocalRenderer(*candidates.front());
    if (renderer == nullptr) {
      for (FlowItem* item : candidates) {
        Fail(*item, v1::OUTCOME_FAILED, Internal("label renderer could not be created"));
      }
      return;
    }
    std::vector<label::LabelInput> inputs;
    inputs.reserve(candidates.size());
    for (const FlowItem* item : candidates) inputs.push_back({&item->order, &item->record});
    Result<label::BatchPdf> batch =
        renderer->RenderBatch(inputs, {.chute_order = options_.chute_order});
    if (!batch.ok()) {
      for (FlowItem* item : candidates) {
        Fail(*item, v1::OUTCOME_FAILED, batch.status().WithContext("render"));
      }
      return;
    }
    for (size_t index : batch->failed) {
      Fail(*candidates[index], v1::OUTCOME_FAILED,
           InvalidArgument("render: the label's symbols cannot be encoded"));
    }
    labelled.reserve(batch->pages.size());
    for (size_t index : batch->pages) labelled.push_back(candidates[index]);
    pdf = std::move(batch->pdf);
    if (options_.zpl_dpi != 0) {
      for (FlowItem* item : labelled) {
        Result<std::string> label =
            renderer->RenderZpl(item->order, item->record, options_.zpl_dpi);
        if (!label.ok()) {
          // The print job is optional; the PDF is the label. Leave the job out whole.
          zpl.clear();
          break;
        }
        zpl += *label;
      }
    }
  }

 private:
  // Whether `item` gets a label: it passed the earlier stages and has a tracking
  // number (else it fails here).
  static bool Labelled(FlowItem& item) {
    if (!item.status.ok()) return false;
    if (item.order.tracking_number().empty()) {
      Fail(item, v1::OUTCOME_FAILED, InvalidArgument("no tracking number assigned"));
      return false;
    }
    return true;
  }

  // This thread's renderer; null (and `item` failed) when it cannot be created.
  label::LabelRenderer* LocalRenderer(FlowItem& item) const {
    label::LabelRenderer* renderer = ThreadRenderer(renderer_options_);
    if (renderer == nullptr) {
      Fail(item, v1::OUTCOME_FAILED, Internal("label renderer could not be created"));
    }
    return renderer;
  }

  const FlowOptions& options_;
  const FlowDeps& deps_;
  const label::RendererOptions renderer_options_;
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

// Stores the labels of a batch: batch labels as one file, per-parcel labels as one
// group. A refusal of the store fails every item whose label it was.
void StoreLabels(const FlowOptions& options, label::LabelStore& store,
                 std::vector<FlowItem*>& labelled, const std::string& pdf, const std::string& zpl) {
  if (labelled.empty()) return;
  Result<std::vector<v1::LabelRef>> refs = InvalidArgument("no labels");
  if (options.label_files == label::LabelFiles::kBatch) {
    std::vector<std::string> numbers;
    numbers.reserve(labelled.size());
    for (const FlowItem* item : labelled) numbers.push_back(item->order.tracking_number());
    refs = store.PutBatch(numbers, pdf, zpl);
  } else {
    std::vector<label::ParcelLabel> parcels;
    parcels.reserve(labelled.size());
    for (const FlowItem* item : labelled) {
      parcels.push_back({item->order.tracking_number(), item->label_pdf});
    }
    refs = store.PutParcels(parcels);
  }
  if (!refs.ok()) {
    for (FlowItem* item : labelled) {
      Fail(*item, v1::OUTCOME_FAILED, refs.status().WithContext("write label"));
    }
    return;
  }
  for (size_t i = 0; i < labelled.size(); ++i) {
    *labelled[i]->record.mutable_label() = std::move((*refs)[i]);
    labelled[i]->label_pdf.clear();
  }
}

}  // namespace

Status RunOrderFlow(const FlowOptions& options, const FlowDeps& deps,
                    const std::function<bool(FlowItem&)>& source,
                    const std::function<void(FlowItem&&)>& emit) {
  if (deps.divisions == nullptr) return InvalidArgument("flow: no division table");
  if (!deps.plan) return InvalidArgument("flow: no sort plan");
  if (deps.plan() == nullptr) return InvalidArgument("flow: sort plan is empty");
  if (options.render_labels && deps.labels == nullptr) {
    return InvalidArgument("flow: no label store");
  }
  if (options.max_in_flight == 0) return InvalidArgument("flow: max_in_flight must be positive");
  if (options.render_labels && ThreadRenderer(RendererOptionsFor(options, deps)) == nullptr) {
    Status why = label::LabelRenderer::Create(RendererOptionsFor(options, deps)).status();
    if (why.ok()) why = Internal("label renderer could not be created");
    return why.WithContext("flow: label renderer");
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
  // A stage node; timed when there is a timer and the stage does work per order.
  StageTimer* const timer = options.timer;
  auto stage = [&graph, timer](Stage which, bool per_order, auto body) {
    return tf::function_node<ItemPtr, ItemPtr>(
        graph, tf::unlimited, [body, which, timer = per_order ? timer : nullptr](ItemPtr item) {
          // Orders that arrive decoded (a worker's lease) have nothing to decode.
          if (timer == nullptr || (which == Stage::kDecode && item->json.empty())) {
            return Guarded(item, body);
          }
          const SteadyClock::time_point start = SteadyClock::now();
          ItemPtr out = Guarded(item, body);
          timer->Record(which, SteadyClock::now() - start);
          return out;
        });
  };
  const bool per_parcel_labels =
      options.render_labels && options.label_files == label::LabelFiles::kPerParcel;
  auto decode = stage(Stage::kDecode, true, [&stages](FlowItem& item) { stages.Decode(item); });
  auto validate =
      stage(Stage::kValidate, true, [&stages](FlowItem& item) { stages.Validate(item); });
  auto assign = stage(Stage::kAssign, true, [&stages](FlowItem& item) { stages.Assign(item); });
  auto render =
      stage(Stage::kRender, per_parcel_labels, [&stages](FlowItem& item) { stages.Render(item); });
  std::vector<std::unique_ptr<FlowItem>> done;
  tf::function_node<ItemPtr, tf::continue_msg> collect(graph, tf::serial, [&](ItemPtr item) {
    done.emplace_back(item);
    return tf::continue_msg();
  });

  tf::make_edge(input, limiter);
  tf::make_edge(limiter, decode);
  tf::make_edge(decode, validate);
  tf::make_edge(validate, assign);
  tf::make_edge(assign, render);
  tf::make_edge(render, collect);
  tf::make_edge(collect, limiter.decrementer());

  input.activate();
  graph.wait_for_all();
  if (!source_error.ok()) return source_error;

  // The batch's labels, then the items in input order.
  std::sort(done.begin(), done.end(),
            [](const auto& a, const auto& b) { return a->index < b->index; });
  std::vector<FlowItem*> items;
  items.reserve(done.size());
  for (const auto& item : done) items.push_back(item.get());
  if (options.render_labels) {
    std::vector<FlowItem*> labelled;
    std::string pdf;
    std::string zpl;
    try {
      if (options.label_files == label::LabelFiles::kBatch) {
        const SteadyClock::time_point start = SteadyClock::now();
        stages.RenderBatch(items, labelled, pdf, zpl);
        if (timer != nullptr && !labelled.empty()) {
          timer->Record(Stage::kRender, SteadyClock::now() - start);
        }
      } else {
        for (FlowItem* item : items) {
          if (item->status.ok()) labelled.push_back(item);
        }
      }
      const SteadyClock::time_point start = SteadyClock::now();
      StoreLabels(options, *deps.labels, labelled, pdf, zpl);
      if (timer != nullptr && !labelled.empty()) {
        timer->Record(Stage::kWrite, SteadyClock::now() - start);
      }
    } catch (const std::exception& e) {
      for (FlowItem* item : labelled) {
        Fail(*item, v1::OUTCOME_FAILED, Internal(std::string("unexpected exception: ") + e.what()));
      }
    }
  }
  // One exception must not cost the other items; the lost one is reported.
  auto lost = [&options](uint64_t index, const char* what) {
    if (options.on_lost) {
      options.on_lost(index,
                      Internal("flow: emitting item " + std::to_string(index) + " threw: " + what));
    }
  };
  for (auto& item : done) {
    const uint64_t index = item->index;
    try {
      emit(std::move(*item));
    } catch (const std::exception& e) {
      lost(index, e.what());
    } catch (...) {
      lost(index, "an exception of unknown type");
    }
  }
  return Status::Ok();
}

}  // namespace sortline::flow
