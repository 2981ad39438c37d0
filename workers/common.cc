#include "workers/common.h"

#include <chrono>
#include <cstdio>
#include <mutex>
#include <thread>

#include <CLI/CLI.hpp>
#include <pthread.h>
#include <signal.h>

#include "pipeline/base/clock.h"
#include "pipeline/runtime/protobuf_log.h"

namespace sortline::cli {

Result<std::unique_ptr<model::DivisionTable>> LoadDivisions(const std::string& dir) {
  Result<std::unique_ptr<model::DivisionTable>> table = model::DivisionTable::Load(dir);
  if (!table.ok()) return table.status().WithContext("division table " + dir);
  return table;
}

Result<std::shared_ptr<const sort::SortPlan>> LoadPlan(const std::string& path,
                                                       const model::DivisionTable& divisions) {
  Result<std::unique_ptr<sort::SortPlan>> plan = sort::SortPlan::Load(path, &divisions);
  if (!plan.ok()) return plan.status().WithContext("sort plan " + path);
  return std::shared_ptr<const sort::SortPlan>(std::move(plan).value());
}

void AddPlanFlags(CLI::App& app, const std::string& plan_help, PlanFlags& flags) {
  app.add_option("--plan", flags.path, plan_help)->capture_default_str();
  app.add_option("--plan-poll-ms", flags.poll_ms,
                 "How often to check the plan files for changes; 0: only on SIGHUP")
      ->capture_default_str()
      ->check(CLI::Range(0, 3'600'000));
}

namespace {

sort::ReloaderOptions ReloadEvery(int poll_ms, LogSink log) {
  sort::ReloaderOptions options;
  options.poll_interval = std::chrono::milliseconds(poll_ms);
  options.log = std::move(log);
  return options;
}

}  // namespace

PlanReloading::PlanReloading(const PlanFlags& flags, const model::DivisionTable* divisions,
                             sort::PlanHolder& holder, LogSink log)
    : reloader_({flags.path}, divisions, holder, ReloadEvery(flags.poll_ms, log)),
      on_hangup_(ReloadOnSignal([this, log] {
        if (log) log(LogLevel::kInfo, "plan", "SIGHUP: reloading the sort plan");
        (void)reloader_.Reload();
      })) {}

void AddSecurityFlags(CLI::App& app, SecurityFlags& flags) {
  CLI::Option* key = app.add_option(
      "--curve-key", flags.key_file,
      "CURVE key pair file of this process (`sortline keys gen`); with --curve-keys, every "
      "tcp:// channel is encrypted and only peers listed in the keys table get in");
  CLI::Option* keys =
      app.add_option("--curve-keys", flags.keys_table,
                     "Keys table (CSV role,name,public_key): the peers allowed per role");
  key->needs(keys);
  keys->needs(key);
}

void AddRetentionFlags(CLI::App& app, const std::string& what, int64_t& retention_ms,
                       int64_t& prune_interval_ms) {
  app.add_option_function<double>(
         "--retention-s",
         [&retention_ms](double seconds) { retention_ms = static_cast<int64_t>(seconds * 1000); },
         "Keep " + what + " this many seconds after completion, then remove them; 0: for ever")
      ->default_val(static_cast<double>(retention_ms) / 1000)
      ->check(CLI::Range(0.0, 1e9));
  app.add_option_function<double>(
         "--prune-every-s",
         [&prune_interval_ms](double seconds) {
           prune_interval_ms = static_cast<int64_t>(seconds * 1000);
         },
         "How often to look for " + what + " past the retention time")
      ->default_val(static_cast<double>(prune_interval_ms) / 1000)
      ->check(CLI::Range(0.1, 1e7));
}

Result<std::shared_ptr<const transport::Security>> LoadSecurity(const SecurityFlags& flags) {
  if (flags.key_file.empty() && flags.keys_table.empty()) {
    return std::make_shared<const transport::Security>();
  }
  if (flags.key_file.empty() || flags.keys_table.empty()) {
    return InvalidArgument("--curve-key and --curve-keys go together");
  }
  Result<transport::Security> security = transport::LoadSecurity(flags.key_file, flags.keys_table);
  if (!security.ok()) return security.status().WithContext("CURVE security");
  return std::make_shared<const transport::Security>(std::move(security).value());
}

void AddCheckFlags(CLI::App& app, bool& check) {
  app.add_flag("--check-flags", check,
               "Check the command line and exit 0 without starting (for deployment tests)");
}

void AddMetricsFlags(CLI::App& app, int& port, std::string& host) {
  app.add_option("--metrics-port", port,
                 "Prometheus /metrics, /healthz and /readyz HTTP port (-1: none, 0: any free "
                 "port)")
      ->capture_default_str()
      ->check(CLI::Range(-1, 65535));
  app.add_option("--metrics-host", host, "Metrics HTTP address (0.0.0.0: every interface)")
      ->capture_default_str();
}

void AddOrderLimitFlags(CLI::App& app, model::OrderLimits& limits) {
  CLI::App* group = app.add_option_group(
      "Plausibility limits",
      "Orders past these are refused as data errors naming the field and the limit; "
      "parcels within them but over a sort rule's limits go to the manual chute");
  group->add_option("--max-weight-g", limits.max_weight_g, "Heaviest plausible parcel, grams")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  group->add_option("--max-side-mm", limits.max_side_mm, "Longest plausible side, millimetres")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  group
      ->add_option("--max-value-fen", limits.max_value_fen,
                   "Highest plausible declared value or cash on delivery, fen")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  group
      ->add_option("--min-created-ms", limits.min_created_unix_ms,
                   "Earliest plausible order time, Unix ms (0 = not given is always accepted)")
      ->capture_default_str();
  group
      ->add_option("--max-created-ms", limits.max_created_unix_ms,
                   "Order times from here on are implausible, Unix ms")
      ->capture_default_str();
  group
      ->add_option("--max-text-bytes", limits.max_text_bytes,
                   "Longest text field (name, address line, contents), bytes")
      ->capture_default_str();
}

namespace {

sigset_t StopSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  return set;
}

}  // namespace

void BlockStopSignals() {
  sigset_t set = StopSignals();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

void StopOnSignals(std::function<void()> on_stop) {
  sigset_t set = StopSignals();
  std::thread([set, on_stop = std::move(on_stop)] {
    int signal = 0;
    if (sigwait(&set, &signal) == 0) on_stop();
  }).detach();
}

void BlockReloadSignal() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

std::jthread ReloadOnSignal(std::function<void()> on_reload) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGHUP);
  return std::jthread([set, on_reload = std::move(on_reload)](std::stop_token stop) {
    // A timed wait, so that the thread notices the stop request and can be joined.
    const timespec timeout{0, 200'000'000};
    while (!stop.stop_requested()) {
      if (sigtimedwait(&set, nullptr, &timeout) == SIGHUP) on_reload();
    }
  });
}

void AddLogLevelFlag(CLI::App& app, LogLevel& level) {
  app.add_option_function<std::string>(
         "--log-level", [&level](const std::string& name) { level = ParseLogLevel(name).value(); },
         "Least severe messages written to stderr")
      ->check(CLI::IsMember({"debug", "info", "warning", "error", "alarm"}))
      ->type_name("LEVEL")
      ->default_str(std::string(LogLevelName(level)));
}

LogSink StderrLogger(LogLevel min_level) {
  return [min_level](LogLevel level, std::string_view component, std::string_view message) {
    if (level < min_level) return;
    static std::mutex mu;
    const std::string line =
        FormatLogLine(SystemClock().UnixMillis(), level, component, message) + "\n";
    std::lock_guard<std::mutex> lock(mu);
    std::fwrite(line.data(), 1, line.size(), stderr);
  };
}

int Fatal(const std::string& program, const Status& status) {
  std::fprintf(stderr, "%s: %s\n", program.c_str(), status.ToString().c_str());
  return kExitError;
}

void AddDaemonFlags(CLI::App& app, DaemonFlags& flags) {
  AddSecurityFlags(app, flags.security);
  AddCheckFlags(app, flags.check);
  AddLogLevelFlag(app, flags.log_level);
}

Status ApplyDaemonFlags(const DaemonFlags& flags, LogSink& log,
                        std::shared_ptr<const transport::Security>& security) {
  log = StderrLogger(flags.log_level);
  runtime::RouteProtobufLogs(log);
  SORTLINE_ASSIGN_OR_RETURN(security, LoadSecurity(flags.security));
  return Status::Ok();
}

}  // namespace sortline::cli
