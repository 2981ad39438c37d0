// The one way tests start the daemons (sortline-dock, sortline-intake, sortline-worker)
// as real processes: a flags struct per daemon whose defaults suit a test (nothing on a
// fixed port, every channel the test does not name switched off), the command line built
// from it in one place, and a wait for the daemon's /readyz.
//
//   DockFlags dock;
//   dock.records = Endpoint(FreeLoopbackPort());
//   ...
//   dock.metrics_port = FreeLoopbackPort();
//   std::unique_ptr<Subprocess> process = StartDock(dock, dir.file("dock.log"));
//   ASSERT_TRUE(WaitReady(*process, dock.metrics_port, std::chrono::seconds(30)));
//
// Thread-safety: used from one test thread (Subprocess's rule).
#ifndef TESTS_TESTING_DAEMONS_H_
#define TESTS_TESTING_DAEMONS_H_

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "tests/testing/process.h"

namespace sortline::testing {

// The path of a built executable (sortline, sortline-intake, ...).
std::string Bin(const std::string& name);

// `sortline gen -n count --seed seed -o path`: synthetic orders from the real division
// table, the same file for the same count and seed. Check `exit_code` (and `output`).
CommandResult GenerateOrdersFile(const std::string& path, int count, int seed);

// "tcp://`host`:`port`".
std::string Endpoint(int port, const std::string& host = "127.0.0.1");

// sortline-dock's flags. The daemon's own defaults bind fixed ports (events 5562,
// telegram 5563, metrics 9464); these defaults bind none of them.
struct DockFlags {
  std::string records;             // --records endpoint; REQUIRED
  std::string conveyor;            // --conveyor endpoint; REQUIRED
  std::string db;                  // --db; REQUIRED
  std::string manifests;           // --manifests; "" = the dock's default (./manifests)
  std::string events;              // --events endpoint; "" = no events channel
  int telegram_port = -1;          // --telegram-port; -1 = none, 0 = any free port
  int metrics_port = -1;           // --metrics-port; -1 = none, 0 = any free port
  std::string plan;                // --plan; "" = the dock's default
  bool fsync = true;               // false: --no-fsync
  std::vector<std::string> extra;  // further flags, appended as given
};

// sortline-intake's flags.
struct IntakeFlags {
  std::string submit;              // --submit endpoint; REQUIRED
  std::string work;                // --work endpoint; REQUIRED
  std::string journal;             // --journal; REQUIRED
  int lease_ms = 0;                // --lease-ms; 0 = intake's default
  int metrics_port = -1;           // --metrics-port; -1 = none, 0 = any free port
  bool fsync = true;               // false: --no-fsync
  std::vector<std::string> extra;  // further flags, appended as given
};

// sortline-worker's flags.
struct WorkerFlags {
  std::vector<std::string> intakes;  // one --intake per endpoint; REQUIRED
  std::string dock;                  // --dock (records) endpoint; REQUIRED
  std::string labels;                // --labels directory; REQUIRED
  std::string name;                  // --name; "" = the worker's default (worker-<pid>-<n>)
  int credit = 0;                    // --credit; 0 = the worker's default
  int metrics_port = -1;             // --metrics-port; -1 = none, 0 = any free port
  bool fsync = true;                 // false: --no-fsync
  std::vector<std::string> extra;    // further flags, appended as given
};

// The command lines, program path first.
std::vector<std::string> DockArgv(const DockFlags& flags);
std::vector<std::string> IntakeArgv(const IntakeFlags& flags);
std::vector<std::string> WorkerArgv(const WorkerFlags& flags);

// Starts the daemon with its stdout and stderr appended to `log_path`. `wrapper` goes
// before the program, its first word a path (e.g. {"/usr/sbin/ip", "netns", "exec",
// "ns1"} or {"/usr/bin/env", "LD_PRELOAD=..."}). Throws as Subprocess does when it cannot
// be started.
std::unique_ptr<Subprocess> StartDock(const DockFlags& flags, const std::string& log_path,
                                      const std::vector<std::string>& wrapper = {});
std::unique_ptr<Subprocess> StartIntake(const IntakeFlags& flags, const std::string& log_path,
                                        const std::vector<std::string>& wrapper = {});
std::unique_ptr<Subprocess> StartWorker(const WorkerFlags& flags, const std::string& log_path,
                                        const std::vector<std::string>& wrapper = {});

// Waits until GET /readyz on 127.0.0.1:`metrics_port` answers 200: true then; false when
// `process` ended first or `timeout` passed.
bool WaitReady(Subprocess& process, int metrics_port, std::chrono::milliseconds timeout);

// Free loopback ports for the submit, work, records and conveyor channels.
struct PipelinePorts {
  int submit = FreeLoopbackPort();
  int work = FreeLoopbackPort();
  int records = FreeLoopbackPort();
  int conveyor = FreeLoopbackPort();
};

// The dock and intake every multi-process test needs, on `ports` with their databases
// in `dir` (dock.db, intake.db, manifests/) and their output appended to `log_path`;
// appended to `daemons`.
void StartDockAndIntake(const PipelinePorts& ports, const std::string& dir,
                        const std::string& log_path,
                        std::vector<std::unique_ptr<Subprocess>>& daemons);
// A worker of that pipeline named `name`, its labels in `labels`, with `extra` flags.
WorkerFlags PipelineWorker(const PipelinePorts& ports, const std::string& labels,
                           const std::string& name, std::vector<std::string> extra = {});

}  // namespace sortline::testing

#endif  // TESTS_TESTING_DAEMONS_H_
