// The report page of one run: the headline, the charts (throughput over the run, stage
// latencies, records by outcome, parcels per chute and per dock door, parcels by
// destination province, label sizes), sample labels rendered to PNG with poppler's
// pdftoppm, and the searchable failures table. The page is data (v1::ReportPage); html.h
// draws it.
//
// Thread-safety: BuildRunPage is reentrant (it starts pdftoppm/pdfinfo per sample).
#ifndef PIPELINE_REPORT_RUN_PAGE_H_
#define PIPELINE_REPORT_RUN_PAGE_H_

#include <chrono>
#include <string>

#include "pipeline/base/result.h"
#include "pipeline/model/divisions.h"
#include "pipeline/report/run_data.h"
#include "proto/report.pb.h"

namespace sortline::report {

struct RunPageOptions {
  size_t max_failures_listed = 10'000;  // rows of the failures table; all are in the summary
  size_t order_id_chars = 24;           // order ids longer than this are shortened
  size_t reason_chars = 160;            // and reasons longer than this
  int sample_dpi = 96;                  // screen resolution of the sample pictures
  std::string pdftoppm = "pdftoppm";    // poppler-utils
  std::string pdfinfo = "pdfinfo";
  std::chrono::milliseconds tool_timeout{30'000};
};

// The page for `run`. Province names come from `divisions` (nullptr: codes only). A
// sample whose label cannot be rendered is listed with the reason instead of its
// picture; that is not an error.
Result<v1::ReportPage> BuildRunPage(const RunData& run, const model::DivisionTable* divisions,
                                    const RunPageOptions& options = {});

// Quantile `q` (0..1) of a stage's durations in microseconds, interpolated linearly
// within its bucket; 0 when it has no observations; the last finite bound when it falls
// in the open-ended bucket.
double Quantile(const v1::StageTiming& timing, double q);

}  // namespace sortline::report

#endif  // PIPELINE_REPORT_RUN_PAGE_H_
