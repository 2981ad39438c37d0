// `sortline gen`, `run` and `submit`: making, running and submitting order batches.
#include <cstdio>
#include <memory>

#include <unistd.h>

#include "pipeline/base/file.h"
#include "pipeline/label/label.h"
#include "pipeline/label/label_store.h"
#include "pipeline/model/orders.h"
#include "pipeline/model/surge.h"
#include "pipeline/runtime/embedded.h"
#include "pipeline/runtime/submit.h"
#include "pipeline/transport/channel.h"
#include "workers/commands.h"
#include "workers/common.h"

namespace sortline::cli {
namespace {

constexpr char kProgram[] = "sortline";

struct GenOptions {
  uint64_t count = 10'000;
  std::string out = "orders.jsonl";
  uint64_t seed = 919;
  std::string divisions = kDefaultDivisions;
  std::string profile = "flat";  // flat: -n orders; surge: model::SurgeSchedule's batches
  model::SurgeOptions surge;
  std::string schedule;  // surge: the batch schedule (JSON lines); "": <out>.schedule.jsonl
};

struct RunOptions {
  runtime::EmbeddedOptions embedded;
  std::string label_files = "batch";
  std::string plan = kDefaultPlan;
  std::string divisions = kDefaultDivisions;
};

struct SubmitCliOptions {
  std::string orders;
  runtime::SubmitOptions submit;
  std::string summary_path;
  SecurityFlags security;
};

runtime::ProgressOptions ProgressOnStderr() {
  runtime::ProgressOptions options;
  options.out = stderr;
  options.terminal = ::isatty(STDERR_FILENO) == 1;
  return options;
}

// `sortline gen --profile surge`: the orders of every batch of the surge schedule, each
// order's created_unix_ms its arrival time in the compressed day (spread evenly over its
// batch's interval), and the schedule beside them.
int GenSurge(const GenOptions& options, const model::DivisionTable& divisions) {
  Status valid = model::CheckSurgeOptions(options.surge);
  if (!valid.ok()) return Fatal(kProgram, valid);
  model::GeneratorOptions gen_options;
  gen_options.seed = options.seed;
  model::OrderGenerator generator(divisions, gen_options);
  const std::vector<model::SurgeBatch> batches = model::SurgeSchedule(options.surge);
  const std::string schedule_path =
      options.schedule.empty() ? options.out + ".schedule.jsonl" : options.schedule;
  Result<std::unique_ptr<PendingFile>> out = DefaultFileSystem().CreatePending(options.out);
  if (!out.ok()) return Fatal(kProgram, out.status());
  std::string schedule;
  uint64_t orders = 0;
  const auto batch_ms = static_cast<int64_t>(options.surge.batch_seconds * 1000);
  for (const model::SurgeBatch& batch : batches) {
    schedule += model::SurgeBatchToJson(batch) + "\n";
    std::string lines;
    for (uint32_t j = 0; j < batch.orders; ++j) {
      v1::Order order = generator.Generate(batch.first_order + j);
      order.set_created_unix_ms(gen_options.start_unix_ms + batch.offset_ms +
                                batch_ms * j / batch.orders);
      lines += model::OrderToJson(order) + "\n";
    }
    Status appended = (*out)->Append(lines);
    if (!appended.ok()) return Fatal(kProgram, appended);
    orders += batch.orders;
  }
  Status committed = (*out)->Commit(Durability::kNone);
  if (!committed.ok()) return Fatal(kProgram, committed);
  Status written =
      DefaultFileSystem().WriteFileAtomically(schedule_path, schedule, Durability::kNone);
  if (!written.ok()) return Fatal(kProgram, written);
  std::printf(
      "wrote %llu orders in %zu batches (surge over %g minutes, %g orders/s at the "
      "baseline, x%g at the peak) to %s, schedule %s\n",
      static_cast<unsigned long long>(orders), batches.size(), options.surge.minutes,
      options.surge.base_rate, options.surge.peak_factor, options.out.c_str(),
      schedule_path.c_str());
  return kExitOk;
}

int Gen(const GenOptions& options) {
  Result<std::unique_ptr<model::DivisionTable>> divisions = LoadDivisions(options.divisions);
  if (!divisions.ok()) return Fatal(kProgram, divisions.status());
  if (options.profile == "surge") return GenSurge(options, **divisions);
  model::GeneratorOptions gen_options;
  gen_options.seed = options.seed;
  model::OrderGenerator generator(**divisions, gen_options);
  Result<std::unique_ptr<PendingFile>> out = DefaultFileSystem().CreatePending(options.out);
  if (!out.ok()) return Fatal(kProgram, out.status());
  runtime::ProgressOptions progress_options = ProgressOnStderr();
  progress_options.label = "orders generated";
  runtime::Progress progress(progress_options);
  progress.SetTotal(options.count);
  for (uint64_t i = 0; i < options.count; ++i) {
    Status appended = (*out)->Append(model::OrderToJson(generator.Generate(i)) + "\n");
    if (!appended.ok()) return Fatal(kProgram, appended);
    if (i % 1024 == 0) progress.Update(i, 0);
  }
  progress.Update(options.count, 0);
  progress.Finish();
  Status committed = (*out)->Commit(Durability::kNone);
  if (!committed.ok()) return Fatal(kProgram, committed);
  std::printf("wrote %llu orders to %s\n", static_cast<unsigned long long>(options.count),
              options.out.c_str());
  return kExitOk;
}

int Run(const RunOptions& options) {
  Result<std::unique_ptr<model::DivisionTable>> divisions = LoadDivisions(options.divisions);
  if (!divisions.ok()) return Fatal(kProgram, divisions.status());
  Result<std::shared_ptr<const sort::SortPlan>> plan = LoadPlan(options.plan, **divisions);
  if (!plan.ok()) return Fatal(kProgram, plan.status());
  runtime::EmbeddedOptions embedded = options.embedded;
  embedded.label_files = label::ParseLabelFiles(options.label_files).value();
  std::fprintf(stderr, "sortline run: plan %s (version %s), %d workers, output in %s\n",
               options.plan.c_str(), plan.value()->version().c_str(), embedded.workers,
               embedded.out_dir.c_str());
  runtime::Progress progress(ProgressOnStderr());
  Result<v1::RunSummary> summary =
      runtime::RunEmbedded(**divisions, plan.value(), embedded, progress);
  if (!summary.ok()) return Fatal(kProgram, summary.status());
  std::printf("%s", runtime::FormatSummary(*summary).c_str());
  std::printf("labels:  %s/ (%s files)\nrecords: %s (dock store %s)\nsummary: %s\n",
              summary->labels_dir().c_str(), options.label_files.c_str(),
              summary->records_path().c_str(), summary->dock_db_path().c_str(),
              summary->summary_path().c_str());
  std::printf("one label: sortline label get TRACKING --labels %s -o DIR\n",
              summary->labels_dir().c_str());
  return summary->failed() == 0 ? kExitOk : kExitOrdersFailed;
}

int Submit(const SubmitCliOptions& options) {
  Result<std::shared_ptr<const transport::Security>> security = LoadSecurity(options.security);
  if (!security.ok()) return Fatal(kProgram, security.status());
  runtime::SubmitOptions submit = options.submit;
  submit.security = *security;
  Result<std::unique_ptr<transport::Context>> context = transport::Context::Create();
  if (!context.ok()) return Fatal(kProgram, context.status());
  runtime::Progress progress(ProgressOnStderr());
  Result<v1::RunSummary> summary =
      runtime::SubmitOrdersFile(**context, options.orders, submit, progress);
  if (!summary.ok()) return Fatal(kProgram, summary.status());
  std::printf("%s", runtime::FormatSummary(*summary).c_str());
  if (!options.summary_path.empty()) {
    Status written = DefaultFileSystem().WriteFileAtomically(
        options.summary_path, runtime::SummaryToJson(*summary), Durability::kNone);
    if (!written.ok()) return Fatal(kProgram, written);
    std::printf("summary: %s\n", options.summary_path.c_str());
  }
  return summary->failed() == 0 ? kExitOk : kExitOrdersFailed;
}

}  // namespace

Command AddGenCommand(CLI::App& app) {
  auto gen = std::make_shared<GenOptions>();
  CLI::App* cmd = app.add_subcommand("gen", "Write N synthetic orders (one JSON per line)");
  cmd->add_option("-n,--count", gen->count, "Number of orders")->capture_default_str();
  cmd->add_option("-o,--out", gen->out, "Orders file to write")->capture_default_str();
  cmd->add_option("--seed", gen->seed, "Same seed, same orders")->capture_default_str();
  cmd->add_option("--divisions", gen->divisions, "Division table directory")->capture_default_str();
  cmd->add_option("--profile", gen->profile,
                  "flat: -n orders; surge: a festival day's arrivals over --minutes (baseline, "
                  "ramp to --peak-factor x at the opening, plateau, decline) with its batch "
                  "schedule")
      ->capture_default_str()
      ->check(CLI::IsMember({"flat", "surge"}));
  cmd->add_option("--minutes", gen->surge.minutes, "surge: length of the compressed day")
      ->capture_default_str();
  cmd->add_option("--base-rate", gen->surge.base_rate, "surge: orders/s at the baseline")
      ->capture_default_str();
  cmd->add_option("--peak-factor", gen->surge.peak_factor, "surge: the plateau over the baseline")
      ->capture_default_str();
  cmd->add_option("--batch-seconds", gen->surge.batch_seconds, "surge: one batch every so often")
      ->capture_default_str();
  cmd->add_option("--schedule", gen->schedule,
                  "surge: the batch schedule to write (JSON lines; default <out>.schedule.jsonl)");
  return {cmd, [gen] { return Gen(*gen); }};
}

Command AddRunCommand(CLI::App& app) {
  auto run = std::make_shared<RunOptions>();
  CLI::App* cmd = app.add_subcommand(
      "run", "Sort and label an orders file with the whole pipeline in this process");
  cmd->add_option("orders", run->embedded.orders_path, "Orders file (JSON lines)")->required();
  cmd->add_option("-o,--out", run->embedded.out_dir,
                  "Output directory: labels/, records.jsonl, summary.json, dock.db")
      ->capture_default_str();
  cmd->add_option("--plan", run->plan, "Sort plan: a directory of CSV tables, or its files")
      ->capture_default_str();
  cmd->add_option("--divisions", run->divisions, "Division table directory")->capture_default_str();
  cmd->add_option("--workers", run->embedded.workers, "Worker services")
      ->capture_default_str()
      ->check(CLI::Range(1, 64));
  cmd->add_option("--batch-size", run->embedded.batch_size, "Orders per submitted batch")
      ->capture_default_str()
      ->check(CLI::Range(1, 100'000));
  cmd->add_flag("--fsync", run->embedded.fsync, "Make journal, records and labels durable");
  cmd->add_option("--template", run->embedded.label_template, "Label template (default 100x150)")
      ->check(CLI::IsMember(label::TemplateNames()));
  cmd->add_option("--label-files", run->label_files,
                  "batch: one multi-page PDF per work batch (labels/batch-*.pdf); per-parcel: "
                  "one PDF per parcel (labels/<tracking>.pdf)")
      ->capture_default_str()
      ->check(CLI::IsMember({"batch", "per-parcel"}));
  cmd->add_flag("--chute-order", run->embedded.chute_order, "Batch file pages in chute order");
  cmd->add_option("--zpl", run->embedded.zpl_dpi,
                  "Also a ZPL print job per batch file for a printer of this dpi")
      ->check(CLI::IsMember({203, 300}));
  AddOrderLimitFlags(*cmd, run->embedded.order_limits);
  return {cmd, [run] { return Run(*run); }};
}

Command AddSubmitCommand(CLI::App& app) {
  auto submit = std::make_shared<SubmitCliOptions>();
  CLI::App* cmd =
      app.add_subcommand("submit", "Send an orders file to sortline-intake and wait for it");
  cmd->add_option("orders", submit->orders, "Orders file (JSON lines)")->required();
  cmd->add_option("--intake", submit->submit.intake_endpoints,
                  "Intake submit endpoint; repeat it (or separate by commas) for several intakes: "
                  "each batch goes to the one its batch id picks (default " +
                      submit->submit.intake_endpoint + ")")
      ->delimiter(',')
      ->allow_extra_args(false);
  cmd->add_option("--batch-size", submit->submit.batch_size, "Orders per batch")
      ->capture_default_str()
      ->check(CLI::Range(1, 100'000));
  cmd->add_option("--stall-timeout-ms", submit->submit.stall_timeout_ms,
                  "Give up when no order finishes for this long")
      ->capture_default_str();
  cmd->add_option("--summary", submit->summary_path, "Also write the summary as JSON");
  AddSecurityFlags(*cmd, submit->security);
  return {cmd, [submit] { return Submit(*submit); }};
}

}  // namespace sortline::cli
