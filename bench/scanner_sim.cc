// scanner_sim: a conveyor's scanners in a process of their own. Sends SortRequests to
// sortline-dock open-loop on a fixed schedule (request i is due at start + i/rate and is
// sent then, whether or not earlier ones were answered), over ZeroMQ or the TCP telegram
// protocol, and measures each answer's latency from its scheduled send time, so a stall
// shows up in the figures instead of slowing the sender. Optionally feeds records to the
// dock at full speed meanwhile, each batch waiting for its acknowledgement (the credit
// the dock gives), to show the decision path holding under a surge of records.
#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "pipeline/dock/telegram.h"
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
  int known = 20'000;  // records stored before the run; the barcodes scanned
  bool feed = false;   // keep feeding new records at full speed during the run
  int feed_batch = 500;
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
  record.set_chute("C" + std::to_string(100 + i % 120));
  record.set_dock_door("D" + std::to_string(1 + i % 12));
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
  app.add_flag("--feed", options.feed, "Feed new records at full speed during the run");
  CLI11_PARSE(app, argc, argv);

  auto context = transport::Context::Create().value();
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
      while (!stop.load()) {
        if (!StoreBatch(*records, prefix, next, options.feed_batch, ++sequence)) break;
        next += options.feed_batch;
        fed += static_cast<uint64_t>(options.feed_batch);
      }
    });
  }

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
  std::sort(measured.begin(), measured.end());
  auto pct = [&](double q) {
    if (measured.empty()) return 0.0;
    size_t index = std::min(measured.size() - 1, static_cast<size_t>(q * measured.size()));
    return measured[index] / 1000.0;
  };
  std::printf(
      "%-8s rate %6d/s  answered %zu unanswered %zu  latency us: p50 %.1f  p99 %.1f  "
      "p99.9 %.1f  max %.1f  records fed during the run: %llu (%.0f/s)\n",
      options.telegram_port >= 0 ? "telegram" : "zeromq", options.rate, measured.size(), lost,
      pct(0.5), pct(0.99), pct(0.999), measured.empty() ? 0.0 : measured.back() / 1000.0,
      static_cast<unsigned long long>(fed.load()), static_cast<double>(fed.load()) / elapsed);
  return lost == 0 ? 0 : 1;
}

}  // namespace
}  // namespace sortline

int main(int argc, char** argv) { return sortline::Main(argc, argv); }
