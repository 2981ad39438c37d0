// sortline-worker: takes work from intake, sorts and labels it, stores records at dock.
#include <CLI/CLI.hpp>

#include "pipeline/runtime/worker.h"
#include "workers/common.h"
#include "workers/fault_probe.h"

int main(int argc, char** argv) {
  using namespace sortline;
  cli::BlockStopSignals();
  cli::BlockReloadSignal();
  const std::string program = "sortline-worker";
  runtime::WorkerOptions options;
  std::string divisions_dir = cli::kDefaultDivisions;
  cli::PlanFlags plan_flags;
  bool no_fsync = false;
  CLI::App app{
      "sortline-worker: asks intake for work against its credit, assigns chutes, "
      "renders each work batch's labels into one durable PDF, sends records to dock and "
      "reports work done after dock's acknowledgement. Run as many as you like, on any "
      "machine."};
  app.add_option("--intake", options.intake_endpoints,
                 "Intake work channel; repeat it (or separate by commas) for several intakes, "
                 "all of which this worker takes work from (default " +
                     options.intake_endpoint + ")")
      ->delimiter(',')
      ->allow_extra_args(false);
  app.add_option("--dock", options.dock_endpoint, "Dock records channel")->capture_default_str();
  app.add_option("--labels", options.label_dir, "Label store directory (shared by workers)")
      ->capture_default_str();
  std::string label_files(label::LabelFilesName(options.flow.label_files));
  app.add_option("--label-files", label_files,
                 "batch: one multi-page PDF per work batch, flushed once; per-parcel: one PDF "
                 "per parcel, a batch's files flushed together")
      ->capture_default_str()
      ->check(CLI::IsMember({"batch", "per-parcel"}));
  app.add_flag("--chute-order", options.flow.chute_order, "Batch file pages in chute order");
  app.add_option("--zpl", options.flow.zpl_dpi,
                 "Also a ZPL print job per batch file for a printer of this dpi")
      ->check(CLI::IsMember({203, 300}));
  cli::AddRetentionFlags(app, "label files", options.label_retention_ms, options.prune_interval_ms);
  cli::AddPlanFlags(
      app, "Sort plan directory (or CSV file); reloaded on SIGHUP and when it changes", plan_flags);
  app.add_option("--divisions", divisions_dir, "Division table directory")->capture_default_str();
  app.add_option("--name", options.name, "Peer name (default worker-<pid>-<n>)");
  app.add_option("--credit", options.credit, "Orders asked for at a time")
      ->capture_default_str()
      ->check(CLI::Range(1, 100'000));
  app.add_flag("--no-fsync", no_fsync, "Do not flush labels before sending their records");
  std::string kill_at;
  app.add_option("--fault-kill-at", kill_at,
                 "Fault injection for tests: SIGKILL this worker the N-th time (default 1) it "
                 "reaches POINT: before-render, mid-label-write, after-labels or after-dock-ack")
      ->type_name("POINT[:N]")
      ->group("Testing");
  cli::AddMetricsFlags(app, options.metrics_port, options.metrics_host);
  cli::DaemonFlags daemon_flags;
  cli::AddDaemonFlags(app, daemon_flags);
  CLI11_PARSE(app, argc, argv);
  if (daemon_flags.check) return cli::kExitOk;
  options.fsync_labels = !no_fsync;
  options.flow.label_files = label::ParseLabelFiles(label_files).value();
  Status applied = cli::ApplyDaemonFlags(daemon_flags, options.log, options.security);
  if (!applied.ok()) return cli::Fatal(program, applied);
  Result<cli::Probe> probe = cli::KillAtProbe(
      kill_at, {"before-render", "mid-label-write", "after-labels", "after-dock-ack"});
  if (!probe.ok()) return cli::Fatal(program, probe.status());
  options.probe = std::move(probe).value();

  Result<std::unique_ptr<model::DivisionTable>> divisions = cli::LoadDivisions(divisions_dir);
  if (!divisions.ok()) return cli::Fatal(program, divisions.status());
  Result<std::shared_ptr<const sort::SortPlan>> plan = cli::LoadPlan(plan_flags.path, **divisions);
  if (!plan.ok()) return cli::Fatal(program, plan.status());
  Result<std::unique_ptr<transport::Context>> context = transport::Context::Create();
  if (!context.ok()) return cli::Fatal(program, context.status());
  auto plans = std::make_shared<sort::PlanHolder>(plan.value());
  cli::PlanReloading reloading(plan_flags, divisions->get(), *plans, options.log);
  return cli::Serve(program, runtime::Worker::Open(**context, **divisions, plans, options));
}
