// pipeline/runtime owns the processes as libraries that workers/ mains call: intake
// (intake.h), worker (worker.h), dock (dock.h), the submitting client (submit.h), all of
// them in one process (here), and what they share to be observed and to report.
//
// `sortline run`: the whole pipeline in one process. Intake, workers and dock are the
// same code as the daemons, joined over inproc:// channels of one Context; the orders
// file goes in through the submit channel like any other client's.
//
// Thread-safety: RunEmbedded blocks the calling thread and runs the services on their
// own threads until the batch is complete.
#ifndef PIPELINE_RUNTIME_EMBEDDED_H_
#define PIPELINE_RUNTIME_EMBEDDED_H_

#include <memory>
#include <string>

#include "pipeline/base/result.h"
#include "pipeline/label/label_store.h"
#include "pipeline/model/divisions.h"
#include "pipeline/model/orders.h"
#include "pipeline/runtime/progress.h"
#include "pipeline/runtime/submit.h"
#include "pipeline/sort/sort_plan.h"

namespace sortline::runtime {

struct EmbeddedOptions {
  std::string orders_path;               // required
  std::string out_dir = "sortline-out";  // labels/, intake.db, dock.db, records.jsonl, summary.json
  int workers = 2;                       // worker services (each runs a parallel TBB flow)
  bool fsync = false;                    // durable journal/labels/records; off for a one-shot batch
  uint32_t batch_size = 2000;            // orders per submitted batch
  std::string label_template;            // empty: the default, "100x150"
  // Batch: one multi-page PDF per work batch in labels/ (see label_store.h); per parcel:
  // one PDF per parcel.
  label::LabelFiles label_files = label::LabelFiles::kBatch;
  bool chute_order = false;         // batch file pages in chute order
  int zpl_dpi = 0;                  // also a ZPL print job per batch at this dpi; 0: none
  model::OrderLimits order_limits;  // plausibility limits applied at intake
};

// Runs the batch and returns its summary, with the output paths filled in. Non-OK
// only when the pipeline itself could not run; orders that failed are in the summary.
Result<v1::RunSummary> RunEmbedded(const model::DivisionTable& divisions,
                                   std::shared_ptr<const sort::SortPlan> plan,
                                   const EmbeddedOptions& options, Progress& progress);

}  // namespace sortline::runtime

#endif  // PIPELINE_RUNTIME_EMBEDDED_H_
