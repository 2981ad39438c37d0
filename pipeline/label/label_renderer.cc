// LabelRenderer: resolves a label (template, field text, symbols, placement) and hands
// it to a writer: PageContentWriter + PdfDocument for PDF, ZplWriter for ZPL. The
// writers share one TextLayout, so PDF and ZPL break lines alike.
#include <algorithm>
#include <map>
#include <memory>
#include <numeric>
#include <span>
#include <string>
#include <vector>

#include "pipeline/label/internal/fields.h"
#include "pipeline/label/internal/layout.h"
#include "pipeline/label/internal/pdf_content.h"
#include "pipeline/label/internal/pdf_document.h"
#include "pipeline/label/internal/placement.h"
#include "pipeline/label/internal/symbol.h"
#include "pipeline/label/internal/template.h"
#include "pipeline/label/internal/text.h"
#include "pipeline/label/internal/text_layout.h"
#include "pipeline/label/internal/zpl.h"
#include "pipeline/label/label.h"

namespace sortline::label {
namespace {

using internal::LabelData;
using internal::LabelTemplate;
using internal::ModuleMatrix;
using internal::Placement;

constexpr double kPt = internal::kPointsPerMm;

// Thread-safety: not thread-safe; one per thread (see LabelRenderer).
class TemplateRenderer final : public LabelRenderer {
 public:
  TemplateRenderer(const RendererOptions& options, std::unique_ptr<internal::GbkEncoder> gbk,
                   std::unique_ptr<internal::SymbolEncoder> symbols,
                   std::unique_ptr<internal::PdfDocument> pdf)
      : options_(options),
        gbk_(std::move(gbk)),
        symbols_(std::move(symbols)),
        pdf_(std::move(pdf)),
        text_(*gbk_, pdf_->widths()),
        content_writer_(text_),
        zpl_writer_(text_) {}

  // Second phase of Create: resolves the templates.
  Status Init() {
    default_layout_ = internal::FindTemplate(options_.template_name);
    if (default_layout_ == nullptr) {
      return InvalidArgument("unknown label template '" + options_.template_name + "'");
    }
    for (const auto& [service, name] : options_.service_templates) {
      const LabelTemplate* t = internal::FindTemplate(name);
      if (t == nullptr) return InvalidArgument("unknown label template '" + name + "'");
      service_layouts_[service] = t;
    }
    return Status::Ok();
  }

  Result<std::string> Render(const v1::Order& order, const v1::SortRecord& record) override {
    SORTLINE_ASSIGN_OR_RETURN(LabelData data, Prepare(order, record));
    SORTLINE_ASSIGN_OR_RETURN(Placement place, internal::PlaceSymbols(*data.layout, code128_, qr_,
                                                                      internal::kPrinterDpi));
    content_writer_.Build(data, place, code128_, qr_, pdf_->font_names(), content_);
    return pdf_->SavePage(data.layout->width_mm * kPt, data.layout->height_mm * kPt, content_);
  }

  Result<BatchPdf> RenderBatch(std::span<const LabelInput> labels,
                               const BatchOptions& options) override {
    if (labels.empty()) return InvalidArgument("a batch needs at least one label");
    BatchPdf batch;
    std::vector<size_t> order(labels.size());
    std::iota(order.begin(), order.end(), size_t{0});
    if (options.chute_order) {
      std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
        return labels[a].record->chute() < labels[b].record->chute();
      });
    }
    // Symbols are encoded up front so the page counter counts only printable labels.
    struct Ready {
      size_t index;
      LabelData data;
      Placement place;
      ModuleMatrix code128;
      ModuleMatrix qr;
    };
    std::vector<Ready> ready;
    ready.reserve(labels.size());
    for (size_t i : order) {
      Result<LabelData> data = Prepare(*labels[i].order, *labels[i].record);
      Result<Placement> place =
          data.ok() ? internal::PlaceSymbols(*data->layout, code128_, qr_, internal::kPrinterDpi)
                    : Result<Placement>(data.status());
      if (!place.ok()) {
        batch.failed.push_back(i);
        continue;
      }
      ready.push_back({i, std::move(data).value(), *place, code128_, qr_});
    }
    std::sort(batch.failed.begin(), batch.failed.end());
    if (ready.empty()) return InvalidArgument("no label of the batch could be rendered");

    SORTLINE_RETURN_IF_ERROR(pdf_->StartBatch());
    const std::string total = std::to_string(ready.size());
    for (size_t n = 0; n < ready.size(); ++n) {
      Ready& r = ready[n];
      r.data.page_counter = std::to_string(n + 1) + "/" + total;
      content_writer_.Build(r.data, r.place, r.code128, r.qr, pdf_->font_names(), content_);
      SORTLINE_RETURN_IF_ERROR(
          pdf_->AddPage(r.data.layout->width_mm * kPt, r.data.layout->height_mm * kPt, content_));
      batch.pages.push_back(r.index);
    }
    SORTLINE_ASSIGN_OR_RETURN(batch.pdf, pdf_->FinishBatch());
    return batch;
  }

  Result<std::string> RenderZpl(const v1::Order& order, const v1::SortRecord& record,
                                int dpi) override {
    SORTLINE_RETURN_IF_ERROR(internal::CheckZplDpi(dpi));
    SORTLINE_ASSIGN_OR_RETURN(LabelData data, Prepare(order, record));
    std::string zpl;
    SORTLINE_RETURN_IF_ERROR(zpl_writer_.Write(data, code128_, qr_, dpi, zpl));
    return zpl;
  }

 private:
  const LabelTemplate& LayoutFor(const v1::Order& order) const {
    const auto it = service_layouts_.find(order.service());
    return it != service_layouts_.end() ? *it->second : *default_layout_;
  }

  // Resolves the label and encodes both symbols into code128_ and qr_.
  Result<LabelData> Prepare(const v1::Order& order, const v1::SortRecord& record) {
    SORTLINE_ASSIGN_OR_RETURN(LabelData data,
                              internal::ResolveLabel(order, record, LayoutFor(order)));
    SORTLINE_RETURN_IF_ERROR(symbols_->Code128(data.tracking, code128_));
    SORTLINE_RETURN_IF_ERROR(symbols_->Qr(internal::QrPayload(data), qr_));
    return data;
  }

  const RendererOptions options_;
  std::unique_ptr<internal::GbkEncoder> gbk_;
  std::unique_ptr<internal::SymbolEncoder> symbols_;
  std::unique_ptr<internal::PdfDocument> pdf_;
  internal::TextLayout text_;
  internal::PageContentWriter content_writer_;
  internal::ZplWriter zpl_writer_;
  const LabelTemplate* default_layout_ = nullptr;
  std::map<v1::ServiceClass, const LabelTemplate*> service_layouts_;

  // Per-label state, kept to reuse its allocations.
  ModuleMatrix code128_;
  ModuleMatrix qr_;
  std::string content_;
};

}  // namespace

std::vector<std::string> TemplateNames() {
  std::vector<std::string> names;
  for (const LabelTemplate* t : internal::AllTemplates()) names.emplace_back(t->name);
  return names;
}

Result<std::unique_ptr<LabelRenderer>> LabelRenderer::Create(const RendererOptions& options) {
  SORTLINE_ASSIGN_OR_RETURN(auto gbk, internal::GbkEncoder::Create());
  SORTLINE_ASSIGN_OR_RETURN(auto symbols, internal::SymbolEncoder::Create());
  SORTLINE_ASSIGN_OR_RETURN(auto pdf, internal::PdfDocument::Create(options.compress));
  auto renderer = std::make_unique<TemplateRenderer>(options, std::move(gbk), std::move(symbols),
                                                     std::move(pdf));
  SORTLINE_RETURN_IF_ERROR(renderer->Init());
  return std::unique_ptr<LabelRenderer>(std::move(renderer));
}

}  // namespace sortline::label
