// sortline-dock as a real process for the dock's fault and surge tests: free loopback
// ports, its metrics over HTTP, and record batches sent and resent the way a worker
// does.
//
// Thread-safety: a DockProcess is used from one test thread; the free functions are
// safe from any thread with their own channel.
#ifndef TESTS_DOCK_DOCK_PROCESS_H_
#define TESTS_DOCK_DOCK_PROCESS_H_

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "pipeline/transport/channel.h"
#include "pipeline/transport/envelope.h"
#include "proto/dock.pb.h"
#include "proto/wire.pb.h"
#include "tests/dock/dock_testing.h"
#include "tests/testing/daemons.h"
#include "tests/testing/process.h"
#include "tests/testing/testing.h"

namespace sortline::dock::testing {

// One sortline-dock process on fixed free ports, so a restarted dock is found by the
// channels already connected to it.
class DockProcess {
 public:
  DockProcess(std::string db, std::string dir)
      : db_(std::move(db)),
        dir_(std::move(dir)),
        records_(sortline::testing::FreeLoopbackPort()),
        conveyor_(sortline::testing::FreeLoopbackPort()),
        metrics_(sortline::testing::FreeLoopbackPort()) {}

  // Starts the dock with `extra` flags; `prefix` goes before the program (e.g.
  // "/usr/bin/env", "LD_PRELOAD=..."). Returns once /readyz answers (false if not within
  // 30 s).
  bool Start(const std::vector<std::string>& extra = {},
             const std::vector<std::string>& prefix = {}) {
    sortline::testing::DockFlags flags;
    flags.records = records_endpoint();
    flags.conveyor = conveyor_endpoint();
    flags.db = db_;
    flags.manifests = dir_ + "/manifests";
    flags.metrics_port = metrics_;
    flags.extra = extra;
    process_ = sortline::testing::StartDock(flags, log(), prefix);
    return sortline::testing::WaitReady(*process_, metrics_, std::chrono::seconds(30));
  }

  // SIGTERM and the exit code (empty if it did not stop within 30 s).
  std::optional<int> Stop() {
    if (!process_) return 0;
    process_->Signal(SIGTERM);
    return Wait(std::chrono::seconds(30));
  }
  std::optional<int> Wait(std::chrono::milliseconds timeout) {
    std::optional<int> code = process_->Wait(timeout);
    if (code.has_value()) process_.reset();
    return code;
  }

  std::string Metrics() const { return sortline::testing::HttpGet(metrics_, "/metrics"); }
  // The value of the sample line starting with `series` (e.g. `name` or
  // `name{label="x"}`), or -1 when absent.
  double Metric(const std::string& series) const {
    const std::string text = Metrics();
    const std::string key = "\n" + series + " ";
    size_t at = text.find(key);
    if (at == std::string::npos) return -1;
    return std::stod(text.substr(at + key.size()));
  }

  std::string log() const { return dir_ + "/dock.log"; }
  std::string records_endpoint() const { return sortline::testing::Endpoint(records_); }
  std::string conveyor_endpoint() const { return sortline::testing::Endpoint(conveyor_); }

 private:
  std::string db_;
  std::string dir_;
  int records_;
  int conveyor_;
  int metrics_;
  std::unique_ptr<sortline::testing::Subprocess> process_;
};

// `count` records "EA<first + i>..." for chutes C001..C020 of the shipped plan.
inline v1::RecordBatch Batch(uint64_t sequence, int first, int count,
                             const std::string& prefix = "EA") {
  v1::RecordBatch batch;
  batch.set_sequence(sequence);
  for (int i = first; i < first + count; ++i) {
    char tracking[24];
    std::snprintf(tracking, sizeof(tracking), "%s%09dCN", prefix.c_str(), i);
    char chute[8];
    std::snprintf(chute, sizeof(chute), "C%03d", 1 + i % 20);
    *batch.add_records() = Record(tracking, chute);
  }
  return batch;
}

// Sends `batch` once and waits up to `timeout` for the dock's answer to it (an
// acknowledgement of its sequence, or an error).
inline std::optional<v1::RecordsMessage> SendOnce(transport::ClientChannel& channel,
                                                  const v1::RecordBatch& batch,
                                                  std::chrono::milliseconds timeout) {
  v1::RecordsMessage message;
  *message.mutable_batch() = batch;
  if (!channel.Send(transport::Encode(message)).ok()) return std::nullopt;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    auto in = channel.Receive(std::chrono::milliseconds(50));
    if (!in.ok()) return std::nullopt;
    if (!in->has_value()) continue;
    auto reply = transport::Decode<v1::RecordsMessage>(**in);
    if (!reply.ok()) continue;
    if (reply->has_error()) return *reply;
    if (reply->has_stored() && reply->stored().sequence() == batch.sequence()) return *reply;
  }
  return std::nullopt;
}

// As a worker: sends `batch` until the dock acknowledges it, pausing 200 ms after an
// error or 2 s of silence. Empty if no acknowledgement came within `timeout`.
inline std::optional<v1::RecordsStored> SendUntilStored(transport::ClientChannel& channel,
                                                        const v1::RecordBatch& batch,
                                                        std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    std::optional<v1::RecordsMessage> reply =
        SendOnce(channel, batch, std::chrono::milliseconds(2000));
    if (reply.has_value() && reply->has_stored()) return reply->stored();
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  return std::nullopt;
}

// Asks the dock which chute for `barcode`; empty if no answer within 5 s.
inline std::optional<v1::SortResponse> Ask(transport::ClientChannel& scanner, uint64_t transaction,
                                           const std::string& barcode) {
  v1::ConveyorMessage message;
  *message.mutable_sort_request() = Request(transaction, {barcode});
  if (!scanner.Send(transport::Encode(message)).ok()) return std::nullopt;
  auto in = scanner.Receive(std::chrono::milliseconds(5000));
  if (!in.ok() || !in->has_value()) return std::nullopt;
  auto reply = transport::Decode<v1::ConveyorMessage>(**in);
  if (!reply.ok() || !reply->has_sort_response()) return std::nullopt;
  return reply->sort_response();
}

}  // namespace sortline::dock::testing

#endif  // TESTS_DOCK_DOCK_PROCESS_H_
