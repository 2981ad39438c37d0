// The report library: escaping, charts drawn by the real gnuplot, the HTML page, and the
// run page built from a run directory's files.
#include "pipeline/report/report.h"

#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <regex>
#include <string>

#include <gmock/gmock.h>
#include <google/protobuf/util/json_util.h>
#include <gtest/gtest.h>

#include "pipeline/model/divisions.h"
#include "pipeline/report/chart.h"
#include "pipeline/report/html.h"
#include "pipeline/report/internal/escape.h"
#include "pipeline/report/run_data.h"
#include "pipeline/report/run_page.h"
#include "tests/testing/process.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/testing.h"

namespace sortline::report {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// True when `needle` occurs exactly once in `haystack`.
bool Once(const std::string& haystack, const std::string& needle) {
  const size_t first = haystack.find(needle);
  return first != std::string::npos && haystack.find(needle, first + 1) == std::string::npos;
}

std::unique_ptr<Plotter> Gnuplot() {
  Result<std::unique_ptr<Plotter>> plotter = Plotter::Open();
  EXPECT_OK(plotter);
  return plotter.ok() ? std::move(plotter).value() : nullptr;
}

v1::Chart LineChart(const std::string& id) {
  v1::Chart chart;
  chart.set_id(id);
  chart.set_kind(v1::CHART_KIND_LINES);
  v1::ChartSeries* s = chart.add_series();
  s->set_name("lag p99");
  for (int i = 0; i < 10; ++i) {
    s->add_x(i);
    s->add_y(i * i);
  }
  return chart;
}

// ---- escaping ---------------------------------------------------------------------

TEST(ReportEscape, MarkupQuotesAndControlsBecomeVisibleText) {
  EXPECT_EQ(internal::EscapeHtml("<b a=\"1\" b='2'>&</b>"),
            "&lt;b a=&quot;1&quot; b=&#39;2&#39;&gt;&amp;&lt;/b&gt;");
  EXPECT_EQ(internal::EscapeHtml(std::string("a\nb\x01\x7f", 5)), "a\\x0Ab\\x01\\x7F");
  EXPECT_EQ(internal::EscapeHtml("渭南市"), "渭南市");
}

TEST(ReportEscape, BytesThatAreNotUtf8AndInvisibleCharactersAreShownAsCodes) {
  EXPECT_EQ(internal::EscapeHtml("a\xff\xc3"), "a\\xFF\\xC3");
  EXPECT_EQ(internal::EscapeHtml("\xc0\xbc"), "\\xC0\\xBC");       // an overlong '<'
  EXPECT_EQ(internal::EscapeHtml("ab\u202Edc"), "ab\\u{202E}dc");  // right-to-left override
  EXPECT_EQ(internal::EscapeHtml("a\u200Bb"), "a\\u{200B}b");      // zero-width space
  // The same set Echo escapes and labels drop (IsControlOrInvisible): line separator,
  // Arabic letter mark, a tag character.
  EXPECT_EQ(internal::EscapeHtml("a\u2028b\u061Cc\U000E0041d"), "a\\u{2028}b\\u{061C}c\\u{E0041}d");
}

TEST(ReportShorten, CutsByCharactersAndNeverSplitsOne) {
  EXPECT_EQ(internal::Shorten("short", 8), "short");
  EXPECT_EQ(internal::Shorten("exactly8", 8), "exactly8");
  EXPECT_EQ(internal::Shorten("0123456789", 8), "0123456…");
  EXPECT_EQ(internal::Shorten("陕西省渭南市临渭区", 4), "陕西省…");
}

// ---- charts -------------------------------------------------------------------------

TEST(ReportChart, EveryKindIsDrawnByGnuplotAsOneSvgElement) {
  std::unique_ptr<Plotter> plotter = Gnuplot();
  ASSERT_NE(plotter, nullptr);
  v1::Chart lines = LineChart("lines");
  lines.mutable_series(0)->set_style(v1::SERIES_STYLE_STEPS);
  v1::ChartSeries* overlay = lines.add_series();
  overlay->set_name("profile");
  overlay->set_secondary_axis(true);
  overlay->add_x(0);
  overlay->add_y(1);
  overlay->add_x(9);
  overlay->add_y(10);
  lines.set_y2_label("× baseline");
  v1::ChartLine* target = lines.add_lines();
  target->set_label("target 10 s");
  target->set_value(10);

  v1::Chart bars;
  bars.set_id("bars");
  bars.set_kind(v1::CHART_KIND_BARS);
  bars.set_log_y(true);
  for (const char* c : {"decode", "validate", "render"}) bars.add_categories(c);
  for (const char* name : {"p50", "p99"}) {
    v1::ChartSeries* s = bars.add_series();
    s->set_name(name);
    for (double v : {3.0, 40.0, 900.0}) s->add_y(v);
  }
  v1::Chart ranked = bars;
  ranked.set_id("ranked");
  ranked.set_kind(v1::CHART_KIND_RANKED_BARS);

  for (const v1::Chart& chart : {lines, bars, ranked}) {
    Result<std::string> svg = plotter->Svg(chart);
    ASSERT_OK(svg);
    EXPECT_EQ(svg->rfind("<svg", 0), 0u) << chart.id();
    EXPECT_TRUE(Once(*svg, "<svg"));
    EXPECT_THAT(*svg, HasSubstr("</svg>"));
    EXPECT_THAT(*svg, Not(HasSubstr("<?xml")));
    EXPECT_THAT(*svg, Not(HasSubstr("no data")));
    EXPECT_THAT(*svg, Not(HasSubstr("<title>")));  // gnuplot's tooltips are removed
  }
  EXPECT_THAT(*plotter->Svg(lines), HasSubstr("target 10 s"));
  EXPECT_THAT(*plotter->Svg(bars), HasSubstr("validate"));
}

TEST(ReportChart, IdsInsideTheSvgArePrefixedSoChartsShareAPage) {
  std::unique_ptr<Plotter> plotter = Gnuplot();
  ASSERT_NE(plotter, nullptr);
  Result<std::string> svg = plotter->Svg(LineChart("lag"));
  ASSERT_OK(svg);
  const std::regex id(R"re(id=['"]([^'"]*)['"])re");
  int ids = 0;
  for (auto it = std::sregex_iterator(svg->begin(), svg->end(), id); it != std::sregex_iterator();
       ++it, ++ids) {
    EXPECT_EQ((*it)[1].str().rfind("lag-", 0), 0u) << (*it)[0];
  }
  EXPECT_GT(ids, 0);
  EXPECT_THAT(*svg, Not(HasSubstr("href='#gp")));
}

TEST(ReportChart, TextOfAChartCannotRunCommandsInGnuplot) {
  std::unique_ptr<Plotter> plotter = Gnuplot();
  ASSERT_NE(plotter, nullptr);
  testing::TempDir dir;
  const std::string witness = dir.file("ran");
  v1::Chart chart = LineChart("hostile");
  chart.set_x_label("`touch " + witness + "`");
  chart.set_y_label("' . system('touch " + witness + "') . '");
  chart.mutable_series(0)->set_name("@x \\' \" \n set output '" + witness + "'");
  Result<std::string> svg = plotter->Svg(chart);
  ASSERT_OK(svg);
  EXPECT_FALSE(std::filesystem::exists(witness));
  EXPECT_THAT(*svg, HasSubstr("system("));  // drawn as text
}

TEST(ReportChart, AChartWithoutDataSaysSo) {
  std::unique_ptr<Plotter> plotter = Gnuplot();
  ASSERT_NE(plotter, nullptr);
  v1::Chart empty;
  empty.set_id("empty");
  empty.add_series()->set_name("nothing");
  Result<std::string> svg = plotter->Svg(empty);
  ASSERT_OK(svg);
  EXPECT_THAT(*svg, HasSubstr("no data"));
}

TEST(ReportChart, MalformedChartsAreRefusedWithTheReason) {
  v1::Chart bad_id = LineChart("Bad Id");
  EXPECT_THAT(ValidateChart(bad_id), testing::StatusIs(StatusCode::kInvalidArgument));
  v1::Chart uneven = LineChart("uneven");
  uneven.mutable_series(0)->add_y(1);
  EXPECT_THAT(ValidateChart(uneven),
              testing::StatusIs(StatusCode::kInvalidArgument, HasSubstr("10 x for 11 y")));
  v1::Chart bars;
  bars.set_id("bars");
  bars.set_kind(v1::CHART_KIND_BARS);
  bars.add_categories("a");
  bars.add_series()->add_y(1);
  bars.mutable_series(0)->add_y(2);
  EXPECT_THAT(ValidateChart(bars).message(), HasSubstr("2 values for 1 categories"));
  v1::Chart infinite = LineChart("inf");
  infinite.mutable_series(0)->set_y(3, std::numeric_limits<double>::infinity());
  EXPECT_EQ(ValidateChart(infinite).code(), StatusCode::kInvalidArgument);
}

// ---- the page -----------------------------------------------------------------------

TEST(ReportHtml, EveryStringOfThePageIsEscapedAndNothingIsFetched) {
  std::unique_ptr<Plotter> plotter = Gnuplot();
  ASSERT_NE(plotter, nullptr);
  const std::string evil = "<script>alert(1)</script><img src=http://x/>";
  v1::ReportPage page;
  page.set_title(evil);
  page.set_subtitle(evil);
  v1::ReportSection* s = page.add_sections();
  s->set_id("s\"><script>");
  s->set_title(evil);
  s->add_paragraphs(evil);
  v1::Figure* f = s->add_figures();
  f->set_id(evil);
  f->set_label(evil);
  f->set_value(evil);
  f->set_detail(evil);
  v1::Chart* chart = s->add_charts();
  *chart = LineChart("c");
  chart->set_title(evil);
  chart->set_caption(evil);
  chart->set_x_label(evil);
  v1::ReportTable* t = s->add_tables();
  t->set_searchable(true);
  t->set_caption(evil);
  t->add_header(evil);
  t->add_rows()->add_cells(evil);
  v1::ReportImage* image = s->add_images();
  image->set_caption(evil);
  image->set_alt(evil);
  image->set_png("\x89PNG");
  Result<std::string> html = RenderHtml(page, *plotter);
  ASSERT_OK(html);
  EXPECT_TRUE(Once(*html, "<script"));  // the page's own
  EXPECT_THAT(*html, Not(HasSubstr("<img src=http")));
  EXPECT_THAT(*html, Not(HasSubstr("src=\"http")));
  EXPECT_THAT(*html, HasSubstr("src=\"data:image/png;base64,iVBORw==\""));
  EXPECT_THAT(*html, HasSubstr("&lt;script&gt;alert(1)&lt;/script&gt;"));
}

TEST(ReportHtml, TwoSectionsOrChartsWithOneIdAreRefused) {
  std::unique_ptr<Plotter> plotter = Gnuplot();
  ASSERT_NE(plotter, nullptr);
  v1::ReportPage page;
  page.add_sections()->set_id("a");
  page.add_sections()->set_id("a");
  EXPECT_EQ(RenderHtml(page, *plotter).status().code(), StatusCode::kInvalidArgument);
  v1::ReportPage charts;
  v1::ReportSection* s = charts.add_sections();
  s->set_id("s");
  *s->add_charts() = LineChart("same");
  *s->add_charts() = LineChart("same");
  EXPECT_EQ(RenderHtml(charts, *plotter).status().code(), StatusCode::kInvalidArgument);
}

// ---- the run page -------------------------------------------------------------------

class RunDir {
 public:
  RunDir() {
    summary_.set_source("orders.jsonl");
    summary_.set_lines(10);
    summary_.set_ok(8);
    summary_.set_failed(2);
    summary_.set_elapsed_seconds(2);
    summary_.set_orders_per_second(4);
    for (int i = 0; i <= 4; ++i) {
      v1::TimelinePoint* p = summary_.add_timeline();
      p->set_seconds(i * 0.5);
      p->set_read(10);
      p->set_accepted(std::min(10, i * 5));
      p->set_finished(std::min(10, i * 3));
    }
    v1::OrderFailure* f = summary_.add_failures();
    f->set_line(3);
    f->set_order_id("A-very-long-order-id-that-goes-on-and-on-<b>");
    f->set_reason("unknown division code 999999");
    f = summary_.add_failures();
    f->set_line(7);
    f->set_reason("malformed order: Unexpected token.");
    (*summary_.mutable_failed_by_reason())["unknown division code"] = 1;
    (*summary_.mutable_failed_by_reason())["malformed order"] = 1;
  }
  v1::RunSummary& summary() { return summary_; }
  std::string path() const { return dir_.path().string(); }
  std::string file(const std::string& name) const { return dir_.file(name); }

  void AddRecord(const std::string& chute, const std::string& door, const std::string& division,
                 uint32_t bytes, uint32_t page = 0) {
    v1::SortRecord r;
    r.set_order_id("O" + std::to_string(records_.size()));
    r.set_tracking_number("EA00000000" + std::to_string(records_.size()) + "CN");
    r.set_chute(chute);
    r.set_dock_door(door);
    r.set_division_code(division);
    r.set_outcome(v1::OUTCOME_SORTED);
    r.set_plan_version("abc");
    r.mutable_label()->set_path("missing-" + std::to_string(records_.size()) + ".pdf");
    r.mutable_label()->set_page(page);
    r.mutable_label()->set_bytes(bytes);
    std::string json;
    ASSERT_TRUE(google::protobuf::util::MessageToJsonString(r, &json).ok());
    records_ += json + "\n";
  }

  void Write() {
    std::string json;
    ASSERT_TRUE(google::protobuf::util::MessageToJsonString(summary_, &json).ok());
    std::ofstream(file("summary.json")) << json;
    if (!records_.empty()) std::ofstream(file("records.jsonl")) << records_;
  }

 private:
  testing::TempDir dir_;
  v1::RunSummary summary_;
  std::string records_;
};

const v1::ReportSection* Section(const v1::ReportPage& page, const std::string& id) {
  for (const v1::ReportSection& s : page.sections()) {
    if (s.id() == id) return &s;
  }
  return nullptr;
}

const v1::Chart* Chart(const v1::ReportPage& page, const std::string& id) {
  for (const v1::ReportSection& s : page.sections()) {
    for (const v1::Chart& c : s.charts()) {
      if (c.id() == id) return &c;
    }
  }
  return nullptr;
}

std::string FigureValue(const v1::ReportPage& page, const std::string& id) {
  for (const v1::ReportSection& s : page.sections()) {
    for (const v1::Figure& f : s.figures()) {
      if (f.id() == id) return f.value();
    }
  }
  return "";
}

TEST(ReportRunPage, ASubmitSummaryAloneGivesTheHeadlineThroughputAndFailures) {
  RunDir run;
  run.Write();
  Result<RunData> data = LoadRun(run.file("summary.json"));
  ASSERT_OK(data);
  EXPECT_TRUE(data->records_path.empty());
  Result<v1::ReportPage> page = BuildRunPage(*data, nullptr);
  ASSERT_OK(page);
  EXPECT_EQ(FigureValue(*page, "orders"), "10");
  EXPECT_EQ(FigureValue(*page, "ok"), "8");
  EXPECT_EQ(FigureValue(*page, "failed"), "2");
  // Rates between timeline points: 10 orders journaled in the first second, settled 6/s.
  const v1::Chart* throughput = Chart(*page, "throughput");
  ASSERT_NE(throughput, nullptr);
  ASSERT_EQ(throughput->series_size(), 2);
  EXPECT_DOUBLE_EQ(throughput->series(0).y(0), 6);
  EXPECT_DOUBLE_EQ(throughput->series(1).y(0), 10);
  EXPECT_DOUBLE_EQ(throughput->series(1).y(2), 0);

  const v1::ReportSection* failures = Section(*page, "failures");
  ASSERT_NE(failures, nullptr);
  ASSERT_EQ(failures->tables_size(), 1);
  const v1::ReportTable& table = failures->tables(0);
  EXPECT_TRUE(table.searchable());
  ASSERT_EQ(table.rows_size(), 2);
  EXPECT_EQ(table.rows(0).cells(0), "3");
  EXPECT_EQ(table.rows(0).cells(1), "A-very-long-order-id-th…");
  EXPECT_EQ(table.rows(1).cells(1), "");
  EXPECT_EQ(table.rows(1).cells(2), "malformed order: Unexpected token.");
}

TEST(ReportRunPage, RecordsAreCountedPerChuteDoorProvinceAndLabelSize) {
  RunDir run;
  run.AddRecord("C001", "D01", "610502", 4000);
  run.AddRecord("C001", "D01", "610502001", 4100);
  run.AddRecord("C002", "D02", "450802", 5000);
  run.AddRecord("C003", "D02", "", 6000, /*page=*/3);
  run.Write();
  Result<std::unique_ptr<model::DivisionTable>> divisions =
      model::DivisionTable::Load(testing::DivisionsDir(), false);
  ASSERT_OK(divisions);
  Result<RunData> data = LoadRun(run.path());
  ASSERT_OK(data);
  EXPECT_EQ(data->records.records, 4u);
  EXPECT_EQ(data->records.labels_in_batch_files, 1u);
  Result<v1::ReportPage> page = BuildRunPage(*data, divisions->get());
  ASSERT_OK(page);

  const v1::Chart* doors = Chart(*page, "doors");
  ASSERT_NE(doors, nullptr);
  EXPECT_THAT(doors->categories(), ::testing::ElementsAre("D01", "D02"));
  EXPECT_THAT(doors->series(0).y(), ::testing::ElementsAre(2, 2));
  const v1::Chart* provinces = Chart(*page, "provinces");
  ASSERT_NE(provinces, nullptr);
  EXPECT_THAT(provinces->categories(),
              ::testing::ElementsAre("陕西省", "(no division code)", "广西壮族自治区"));
  EXPECT_THAT(provinces->series(0).y(), ::testing::ElementsAre(2, 1, 1));
  const v1::Chart* sizes = Chart(*page, "label-sizes");
  ASSERT_NE(sizes, nullptr);
  double labels = 0;
  for (double y : sizes->series(0).y()) labels += y;
  EXPECT_EQ(labels, 4);
  EXPECT_EQ(FigureValue(*page, "top-chute-count"), "2");
  EXPECT_EQ(FigureValue(*page, "label-mode"), "mixed");

  // The sample labels' files do not exist: each is explained instead of drawn.
  const v1::ReportSection* samples = Section(*page, "samples");
  ASSERT_NE(samples, nullptr);
  EXPECT_EQ(samples->images_size(), 0);
  ASSERT_GE(samples->paragraphs_size(), 1);
  EXPECT_THAT(samples->paragraphs(0), HasSubstr("could not be rendered"));
}

TEST(ReportRunPage, StageTimingsGiveInterpolatedPercentiles) {
  v1::StageTiming t;  // bounds 10, 20, 40 µs, then open-ended
  t.set_stage("render");
  t.set_first_bound_us(10);
  t.set_growth(2);
  t.set_buckets(4);
  for (uint64_t c : {0, 50, 50}) t.add_counts(c);
  t.set_count(100);
  EXPECT_DOUBLE_EQ(Quantile(t, 0.25), 15);
  EXPECT_DOUBLE_EQ(Quantile(t, 0.5), 20);
  EXPECT_DOUBLE_EQ(Quantile(t, 0.75), 30);
  EXPECT_DOUBLE_EQ(Quantile(t, 1.0), 40);
  t.add_counts(10);  // slower than the last bound: the last bound
  EXPECT_DOUBLE_EQ(Quantile(t, 0.99), 40);
  EXPECT_EQ(Quantile(v1::StageTiming(), 0.5), 0);
}

TEST(ReportRunPage, BrokenRecordLineIsAnErrorNamingFileAndLine) {
  RunDir run;
  run.Write();
  std::ofstream(run.file("records.jsonl")) << "{\"chute\": \"C001\"}\n{not json\n";
  Result<RunData> data = LoadRun(run.path());
  EXPECT_THAT(data, testing::StatusIs(StatusCode::kInvalidArgument, HasSubstr("records.jsonl:2")));
  EXPECT_THAT(LoadRun(run.file("nothing-here")), testing::StatusIs(StatusCode::kNotFound));
}

// ---- sections from data files (how the rehearsal adds its time series) ---------------

TEST(ReportFile, SectionFilesInReportDirAreDrawnAfterTheRunsOwn) {
  RunDir run;
  run.Write();
  std::filesystem::create_directories(run.file("report.d"));
  std::ofstream(run.file("report.d/10-lag.json")) << R"({
    "id": "rehearsal-lag", "title": "Order to dock-record lag",
    "charts": [{"id": "lag", "kind": "CHART_KIND_LINES", "title": "lag p99",
                "series": [{"name": "p99", "x": [0, 1, 2], "y": [0.5, 4, 1.2]},
                           {"name": "surge profile", "x": [0, 1, 2], "y": [1, 10, 1],
                            "secondaryAxis": true}],
                "lines": [{"label": "target 10 s", "value": 10}]}]})";
  std::ofstream(run.file("report.d/20-page.json"))
      << R"({"sections": [{"id": "more", "title": "More", "paragraphs": ["from a page file"]}]})";
  ReportOptions options;
  options.run = run.path();
  Result<std::string> out = WriteRunReport(options, nullptr);
  ASSERT_OK(out);
  EXPECT_EQ(*out, run.file("report.html"));
  const std::string html = testing::ReadFile(*out);
  const size_t failures = html.find("<section id=\"failures\"");
  const size_t lag = html.find("<section id=\"rehearsal-lag\"");
  const size_t more = html.find("<section id=\"more\"");
  ASSERT_NE(lag, std::string::npos);
  ASSERT_NE(more, std::string::npos);
  EXPECT_LT(failures, lag);
  EXPECT_LT(lag, more);
  EXPECT_THAT(html, HasSubstr("target 10 s"));
  EXPECT_THAT(html, HasSubstr("surge profile"));

  // A misspelt field is an error naming the file, not a silently empty chart.
  std::ofstream(run.file("report.d/30-typo.json")) << R"({"id": "x", "chrts": []})";
  Result<std::string> refused = WriteRunReport(options, nullptr);
  EXPECT_THAT(refused, testing::StatusIs(StatusCode::kInvalidArgument, HasSubstr("30-typo.json")));
}

}  // namespace
}  // namespace sortline::report
