// sortline-intake: journals submitted order batches and leases them to workers.
#include <CLI/CLI.hpp>
#include <unistd.h>

#include "pipeline/runtime/intake.h"
#include "workers/common.h"

int main(int argc, char** argv) {
  using namespace sortline;
  cli::BlockStopSignals();
  const std::string program = "sortline-intake";
  runtime::IntakeOptions options;
  std::string divisions_dir = cli::kDefaultDivisions;
  bool fast = false;
  CLI::App app{
      "sortline-intake: takes order batches (submit channel), journals them durably "
      "before acknowledging, and leases work to workers against their credit."};
  app.add_option("--submit", options.submit_endpoint, "Submit channel (ROUTER) to bind")
      ->capture_default_str();
  app.add_option("--work", options.work_endpoint, "Work channel (ROUTER) to bind")
      ->capture_default_str();
  app.add_option("--journal", options.journal_path, "SQLite journal file")->capture_default_str();
  app.add_option("--divisions", divisions_dir, "Division table directory")->capture_default_str();
  app.add_option("--lease-ms", options.lease_ms,
                 "A worker silent this long loses its work to others (workers beat every second)")
      ->capture_default_str()
      ->check(CLI::Range(int64_t{100}, int64_t{3'600'000}));
  app.add_option("--max-per-lease", options.max_orders_per_lease, "Orders per WorkBatch")
      ->capture_default_str();
  cli::AddRetentionFlags(app, "completed batches' orders", options.retention_ms,
                         options.prune_interval_ms);
  app.add_flag("--no-fsync", fast, "synchronous=NORMAL: faster, may lose commits on power loss");
  std::string tracking_shard;
  app.add_option("--tracking-shard", tracking_shard,
                 "With several intakes: this intake's share of the tracking number serials, N/M "
                 "(share N of M, from 0) or auto/M (N from the host name's trailing -N, as a "
                 "StatefulSet pod's); intakes sharing a range would issue the same numbers")
      ->type_name("N/M");
  cli::AddMetricsFlags(app, options.metrics_port, options.metrics_host);
  cli::AddOrderLimitFlags(app, options.order_limits);
  cli::DaemonFlags daemon_flags;
  cli::AddDaemonFlags(app, daemon_flags);
  CLI11_PARSE(app, argc, argv);
  if (!tracking_shard.empty()) {
    // --check-flags checks the spec's form wherever it runs: "auto" gets a pod-like name.
    char host[256] = "check-0";
    if (!daemon_flags.check) ::gethostname(host, sizeof host - 1);
    Result<model::S10Range> range =
        runtime::TrackingShard(options.journal.tracking_range, tracking_shard, host);
    if (!range.ok()) return cli::Fatal(program, range.status());
    options.journal.tracking_range = *range;
  }
  if (daemon_flags.check) return cli::kExitOk;
  options.journal.synchronous_full = !fast;
  Status applied = cli::ApplyDaemonFlags(daemon_flags, options.log, options.security);
  if (!applied.ok()) return cli::Fatal(program, applied);

  Result<std::unique_ptr<model::DivisionTable>> divisions = cli::LoadDivisions(divisions_dir);
  if (!divisions.ok()) return cli::Fatal(program, divisions.status());
  Result<std::unique_ptr<transport::Context>> context = transport::Context::Create();
  if (!context.ok()) return cli::Fatal(program, context.status());
  return cli::Serve(program, runtime::Intake::Open(**context, **divisions, options));
}
