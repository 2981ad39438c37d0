#include "tests/testing/daemons.h"

#include <thread>
#include <utility>

namespace sortline::testing {
namespace {

void Append(std::vector<std::string>& argv, const std::string& flag, const std::string& value) {
  argv.push_back(flag);
  argv.push_back(value);
}

// --metrics-port only when it is not -1 (intake's and the worker's default), so a test may
// still give it among `extra`; the dock's default differs and DockArgv always gives it.
void AppendCommon(std::vector<std::string>& argv, int metrics_port, bool fsync,
                  const std::vector<std::string>& extra) {
  if (metrics_port != -1) Append(argv, "--metrics-port", std::to_string(metrics_port));
  if (!fsync) argv.push_back("--no-fsync");
  argv.insert(argv.end(), extra.begin(), extra.end());
}

std::unique_ptr<Subprocess> Start(std::vector<std::string> argv, const std::string& log_path,
                                  const std::vector<std::string>& wrapper) {
  argv.insert(argv.begin(), wrapper.begin(), wrapper.end());
  return std::make_unique<Subprocess>(argv, log_path);
}

}  // namespace

std::string Bin(const std::string& name) { return std::string(SORTLINE_BIN_DIR) + "/" + name; }

CommandResult GenerateOrdersFile(const std::string& path, int count, int seed) {
  return RunCommand(Bin("sortline") + " gen -n " + std::to_string(count) + " --seed " +
                    std::to_string(seed) + " -o " + path);
}

std::string Endpoint(int port, const std::string& host) {
  return "tcp://" + host + ":" + std::to_string(port);
}

std::vector<std::string> DockArgv(const DockFlags& flags) {
  std::vector<std::string> argv = {Bin("sortline-dock")};
  Append(argv, "--records", flags.records);
  Append(argv, "--conveyor", flags.conveyor);
  Append(argv, "--db", flags.db);
  if (!flags.manifests.empty()) Append(argv, "--manifests", flags.manifests);
  Append(argv, "--events", flags.events);
  Append(argv, "--telegram-port", std::to_string(flags.telegram_port));
  if (!flags.plan.empty()) Append(argv, "--plan", flags.plan);
  if (flags.metrics_port == -1) Append(argv, "--metrics-port", "-1");
  AppendCommon(argv, flags.metrics_port, flags.fsync, flags.extra);
  return argv;
}

std::vector<std::string> IntakeArgv(const IntakeFlags& flags) {
  std::vector<std::string> argv = {Bin("sortline-intake")};
  Append(argv, "--submit", flags.submit);
  Append(argv, "--work", flags.work);
  Append(argv, "--journal", flags.journal);
  if (flags.lease_ms > 0) Append(argv, "--lease-ms", std::to_string(flags.lease_ms));
  AppendCommon(argv, flags.metrics_port, flags.fsync, flags.extra);
  return argv;
}

std::vector<std::string> WorkerArgv(const WorkerFlags& flags) {
  std::vector<std::string> argv = {Bin("sortline-worker")};
  for (const std::string& intake : flags.intakes) Append(argv, "--intake", intake);
  Append(argv, "--dock", flags.dock);
  Append(argv, "--labels", flags.labels);
  if (!flags.name.empty()) Append(argv, "--name", flags.name);
  if (flags.credit > 0) Append(argv, "--credit", std::to_string(flags.credit));
  AppendCommon(argv, flags.metrics_port, flags.fsync, flags.extra);
  return argv;
}

std::unique_ptr<Subprocess> StartDock(const DockFlags& flags, const std::string& log_path,
                                      const std::vector<std::string>& wrapper) {
  return Start(DockArgv(flags), log_path, wrapper);
}

std::unique_ptr<Subprocess> StartIntake(const IntakeFlags& flags, const std::string& log_path,
                                        const std::vector<std::string>& wrapper) {
  return Start(IntakeArgv(flags), log_path, wrapper);
}

std::unique_ptr<Subprocess> StartWorker(const WorkerFlags& flags, const std::string& log_path,
                                        const std::vector<std::string>& wrapper) {
  return Start(WorkerArgv(flags), log_path, wrapper);
}

bool WaitReady(Subprocess& process, int metrics_port, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    const std::string response = HttpGet(metrics_port, "/readyz");
    if (response.starts_with("HTTP/") && response.find(" 200 ") < response.find('\n')) {
      return true;
    }
    if (process.Wait(std::chrono::milliseconds(100)).has_value()) return false;
  }
  return false;
}

void StartDockAndIntake(const PipelinePorts& ports, const std::string& dir,
                        const std::string& log_path,
                        std::vector<std::unique_ptr<Subprocess>>& daemons) {
  DockFlags dock;
  dock.records = Endpoint(ports.records);
  dock.conveyor = Endpoint(ports.conveyor);
  dock.db = dir + "/dock.db";
  dock.manifests = dir + "/manifests";
  daemons.push_back(StartDock(dock, log_path));
  IntakeFlags intake;
  intake.submit = Endpoint(ports.submit);
  intake.work = Endpoint(ports.work);
  intake.journal = dir + "/intake.db";
  daemons.push_back(StartIntake(intake, log_path));
}

WorkerFlags PipelineWorker(const PipelinePorts& ports, const std::string& labels,
                           const std::string& name, std::vector<std::string> extra) {
  WorkerFlags worker;
  worker.intakes = {Endpoint(ports.work)};
  worker.dock = Endpoint(ports.records);
  worker.labels = labels;
  worker.name = name;
  worker.extra = std::move(extra);
  return worker;
}

}  // namespace sortline::testing
