// The subcommands of `sortline`. Each Add*Command adds its subcommand (flags, help) to
// `app` and returns the function that runs it once the command line is parsed; that
// function returns the process exit code (kExitOk, kExitOrdersFailed, kExitError).
#ifndef WORKERS_COMMANDS_H_
#define WORKERS_COMMANDS_H_

#include <functional>

#include <CLI/CLI.hpp>

namespace sortline::cli {

using CommandRun = std::function<int()>;

struct Command {
  CLI::App* app = nullptr;
  CommandRun run;
};

Command AddGenCommand(CLI::App& app);     // batch_commands.cc
Command AddRunCommand(CLI::App& app);     // batch_commands.cc
Command AddSubmitCommand(CLI::App& app);  // batch_commands.cc
Command AddStatusCommand(CLI::App& app);  // status_command.cc
Command AddLabelCommand(CLI::App& app);   // label_command.cc
Command AddPlanCommand(CLI::App& app);    // plan_command.cc
Command AddKeysCommand(CLI::App& app);    // keys_command.cc
Command AddReportCommand(CLI::App& app);  // report_command.cc

}  // namespace sortline::cli

#endif  // WORKERS_COMMANDS_H_
