// sortline-dock: the loading-dock conveyor controller.
#include <CLI/CLI.hpp>

#include "pipeline/runtime/dock.h"
#include "workers/common.h"

int main(int argc, char** argv) {
  using namespace sortline;
  cli::BlockStopSignals();
  const std::string program = "sortline-dock";
  runtime::DockOptions options;
  bool fast = false;
  CLI::App app{
      "sortline-dock: stores sort records (idempotent by order id, acknowledged after "
      "commit) and answers the conveyor's \"which chute for this barcode?\"."};
  app.add_option("--records", options.records_endpoint, "Records channel (ROUTER) to bind")
      ->capture_default_str();
  app.add_option("--conveyor", options.conveyor_endpoint, "Conveyor channel (ROUTER) to bind")
      ->capture_default_str();
  app.add_option("--db", options.store_path, "SQLite record store")->capture_default_str();
  app.add_option("--no-read-chute", options.no_read_chute, "Chute for no-read and multi-read")
      ->capture_default_str();
  app.add_option("--no-order-chute", options.no_order_chute, "Chute for unknown barcodes")
      ->capture_default_str();
  app.add_flag("--no-fsync", fast, "synchronous=NORMAL: faster, may lose commits on power loss");
  CLI11_PARSE(app, argc, argv);
  options.store.synchronous_full = !fast;
  options.log = cli::StderrLogger(program);

  Result<std::unique_ptr<transport::Context>> context = transport::Context::Create();
  if (!context.ok()) return cli::Fatal(program, context.status());
  Result<std::unique_ptr<runtime::Dock>> dock = runtime::Dock::Open(**context, options);
  if (!dock.ok()) return cli::Fatal(program, dock.status());
  runtime::Dock* service = dock->get();
  cli::StopOnSignals([service] { service->RequestStop(); });
  Status run = service->Run();
  return run.ok() ? cli::kExitOk : cli::Fatal(program, run);
}
