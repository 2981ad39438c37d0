// scanner_sim: a conveyor's scanners in a process of their own, in two modes.
//
// Latency (default): sends SortRequests to sortline-dock open-loop on a fixed schedule
// (request i is due at start + i/rate and is sent then, whether or not earlier ones
// were answered), over ZeroMQ or the TCP telegram protocol, and measures each answer's
// latency from its scheduled send time, so a stall shows up in the figures instead of
// slowing the sender. Optionally feeds records to the dock meanwhile (--feed, at
// --feed-rate), each batch waiting for its acknowledgement (the credit the dock gives),
// to show the decision path holding under a surge of records. A jitter probe runs in
// the same run: a thread timing its own 200 us sleeps, which shows what latency the
// machine itself allows at that moment.
//
// Plan (--scan-records FILE, the records.jsonl of `sortline run`): plays the sorter of
// the plan (--plan) against a dock on the same plan: scans every parcel once, confirms
// each divert at the chute answered, changes a chute's bag when its fill reaches the
// plan's capacity, and at the end closes the truck at every door of the plan.
#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>
#include <arpa/inet.h>
#include <fcntl.h>
#include <google/protobuf/util/json_util.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "pipeline/dock/telegram.h"
#include "pipeline/sort/sort_plan.h"
#include "pipeline/transport/channel.h"
#include "pipeline/transport/envelope.h"
#include "proto/dock.pb.h"

namespace sortline {
namespace {

using Steady = std::chrono::steady_clock;
using std::chrono::milliseconds;
using std::chrono::nanoseconds;

struct SimOptions {
  std::string conveyor = "tcp://127.0.0.1:5561";
  int telegram_port = -1;  // >= 0: use the telegram protocol instead of ZeroMQ
  std::string records = "tcp://127.0.0.1:5560";
  int rate = 20'000;
  double seconds = 5;
  double warmup_seconds = 1;
  int known = 20'000;      // records stored before the run; the barcodes scanned
  bool feed = false;       // keep feeding new records during the run
  int feed_rate = 20'000;  // records a second fed; 0: as fast as acknowledged
  int feed_batch = 500;
  std::string scan_records;  // plan mode: the records.jsonl of `sortline run`
  std::string plan;          // plan mode: the plan of the dock
};

std::string Tracking(const std::string& prefix, int i) {
  char tracking[24];
  std::snprintf(tracking, sizeof(tracking), "%s%09d%s", prefix.c_str(), i, "CN");
  return tracking;
}

v1::SortRecord MakeRecord(const std::string& prefix, int i) {
  v1::SortRecord record;
  record.set_tracking_number(Tracking(prefix, i));
  record.set_order_id("SIM-" + record.tracking_number());
  char chute[8];  // the shipped plan's normal chutes C001..C057 and doors D01..D13
  std::snprintf(chute, sizeof(chute), "C%03d", 1 + i % 57);
  record.set_chute(chute);
  char door[8];
  std::snprintf(door, sizeof(door), "D%02d", 1 + i % 13);
  record.set_dock_door(door);
  record.set_weight_g(500 + i % 3000);
  record.set_outcome(v1::OUTCOME_SORTED);
  return record;
}

// Sends one batch and waits for its acknowledgement. False when none came.
bool StoreBatch(transport::ClientChannel& channel, const std::string& prefix, int first, int n,
                uint64_t sequence) {
  v1::RecordsMessage message;
  message.mutable_batch()->set_sequence(sequence);
  for (int i = first; i < first + n; ++i)
    *message.mutable_batch()->add_records() = MakeRecord(prefix, i);
  if (!channel.Send(transport::Encode(std::move(message))).ok()) return false;
  while (true) {
    auto in = channel.Receive(milliseconds(30'000));
    if (!in.ok() || !in->has_value()) return false;
    auto reply = transport::Decode<v1::RecordsMessage>(**in);
    if (reply.ok() && reply->has_stored() && reply->stored().sequence() == sequence) return true;
    if (reply.ok() && reply->has_error()) return false;
  }
}

// Waits a few tens of microseconds: between sends closer than a millisecond (the
// pollers' resolution) the simulator naps instead of spinning, leaving the CPU to the
// dock it measures. Sends are then at most this late, which counts as latency.
void PauseBriefly() { std::this_thread::sleep_for(std::chrono::microseconds(20)); }

// The answers' latencies in nanoseconds, by transaction (0: not answered).
struct Run {
  std::vector<int64_t> latency_ns;
  Steady::time_point start;
  nanoseconds period;
  Steady::time_point Scheduled(size_t i) const { return start + period * static_cast<int64_t>(i); }
};

void RunZmq(transport::Context& context, const SimOptions& options, Run& run) {
  auto channel = transport::ClientChannel::Connect(context, options.conveyor, "scanner-sim");
  if (!channel.ok()) {
    std::fprintf(stderr, "scanner_sim: %s\n", channel.status().ToString().c_str());
    return;
  }
  const size_t total = run.latency_ns.size();
  v1::ConveyorMessage message;
  v1::SortRequest& request = *message.mutable_sort_request();
  request.set_scanner_id("sim");
  request.add_barcodes("");
  size_t next = 0;
  size_t answered = 0;
  const Steady::time_point give_up = run.Scheduled(total) + std::chrono::seconds(5);
  while (answered < total && Steady::now() < give_up) {
    Steady::time_point now = Steady::now();
    while (next < total && run.Scheduled(next) <= now) {
      request.set_transaction_id(next + 1);
      request.set_barcodes(0, Tracking("SIM", static_cast<int>(next % options.known)));
      (*channel)->Send(transport::Encode(message)).IgnoreError();
      ++next;
    }
    auto wait = next < total
                    ? std::chrono::duration_cast<milliseconds>(run.Scheduled(next) - Steady::now())
                    : milliseconds(100);
    if (wait.count() <= 0) PauseBriefly();
    auto in = (*channel)->Receive(std::max(wait, milliseconds(0)));
    while (in.ok() && in->has_value()) {
      const Steady::time_point received = Steady::now();
      auto reply = transport::Decode<v1::ConveyorMessage>(**in);
      if (reply.ok() && reply->has_sort_response()) {
        uint64_t txn = reply->sort_response().transaction_id();
        if (txn >= 1 && txn <= total && run.latency_ns[txn - 1] == 0) {
          run.latency_ns[txn - 1] =
              std::max<int64_t>(1, (received - run.Scheduled(txn - 1)).count());
          ++answered;
        }
      }
      in = (*channel)->Receive(milliseconds(0));
    }
  }
}

void RunTelegram(const SimOptions& options, Run& run) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(options.telegram_port));
  ::inet_pton(AF_INET, "127.0.0.1", &address.sin_addr);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
    std::perror("scanner_sim: connect");
    return;
  }
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  ::fcntl(fd, F_SETFL, O_NONBLOCK);
  const size_t total = run.latency_ns.size();
  dock::TelegramRequest request;
  std::string out;
  std::string in;
  size_t next = 0;
  size_t answered = 0;
  const Steady::time_point give_up = run.Scheduled(total) + std::chrono::seconds(5);
  while (answered < total && Steady::now() < give_up) {
    Steady::time_point now = Steady::now();
    while (next < total && run.Scheduled(next) <= now) {
      request.product_code = static_cast<uint32_t>(next + 1);
      request.barcodes = {Tracking("SIM", static_cast<int>(next % options.known))};
      out += dock::EncodeRequest(request, dock::ByteOrder::kBigEndian);
      ++next;
    }
    if (!out.empty()) {
      ssize_t sent = ::send(fd, out.data(), out.size(), MSG_NOSIGNAL);
      if (sent > 0) out.erase(0, static_cast<size_t>(sent));
    }
    auto wait = next < total
                    ? std::chrono::duration_cast<milliseconds>(run.Scheduled(next) - Steady::now())
                    : milliseconds(100);
    pollfd p{fd, static_cast<short>(POLLIN | (out.empty() ? 0 : POLLOUT)), 0};
    if (wait.count() <= 0) PauseBriefly();
    ::poll(&p, 1, static_cast<int>(std::max<int64_t>(0, wait.count())));
    char buffer[8192];
    ssize_t got;
    while ((got = ::recv(fd, buffer, sizeof(buffer), 0)) > 0)
      in.append(buffer, static_cast<size_t>(got));
    const Steady::time_point received = Steady::now();
    size_t offset = 0;
    while (in.size() - offset >= dock::kTelegramResponseSize) {
      auto response =
          dock::DecodeResponse(std::string_view(in).substr(offset, dock::kTelegramResponseSize),
                               dock::ByteOrder::kBigEndian);
      offset += dock::kTelegramResponseSize;
      if (!response.ok()) continue;
      uint64_t txn = response->product_code;
      if (txn >= 1 && txn <= total && run.latency_ns[txn - 1] == 0) {
        run.latency_ns[txn - 1] = std::max<int64_t>(1, (received - run.Scheduled(txn - 1)).count());
        ++answered;
      }
    }
    in.erase(0, offset);
  }
  ::close(fd);
}

// Percentiles of `values` (nanoseconds) in microseconds: p50, p99, p99.9, max.
std::string Percentiles(std::vector<int64_t> values) {
  std::sort(values.begin(), values.end());
  auto pct = [&](double q) {
    if (values.empty()) return 0.0;
    size_t index = std::min(values.size() - 1, static_cast<size_t>(q * values.size()));
    return values[index] / 1000.0;
  };
  char text[160];
  std::snprintf(text, sizeof(text), "p50 %.1f  p99 %.1f  p99.9 %.1f  max %.1f", pct(0.5), pct(0.99),
                pct(0.999), values.empty() ? 0.0 : values.back() / 1000.0);
  return text;
}

// The jitter probe: how late a thread wakes from 200 us sleeps while the run goes on.
void ProbeJitter(const std::atomic<bool>& stop, std::vector<int64_t>& lateness_ns) {
  const auto nap = std::chrono::microseconds(200);
  while (!stop.load()) {
    const Steady::time_point due = Steady::now() + nap;
    std::this_thread::sleep_until(due);
    lateness_ns.push_back((Steady::now() - due).count());
  }
}

// Plan mode: every parcel of `records_file` scanned once, closed loop over ZeroMQ.
int ScanEveryRecord(transport::Context& context, const SimOptions& options) {
  auto plan = sort::SortPlan::Load(options.plan, nullptr);
  if (!plan.ok()) {
    std::fprintf(stderr, "scanner_sim: %s\n", plan.status().ToString().c_str());
    return 2;
  }
  std::map<std::string, uint32_t> capacity;
  for (const v1::ChuteConfig& chute : (*plan)->chutes()) capacity[chute.name()] = chute.capacity();
  auto channel = transport::ClientChannel::Connect(context, options.conveyor, "scanner-sim");
  if (!channel.ok()) {
    std::fprintf(stderr, "scanner_sim: %s\n", channel.status().ToString().c_str());
    return 2;
  }
  auto exchange = [&](const v1::ConveyorMessage& message) -> std::optional<v1::ConveyorMessage> {
    if (!(*channel)->Send(transport::Encode(message)).ok()) return std::nullopt;
    auto in = (*channel)->Receive(milliseconds(10'000));
    if (!in.ok() || !in->has_value()) return std::nullopt;
    auto reply = transport::Decode<v1::ConveyorMessage>(**in);
    if (!reply.ok()) return std::nullopt;
    return *reply;
  };
  std::ifstream in(options.scan_records);
  std::string line;
  std::map<std::string, uint32_t> fill;
  std::map<std::string, uint64_t> outcomes;
  uint64_t scanned = 0;
  uint64_t bags = 0;
  uint64_t transaction = 0;
  while (std::getline(in, line)) {
    v1::SortRecord record;
    if (!google::protobuf::util::JsonStringToMessage(line, &record).ok()) continue;
    if (record.tracking_number().empty()) continue;
    v1::ConveyorMessage ask;
    v1::SortRequest& request = *ask.mutable_sort_request();
    request.set_scanner_id("sim");
    request.set_transaction_id(++transaction);
    request.add_barcodes(record.tracking_number());
    request.set_weight_g(record.weight_g());
    request.set_length_mm(300);
    request.set_width_mm(200);
    request.set_height_mm(150);
    std::optional<v1::ConveyorMessage> answer = exchange(ask);
    if (!answer.has_value() || !answer->has_sort_response()) {
      std::fprintf(stderr, "scanner_sim: no answer for %s\n", record.tracking_number().c_str());
      return 1;
    }
    const v1::SortResponse& response = answer->sort_response();
    ++scanned;
    ++outcomes[v1::DecisionOutcome_Name(response.outcome())];
    v1::ConveyorMessage confirm;
    v1::DivertConfirm& divert = *confirm.mutable_divert_confirm();
    divert.set_scanner_id("sim");
    divert.set_transaction_id(transaction);
    divert.set_chute(response.chute());
    divert.set_result(v1::DivertConfirm::SORTED);
    if (!exchange(confirm).has_value()) return 1;
    // The bag changer: a chute whose bag is as full as the plan says gets a new one.
    if (++fill[response.chute()] >= capacity[response.chute()]) {
      v1::ConveyorMessage change;
      change.mutable_chute_event()->set_chute(response.chute());
      change.mutable_chute_event()->set_kind(v1::ChuteEvent::BAG_CHANGE);
      change.mutable_chute_event()->set_bag_barcode("BAG-" + response.chute() + "-" +
                                                    std::to_string(++bags));
      std::optional<v1::ConveyorMessage> changed = exchange(change);
      if (!changed.has_value() || !changed->has_ack()) return 1;
      fill[response.chute()] = 0;
    }
  }
  uint64_t closed = 0;
  for (const v1::DoorConfig& door : (*plan)->doors()) {
    v1::ConveyorMessage close;
    close.mutable_door_event()->set_door(door.door());
    close.mutable_door_event()->set_kind(v1::DoorEvent::CLOSE_TRUCK);
    std::optional<v1::ConveyorMessage> answer = exchange(close);
    if (answer.has_value() && answer->has_ack()) ++closed;
  }
  std::printf("scanned %llu parcels, %llu bag changes, %llu trucks closed at the doors;",
              static_cast<unsigned long long>(scanned), static_cast<unsigned long long>(bags),
              static_cast<unsigned long long>(closed));
  for (const auto& [outcome, count] : outcomes) {
    std::printf(" %s %llu", outcome.c_str(), static_cast<unsigned long long>(count));
  }
  std::printf("\n");
  return 0;
}

int Main(int argc, char** argv) {
  SimOptions options;
  CLI::App app{"scanner_sim: open-loop scanners against sortline-dock"};
  app.add_option("--conveyor", options.conveyor, "Dock conveyor endpoint")->capture_default_str();
  app.add_option("--telegram-port", options.telegram_port, "Use TCP telegrams on this port");
  app.add_option("--records", options.records, "Dock records endpoint")->capture_default_str();
  app.add_option("--rate", options.rate, "Requests per second")->capture_default_str();
  app.add_option("--seconds", options.seconds, "Measured run length")->capture_default_str();
  app.add_option("--warmup", options.warmup_seconds, "Seconds at the start left out of the figures")
      ->capture_default_str();
  app.add_option("--known", options.known, "Records stored before the run")->capture_default_str();
  app.add_flag("--feed", options.feed, "Feed new records during the run");
  app.add_option("--feed-rate", options.feed_rate,
                 "Records a second fed (0: as fast as acknowledged)")
      ->capture_default_str();
  app.add_option("--scan-records", options.scan_records,
                 "Plan mode: scan every record of this records.jsonl once (needs --plan)");
  app.add_option("--plan", options.plan, "Plan mode: the dock's plan directory");
  CLI11_PARSE(app, argc, argv);

  auto context = transport::Context::Create().value();
  if (!options.scan_records.empty()) return ScanEveryRecord(*context, options);
  {
    auto records =
        transport::ClientChannel::Connect(*context, options.records, "sim-preload").value();
    uint64_t sequence = 0;
    for (int i = 0; i < options.known; i += 1000) {
      if (!StoreBatch(*records, "SIM", i, std::min(1000, options.known - i), ++sequence)) {
        std::fprintf(stderr, "scanner_sim: preload not acknowledged\n");
        return 2;
      }
    }
  }

  std::atomic<bool> stop{false};
  std::atomic<uint64_t> fed{0};
  std::thread feeder;
  if (options.feed) {
    feeder = std::thread([&] {
      // In production the records come from workers on other machines; here the feeder
      // yields the CPU to the scanners being timed (the dock still takes every record).
      const id_t self = static_cast<id_t>(::gettid());
      errno = 0;
      const int nice = ::getpriority(PRIO_PROCESS, self);
      if (errno == 0) ::setpriority(PRIO_PROCESS, self, std::min(19, nice + 10));
      auto records =
          transport::ClientChannel::Connect(*context, options.records, "sim-feed").value();
      const std::string prefix = "F" + std::to_string(::getpid() % 10);
      uint64_t sequence = 0;
      int next = 0;
      const Steady::time_point began = Steady::now();
      while (!stop.load()) {
        if (options.feed_rate > 0) {
          // Batch n is due when n batches' worth of the rate has passed.
          const auto due = began + std::chrono::nanoseconds(static_cast<int64_t>(
                                       1e9 * next / static_cast<double>(options.feed_rate)));
          std::this_thread::sleep_until(due);
        }
        if (!StoreBatch(*records, prefix, next, options.feed_batch, ++sequence)) break;
        next += options.feed_batch;
        fed += static_cast<uint64_t>(options.feed_batch);
      }
    });
  }
  std::vector<int64_t> jitter_ns;
  jitter_ns.reserve(200'000);
  std::thread prober([&] { ProbeJitter(stop, jitter_ns); });

  Run run;
  const double total_seconds = options.seconds + options.warmup_seconds;
  run.latency_ns.assign(static_cast<size_t>(total_seconds * options.rate), 0);
  run.period = nanoseconds(1'000'000'000LL / options.rate);
  run.start = Steady::now() + milliseconds(50);
  const Steady::time_point began = Steady::now();
  if (options.telegram_port >= 0) {
    RunTelegram(options, run);
  } else {
    RunZmq(*context, options, run);
  }
  const double elapsed = std::chrono::duration<double>(Steady::now() - began).count();
  stop.store(true);
  if (feeder.joinable()) feeder.join();
  prober.join();

  const size_t skip = static_cast<size_t>(options.warmup_seconds * options.rate);
  std::vector<int64_t> measured;
  size_t lost = 0;
  for (size_t i = skip; i < run.latency_ns.size(); ++i) {
    if (run.latency_ns[i] == 0) {
      ++lost;
    } else {
      measured.push_back(run.latency_ns[i]);
    }
  }
  const size_t answered = measured.size();
  std::printf("%-8s rate %6d/s  answered %zu unanswered %zu  latency us: %s  records fed %.0f/s\n",
              options.telegram_port >= 0 ? "telegram" : "zeromq", options.rate, answered, lost,
              Percentiles(std::move(measured)).c_str(), static_cast<double>(fed.load()) / elapsed);
  const size_t naps = jitter_ns.size();
  std::printf("%-8s jitter probe (%zu sleeps of 200 us): lateness us: %s\n", "", naps,
              Percentiles(std::move(jitter_ns)).c_str());
  return lost == 0 ? 0 : 1;
}

}  // namespace
}  // namespace sortline

int main(int argc, char** argv) { return sortline::Main(argc, argv); }
