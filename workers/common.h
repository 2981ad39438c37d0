// What the executables share: loading the division table and the plan with friendly
// errors, the plan flags and reloading, the CURVE security flags, serving a service until
// SIGINT/SIGTERM, and a stderr logger with its --log-level.
//
// Thread-safety: call BlockStopSignals before starting any thread.
#ifndef WORKERS_COMMON_H_
#define WORKERS_COMMON_H_

#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "pipeline/base/log.h"
#include "pipeline/base/result.h"
#include "pipeline/model/divisions.h"
#include "pipeline/model/orders.h"
#include "pipeline/sort/plan_holder.h"
#include "pipeline/sort/sort_plan.h"
#include "pipeline/transport/security.h"

namespace CLI {
class App;
}  // namespace CLI

namespace sortline::cli {

// Compiled-in defaults: the division table and plan shipped in the source tree.
inline const char* kDefaultDivisions = SORTLINE_DATA_DIR;
inline const char* kDefaultPlan = SORTLINE_DEFAULT_PLAN;

// Exit codes shared by every executable.
inline constexpr int kExitOk = 0;
inline constexpr int kExitOrdersFailed = 1;  // ran, but some orders failed
inline constexpr int kExitError = 2;         // could not run (bad flags, files, peers)

Result<std::unique_ptr<model::DivisionTable>> LoadDivisions(const std::string& dir);
Result<std::shared_ptr<const sort::SortPlan>> LoadPlan(const std::string& path,
                                                       const model::DivisionTable& divisions);

// --plan PATH and --plan-poll-ms of a daemon that serves a sort plan and reloads it.
struct PlanFlags {
  std::string path = kDefaultPlan;
  int poll_ms = 500;
};
// Adds both flags to `app`; `plan_help` describes --plan. `flags` must outlive parsing.
void AddPlanFlags(CLI::App& app, const std::string& plan_help, PlanFlags& flags);

// Reloads the plan `holder` serves from the --plan files on SIGHUP and, checking every
// --plan-poll-ms, when they change; until destroyed. `divisions` (null: the rules'
// division prefixes are not checked) and `holder` must outlive it. Thread-safety: it
// reloads on threads of its own; construct and destroy it on one thread.
// REQUIRES: BlockReloadSignal() was called.
class PlanReloading {
 public:
  PlanReloading(const PlanFlags& flags, const model::DivisionTable* divisions,
                sort::PlanHolder& holder, LogSink log);

 private:
  sort::PlanReloader reloader_;
  std::jthread on_hangup_;  // declared after reloader_: stops before it goes
};

// --curve-key FILE (this process's key pair, from `sortline keys gen`) and --curve-keys
// FILE (the keys table: role,name,public_key). Both or neither; neither is plaintext.
struct SecurityFlags {
  std::string key_file;
  std::string keys_table;
};
// Adds both flags to `app`, each requiring the other. `flags` must outlive parsing.
void AddSecurityFlags(CLI::App& app, SecurityFlags& flags);
// The Security the flags name, shared as the services' options hold it: disabled when
// neither is given; kInvalidArgument when only one is; the errors of
// transport::LoadSecurity otherwise.
Result<std::shared_ptr<const transport::Security>> LoadSecurity(const SecurityFlags& flags);

// --check-flags: the command line is parsed and checked, then the program exits 0
// without opening or starting anything (deploy/k8s's test checks every container's
// command with it). Test `check` after parsing. `check` must outlive parsing.
void AddCheckFlags(CLI::App& app, bool& check);

// --metrics-port and --metrics-host of a daemon (the Prometheus page with its /healthz
// and /readyz probes). `port` and `host` keep their defaults when not given.
void AddMetricsFlags(CLI::App& app, int& port, std::string& host);
// The plausibility limits of model::OrderLimits as flags, each defaulting to the
// library's default (--max-weight-g, --max-side-mm, --max-value-fen, --min-created-ms,
// --max-created-ms, --max-text-bytes), in a group of their own in --help. `limits` must
// outlive parsing.
void AddOrderLimitFlags(CLI::App& app, model::OrderLimits& limits);

// --retention-s and --prune-every-s: how long a daemon keeps completed work (journal
// rows, label files) and how often it looks for what is older. `retention_ms` and
// `prune_interval_ms` hold the defaults on entry (shown in --help) and the values after
// parsing (set by a callback of the flags). `what` names what is kept, for the help text.
void AddRetentionFlags(CLI::App& app, const std::string& what, int64_t& retention_ms,
                       int64_t& prune_interval_ms);

// Blocks SIGINT and SIGTERM in this thread and every thread started after it. Call first
// in main, before any library starts threads (ZeroMQ, TBB), so no thread dies of them.
void BlockStopSignals();
// Calls `on_stop` from a dedicated thread when SIGINT or SIGTERM arrives.
// REQUIRES: BlockStopSignals() was called.
void StopOnSignals(std::function<void()> on_stop);

// Blocks SIGHUP like BlockStopSignals blocks the stop signals; for services that reload
// their configuration on it. Call next to BlockStopSignals, before any thread starts.
void BlockReloadSignal();
// Calls `on_reload` from a dedicated thread each time SIGHUP arrives, until the returned
// thread is destroyed (it stops within 200 ms and is joined).
// REQUIRES: BlockReloadSignal() was called.
std::jthread ReloadOnSignal(std::function<void()> on_reload);

// --log-level LEVEL: the least severe messages a daemon writes (debug, info, warning,
// error, alarm; pipeline/base/log.h). `level` holds the default on entry.
void AddLogLevelFlag(CLI::App& app, LogLevel& level);

// Writes each message at or above `min_level` on stderr as one line of key=value pairs
// (FormatLogLine: ts, level, component, msg; the message through Echo and quoted), whole
// lines even when threads log at once.
LogSink StderrLogger(LogLevel min_level = LogLevel::kInfo);

// The flags every daemon has beyond its own: CURVE keys, --check-flags and --log-level.
struct DaemonFlags {
  SecurityFlags security;
  bool check = false;
  LogLevel log_level = LogLevel::kInfo;
};
// Adds them to `app` (AddSecurityFlags, AddCheckFlags, AddLogLevelFlag). `flags` must
// outlive parsing.
void AddDaemonFlags(CLI::App& app, DaemonFlags& flags);
// Gives a daemon's service what the flags ask for: `log` becomes the StderrLogger at
// --log-level and also takes protobuf's own messages (runtime::RouteProtobufLogs, so call
// it early in main), `security` the CURVE security of LoadSecurity, whose errors it returns.
Status ApplyDaemonFlags(const DaemonFlags& flags, LogSink& log,
                        std::shared_ptr<const transport::Security>& security);

// Prints "<program>: <status>" on stderr and returns kExitError.
int Fatal(const std::string& program, const Status& status);

// Runs the service `opened` holds (runtime::Intake, Worker or Dock) until SIGINT or
// SIGTERM asks it to stop. Returns kExitOk, or Fatal's kExitError when it could not be
// opened or its Run failed. REQUIRES: BlockStopSignals() was called.
template <typename Service>
int Serve(const std::string& program, Result<std::unique_ptr<Service>> opened) {
  if (!opened.ok()) return Fatal(program, opened.status());
  Service* service = opened->get();
  StopOnSignals([service] { service->RequestStop(); });
  Status run = service->Run();
  return run.ok() ? kExitOk : Fatal(program, run);
}

}  // namespace sortline::cli

#endif  // WORKERS_COMMON_H_
