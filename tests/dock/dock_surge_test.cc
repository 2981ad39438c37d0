// Issue 6, surge: under a 10x burst of records the decision path keeps its latency, and
// record intake slows its senders through credit (one batch in flight each, answered
// after its commit) instead of queueing without bound. sortline-dock runs as a process;
// the scanner and the workers are real ZeroMQ peers on 127.0.0.1.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <sys/resource.h>
#include <unistd.h>

#include "pipeline/transport/channel.h"
#include "pipeline/transport/envelope.h"
#include "tests/dock/dock_process.h"
#include "tests/testing/testing.h"

namespace sortline::dock::testing {
namespace {

using Steady = std::chrono::steady_clock;
using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr int kKnown = 5000;       // records stored before the scanner starts
constexpr int kScanRate = 2000;    // sort requests per second, open loop
constexpr int kBatch = 200;        // records per batch
constexpr int kBurstSenders = 10;  // 10x the one sender of normal operation
constexpr int kPendingLimit = 16;  // the dock's default max_pending_record_batches

struct ScanFigures {
  double p50_ms = 0;
  double p99_ms = 0;
  size_t unanswered = 0;
};

// Sends `kScanRate` requests a second for `duration` on a fixed schedule (not waiting
// for answers) and measures each answer from its scheduled time, so a stall counts.
ScanFigures Scan(transport::Context& context, const std::string& endpoint, milliseconds duration) {
  auto channel = transport::ClientChannel::Connect(context, endpoint).value();
  const size_t total = static_cast<size_t>(kScanRate * duration.count() / 1000);
  const auto period = std::chrono::nanoseconds(1'000'000'000 / kScanRate);
  std::vector<int64_t> latency_ns(total, 0);
  const Steady::time_point start = Steady::now() + milliseconds(20);
  v1::ConveyorMessage message;
  size_t next = 0;
  size_t answered = 0;
  const Steady::time_point give_up = start + duration + seconds(5);
  while (answered < total && Steady::now() < give_up) {
    while (next < total && start + period * static_cast<int64_t>(next) <= Steady::now()) {
      char tracking[24];
      std::snprintf(tracking, sizeof(tracking), "EA%09dCN", static_cast<int>(next % kKnown));
      *message.mutable_sort_request() = Request(next + 1, {tracking});
      channel->Send(transport::Encode(message)).IgnoreError();
      ++next;
    }
    auto in = channel->Receive(milliseconds(next < total ? 0 : 50));
    if (in.ok() && !in->has_value()) std::this_thread::sleep_for(std::chrono::microseconds(50));
    while (in.ok() && in->has_value()) {
      auto reply = transport::Decode<v1::ConveyorMessage>(**in);
      const uint64_t txn = reply.ok() ? reply->sort_response().transaction_id() : 0;
      if (txn >= 1 && txn <= total && latency_ns[txn - 1] == 0) {
        const Steady::time_point due = start + period * static_cast<int64_t>(txn - 1);
        latency_ns[txn - 1] = std::max<int64_t>(1, (Steady::now() - due).count());
        ++answered;
      }
      in = channel->Receive(milliseconds(0));
    }
  }
  std::vector<int64_t> measured;
  ScanFigures figures;
  for (int64_t ns : latency_ns) {
    if (ns == 0) {
      ++figures.unanswered;
    } else {
      measured.push_back(ns);
    }
  }
  std::sort(measured.begin(), measured.end());
  if (!measured.empty()) {
    figures.p50_ms = static_cast<double>(measured[measured.size() / 2]) / 1e6;
    figures.p99_ms = static_cast<double>(measured[measured.size() * 99 / 100]) / 1e6;
  }
  return figures;
}

// A worker sending batches as fast as the acknowledgements allow, from another machine
// in production: its thread yields the CPU to the scanner and the dock.
struct Sender {
  std::thread thread;
  std::atomic<uint64_t> batches{0};
  std::atomic<int64_t> wait_ns{0};  // summed time from send to acknowledgement
};

void Feed(transport::Context& context, const std::string& endpoint, int id,
          const std::atomic<bool>& stop, Sender& sender) {
  ::setpriority(PRIO_PROCESS, static_cast<id_t>(::gettid()), 10);
  auto channel =
      transport::ClientChannel::Connect(context, endpoint, "sender-" + std::to_string(id)).value();
  uint64_t sequence = 0;
  while (!stop.load()) {
    const int first = 1'000'000 * (id + 1) + static_cast<int>(sequence) * kBatch;
    const v1::RecordBatch batch = Batch(++sequence, first, kBatch);
    const Steady::time_point sent = Steady::now();
    if (!SendUntilStored(*channel, batch, seconds(60)).has_value()) return;
    sender.wait_ns += (Steady::now() - sent).count();
    ++sender.batches;
  }
}

double MeanWaitMs(const std::vector<std::unique_ptr<Sender>>& senders) {
  int64_t ns = 0;
  uint64_t batches = 0;
  for (const auto& sender : senders) {
    ns += sender->wait_ns.load();
    batches += sender->batches.load();
  }
  return batches == 0 ? 0 : static_cast<double>(ns) / static_cast<double>(batches) / 1e6;
}

// Runs `count` senders while the scanner scans for `duration`.
ScanFigures ScanWhileFeeding(transport::Context& context, const DockProcess& dock, int count,
                             int first_id, milliseconds duration,
                             std::vector<std::unique_ptr<Sender>>& senders) {
  std::atomic<bool> stop{false};
  for (int i = 0; i < count; ++i) {
    senders.push_back(std::make_unique<Sender>());
    Sender& sender = *senders.back();
    sender.thread =
        std::thread([&, i] { Feed(context, dock.records_endpoint(), first_id + i, stop, sender); });
  }
  std::this_thread::sleep_for(milliseconds(300));  // the senders get going
  ScanFigures figures = Scan(context, dock.conveyor_endpoint(), duration);
  stop.store(true);
  for (auto& sender : senders) {
    if (sender->thread.joinable()) sender->thread.join();
  }
  return figures;
}

TEST(DockSurge, ATenfoldRecordBurstKeepsDecisionLatencyAndSlowsTheSendersByCredit) {
  sortline::testing::TempDir dir;
  auto context = transport::Context::Create().value();
  DockProcess dock(dir.file("dock.db"), dir.path().string());
  ASSERT_TRUE(dock.Start());
  {
    auto preload = transport::ClientChannel::Connect(*context, dock.records_endpoint()).value();
    for (int first = 0; first < kKnown; first += 1000) {
      ASSERT_TRUE(
          SendUntilStored(*preload, Batch(1 + first / 1000, first, 1000), seconds(60)).has_value());
    }
  }
  // Normal operation (one sender) and the burst (ten) alternate twice, so a noisy
  // moment of the shared machine does not decide the comparison alone.
  const milliseconds duration(2500);
  Scan(*context, dock.conveyor_endpoint(), milliseconds(500));  // warm up
  const ScanFigures quiet = Scan(*context, dock.conveyor_endpoint(), duration);
  std::vector<std::unique_ptr<Sender>> normal;
  std::vector<std::unique_ptr<Sender>> burst;
  std::vector<ScanFigures> steady;
  std::vector<ScanFigures> surge;
  double pending_before_burst = 0;
  std::atomic<int> greedy_refused{0};
  for (int round = 0; round < 2; ++round) {
    steady.push_back(ScanWhileFeeding(*context, dock, 1, 100 + round, duration, normal));
    if (round == 0) {
      pending_before_burst = dock.Metric("sortline_dock_record_batches_pending_peak");
    }
    // The burst: ten senders, and (once) one that does not wait for its
    // acknowledgements.
    std::thread greedy;
    if (round == 0) {
      greedy = std::thread([&] {
        auto channel =
            transport::ClientChannel::Connect(*context, dock.records_endpoint(), "greedy").value();
        for (int i = 0; i < 20; ++i) {
          v1::RecordsMessage message;
          *message.mutable_batch() =
              Batch(static_cast<uint64_t>(i + 1), 900'000'000 + i * kBatch, kBatch);
          channel->Send(transport::Encode(message)).IgnoreError();
        }
        const Steady::time_point deadline = Steady::now() + seconds(30);
        int answers = 0;
        while (answers < 20 && Steady::now() < deadline) {
          auto in = channel->Receive(milliseconds(100));
          if (!in.ok() || !in->has_value()) continue;
          ++answers;
          auto reply = transport::Decode<v1::RecordsMessage>(**in);
          if (reply.ok() &&
              reply->error().find("one record batch at a time") != std::string::npos) {
            ++greedy_refused;
          }
        }
      });
    }
    surge.push_back(ScanWhileFeeding(*context, dock, kBurstSenders, 1 + round * kBurstSenders,
                                     duration, burst));
    if (greedy.joinable()) greedy.join();
  }

  const double normal_wait = MeanWaitMs(normal);
  const double burst_wait = MeanWaitMs(burst);
  uint64_t normal_batches = 0;
  uint64_t burst_batches = 0;
  for (const auto& sender : normal) normal_batches += sender->batches.load();
  for (const auto& sender : burst) burst_batches += sender->batches.load();
  const double peak = dock.Metric("sortline_dock_record_batches_pending_peak");
  std::printf("decision latency at %d/s, ms: quiet p50 %.3f p99 %.3f\n", kScanRate, quiet.p50_ms,
              quiet.p99_ms);
  for (int round = 0; round < 2; ++round) {
    std::printf("  round %d: one sender p50 %.3f p99 %.3f | %d senders p50 %.3f p99 %.3f\n", round,
                steady[round].p50_ms, steady[round].p99_ms, kBurstSenders, surge[round].p50_ms,
                surge[round].p99_ms);
  }
  std::printf(
      "senders: one sender %llu batches, %.1f ms per acknowledgement; %d senders %llu batches, "
      "%.1f ms per acknowledgement; pending peak %.0f (before the burst %.0f); greedy sender "
      "refused %d of 20\n",
      static_cast<unsigned long long>(normal_batches), normal_wait, kBurstSenders,
      static_cast<unsigned long long>(burst_batches), burst_wait, peak, pending_before_burst,
      greedy_refused.load());

  size_t unanswered = quiet.unanswered;
  for (int round = 0; round < 2; ++round) {
    unanswered += steady[round].unanswered + surge[round].unanswered;
  }
  EXPECT_EQ(unanswered, 0u);
  // Latency: ten senders cost the decisions no more than the one sender of normal
  // operation does (the dock takes records at its commit pace either way). Compared
  // within this run (the machine is shared): the better burst round against the worse
  // normal one, with a floor so that scheduling noise on a very quiet baseline does not
  // fail the test.
  const double burst_p99 = std::min(surge[0].p99_ms, surge[1].p99_ms);
  const double normal_p99 = std::max(steady[0].p99_ms, steady[1].p99_ms);
  EXPECT_LE(burst_p99, 3 * std::max(normal_p99, 1.0))
      << "the decision path slowed under the record burst";
  // Credit: the senders wait for their acknowledgements (each behind the others'
  // commits), the dock holds at most one batch per sender and never more than its limit.
  EXPECT_GT(burst_batches, 0u);
  EXPECT_GE(burst_wait, 3 * normal_wait) << "ten senders were not slowed down";
  EXPECT_LE(peak, kPendingLimit);
  EXPECT_LE(peak, kBurstSenders + 1) << "more than one batch of a sender was held";
  EXPECT_GT(greedy_refused.load(), 0) << "a sender not waiting for its acknowledgements";
  EXPECT_GT(dock.Metric("sortline_dock_record_batches_refused_total{reason=\"window\"}"), 0);
  EXPECT_EQ(dock.Stop(), 0);
}

}  // namespace
}  // namespace sortline::dock::testing
