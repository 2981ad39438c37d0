// pipeline/report owns the run report: one HTML file from a run's data (here), its
// pages, charts and escaping (run_page.h, chart.h, html.h).
//
// `sortline report`: one self-contained HTML file from what a run left behind, plus
// sections other tools add as data (docs/report.md), and any page given whole as data
// (bench/suite.sh's benchmarks.html).
//
// Extending the report: a tool writes a v1::ReportSection (or a v1::ReportPage, whose
// sections are taken) in the protobuf JSON mapping to <run dir>/report.d/NAME.json, or
// passes it with --section; its charts (time series with target lines, overlays on a
// second axis), tables, figures and paragraphs are drawn after the run's own sections,
// files in name order.
//
// Thread-safety: the functions are reentrant; each starts its own gnuplot processes.
#ifndef PIPELINE_REPORT_REPORT_H_
#define PIPELINE_REPORT_REPORT_H_

#include <string>
#include <vector>

#include "pipeline/base/result.h"
#include "pipeline/model/divisions.h"
#include "pipeline/report/chart.h"
#include "pipeline/report/run_page.h"
#include "proto/report.pb.h"

namespace sortline::report {

struct ReportOptions {
  std::string run;                         // a run directory or a summary file; required
  std::string out;                         // empty: <run dir>/report.html
  std::vector<std::string> section_files;  // more sections (JSON), drawn in this order
  bool read_report_dir = true;             // also <run dir>/report.d/*.json, by name
  size_t samples = 4;                      // sample labels shown
  RunPageOptions page;
  PlotterOptions plotter;
};

// Writes the report (atomically) and returns its path. Province names come from
// `divisions` (nullptr: codes). Errors: those of LoadRun, of a section file (kNotFound,
// kInvalidArgument naming it), of drawing (gnuplot missing: kNotFound), of the write.
Result<std::string> WriteRunReport(const ReportOptions& options,
                                   const model::DivisionTable* divisions);

// Draws the v1::ReportPage in `page_json` (a file) to `out`, atomically.
Status WritePageReport(const std::string& page_json, const std::string& out,
                       const PlotterOptions& plotter = {});

// The sections of a section file: a v1::ReportSection, or a v1::ReportPage's sections.
Result<std::vector<v1::ReportSection>> ReadSectionFile(const std::string& path);

}  // namespace sortline::report

#endif  // PIPELINE_REPORT_REPORT_H_
