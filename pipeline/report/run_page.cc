#include "pipeline/report/run_page.h"

#include <algorithm>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <utility>
#include <vector>

#include "pipeline/base/text.h"
#include "pipeline/report/internal/escape.h"
#include "pipeline/report/internal/subprocess.h"

namespace sortline::report {
namespace {

namespace fs = std::filesystem;

std::string Fixed(double v, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

std::string Micros(double us) {
  if (us >= 1e6) return Fixed(us / 1e6, 2) + " s";
  if (us >= 1e3) return Fixed(us / 1e3, us >= 1e4 ? 1 : 2) + " ms";
  return Fixed(us, us >= 10 ? 0 : 1) + " µs";
}

v1::Figure* AddFigure(v1::ReportSection& section, const std::string& id, const std::string& label,
                      const std::string& value, const std::string& detail = "") {
  v1::Figure* f = section.add_figures();
  f->set_id(id);
  f->set_label(label);
  f->set_value(value);
  f->set_detail(detail);
  return f;
}

v1::Chart* AddChart(v1::ReportSection& section, const std::string& id, v1::ChartKind kind,
                    const std::string& title, const std::string& caption) {
  v1::Chart* chart = section.add_charts();
  chart->set_id(id);
  chart->set_kind(kind);
  chart->set_title(title);
  chart->set_caption(caption);
  return chart;
}

// A bar chart of one series from (category, count) pairs, in the order given.
void FillBars(v1::Chart& chart, const std::string& series_name,
              const std::vector<std::pair<std::string, uint64_t>>& entries) {
  v1::ChartSeries* series = chart.add_series();
  series->set_name(series_name);
  for (const auto& [category, count] : entries) {
    chart.add_categories(category);
    series->add_y(static_cast<double>(count));
  }
}

template <typename Map>
std::vector<std::pair<std::string, uint64_t>> Entries(const Map& map) {
  std::vector<std::pair<std::string, uint64_t>> entries(map.begin(), map.end());
  std::sort(entries.begin(), entries.end());
  return entries;
}

// The chute with the most records (the first by name among equals).
std::pair<std::string, uint64_t> TopChute(
    const std::vector<std::pair<std::string, uint64_t>>& chutes) {
  std::pair<std::string, uint64_t> top;
  for (const auto& entry : chutes) {
    if (entry.second > top.second) top = entry;
  }
  return top;
}

// The records per chute and per outcome: the summary's (what the run counted), else the
// records file's.
std::vector<std::pair<std::string, uint64_t>> ChuteCounts(const RunData& run) {
  return run.summary.records_by_chute().empty() ? Entries(run.records.by_chute)
                                                : Entries(run.summary.records_by_chute());
}
std::vector<std::pair<std::string, uint64_t>> OutcomeCounts(const RunData& run) {
  return run.summary.records_by_outcome().empty() ? Entries(run.records.by_outcome)
                                                  : Entries(run.summary.records_by_outcome());
}

std::string LabelMode(const RecordCounts& records) {
  if (records.labels_in_batch_files > 0 && records.labels_in_own_files == 0) {
    return "batch PDF";
  }
  if (records.labels_in_own_files > 0 && records.labels_in_batch_files == 0) {
    return "one PDF per parcel";
  }
  if (records.labels_in_own_files > 0) return "mixed";
  return "no labels";
}

std::string LabelModeDetail(const RecordCounts& records) {
  const uint64_t labels = records.labels_in_batch_files + records.labels_in_own_files;
  if (labels == 0) return "";
  return GroupThousands(labels) + " labels in " + GroupThousands(records.label_files) + " files";
}

std::string PlanVersion(const RecordCounts& records, std::string* detail) {
  std::string version;
  uint64_t most = 0;
  for (const auto& [v, n] : records.plan_versions) {
    if (n > most) {
      most = n;
      version = v;
    }
  }
  if (records.plan_versions.size() > 1) {
    *detail = std::to_string(records.plan_versions.size()) + " versions during the run";
  }
  return version.empty() ? "unknown" : version;
}

// "100 × 150 mm" from pdfinfo's "Page    1 size:  283.465 x 425.197 pts".
std::string PageSize(const std::string& pdf, uint32_t page, const RunPageOptions& options) {
  const std::string p = std::to_string(std::max<uint32_t>(page, 1));
  Result<internal::ProgramOutput> info =
      internal::RunProgram({options.pdfinfo, "-f", p, "-l", p, pdf}, "", options.tool_timeout);
  if (!info.ok() || info->exit_code != 0) return "";
  const size_t at = info->out.find("size:");
  double w = 0;
  double h = 0;
  if (at == std::string::npos ||
      std::sscanf(info->out.c_str() + at, "size: %lf x %lf", &w, &h) != 2) {
    return "";
  }
  const double mm_per_pt = 25.4 / 72;
  return Fixed(w * mm_per_pt, 0) + " × " + Fixed(h * mm_per_pt, 0) + " mm";
}

void AddHeadline(const RunData& run, const std::string& label_size, v1::ReportPage& page) {
  const v1::RunSummary& s = run.summary;
  v1::ReportSection& section = *page.add_sections();
  section.set_id("headline");
  section.set_title("Headline");
  section.add_paragraphs("Orders from " + s.source() + "; summary " + run.summary_path +
                         (run.records_path.empty() ? "; no records file beside it."
                                                   : "; records " + run.records_path + "."));
  AddFigure(section, "orders", "orders", GroupThousands(s.lines()), "non-empty lines read");
  AddFigure(section, "ok", "ok", GroupThousands(s.ok()), "sorted, labelled, stored at dock");
  AddFigure(section, "failed", "failed", GroupThousands(s.failed()),
            s.failed_by_reason().empty()
                ? ""
                : std::to_string(s.failed_by_reason().size()) + " reasons, below");
  AddFigure(section, "elapsed", "elapsed", Fixed(s.elapsed_seconds(), 2) + " s");
  AddFigure(section, "orders-per-second", "orders/s",
            GroupThousands(std::llround(s.orders_per_second())), "ok / elapsed");
  std::string plan_detail;
  const std::string plan = PlanVersion(run.records, &plan_detail);
  AddFigure(section, "plan-version", "plan version", internal::Shorten(plan, 24), plan_detail);
  AddFigure(section, "template", "label template", label_size.empty() ? "unknown" : label_size,
            "page size of the sample labels");
  AddFigure(section, "label-mode", "label mode", LabelMode(run.records),
            LabelModeDetail(run.records));
  const auto [chute, count] = TopChute(ChuteCounts(run));
  AddFigure(section, "top-chute-count", "busiest chute", GroupThousands(count),
            chute.empty() ? "" : "chute " + chute);

  if (!s.failed_by_reason().empty()) {
    v1::ReportTable* table = section.add_tables();
    table->set_caption("Failed orders by reason");
    table->add_header("reason");
    table->add_header("orders");
    std::vector<std::pair<std::string, uint64_t>> reasons = Entries(s.failed_by_reason());
    std::stable_sort(reasons.begin(), reasons.end(),
                     [](const auto& a, const auto& b) { return a.second > b.second; });
    for (const auto& [reason, n] : reasons) {
      v1::TableRow* row = table->add_rows();
      row->add_cells(reason);
      row->add_cells(GroupThousands(n));
    }
  }
}

void AddThroughput(const RunData& run, v1::ReportPage& page) {
  v1::ReportSection& section = *page.add_sections();
  section.set_id("throughput");
  section.set_title("Throughput over the run");
  v1::Chart* chart =
      AddChart(section, "throughput", v1::CHART_KIND_LINES, "Orders per second",
               "Orders settled (ok or failed) and orders journaled by intake, per second, as the "
               "submitter saw them about once a second.");
  chart->set_x_label("seconds since the first batch was sent");
  chart->set_y_label("orders/s");
  v1::ChartSeries* finished = chart->add_series();
  finished->set_name("settled");
  finished->set_style(v1::SERIES_STYLE_STEPS);
  v1::ChartSeries* accepted = chart->add_series();
  accepted->set_name("journaled by intake");
  accepted->set_style(v1::SERIES_STYLE_STEPS);
  // Each rate holds over the interval between two points; a step chart draws it from
  // the interval's start, and the last rate is repeated at the end to close its step.
  const auto& points = run.summary.timeline();
  for (int i = 1; i < points.size(); ++i) {
    const double dt = points[i].seconds() - points[i - 1].seconds();
    if (dt <= 0) continue;
    const double t = points[i - 1].seconds();
    finished->add_x(t);
    finished->add_y(static_cast<double>(points[i].finished() - points[i - 1].finished()) / dt);
    accepted->add_x(t);
    accepted->add_y(static_cast<double>(points[i].accepted() - points[i - 1].accepted()) / dt);
  }
  for (v1::ChartSeries* series : {finished, accepted}) {
    if (series->y_size() == 0) continue;
    series->add_x(points[points.size() - 1].seconds());
    series->add_y(series->y(series->y_size() - 1));
  }
  if (points.empty()) {
    section.add_paragraphs("This summary has no timeline (written by an older sortline).");
  }
}

void AddStages(const RunData& run, v1::ReportPage& page) {
  v1::ReportSection& section = *page.add_sections();
  section.set_id("stages");
  section.set_title("Stage latencies");
  const auto& timings = run.summary.stage_timings();
  if (timings.empty()) {
    section.add_paragraphs("This run recorded no stage timings.");
    return;
  }
  v1::Chart* chart =
      AddChart(section, "stage-latency", v1::CHART_KIND_BARS, "Stage latency percentiles",
               "Time per observation of each stage (logarithmic scale).");
  chart->set_y_label("microseconds");
  chart->set_log_y(true);
  const std::pair<const char*, double> quantiles[] = {{"p50", 0.5}, {"p90", 0.9}, {"p99", 0.99}};
  for (const auto& [name, q] : quantiles) {
    v1::ChartSeries* series = chart->add_series();
    series->set_name(name);
    for (const v1::StageTiming& t : timings) series->add_y(Quantile(t, q));
  }
  v1::ReportTable* table = section.add_tables();
  table->set_caption("Stage timings, summed over every worker");
  for (const char* h : {"stage", "per", "observations", "mean", "p50", "p90", "p99", "p99.9"}) {
    table->add_header(h);
  }
  for (const v1::StageTiming& t : timings) {
    chart->add_categories(t.stage());
    v1::TableRow* row = table->add_rows();
    row->add_cells(t.stage());
    row->add_cells(t.unit());
    row->add_cells(GroupThousands(t.count()));
    row->add_cells(t.count() == 0 ? "" : Micros(t.sum_us() / static_cast<double>(t.count())));
    for (double q : {0.5, 0.9, 0.99, 0.999}) row->add_cells(Micros(Quantile(t, q)));
  }
}

void AddRecords(const RunData& run, const model::DivisionTable* divisions, v1::ReportPage& page) {
  v1::ReportSection& section = *page.add_sections();
  section.set_id("records");
  section.set_title("Records");
  if (run.records_path.empty()) {
    section.add_paragraphs(
        "No records file in " + run.dir +
        ": chutes, doors, provinces and label sizes come from records.jsonl (written by "
        "`sortline run`).");
  }
  FillBars(*AddChart(section, "outcomes", v1::CHART_KIND_BARS, "Records by outcome",
                     "Dock records by how the parcel was sorted."),
           "records", OutcomeCounts(run));
  FillBars(*AddChart(section, "chutes", v1::CHART_KIND_BARS, "Parcels per chute",
                     "Dock records per chute the worker assigned."),
           "parcels", ChuteCounts(run));
  FillBars(*AddChart(section, "doors", v1::CHART_KIND_BARS, "Parcels per dock door",
                     "Dock records per dock door."),
           "parcels", Entries(run.records.by_door));

  std::vector<std::pair<std::string, uint64_t>> provinces;
  for (const auto& [code, n] : run.records.by_province) {
    const model::Division* d = divisions && !code.empty() ? divisions->Find(code) : nullptr;
    provinces.emplace_back(d ? d->name : code.empty() ? "(no division code)" : code, n);
  }
  std::stable_sort(provinces.begin(), provinces.end(),
                   [](const auto& a, const auto& b) { return a.second > b.second; });
  v1::Chart* by_province =
      AddChart(section, "provinces", v1::CHART_KIND_RANKED_BARS, "Parcels by destination province",
               "Ranked by parcels, from the records' GB/T 2260 division codes.");
  by_province->set_y_label("parcels");
  FillBars(*by_province, "parcels", provinces);
}

// Label sizes in about 20 bins of a round width.
void AddLabelSizes(const RunData& run, v1::ReportPage& page) {
  v1::ReportSection& section = *page.add_sections();
  section.set_id("label-sizes");
  section.set_title("Label sizes");
  const auto& sizes = run.records.label_bytes;
  v1::Chart* chart =
      AddChart(section, "label-sizes", v1::CHART_KIND_BARS, "Label size distribution",
               "Labels per size bin (bytes of the label as recorded).");
  chart->set_x_label("label size, bin start (KB)");
  chart->set_y_label("labels");
  if (sizes.empty()) return;
  const double lo = sizes.begin()->first;
  const double hi = sizes.rbegin()->first;
  double width = 1;
  for (double step = 1; width * 20 < hi - lo; step *= 10) {
    for (double m : {1.0, 2.0, 5.0}) {
      width = m * step;
      if (width * 20 >= hi - lo) break;
    }
  }
  const double first = std::floor(lo / width) * width;
  const size_t bins = static_cast<size_t>((hi - first) / width) + 1;
  std::vector<uint64_t> counts(bins, 0);
  uint64_t total = 0;
  double sum = 0;
  for (const auto& [bytes, n] : sizes) {
    counts[static_cast<size_t>((bytes - first) / width)] += n;
    total += n;
    sum += static_cast<double>(bytes) * static_cast<double>(n);
  }
  std::vector<std::pair<std::string, uint64_t>> entries;
  for (size_t i = 0; i < bins; ++i) {
    entries.emplace_back(
        Fixed((first + static_cast<double>(i) * width) / 1024, width < 100 ? 2 : 1), counts[i]);
  }
  FillBars(*chart, "labels", entries);
  uint64_t seen = 0;
  uint32_t median = 0;
  for (const auto& [bytes, n] : sizes) {
    seen += n;
    if (seen * 2 >= total) {
      median = bytes;
      break;
    }
  }
  AddFigure(section, "labels", "labels", GroupThousands(total));
  AddFigure(section, "label-bytes-mean", "mean size",
            Fixed(sum / static_cast<double>(total) / 1024, 2) + " KB");
  AddFigure(section, "label-bytes-median", "median size", Fixed(median / 1024.0, 2) + " KB");
  AddFigure(section, "label-bytes-max", "largest", Fixed(hi / 1024, 2) + " KB");
}

void AddSamples(const RunData& run, const RunPageOptions& options, v1::ReportPage& page) {
  v1::ReportSection& section = *page.add_sections();
  section.set_id("samples");
  section.set_title("Sample labels");
  if (run.records.samples.empty()) {
    section.add_paragraphs("No records with labels to show.");
    return;
  }
  for (const v1::SortRecord& record : run.records.samples) {
    const v1::LabelRef& label = record.label();
    const std::string pdf = (fs::path(run.labels_dir) / label.path()).string();
    const std::string page_number = std::to_string(std::max<uint32_t>(label.page(), 1));
    const std::string caption =
        record.tracking_number() + " · chute " + record.chute() + " · door " + record.dock_door() +
        " · " + record.sort_code() +
        (record.outcome() == v1::OUTCOME_SORTED ? "" : " · " + v1::Outcome_Name(record.outcome()));
    Result<internal::ProgramOutput> png =
        internal::RunProgram({options.pdftoppm, "-f", page_number, "-l", page_number, "-r",
                              std::to_string(options.sample_dpi), "-png", "-singlefile", pdf},
                             "", options.tool_timeout);
    if (!png.ok() || png->exit_code != 0 || png->out.empty()) {
      section.add_paragraphs(
          "Label " + record.tracking_number() + " (" + pdf + " page " + page_number +
          ") could not be rendered: " +
          (png.ok() ? internal::Shorten(png->err, 200) : png.status().ToString()));
      continue;
    }
    v1::ReportImage* image = section.add_images();
    image->set_caption(caption);
    image->set_alt("label " + record.tracking_number());
    image->set_png(std::move(png->out));
  }
}

void AddFailures(const RunData& run, const RunPageOptions& options, v1::ReportPage& page) {
  const v1::RunSummary& s = run.summary;
  v1::ReportSection& section = *page.add_sections();
  section.set_id("failures");
  section.set_title("Failures");
  if (s.failures().empty()) {
    section.add_paragraphs("Every order ended ok.");
    return;
  }
  const size_t listed = std::min<size_t>(options.max_failures_listed, s.failures_size());
  section.add_paragraphs(
      GroupThousands(s.failures_size()) + " lines failed" +
      (listed < static_cast<size_t>(s.failures_size())
           ? "; the first " + GroupThousands(listed) + " are listed, all are in " + run.summary_path
           : "") +
      ". Long order ids and reasons are shortened (…).");
  v1::ReportTable* table = section.add_tables();
  table->set_searchable(true);
  table->add_header("line");
  table->add_header("order id");
  table->add_header("reason");
  for (size_t i = 0; i < listed; ++i) {
    const v1::OrderFailure& f = s.failures(static_cast<int>(i));
    v1::TableRow* row = table->add_rows();
    row->add_cells(f.line() == 0 ? "" : std::to_string(f.line()));
    row->add_cells(internal::Shorten(f.order_id(), options.order_id_chars));
    row->add_cells(internal::Shorten(f.reason(), options.reason_chars));
  }
}

}  // namespace

double Quantile(const v1::StageTiming& timing, double q) {
  uint64_t total = 0;
  for (uint64_t c : timing.counts()) total += c;
  if (total == 0 || timing.first_bound_us() <= 0 || timing.growth() <= 1) return 0;
  auto bound = [&timing](int i) { return timing.first_bound_us() * std::pow(timing.growth(), i); };
  const int open = static_cast<int>(timing.buckets()) - 1;  // the open-ended bucket
  const double rank = std::clamp(q, 0.0, 1.0) * static_cast<double>(total);
  uint64_t below = 0;
  for (int i = 0; i < timing.counts_size(); ++i) {
    const uint64_t c = timing.counts(i);
    if (c > 0 && static_cast<double>(below + c) >= rank) {
      if (i >= open) return bound(open - 1);
      const double lower = i == 0 ? 0 : bound(i - 1);
      const double within = (rank - static_cast<double>(below)) / static_cast<double>(c);
      return lower + (bound(i) - lower) * std::clamp(within, 0.0, 1.0);
    }
    below += c;
  }
  return bound(std::min(timing.counts_size(), std::max(open, 1)) - 1);
}

Result<v1::ReportPage> BuildRunPage(const RunData& run, const model::DivisionTable* divisions,
                                    const RunPageOptions& options) {
  v1::ReportPage page;
  page.set_title("sortline run report");
  page.set_subtitle(run.summary.source() + " · " + GroupThousands(run.summary.lines()) +
                    " orders · " + GroupThousands(run.summary.ok()) + " ok · " +
                    GroupThousands(run.summary.failed()) + " failed");
  std::string label_size;
  if (!run.records.samples.empty()) {
    const v1::LabelRef& label = run.records.samples.front().label();
    label_size =
        PageSize((fs::path(run.labels_dir) / label.path()).string(), label.page(), options);
  }
  AddHeadline(run, label_size, page);
  AddThroughput(run, page);
  AddStages(run, page);
  AddRecords(run, divisions, page);
  AddLabelSizes(run, page);
  AddSamples(run, options, page);
  AddFailures(run, options, page);
  return page;
}

}  // namespace sortline::report
