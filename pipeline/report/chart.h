// Charts of the report, drawn by gnuplot (Debian gnuplot-nox) as SVG for inlining in
// one self-contained HTML page. A chart is data (v1::Chart, proto/report.proto): the
// report builds them from a run, and other tools write them as JSON (docs/report.md).
//
// Why gnuplot: one small C program with no runtime of its own, started per chart in
// tens of milliseconds, driven by a script on its standard input with the data inline
// (no temporary files), and its SVG is plain (text as <text>, which the browser draws
// with the system's CJK fonts). The benchmark suite's shell and Python can call the
// same program.
//
// Thread-safety: a Plotter is not thread-safe; one owner. GnuplotScript is pure.
#ifndef PIPELINE_REPORT_CHART_H_
#define PIPELINE_REPORT_CHART_H_

#include <chrono>
#include <memory>
#include <string>

#include "pipeline/base/result.h"
#include "proto/report.pb.h"

namespace sortline::report {

struct PlotterOptions {
  std::string gnuplot = "gnuplot";            // the program; a bare name is looked up on PATH
  int width = 640;                            // SVG viewBox of a chart, in CSS pixels; bar charts
  int height = 360;                           // grow with their categories (see GnuplotScript)
  std::chrono::milliseconds timeout{30'000};  // per chart
};

class Plotter {
 public:
  // kNotFound, saying which package to install, when `options.gnuplot` cannot be run.
  static Result<std::unique_ptr<Plotter>> Open(const PlotterOptions& options = {});
  virtual ~Plotter() = default;

  // The chart as one <svg> element (no XML prolog), every id in it prefixed with
  // "<chart.id>-" so several charts can share a page. A chart without any data point
  // is drawn as an empty frame saying "no data". kInvalidArgument when the chart is
  // malformed (series lengths disagree, an id outside [a-z0-9-]); kInternal when
  // gnuplot fails, with its message.
  virtual Result<std::string> Svg(const v1::Chart& chart) = 0;
};

// The gnuplot script that draws `chart` as SVG on standard output. Every string of the
// chart is passed as a single-quoted gnuplot string (no escapes, no command or macro
// substitution), with ' drawn as ’ and control characters as spaces.
// REQUIRES: ValidateChart(chart).ok().
std::string GnuplotScript(const v1::Chart& chart, const PlotterOptions& options);

// Checks what GnuplotScript relies on: a valid id, y values finite, x and y of equal
// length for line series, one y per category for bar series.
Status ValidateChart(const v1::Chart& chart);

}  // namespace sortline::report

#endif  // PIPELINE_REPORT_CHART_H_
