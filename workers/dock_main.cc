// sortline-dock: the loading-dock conveyor controller.
#include <CLI/CLI.hpp>

#include "pipeline/dock/config.h"
#include "pipeline/runtime/dock.h"
#include "workers/common.h"
#include "workers/fault_probe.h"

int main(int argc, char** argv) {
  using namespace sortline;
  cli::BlockStopSignals();
  const std::string program = "sortline-dock";
  runtime::DockOptions options;
  options.events_endpoint = "tcp://127.0.0.1:5562";
  options.telegram_port = 5563;
  options.metrics_port = 9464;
  std::string chutes_csv;
  std::string doors_csv;
  std::string byte_order = "big";
  bool fast = false;
  dock::DockConfig& config = options.config;
  CLI::App app{
      "sortline-dock: stores sort records (idempotent by order id, acknowledged after "
      "commit), answers the conveyor's \"which chute?\" from memory (ZeroMQ and TCP "
      "telegrams), follows chutes, loads trucks and writes their manifests."};
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
  app.add_option("--chutes", chutes_csv, "Chutes CSV (chute,kind,capacity,overflow,exit)");
  app.add_option("--doors", doors_csv,
                 "Doors CSV (door,routes,max_weight_kg,max_volume_m3,departure_min)");
  app.add_option("--no-read-chute", config.no_read_chute, "Chute for no-read and multi-read")
      ->capture_default_str();
  app.add_option("--no-order-chute", config.no_order_chute, "Chute for unknown barcodes")
      ->capture_default_str();
  app.add_option("--manual-chute", config.manual_chute, "Chute for weight mismatches")
      ->capture_default_str();
  app.add_option("--weight-tolerance", config.weight_tolerance_ratio,
                 "Relative weight difference sent to the manual chute")
      ->capture_default_str();
  app.add_option("--weight-tolerance-g", config.weight_tolerance_g,
                 "Absolute weight difference (g) sent to the manual chute")
      ->capture_default_str();
  app.add_flag("--no-fsync", fast, "synchronous=NORMAL: faster, may lose commits on power loss");
  std::string fault_kill_at;
  app.add_option("--fault-kill-at", fault_kill_at,
                 "Fault injection for tests: SIGKILL this process the N-th time (default 1) it "
                 "reaches POINT, one of before-commit (a record batch about to be committed), "
                 "after-commit (committed, not yet acknowledged)")
      ->type_name("POINT[:N]");
  cli::SecurityFlags security_flags;
  cli::AddSecurityFlags(app, security_flags);
  bool check_flags = false;
  cli::AddCheckFlags(app, check_flags);
  CLI11_PARSE(app, argc, argv);
  if (check_flags) return cli::kExitOk;
  Result<transport::Security> security = cli::LoadSecurity(security_flags);
  if (!security.ok()) return cli::Fatal(program, security.status());
  options.security = std::make_shared<const transport::Security>(std::move(security).value());
  Result<cli::Probe> probe = cli::KillAtProbe(fault_kill_at, {"before-commit", "after-commit"});
  if (!probe.ok()) return cli::Fatal(program, probe.status());
  options.probe = std::move(probe).value();
  options.store.synchronous_full = !fast;
  options.telegram_byte_order =
      byte_order == "little" ? dock::ByteOrder::kLittleEndian : dock::ByteOrder::kBigEndian;
  options.log = cli::StderrLogger(program);
  if (!chutes_csv.empty()) {
    Status loaded = dock::LoadChutesCsv(chutes_csv, &config);
    if (!loaded.ok()) return cli::Fatal(program, loaded);
  }
  if (!doors_csv.empty()) {
    Status loaded = dock::LoadDoorsCsv(doors_csv, &config);
    if (!loaded.ok()) return cli::Fatal(program, loaded);
  }

  Result<std::unique_ptr<transport::Context>> context = transport::Context::Create();
  if (!context.ok()) return cli::Fatal(program, context.status());
  Result<std::unique_ptr<runtime::Dock>> dock = runtime::Dock::Open(**context, options);
  if (!dock.ok()) return cli::Fatal(program, dock.status());
  runtime::Dock* service = dock->get();
  cli::StopOnSignals([service] { service->RequestStop(); });
  Status run = service->Run();
  return run.ok() ? cli::kExitOk : cli::Fatal(program, run);
}
