// The dock service as the conveyor, the workers and the dashboards see it: real
// channels, a real store on disk, restarts.
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "pipeline/dock/telegram.h"
#include "pipeline/runtime/dock.h"
#include "pipeline/store/dock_store.h"
#include "pipeline/transport/channel.h"
#include "pipeline/transport/envelope.h"
#include "proto/dock.pb.h"
#include "tests/dock/dock_testing.h"
#include "tests/testing/fault_file_system.h"
#include "tests/testing/process.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/testing.h"

namespace sortline::runtime {
namespace {

using dock::testing::ChuteEventOf;
using dock::testing::Confirm;
using dock::testing::Record;
using dock::testing::Request;
using std::chrono::milliseconds;

class DockServiceTest : public ::testing::Test {
 protected:
  void SetUp() override { context_ = transport::Context::Create().value(); }
  void TearDown() override { Stop(); }

  DockOptions Options() {
    DockOptions options;
    options.records_endpoint = "tcp://127.0.0.1:0";
    options.conveyor_endpoint = "tcp://127.0.0.1:0";
    options.store_path = dir_.file("dock.db");
    options.manifest_dir = dir_.file("manifests");
    options.store.synchronous_full = false;
    v1::ChuteConfig small;
    small.set_name("C051");
    small.set_capacity(1);
    small.set_overflow("C899");
    options.config.chutes["C051"] = small;
    return options;
  }

  void Start(const DockOptions& options) {
    auto dock = Dock::Open(*context_, options);
    ASSERT_OK(dock);
    dock_ = std::move(dock).value();
    runner_ = std::thread([this] { EXPECT_TRUE(dock_->Run().ok()); });
    scanner_ = transport::ClientChannel::Connect(*context_, dock_->conveyor_endpoint()).value();
  }

  void Stop() {
    if (!dock_) return;
    dock_->RequestStop();
    runner_.join();
    scanner_.reset();
    dock_.reset();
  }

  void StoreRecords(std::vector<v1::SortRecord> records) {
    auto worker = transport::ClientChannel::Connect(*context_, dock_->records_endpoint()).value();
    v1::RecordsMessage message;
    message.mutable_batch()->set_sequence(1);
    for (auto& record : records) *message.mutable_batch()->add_records() = record;
    ASSERT_OK(worker->Send(transport::Encode(message)));
    auto ack = worker->Receive(milliseconds(5000));
    ASSERT_TRUE(ack.ok() && ack->has_value());
    ASSERT_TRUE(transport::Decode<v1::RecordsMessage>(**ack)->has_stored());
  }

  v1::ConveyorMessage Exchange(const v1::ConveyorMessage& message) {
    EXPECT_OK(scanner_->Send(transport::Encode(message)));
    auto in = scanner_->Receive(milliseconds(5000));
    EXPECT_TRUE(in.ok() && in->has_value());
    if (!in.ok() || !in->has_value()) return {};
    return transport::Decode<v1::ConveyorMessage>(**in).value();
  }
  v1::SortResponse Ask(const v1::SortRequest& request) {
    v1::ConveyorMessage message;
    *message.mutable_sort_request() = request;
    return Exchange(message).sort_response();
  }
  v1::ConveyorMessage Send(const v1::DivertConfirm& confirm) {
    v1::ConveyorMessage message;
    *message.mutable_divert_confirm() = confirm;
    return Exchange(message);
  }
  v1::ConveyorMessage Send(const v1::ChuteEvent& event) {
    v1::ConveyorMessage message;
    *message.mutable_chute_event() = event;
    return Exchange(message);
  }

  // A sink that keeps each message as "<level> <component>: <message>" in `log`.
  static LogSink Capture(std::vector<std::string>& log, std::mutex& mu) {
    return [&log, &mu](LogLevel level, std::string_view component, std::string_view message) {
      std::lock_guard<std::mutex> lock(mu);
      log.push_back(std::string(LogLevelName(level)) + " " + std::string(component) + ": " +
                    std::string(message));
    };
  }

  sortline::testing::TempDir dir_;
  std::unique_ptr<transport::Context> context_;
  std::unique_ptr<Dock> dock_;
  std::thread runner_;
  std::unique_ptr<transport::ClientChannel> scanner_;
};

TEST_F(DockServiceTest, RestartRecoversChuteFillsOpenTrucksAndParcelStates) {
  Start(Options());
  StoreRecords({Record("EA000000014CN", "C051"), Record("EA000000028CN", "C051"),
                Record("EA000000031CN", "C052")});
  ASSERT_EQ(Ask(Request(1, {"EA000000014CN"})).chute(), "C051");
  ASSERT_TRUE(Send(Confirm(1, "C051")).has_ack());
  ASSERT_TRUE(Send(ChuteEventOf("C052", v1::ChuteEvent::FAULT)).has_ack());
  ASSERT_TRUE(Send(ChuteEventOf("", v1::ChuteEvent::FULL)).has_error());
  Stop();

  Start(Options());
  v1::SortResponse overflow = Ask(Request(2, {"EA000000028CN"}));
  EXPECT_EQ(overflow.outcome(), v1::DECISION_OVERFLOW) << "C051 is still full after the restart";
  EXPECT_EQ(overflow.chute(), "C899");
  EXPECT_EQ(Ask(Request(3, {"EA000000031CN"})).outcome(), v1::DECISION_OVERFLOW)
      << "C052 is still faulted";
  ASSERT_TRUE(Send(Confirm(2, "C899")).has_ack());
  Stop();

  auto store = store::DockStore::Open(dir_.file("dock.db"), {}).value();
  store::DockStore::DockState state = store->LoadState().value();
  std::map<std::string, v1::ParcelStatus> parcels;
  for (const auto& parcel : state.parcels) parcels[parcel.tracking_number()] = parcel;
  EXPECT_EQ(parcels.at("EA000000014CN").state(), v1::PARCEL_LOADED);
  EXPECT_EQ(parcels.at("EA000000014CN").truck_id(), "D01-1");
  EXPECT_EQ(parcels.at("EA000000028CN").truck_id(), "D01-1")
      << "loaded onto the truck that was open before the restart";
  EXPECT_EQ(parcels.count("EA000000031CN"), 0u) << "a restart loads the open trucks' parcels only";
  EXPECT_EQ(store->FindParcel("EA000000031CN").value()->state(), v1::PARCEL_DECIDED)
      << "the store keeps every parcel's state";
  ASSERT_EQ(state.trucks.size(), 1u);
  EXPECT_EQ(state.trucks[0].parcels(), 2u);
  EXPECT_GT(store->EventCount().value(), 5u);
}

TEST_F(DockServiceTest, TelegramsAndZeroMqShareOneDecisionEngine) {
  DockOptions options = Options();
  options.telegram_port = 0;
  Start(options);
  StoreRecords({Record("EA000000014CN", "C051")});
  int fd = sortline::testing::ConnectLoopback(dock_->telegram_port());
  ASSERT_GE(fd, 0) << "nothing listens on the telegram port";
  dock::TelegramRequest request;
  request.product_code = 77;
  request.barcodes = {"EA000000014CN"};
  std::string frame = dock::EncodeRequest(request, dock::ByteOrder::kBigEndian);
  ASSERT_EQ(::send(fd, frame.data(), frame.size(), 0), static_cast<ssize_t>(frame.size()));
  char answer[dock::kTelegramResponseSize];
  ASSERT_EQ(::recv(fd, answer, sizeof(answer), MSG_WAITALL), 8);
  auto response = dock::DecodeResponse(std::string_view(answer, 8), dock::ByteOrder::kBigEndian);
  ASSERT_OK(response);
  EXPECT_EQ(response->product_code, 77u);
  EXPECT_EQ(response->exit_number, 51);
  ::close(fd);
  ASSERT_TRUE(Send(Confirm(77, "C051", v1::DivertConfirm::SORTED, "plc-0")).has_ack());
  EXPECT_EQ(Ask(Request(78, {"EA000000014CN"})).outcome(), v1::DECISION_OVERFLOW)
      << "the telegram's parcel filled C051";
}

TEST_F(DockServiceTest, PublishesSnapshotsAndServesPrometheusMetrics) {
  DockOptions options = Options();
  options.events_endpoint = "tcp://127.0.0.1:0";
  options.metrics_port = 0;
  options.snapshot_every_ms = 100;
  Start(options);
  auto subscriber =
      transport::Subscriber::Connect(*context_, dock_->events_endpoint(), {"snapshot"}).value();
  StoreRecords({Record("EA000000014CN", "C051")});
  ASSERT_EQ(Ask(Request(1, {"EA000000014CN"})).outcome(), v1::DECISION_SORTED);
  ASSERT_EQ(Ask(Request(2, {})).outcome(), v1::DECISION_NO_READ);
  ASSERT_TRUE(Send(Confirm(1, "C051")).has_ack());

  std::optional<v1::DockSnapshot> seen;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (std::chrono::steady_clock::now() < deadline) {
    auto in = subscriber->Receive(milliseconds(200));
    ASSERT_OK(in);
    if (!in->has_value()) continue;
    auto event = transport::Decode<v1::DockEvent>((*in)->payload);
    ASSERT_OK(event);
    // Snapshots taken before the divert confirmation may still be queued; wait for one
    // that shows its effect (the parcel loaded onto an open truck).
    if (event->snapshot().decisions() == 2 && event->snapshot().chutes_size() > 0 &&
        event->snapshot().open_trucks_size() > 0) {
      seen = event->snapshot();
      break;
    }
  }
  ASSERT_TRUE(seen.has_value()) << "no snapshot with both decisions";
  EXPECT_EQ(seen->records_indexed(), 1u);
  EXPECT_EQ(seen->outcomes().at("DECISION_SORTED"), 1u);
  EXPECT_EQ(seen->open_trucks_size(), 1);
  EXPECT_EQ(seen->chutes(0).state(), v1::CHUTE_FULL);

  std::string metrics = testing::HttpGet(dock_->metrics_port(), "/metrics");
  EXPECT_NE(metrics.find("sortline_dock_decisions_total{outcome=\"DECISION_SORTED\"} 1\n"),
            std::string::npos)
      << metrics;
  EXPECT_NE(metrics.find("sortline_dock_decisions_total{outcome=\"DECISION_NO_READ\"} 1\n"),
            std::string::npos);
  EXPECT_NE(metrics.find("sortline_dock_decision_latency_seconds_count 2\n"), std::string::npos);
  EXPECT_NE(metrics.find("sortline_dock_records_stored_total 1\n"), std::string::npos);
  EXPECT_NE(metrics.find("sortline_dock_chute_state{chute=\"C051\",state=\"CHUTE_FULL\"} 1"),
            std::string::npos)
      << metrics;
  EXPECT_NE(metrics.find("sortline_dock_event_backlog"), std::string::npos);
}

TEST_F(DockServiceTest, ASendersSecondBatchIsRefusedUntilItsFirstIsAnswered) {
  // The store thread is held at its first commit (another sender's batch) while the
  // worker sends batch 1, batch 1 again and batch 2: they are all read at once after.
  std::mutex mu;
  std::condition_variable cv;
  bool hold = true;
  int held = 0;
  DockOptions options = Options();
  options.probe = [&](std::string_view point) {
    if (point != "before-commit") return;
    std::unique_lock<std::mutex> lock(mu);
    ++held;
    cv.notify_all();
    cv.wait(lock, [&] { return !hold; });
  };
  Start(options);
  auto batch = [](uint64_t sequence, const std::string& tracking) {
    v1::RecordsMessage message;
    message.mutable_batch()->set_sequence(sequence);
    *message.mutable_batch()->add_records() = Record(tracking, "C051");
    return transport::Encode(message);
  };
  auto other = transport::ClientChannel::Connect(*context_, dock_->records_endpoint()).value();
  ASSERT_OK(other->Send(batch(7, "EA000000014CN")));
  {
    std::unique_lock<std::mutex> lock(mu);
    ASSERT_TRUE(cv.wait_for(lock, std::chrono::seconds(10), [&] { return held == 1; }));
  }
  auto worker =
      transport::ClientChannel::Connect(*context_, dock_->records_endpoint(), "worker").value();
  ASSERT_OK(worker->Send(batch(1, "EA000000028CN")));
  ASSERT_OK(worker->Send(batch(1, "EA000000028CN")));
  ASSERT_OK(worker->Send(batch(2, "EA000000031CN")));
  std::this_thread::sleep_for(milliseconds(500));  // into the dock's queue meanwhile
  {
    std::lock_guard<std::mutex> lock(mu);
    hold = false;
  }
  cv.notify_all();

  std::vector<v1::RecordsMessage> replies;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (replies.size() < 3 && std::chrono::steady_clock::now() < deadline) {
    auto in = worker->Receive(replies.size() < 2 ? milliseconds(100) : milliseconds(500));
    ASSERT_OK(in);
    if (in->has_value()) {
      replies.push_back(transport::Decode<v1::RecordsMessage>(**in).value());
    } else if (replies.size() == 2) {
      break;  // no third answer came
    }
  }
  ASSERT_EQ(replies.size(), 2u) << "batch 1 acknowledged once, batch 2 refused";
  int acknowledged = 0;
  int refused = 0;
  for (const v1::RecordsMessage& reply : replies) {
    if (reply.has_stored() && reply.stored().sequence() == 1) ++acknowledged;
    if (reply.error().find("one record batch at a time") != std::string::npos) ++refused;
  }
  EXPECT_EQ(acknowledged, 1);
  EXPECT_EQ(refused, 1);
  auto ack = other->Receive(milliseconds(5000));
  ASSERT_TRUE(ack.ok() && ack->has_value());
  EXPECT_EQ(transport::Decode<v1::RecordsMessage>(**ack)->stored().sequence(), 7u);

  ASSERT_OK(worker->Send(batch(2, "EA000000031CN")));
  auto stored = worker->Receive(milliseconds(5000));
  ASSERT_TRUE(stored.ok() && stored->has_value());
  EXPECT_EQ(transport::Decode<v1::RecordsMessage>(**stored)->stored().stored(), 1u)
      << "batch 2 is taken once batch 1 is answered";
}

TEST_F(DockServiceTest, AMalformedConveyorMessageGetsAnErrorAndTheDockCarriesOn) {
  Start(Options());
  ASSERT_OK(scanner_->Send("\xff\xff garbage"));
  auto in = scanner_->Receive(milliseconds(5000));
  ASSERT_TRUE(in.ok() && in->has_value());
  EXPECT_FALSE(transport::Decode<v1::ConveyorMessage>(**in)->error().empty());
  EXPECT_EQ(Ask(Request(1, {"EA000000014CN"})).outcome(), v1::DECISION_NO_ORDER);
}

// Issue 15: a conveyor reply the channel refuses (the scanner gone with its requests
// still queued) was dropped without a trace; now each is counted and logged, and the
// dock serves on.
TEST_F(DockServiceTest, ConveyorRepliesToAGoneScannerAreCountedAndLoggedIssue15) {
  std::vector<std::string> log;
  std::mutex log_mu;
  DockOptions options = Options();
  options.metrics_port = 0;
  options.log = Capture(log, log_mu);
  Start(options);
  auto lost = [&] {
    const std::string text = testing::HttpGet(dock_->metrics_port(), "/metrics");
    const std::string series = "sortline_dock_replies_lost_total{channel=\"conveyor\"} ";
    const size_t at = text.find(series);
    return at == std::string::npos ? -1.0 : std::stod(text.substr(at + series.size()));
  };
  EXPECT_EQ(lost(), 0);
  v1::ConveyorMessage ask;
  *ask.mutable_sort_request() = Request(1, {"EA000000014CN"});
  const std::string payload = transport::Encode(ask);
  // A scanner that sends a burst and goes at once: the dock answers requests it has
  // taken after the scanner's connection is gone, and the channel refuses those replies.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (lost() <= 0 && std::chrono::steady_clock::now() < deadline) {
    auto gone = transport::ClientChannel::Connect(*context_, dock_->conveyor_endpoint()).value();
    for (int i = 0; i < 500; ++i) gone->Send(payload).IgnoreError();
    gone.reset();
    std::this_thread::sleep_for(milliseconds(200));
  }
  const double counted = lost();
  ASSERT_GT(counted, 0) << "no reply was refused";
  {
    std::lock_guard<std::mutex> lock(log_mu);
    size_t warned = 0;
    for (const std::string& line : log) {
      warned += line.rfind("warning dock: conveyor reply lost: ", 0) == 0;
    }
    EXPECT_GE(warned, 1u);
    EXPECT_LE(warned, static_cast<size_t>(counted)) << "one line per lost reply at most";
  }
  EXPECT_EQ(Ask(Request(2, {"EA000000014CN"})).outcome(), v1::DECISION_NO_ORDER)
      << "the dock serves on";
}

// Issue 14: a manifest the disk refuses is not lost: an ALARM, the waiting gauge, and
// retries until the disk takes it, durably, through the file seam.
TEST_F(DockServiceTest, AManifestTheDiskRefusesIsRetriedUntilWrittenIssue14) {
  sortline::testing::FaultInjectingFileSystem files;
  std::vector<std::string> log;
  std::mutex log_mu;
  DockOptions options = Options();
  options.file_system = &files;
  options.metrics_port = 0;
  options.store_retry_ms = 50;
  options.log = Capture(log, log_mu);
  Start(options);
  StoreRecords({Record("EA000000014CN", "C052")});
  ASSERT_EQ(Ask(Request(1, {"EA000000014CN"})).chute(), "C052");
  ASSERT_TRUE(Send(Confirm(1, "C052")).has_ack());
  files.SetDiskFull(true);
  v1::ConveyorMessage close;
  close.mutable_door_event()->set_door("D01");
  close.mutable_door_event()->set_kind(v1::DoorEvent::CLOSE_TRUCK);
  ASSERT_TRUE(Exchange(close).has_ack());
  const std::string manifest = dir_.file("manifests/D01-1.csv");
  auto wait_for = [](const std::function<bool()>& done) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!done() && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(milliseconds(20));
    }
    return done();
  };
  auto metric = [&](const std::string& name) {
    const std::string text = testing::HttpGet(dock_->metrics_port(), "/metrics");
    const size_t at = text.find("\n" + name + " ");
    return at == std::string::npos ? -1 : std::stod(text.substr(at + name.size() + 2));
  };
  ASSERT_TRUE(wait_for([&] { return metric("sortline_dock_manifests_waiting") == 1; }));
  EXPECT_FALSE(std::filesystem::exists(manifest));
  const int refused = files.refused();
  ASSERT_TRUE(wait_for([&] { return files.refused() > refused; })) << "retried while full";
  files.SetDiskFull(false);
  ASSERT_TRUE(wait_for([&] { return std::filesystem::exists(manifest); }));
  EXPECT_TRUE(wait_for([&] { return metric("sortline_dock_manifests_waiting") == 0; }));
  EXPECT_TRUE(std::filesystem::exists(dir_.file("manifests/D01-1.pdf")));
  Stop();
  int alarms = 0;
  for (const std::string& line : log)
    alarms += line.find("alarm dock: manifest") != std::string::npos;
  EXPECT_EQ(alarms, 1) << "one alarm for the wait, not one per retry";
  EXPECT_NE(sortline::testing::ReadFile(manifest).find("EA000000014CN"), std::string::npos);
}

// A rolling update (issue 15): a worker and a scanner gateway of the oldest release this
// build still supports write envelopes at their own, older schema version; the dock
// serves them as it serves its own release.
TEST_F(DockServiceTest, PeersAtTheOldestSupportedEnvelopeVersionAreServedIssue15) {
  Start(Options());
  auto worker = transport::ClientChannel::Connect(*context_, dock_->records_endpoint()).value();
  v1::RecordsMessage records;
  records.set_schema_version(transport::wire_version::kOldestSupported);
  records.mutable_batch()->set_sequence(1);
  *records.mutable_batch()->add_records() = Record("EA000000014CN", "C051");
  ASSERT_TRUE(worker->Send(records.SerializeAsString()).ok());
  auto ack = worker->Receive(milliseconds(5000));
  ASSERT_TRUE(ack.ok() && ack->has_value());
  Result<v1::RecordsMessage> stored = transport::Decode<v1::RecordsMessage>(**ack);
  ASSERT_TRUE(stored.ok()) << stored.status();
  EXPECT_TRUE(stored->error().empty()) << stored->error();
  EXPECT_EQ(stored->stored().stored(), 1u);

  v1::ConveyorMessage scan;
  scan.set_schema_version(transport::wire_version::kOldestSupported);
  *scan.mutable_sort_request() = Request(1, {"EA000000014CN"});
  ASSERT_TRUE(scanner_->Send(scan.SerializeAsString()).ok());
  auto in = scanner_->Receive(milliseconds(5000));
  ASSERT_TRUE(in.ok() && in->has_value());
  Result<v1::ConveyorMessage> decided = transport::Decode<v1::ConveyorMessage>(**in);
  ASSERT_TRUE(decided.ok()) << decided.status();
  EXPECT_EQ(decided->sort_response().outcome(), v1::DECISION_SORTED);
  EXPECT_EQ(decided->sort_response().chute(), "C051");
}

// A peer outside the supported versions (here a newer one: this build's oldest supported
// is its current) is refused with both ends of the range named and counted; nothing of
// its batch is stored, and the dock carries on. Which refusal each version gets is
// Envelope.VersionsOutsideTheRangeAreRefusedNamingBothEndsIssue15.
TEST_F(DockServiceTest, APeerOutsideTheSupportedVersionsIsRefusedAndCountedIssue15) {
  DockOptions options = Options();
  options.metrics_port = 0;
  Start(options);
  auto worker = transport::ClientChannel::Connect(*context_, dock_->records_endpoint()).value();
  v1::RecordsMessage records;
  records.set_schema_version(transport::wire_version::kCurrent + 1);
  records.mutable_batch()->set_sequence(1);
  *records.mutable_batch()->add_records() = Record("EA000000014CN", "C051");
  ASSERT_TRUE(worker->Send(records.SerializeAsString()).ok());
  auto in = worker->Receive(milliseconds(5000));
  ASSERT_TRUE(in.ok() && in->has_value());
  v1::RecordsMessage refused;
  ASSERT_TRUE(refused.ParseFromString(**in));
  const std::string oldest = std::to_string(transport::wire_version::kOldestSupported);
  const std::string current = std::to_string(transport::wire_version::kCurrent);
  EXPECT_NE(refused.error().find(oldest + " (oldest supported)"), std::string::npos)
      << refused.error();
  EXPECT_NE(refused.error().find(current + " (current)"), std::string::npos) << refused.error();
  EXPECT_NE(refused.error().find("is newer than this build speaks"), std::string::npos)
      << refused.error();
  EXPECT_FALSE(refused.has_stored());
  const std::string metrics = testing::HttpGet(dock_->metrics_port(), "/metrics");
  EXPECT_NE(metrics.find("sortline_dock_record_batches_refused_total{reason=\"malformed\"} 1\n"),
            std::string::npos)
      << metrics;

  ASSERT_TRUE(worker->Send(transport::Encode(records)).ok());
  auto ack = worker->Receive(milliseconds(5000));
  ASSERT_TRUE(ack.ok() && ack->has_value());
  EXPECT_EQ(transport::Decode<v1::RecordsMessage>(**ack)->stored().stored(), 1u)
      << "the same batch at the current version is stored";
}

}  // namespace
}  // namespace sortline::runtime
