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
//
// Follow (--follow, the festival rehearsal, issue 16): reads "TRACKING WEIGHT_G
// STORED_UNIX_MS" lines on its standard input as records reach the dock and scans each
// parcel --scan-delay-ms after its record was stored (the parcel's trip from the printer
// to the sorter), every other one over telegrams when --telegram-port is given, the
// rest over ZeroMQ; confirms each divert; reports a chute FULL when its bag holds
// --bag-capacity parcels (default: the plan's capacity) and changes the bag
// --bag-change-ms later; closes each door's truck at the plan's departures with the day
// compressed into --day-seconds; scans a parcel no chute took (recirculated, all full)
// again --recirculate-ms later; makes every --no-read-every'th scan a no-read and every
// --manual-every'th a parcel of the wrong weight. Writes one line per event to
// --scan-log (tab-separated: scan, unix_ms, latency_us, late_ms, protocol, tracking,
// outcome, chute, read|no-read|wrong-weight|recirculated; full|bag|close, unix_ms, chute or door).
// At the end of its input it closes every door's truck.
#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <deque>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <optional>
#include <queue>
#include <sstream>
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
  bool follow = false;       // follow mode: records on stdin
  int scan_delay_ms = 3000;
  int bag_change_ms = 5000;
  int recirculate_ms = 20000;
  uint32_t bag_capacity = 0;  // 0: the plan's
  double day_seconds = 0;     // 0: no scheduled departures
  uint64_t no_read_every = 0;
  uint64_t manual_every = 0;
  std::string scan_log;
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

// A blocking TCP connection to the dock's telegram port on 127.0.0.1, Nagle off; -1 (and
// the reason on stderr) when it cannot connect.
int ConnectTelegramPort(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  ::inet_pton(AF_INET, "127.0.0.1", &address.sin_addr);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
    std::perror("scanner_sim: telegram connect");
    ::close(fd);
    return -1;
  }
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  return fd;
}

void RunTelegram(const SimOptions& options, Run& run) {
  const int fd = ConnectTelegramPort(options.telegram_port);
  if (fd < 0) return;
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

// Follow mode: see the file comment.
class Follower {
 public:
  Follower(const SimOptions& options, const sort::SortPlan& plan, transport::ClientChannel& channel)
      : options_(options), plan_(plan), channel_(channel) {
    for (const v1::ChuteConfig& chute : plan.chutes()) {
      capacity_[chute.name()] = options.bag_capacity > 0 ? options.bag_capacity : chute.capacity();
      uint32_t exit = chute.exit_number();
      if (exit == 0) {
        const size_t digits = chute.name().find_last_not_of("0123456789") + 1;
        if (digits < chute.name().size()) exit = std::stoul(chute.name().substr(digits));
      }
      chute_of_exit_[exit] = chute.name();
    }
  }

  int Run() {
    if (!options_.scan_log.empty()) log_ = std::fopen(options_.scan_log.c_str(), "w");
    if (!options_.scan_log.empty() && log_ == nullptr) {
      std::perror("scanner_sim: --scan-log");
      return 2;
    }
    if (options_.telegram_port >= 0 && !ConnectTelegram()) return 2;
    const int64_t start_ms = NowMs();
    std::vector<std::pair<int64_t, std::string>> closes;  // unix ms, door
    if (options_.day_seconds > 0) {
      for (const v1::DoorConfig& door : plan_.doors()) {
        for (uint32_t minute : door.departure_minutes()) {
          closes.emplace_back(
              start_ms + static_cast<int64_t>(minute / 1440.0 * options_.day_seconds * 1000),
              door.door());
        }
      }
      std::sort(closes.begin(), closes.end());
    }
    size_t next_close = 0;
    std::thread reader([this] { ReadInput(); });
    int status = 0;
    while (status == 0) {
      TakeInput();
      const int64_t now = NowMs();
      while (!due_.empty() && due_.top().due_ms <= now && status == 0) {
        Parcel parcel = due_.top();
        due_.pop();
        if (!Scan(parcel)) status = 1;
      }
      while (!bag_changes_.empty() && bag_changes_.front().first <= NowMs() && status == 0) {
        if (!ChuteEvent(bag_changes_.front().second, v1::ChuteEvent::BAG_CHANGE)) status = 1;
        bag_changes_.pop_front();
      }
      while (next_close < closes.size() && closes[next_close].first <= NowMs() && status == 0) {
        if (!CloseTruck(closes[next_close++].second)) status = 1;
      }
      bool ended;
      {
        std::lock_guard<std::mutex> lock(mutex_);
        ended = input_ended_ && incoming_.empty();
      }
      if (ended && due_.empty() && bag_changes_.empty()) break;
      std::this_thread::sleep_for(milliseconds(2));
    }
    reader.join();
    for (const v1::DoorConfig& door : plan_.doors()) {
      if (status == 0 && !CloseTruck(door.door())) status = 1;
    }
    if (log_ != nullptr) std::fclose(log_);
    if (telegram_fd_ >= 0) ::close(telegram_fd_);
    std::printf(
        "scanner_sim: scanned %llu parcels (%llu over telegrams, %llu no-reads, %llu "
        "wrong weights, %llu recirculated), %llu chutes full, %llu bag changes, %llu truck "
        "closes\n",
        static_cast<unsigned long long>(scanned_), static_cast<unsigned long long>(telegram_scans_),
        static_cast<unsigned long long>(no_reads_), static_cast<unsigned long long>(manual_),
        static_cast<unsigned long long>(recirculated_), static_cast<unsigned long long>(fulls_),
        static_cast<unsigned long long>(bags_), static_cast<unsigned long long>(closes_));
    return status;
  }

 private:
  struct Parcel {
    int64_t due_ms = 0;
    std::string tracking;
    int32_t weight_g = 0;
    bool operator<(const Parcel& other) const { return due_ms > other.due_ms; }  // min-heap
  };

  static int64_t NowMs() {
    return std::chrono::duration_cast<milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }

  void ReadInput() {
    std::string line;
    while (std::getline(std::cin, line)) {
      std::istringstream fields(line);
      Parcel parcel;
      int64_t stored_ms = 0;
      if (!(fields >> parcel.tracking >> parcel.weight_g >> stored_ms)) continue;
      parcel.due_ms = stored_ms + options_.scan_delay_ms;
      std::lock_guard<std::mutex> lock(mutex_);
      incoming_.push_back(std::move(parcel));
    }
    std::lock_guard<std::mutex> lock(mutex_);
    input_ended_ = true;
  }

  void TakeInput() {
    std::vector<Parcel> taken;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      taken.swap(incoming_);
    }
    for (Parcel& parcel : taken) due_.push(std::move(parcel));
  }

  std::optional<v1::ConveyorMessage> Exchange(const v1::ConveyorMessage& message) {
    if (!channel_.Send(transport::Encode(message)).ok()) return std::nullopt;
    auto in = channel_.Receive(milliseconds(10'000));
    if (!in.ok() || !in->has_value()) return std::nullopt;
    auto reply = transport::Decode<v1::ConveyorMessage>(**in);
    if (!reply.ok()) return std::nullopt;
    return *reply;
  }

  bool ConnectTelegram() {
    telegram_fd_ = ConnectTelegramPort(options_.telegram_port);
    return telegram_fd_ >= 0;
  }

  // One request telegram and its answer, blocking; the chute of the answer's exit.
  std::optional<std::string> TelegramScan(uint32_t product_code, const Parcel& parcel, bool no_read,
                                          int32_t weight_g) {
    dock::TelegramRequest request;
    request.product_code = product_code;
    request.weight_g = weight_g;
    request.weight_status = weight_g > 0 ? 0 : 1;
    if (!no_read) request.barcodes = {parcel.tracking};
    const std::string frame = dock::EncodeRequest(request, dock::ByteOrder::kBigEndian);
    if (::send(telegram_fd_, frame.data(), frame.size(), MSG_NOSIGNAL) !=
        static_cast<ssize_t>(frame.size())) {
      return std::nullopt;
    }
    char answer[dock::kTelegramResponseSize];
    size_t got = 0;
    while (got < sizeof answer) {
      pollfd p{telegram_fd_, POLLIN, 0};
      if (::poll(&p, 1, 10'000) <= 0) return std::nullopt;
      const ssize_t n = ::recv(telegram_fd_, answer + got, sizeof answer - got, 0);
      if (n <= 0) return std::nullopt;
      got += static_cast<size_t>(n);
    }
    auto response =
        dock::DecodeResponse(std::string_view(answer, sizeof answer), dock::ByteOrder::kBigEndian);
    if (!response.ok()) return std::nullopt;
    auto chute = chute_of_exit_.find(response->exit_number);
    return chute == chute_of_exit_.end() ? std::string() : chute->second;
  }

  bool Scan(const Parcel& parcel) {
    const uint64_t transaction = ++transaction_;
    const bool no_read = options_.no_read_every > 0 && transaction % options_.no_read_every == 0;
    const bool wrong_weight = !no_read && options_.manual_every > 0 &&
                              transaction % options_.manual_every == options_.manual_every / 2;
    const int32_t weight_g = wrong_weight ? 99'999 : parcel.weight_g;
    const bool telegram = telegram_fd_ >= 0 && transaction % 2 == 1;
    const int64_t sent_ms = NowMs();
    const Steady::time_point sent = Steady::now();
    std::string chute;
    std::string outcome;
    std::string scanner = "sim";
    if (telegram) {
      std::optional<std::string> answered =
          TelegramScan(static_cast<uint32_t>(transaction), parcel, no_read, weight_g);
      if (!answered.has_value()) {
        std::fprintf(stderr, "scanner_sim: no telegram answer for %s\n", parcel.tracking.c_str());
        return false;
      }
      chute = *answered;
      outcome = "telegram";
      scanner = "plc-0";
      ++telegram_scans_;
    } else {
      v1::ConveyorMessage ask;
      v1::SortRequest& request = *ask.mutable_sort_request();
      request.set_scanner_id(scanner);
      request.set_transaction_id(transaction);
      if (!no_read) request.add_barcodes(parcel.tracking);
      request.set_weight_g(weight_g);
      std::optional<v1::ConveyorMessage> answer = Exchange(ask);
      if (!answer.has_value() || !answer->has_sort_response()) {
        std::fprintf(stderr, "scanner_sim: no answer for %s\n", parcel.tracking.c_str());
        return false;
      }
      chute = answer->sort_response().chute();
      outcome = v1::DecisionOutcome_Name(answer->sort_response().outcome());
    }
    const double latency_us =
        std::chrono::duration<double, std::micro>(Steady::now() - sent).count();
    ++scanned_;
    // Exit 0 of a telegram, RECIRCULATE over ZeroMQ: no chute took the parcel (all full);
    // it rides the loop and is scanned again.
    const bool recirculated = (telegram && chute.empty()) || outcome == "DECISION_RECIRCULATE";
    no_reads_ += no_read ? 1 : 0;
    manual_ += wrong_weight ? 1 : 0;
    if (log_ != nullptr) {
      std::fprintf(
          log_, "scan\t%lld\t%.1f\t%lld\t%s\t%s\t%s\t%s\t%s\n", static_cast<long long>(sent_ms),
          latency_us, static_cast<long long>(sent_ms - parcel.due_ms),
          telegram ? "telegram" : "zeromq", parcel.tracking.c_str(), outcome.c_str(), chute.c_str(),
          recirculated   ? "recirculated"
          : no_read      ? "no-read"
          : wrong_weight ? "wrong-weight"
                         : "read");
    }
    if (recirculated) {
      ++recirculated_;
      Parcel again = parcel;
      again.due_ms = NowMs() + options_.recirculate_ms;
      due_.push(std::move(again));
      return true;
    }
    v1::ConveyorMessage confirm;
    v1::DivertConfirm& divert = *confirm.mutable_divert_confirm();
    divert.set_scanner_id(scanner);
    divert.set_transaction_id(transaction);
    divert.set_chute(chute);
    divert.set_result(v1::DivertConfirm::SORTED);
    if (!Exchange(confirm).has_value()) return false;
    const uint32_t capacity = capacity_[chute];
    if (capacity > 0 && ++fill_[chute] == capacity) {
      // The bag's sensor: full now, a person changes the bag a little later.
      if (!ChuteEvent(chute, v1::ChuteEvent::FULL)) return false;
      bag_changes_.emplace_back(NowMs() + options_.bag_change_ms, chute);
    }
    return true;
  }

  bool ChuteEvent(const std::string& chute, v1::ChuteEvent::Kind kind) {
    v1::ConveyorMessage message;
    message.mutable_chute_event()->set_chute(chute);
    message.mutable_chute_event()->set_kind(kind);
    const bool full = kind == v1::ChuteEvent::FULL;
    if (!full) {
      message.mutable_chute_event()->set_bag_barcode("BAG-" + chute + "-" +
                                                     std::to_string(++bags_));
      fill_[chute] = 0;
    } else {
      ++fulls_;
    }
    std::optional<v1::ConveyorMessage> answer = Exchange(message);
    if (!answer.has_value()) return false;
    Log(full ? "full" : "bag", chute);
    return true;
  }

  bool CloseTruck(const std::string& door) {
    v1::ConveyorMessage close;
    close.mutable_door_event()->set_door(door);
    close.mutable_door_event()->set_kind(v1::DoorEvent::CLOSE_TRUCK);
    if (!Exchange(close).has_value()) return false;
    ++closes_;
    Log("close", door);
    return true;
  }

  void Log(const char* kind, const std::string& what) {
    if (log_ != nullptr) {
      std::fprintf(log_, "%s\t%lld\t%s\n", kind, static_cast<long long>(NowMs()), what.c_str());
    }
  }

  const SimOptions& options_;
  const sort::SortPlan& plan_;
  transport::ClientChannel& channel_;
  std::map<std::string, uint32_t> capacity_;
  std::map<uint32_t, std::string> chute_of_exit_;
  std::map<std::string, uint32_t> fill_;
  std::priority_queue<Parcel> due_;
  std::deque<std::pair<int64_t, std::string>> bag_changes_;  // due unix ms, chute
  std::mutex mutex_;
  std::vector<Parcel> incoming_;  // guarded by mutex_
  bool input_ended_ = false;      // guarded by mutex_
  std::FILE* log_ = nullptr;
  int telegram_fd_ = -1;
  uint64_t transaction_ = 0;
  uint64_t scanned_ = 0, telegram_scans_ = 0, no_reads_ = 0, manual_ = 0;
  uint64_t fulls_ = 0, bags_ = 0, closes_ = 0, recirculated_ = 0;
};

int FollowRecords(transport::Context& context, const SimOptions& options) {
  auto plan = sort::SortPlan::Load(options.plan, nullptr);
  if (!plan.ok()) {
    std::fprintf(stderr, "scanner_sim: %s\n", plan.status().ToString().c_str());
    return 2;
  }
  auto channel = transport::ClientChannel::Connect(context, options.conveyor, "scanner-follow");
  if (!channel.ok()) {
    std::fprintf(stderr, "scanner_sim: %s\n", channel.status().ToString().c_str());
    return 2;
  }
  Follower follower(options, **plan, **channel);
  return follower.Run();
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
  app.add_flag("--follow", options.follow,
               "Follow mode: scan records read from stdin as they reach the dock (needs --plan)");
  app.add_option("--scan-delay-ms", options.scan_delay_ms,
                 "Follow: from a record stored to its parcel's scan")
      ->capture_default_str();
  app.add_option("--bag-change-ms", options.bag_change_ms,
                 "Follow: from a chute full to its new bag")
      ->capture_default_str();
  app.add_option("--recirculate-ms", options.recirculate_ms,
                 "Follow: a parcel no chute took is scanned again this much later")
      ->capture_default_str();
  app.add_option("--bag-capacity", options.bag_capacity,
                 "Follow: parcels a bag holds (0: the plan's capacity)")
      ->capture_default_str();
  app.add_option("--day-seconds", options.day_seconds,
                 "Follow: the plan's day compressed into this many seconds (0: no departures)")
      ->capture_default_str();
  app.add_option("--no-read-every", options.no_read_every, "Follow: every Nth scan reads nothing");
  app.add_option("--manual-every", options.manual_every, "Follow: every Nth parcel weighs wrong");
  app.add_option("--scan-log", options.scan_log, "Follow: one line per scan and chute/door event");
  CLI11_PARSE(app, argc, argv);

  auto context = transport::Context::Create().value();
  if (options.follow) return FollowRecords(*context, options);
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
