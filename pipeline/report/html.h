// One self-contained HTML document from a ReportPage: styles and the small script (the
// table filter) inline, charts as inline SVG from the Plotter, pictures as data: URIs.
// Nothing is fetched when the page opens, so it works offline and as an e-mail
// attachment. Every string of the page is escaped where it is drawn.
//
// For screenshots and tests, once loaded the page sets on <body> data-ready="1" and
// data-boxes: a JSON list of {"id", "x", "y", "w", "h"} (CSS pixels, document
// coordinates) of every chart and picture.
//
// Thread-safety: RenderHtml uses `plotter` (one owner) and is otherwise pure.
#ifndef PIPELINE_REPORT_HTML_H_
#define PIPELINE_REPORT_HTML_H_

#include <string>

#include "pipeline/base/result.h"
#include "pipeline/report/chart.h"
#include "proto/report.pb.h"

namespace sortline::report {

// The page as HTML. Errors: those of Plotter::Svg for a malformed chart or a failing
// gnuplot; kInvalidArgument when two sections or two charts share an id.
Result<std::string> RenderHtml(const v1::ReportPage& page, Plotter& plotter);

}  // namespace sortline::report

#endif  // PIPELINE_REPORT_HTML_H_
