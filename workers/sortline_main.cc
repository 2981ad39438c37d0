// sortline: the command-line front of the pipeline. Each subcommand lives in its own
// file and registers itself here (workers/commands.h).
#include <vector>

#include <CLI/CLI.hpp>

#include "pipeline/runtime/protobuf_log.h"
#include "workers/commands.h"
#include "workers/common.h"

int main(int argc, char** argv) {
  using namespace sortline::cli;
  CLI::App app{
      "sortline: parcel sorting and shipping labels for festival surges.\n"
      "Exit status: 0 all orders ok, 1 some orders failed (listed with their lines), "
      "2 could not run."};
  app.require_subcommand(1);
  sortline::LogLevel log_level = sortline::LogLevel::kWarning;
  AddLogLevelFlag(app, log_level);
  std::vector<Command> commands = {
      AddGenCommand(app),   AddRunCommand(app),  AddSubmitCommand(app), AddStatusCommand(app),
      AddLabelCommand(app), AddPlanCommand(app), AddKeysCommand(app),   AddReportCommand(app),
  };
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? kExitOk : kExitError;
  }
  sortline::runtime::RouteProtobufLogs(StderrLogger(log_level));
  for (const Command& command : commands) {
    if (command.app->parsed()) return command.run();
  }
  return kExitError;
}
