// sortline-dock: the loading-dock conveyor controller.
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <limits>

#include <CLI/CLI.hpp>
#include <google/protobuf/util/json_util.h>

#include "pipeline/runtime/dock.h"
#include "workers/common.h"
#include "workers/fault_probe.h"

namespace {

using namespace sortline;

// --export-events: the event log between two times as JSON lines on stdout.
int ExportEvents(const runtime::DockOptions& options, int64_t since_s, int64_t until_s) {
  google::protobuf::util::JsonPrintOptions json;
  json.preserve_proto_field_names = true;
  std::string line;
  Status exported = store::ForEachArchivedEvent(
      options.store_path, options.retention.archive_dir, since_s * 1000, until_s * 1000,
      [&](const v1::DockEvent& event) {
        line.clear();
        if (!google::protobuf::util::MessageToJsonString(event, &line, json).ok()) return true;
        line += '\n';
        return std::fwrite(line.data(), 1, line.size(), stdout) == line.size();
      });
  if (!exported.ok()) return cli::Fatal("sortline-dock --export-events", exported);
  return std::fflush(stdout) == 0 ? cli::kExitOk : cli::kExitError;
}

}  // namespace

int main(int argc, char** argv) {
  cli::BlockStopSignals();
  cli::BlockReloadSignal();
  const std::string program = "sortline-dock";
  runtime::DockOptions options;
  options.events_endpoint = "tcp://127.0.0.1:5562";
  options.telegram_port = 5563;
  options.metrics_port = 9464;
  options.retention.enabled = true;
  cli::PlanFlags plan_flags;
  std::string byte_order = "big";
  bool fast = false;
  bool keep_events = false;
  int64_t export_since_s = -1;
  int64_t export_until_s = std::numeric_limits<int64_t>::max() / 1000;
  dock::DockConfig& config = options.config;
  CLI::App app{
      "sortline-dock: stores sort records (idempotent by order id, acknowledged after "
      "commit), answers the conveyor's \"which chute?\" from memory (ZeroMQ and TCP "
      "telegrams) with the chutes and doors of the sort plan, follows chutes, loads trucks "
      "and writes their manifests."};
  cli::AddPlanFlags(app,
                    "Sort plan directory (the workers' plan: its chutes and doors tables); "
                    "reloaded on SIGHUP and when it changes",
                    plan_flags);
  app.add_option("--records", options.records_endpoint, "Records channel (ROUTER) to bind")
      ->capture_default_str();
  app.add_option("--conveyor", options.conveyor_endpoint, "Conveyor channel (ROUTER) to bind")
      ->capture_default_str();
  app.add_option("--events", options.events_endpoint, "Events PUB endpoint (\"\": none)")
      ->capture_default_str();
  app.add_option("--telegram-port", options.telegram_port,
                 "TCP telegram port (-1: none, 0: any free port)")
      ->capture_default_str();
  app.add_option("--telegram-host", options.telegram_host, "TCP telegram address")
      ->capture_default_str();
  app.add_option("--telegram-byte-order", byte_order, "big or little")
      ->check(CLI::IsMember({"big", "little"}))
      ->capture_default_str();
  app.add_option("--metrics-port", options.metrics_port,
                 "Prometheus /metrics HTTP port (-1: none, 0: any free port)")
      ->capture_default_str();
  app.add_option("--metrics-host", options.metrics_host, "Metrics HTTP address")
      ->capture_default_str();
  app.add_option("--db", options.store_path, "SQLite record and state store")
      ->capture_default_str();
  app.add_option("--manifests", options.manifest_dir, "Directory for truck manifests")
      ->capture_default_str();
  app.add_option("--events-archive", options.retention.archive_dir,
                 "Directory of the daily event archives (default: events/ beside --db; \"\": "
                 "past days' events are deleted, not archived)");
  app.add_option("--events-keep-days", options.retention.keep_days,
                 "Days the daily event archives are kept")
      ->capture_default_str()
      ->check(CLI::Range(1, 3660));
  app.add_flag("--keep-events", keep_events, "Keep every event in the store (no retention)");
  app.add_option("--export-events", export_since_s,
                 "Print the events logged since this Unix time (seconds; archives and store) "
                 "as JSON lines, and exit")
      ->group("Export");
  app.add_option("--until", export_until_s, "With --export-events: up to this Unix time")
      ->group("Export");
  app.add_option("--weight-tolerance", config.weight_tolerance_ratio,
                 "Relative weight difference sent to the manual chute")
      ->capture_default_str();
  app.add_option("--weight-tolerance-g", config.weight_tolerance_g,
                 "Absolute weight difference (g) sent to the manual chute")
      ->capture_default_str();
  app.add_option("--remembered-transactions", config.remembered_transactions,
                 "Scan transactions remembered for repeats and divert confirmations")
      ->capture_default_str()
      ->check(CLI::Range(1, 1 << 26));
  app.add_flag("--no-fsync", fast, "synchronous=NORMAL: faster, may lose commits on power loss");
  std::string fault_kill_at;
  app.add_option("--fault-kill-at", fault_kill_at,
                 "Fault injection for tests: SIGKILL this process the N-th time (default 1) it "
                 "reaches POINT, one of before-commit (a record batch about to be committed), "
                 "after-commit (committed, not yet acknowledged)")
      ->type_name("POINT[:N]");
  cli::DaemonFlags daemon_flags;
  cli::AddDaemonFlags(app, daemon_flags);
  CLI11_PARSE(app, argc, argv);
  if (daemon_flags.check) return cli::kExitOk;
  if (app.count("--events-archive") == 0) {
    options.retention.archive_dir =
        (std::filesystem::path(options.store_path).parent_path() / "events").string();
  }
  options.retention.enabled = !keep_events;
  if (export_since_s >= 0) return ExportEvents(options, export_since_s, export_until_s);
  Status applied = cli::ApplyDaemonFlags(daemon_flags, options.log, options.security);
  if (!applied.ok()) return cli::Fatal(program, applied);
  Result<cli::Probe> probe = cli::KillAtProbe(fault_kill_at, {"before-commit", "after-commit"});
  if (!probe.ok()) return cli::Fatal(program, probe.status());
  options.probe = std::move(probe).value();
  options.store.synchronous_full = !fast;
  options.telegram_byte_order =
      byte_order == "little" ? dock::ByteOrder::kLittleEndian : dock::ByteOrder::kBigEndian;

  // The dock reads the plan's tables; the rules' division prefixes are the workers' to
  // check (`sortline plan check` does both).
  Result<std::unique_ptr<sort::SortPlan>> plan = sort::SortPlan::Load(plan_flags.path, nullptr);
  if (!plan.ok()) {
    return cli::Fatal(program, plan.status().WithContext("sort plan " + plan_flags.path));
  }
  options.plans = std::make_shared<sort::PlanHolder>(std::move(plan).value());
  cli::PlanReloading reloading(plan_flags, nullptr, *options.plans, options.log);
  Result<std::unique_ptr<transport::Context>> context = transport::Context::Create();
  if (!context.ok()) return cli::Fatal(program, context.status());
  return cli::Serve(program, runtime::Dock::Open(**context, options));
}
