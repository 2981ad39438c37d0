// `sortline status`: the dock's live state from its events endpoint — chute fill, open
// trucks, decisions per second and latency percentiles. On a terminal the screen is
// redrawn in place at each snapshot; otherwise each snapshot is printed as plain lines.
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>

#include <unistd.h>

#include "pipeline/transport/channel.h"
#include "pipeline/transport/envelope.h"
#include "proto/dock.pb.h"
#include "workers/commands.h"
#include "workers/common.h"

namespace sortline::cli {
namespace {

struct StatusCliOptions {
  std::string events = "tcp://127.0.0.1:5562";
  int count = 0;       // snapshots to show; 0 = until interrupted
  int timeout_s = 10;  // give up when no snapshot arrives for this long
};

std::string StateName(v1::ChuteState state) {
  switch (state) {
    case v1::CHUTE_AVAILABLE:
      return "ok";
    case v1::CHUTE_FULL:
      return "FULL";
    case v1::CHUTE_FAULTED:
      return "FAULT";
    default:
      return "?";
  }
}

std::string Render(const v1::DockSnapshot& s) {
  std::string out;
  char line[256];
  std::snprintf(line, sizeof(line),
                "decisions %llu (%.0f/s)  records %llu indexed (%.0f/s)  backlog %llu\n",
                static_cast<unsigned long long>(s.decisions()), s.decisions_per_s(),
                static_cast<unsigned long long>(s.records_indexed()), s.records_per_s(),
                static_cast<unsigned long long>(s.backlog()));
  out += line;
  if (!s.plan_version().empty()) out += "plan " + s.plan_version() + "\n";
  std::snprintf(line, sizeof(line), "latency us  p50 %.0f  p99 %.0f  p99.9 %.0f  max %.0f\n",
                s.latency_p50_us(), s.latency_p99_us(), s.latency_p999_us(), s.latency_max_us());
  out += line;
  for (const auto& [outcome, count] : s.outcomes()) {
    std::snprintf(line, sizeof(line), "  %-26s %llu\n", outcome.c_str(),
                  static_cast<unsigned long long>(count));
    out += line;
  }
  out += "chutes (" + std::to_string(s.chutes_size()) + "):\n";
  for (const v1::ChuteStatus& chute : s.chutes()) {
    std::snprintf(line, sizeof(line), "  %-8s %-5s %5u/%-5u %s\n", chute.chute().c_str(),
                  StateName(chute.state()).c_str(), chute.fill(), chute.capacity(),
                  chute.bag_barcode().c_str());
    out += line;
  }
  out += "open trucks (" + std::to_string(s.open_trucks_size()) + "):\n";
  for (const v1::TruckStatus& truck : s.open_trucks()) {
    std::snprintf(line, sizeof(line), "  %-10s door %-5s %5u parcels %8.1f/%.0f kg %7.2f/%.0f m3\n",
                  truck.truck_id().c_str(), truck.door().c_str(), truck.parcels(),
                  static_cast<double>(truck.weight_g()) / 1000,
                  static_cast<double>(truck.max_weight_g()) / 1000,
                  static_cast<double>(truck.volume_cm3()) / 1e6,
                  static_cast<double>(truck.max_volume_cm3()) / 1e6);
    out += line;
  }
  return out;
}

int ShowStatus(const StatusCliOptions& options) {
  const std::string program = "sortline status";
  Result<std::unique_ptr<transport::Context>> context = transport::Context::Create();
  if (!context.ok()) return Fatal(program, context.status());
  Result<std::unique_ptr<transport::Subscriber>> subscriber =
      transport::Subscriber::Connect(**context, options.events, {"snapshot"});
  if (!subscriber.ok()) return Fatal(program, subscriber.status());
  const bool terminal = ::isatty(STDOUT_FILENO) == 1;
  int shown = 0;
  auto last = std::chrono::steady_clock::now();
  while (options.count == 0 || shown < options.count) {
    Result<std::optional<transport::Published>> in =
        (*subscriber)->Receive(std::chrono::milliseconds(500));
    if (!in.ok()) return Fatal(program, in.status());
    if (!in->has_value()) {
      if (std::chrono::steady_clock::now() - last > std::chrono::seconds(options.timeout_s)) {
        return Fatal(program, Unavailable("no snapshot from " + options.events + " in " +
                                          std::to_string(options.timeout_s) + " s"));
      }
      continue;
    }
    Result<v1::DockEvent> event = transport::Decode<v1::DockEvent>((*in)->payload);
    if (!event.ok() || !event->has_snapshot()) continue;
    last = std::chrono::steady_clock::now();
    std::string text = Render(event->snapshot());
    if (terminal) {
      std::fputs("\x1b[H\x1b[2J", stdout);
      std::fputs(("sortline status  " + options.events + "\n").c_str(), stdout);
    }
    std::fputs(text.c_str(), stdout);
    if (!terminal) std::fputs("\n", stdout);
    std::fflush(stdout);
    ++shown;
  }
  return kExitOk;
}

}  // namespace

Command AddStatusCommand(CLI::App& app) {
  auto options = std::make_shared<StatusCliOptions>();
  CLI::App* cmd = app.add_subcommand(
      "status", "Live dock state: chute fill, open trucks, decisions/s, latency percentiles");
  cmd->add_option("--events", options->events, "The dock's events endpoint")->capture_default_str();
  cmd->add_option("-n,--count", options->count, "Snapshots to show, then exit (0: until ^C)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--timeout-s", options->timeout_s, "Give up when no snapshot comes this long")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  return {cmd, [options] { return ShowStatus(*options); }};
}

}  // namespace sortline::cli
