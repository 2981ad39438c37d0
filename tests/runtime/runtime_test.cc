// The services in one process: intake, workers and dock over inproc:// channels.
#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "pipeline/model/orders.h"
#include "pipeline/runtime/dock.h"
#include "pipeline/runtime/embedded.h"
#include "pipeline/runtime/intake.h"
#include "pipeline/runtime/progress.h"
#include "pipeline/runtime/stage_timings.h"
#include "pipeline/runtime/submit.h"
#include "pipeline/runtime/timeline.h"
#include "pipeline/runtime/worker.h"
#include "pipeline/store/dock_store.h"
#include "pipeline/transport/channel.h"
#include "pipeline/transport/envelope.h"
#include "proto/dock.pb.h"
#include "tests/runtime/runtime_fixture.h"
#include "tests/testing/fake_clock.h"
#include "tests/testing/process.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/testing.h"

namespace sortline::runtime {
namespace {

using std::chrono::milliseconds;
using ::testing::HasSubstr;
using ::testing::StartsWith;

class RuntimeTest : public RuntimeFixture {};

size_t CountLines(const std::string& path) {
  std::ifstream in(path);
  size_t n = 0;
  std::string line;
  while (std::getline(in, line)) ++n;
  return n;
}

TEST_F(RuntimeTest, EmbeddedRunSortsLabelsAndStoresEveryOrderOnce) {
  EmbeddedOptions options;
  options.batch_size = 128;
  Result<v1::RunSummary> summary = RunOrders(WriteOrders(600, 5), options);
  ASSERT_OK(summary);
  EXPECT_EQ(summary->lines(), 600u);
  EXPECT_EQ(summary->accepted(), 600u);
  EXPECT_EQ(summary->ok(), 600u);
  EXPECT_EQ(summary->failed(), 0u);
  EXPECT_EQ(CountLines(summary->records_path()), 600u);
  size_t label_files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(summary->labels_dir())) {
    if (entry.is_directory()) continue;  // the index
    EXPECT_EQ(entry.path().extension(), ".pdf") << "no temporary files are left";
    EXPECT_TRUE(entry.path().filename().string().starts_with("batch-")) << entry.path();
    ++label_files;
  }
  EXPECT_GE(label_files, 2u) << "one batch file per work batch";
  EXPECT_LE(label_files, 10u);
  EXPECT_TRUE(std::filesystem::exists(summary->summary_path()));

  // The summary counts the dock's records per outcome and per chute (issue 3).
  uint64_t by_outcome = 0;
  for (const auto& [outcome, count] : summary->records_by_outcome()) by_outcome += count;
  EXPECT_EQ(by_outcome, 600u);
  uint64_t by_chute = 0;
  for (const auto& [chute, count] : summary->records_by_chute()) {
    EXPECT_FALSE(chute.empty());
    by_chute += count;
  }
  EXPECT_EQ(by_chute, 600u);
  EXPECT_GT(summary->records_by_chute_size(), 10) << "orders spread over many chutes";
  std::string printed = FormatSummary(*summary);
  EXPECT_NE(printed.find("records by outcome: OUTCOME_SORTED"), std::string::npos) << printed;
  EXPECT_NE(printed.find("records by chute:"), std::string::npos) << printed;
}

TEST_F(RuntimeTest, RunningTheSameFileAgainDoublesNothing) {
  const std::string orders = WriteOrders(300, 6);
  EmbeddedOptions options;
  options.batch_size = 100;
  Result<v1::RunSummary> first = RunOrders(orders, options);
  ASSERT_OK(first);
  std::string records_before;
  {
    std::ifstream in(first->records_path());
    records_before.assign(std::istreambuf_iterator<char>(in), {});
  }
  Result<v1::RunSummary> second = RunOrders(orders, options);
  ASSERT_OK(second);
  EXPECT_EQ(second->ok(), 300u);
  EXPECT_EQ(second->failed(), 0u);
  std::ifstream in(second->records_path());
  std::string records_after(std::istreambuf_iterator<char>(in), {});
  EXPECT_EQ(records_after, records_before) << "same tracking numbers, same records";
}

TEST_F(RuntimeTest, DockAnswersTheConveyorFromStoredRecords) {
  // Two records stored through the records channel, then scan-time questions.
  std::unique_ptr<Dock> dock = OpenDock("inproc://records", "inproc://conveyor");
  ASSERT_NE(dock, nullptr);
  ServiceThread running(*dock);

  auto worker = transport::ClientChannel::Connect(*context_, "inproc://records").value();
  v1::RecordsMessage records;
  records.mutable_batch()->set_sequence(7);
  for (auto [tracking, chute] : {std::pair{"EA000000014CN", "C051"}, {"EA000000028CN", "C052"}}) {
    v1::SortRecord* r = records.mutable_batch()->add_records();
    r->set_order_id(std::string("order-") + tracking);
    r->set_tracking_number(tracking);
    r->set_chute(chute);
    r->set_outcome(v1::OUTCOME_SORTED);
  }
  ASSERT_OK(worker->Send(transport::Encode(records)));
  auto ack = worker->Receive(milliseconds(5000));
  ASSERT_TRUE(ack.ok() && ack->has_value());
  auto stored = transport::Decode<v1::RecordsMessage>(**ack);
  ASSERT_OK(stored);
  EXPECT_EQ(stored->stored().sequence(), 7u);
  EXPECT_EQ(stored->stored().stored(), 2u);

  auto scanner = transport::ClientChannel::Connect(*context_, "inproc://conveyor").value();
  auto ask = [&](std::vector<std::string> barcodes, uint64_t txn) {
    v1::ConveyorMessage message;
    v1::SortRequest& request = *message.mutable_sort_request();
    request.set_scanner_id("S1");
    request.set_transaction_id(txn);
    for (auto& b : barcodes) request.add_barcodes(b);
    EXPECT_OK(scanner->Send(transport::Encode(message)));
    auto in = scanner->Receive(milliseconds(5000));
    EXPECT_TRUE(in.ok() && in->has_value());
    return transport::Decode<v1::ConveyorMessage>(**in).value().sort_response();
  };
  v1::SortResponse known = ask({"EA000000014CN"}, 1);
  EXPECT_EQ(known.outcome(), v1::DECISION_SORTED);
  EXPECT_EQ(known.chute(), "C051");
  EXPECT_EQ(known.transaction_id(), 1u);
  EXPECT_EQ(ask({}, 2).outcome(), v1::DECISION_NO_READ);
  EXPECT_EQ(ask({"EA000000031CN"}, 3).outcome(), v1::DECISION_NO_ORDER);
  EXPECT_EQ(ask({"EA000000014CN", "EA000000028CN"}, 4).outcome(), v1::DECISION_MULTI_BARCODE);
  EXPECT_EQ(ask({"EA000000014CN", "EA000000014CN"}, 5).outcome(), v1::DECISION_SORTED)
      << "the same label read twice is one parcel";
}

// Issue 15: a full journal refuses a batch with `retry` set, so the submitter sends the
// same batch again later instead of giving up; intake keeps answering, its /readyz fails
// while the journal refuses, and a batch it will never take is not marked retry.
TEST_F(RuntimeTest, IntakeAnswersRetryWhileItsJournalIsFullIssue15) {
  IntakeOptions options;
  options.journal.synchronous_full = false;
  options.journal.max_bytes = 256 * 1024;
  options.metrics_port = 0;
  std::unique_ptr<Intake> intake = OpenIntake("tcp://127.0.0.1:0", "tcp://127.0.0.1:0", options);
  ASSERT_NE(intake, nullptr);
  ServiceThread running(*intake);
  auto client = transport::ClientChannel::Connect(*context_, intake->submit_endpoint()).value();

  int taken = 0;
  v1::SubmitReply refused;
  for (int b = 0; b < 200 && refused.error().empty(); ++b) {
    v1::SubmitRequest request;
    request.mutable_batch()->set_batch_id("B" + std::to_string(b));
    for (int i = 0; i < 100; ++i) {
      *request.mutable_batch()->add_orders() =
          testing::SampleOrder("O" + std::to_string(b) + "-" + std::to_string(i));
    }
    v1::SubmitReply reply = AskIntake(*client, request);
    if (reply.error().empty()) {
      EXPECT_EQ(reply.accepted(), 100u);
      ++taken;
    } else {
      refused = reply;
    }
  }
  ASSERT_FALSE(refused.error().empty()) << "the journal never filled up";
  EXPECT_GT(taken, 0);
  EXPECT_TRUE(refused.retry()) << refused.ShortDebugString();
  EXPECT_THAT(refused.error(), HasSubstr("full"));
  EXPECT_THAT(testing::HttpGet(intake->metrics_port(), "/readyz"), StartsWith("HTTP/1.1 503"));
  EXPECT_THAT(testing::HttpGet(intake->metrics_port(), "/metrics"),
              HasSubstr("\nsortline_intake_batches_refused_total 1\n"));

  v1::SubmitRequest progress;
  progress.set_progress_batch_id("B0");
  EXPECT_EQ(AskIntake(*client, progress).progress().total(), 100u) << "intake still answers";
  v1::SubmitRequest no_id;
  *no_id.mutable_batch()->add_orders() = testing::SampleOrder("never");
  v1::SubmitReply never = AskIntake(*client, no_id);
  EXPECT_FALSE(never.error().empty());
  EXPECT_FALSE(never.retry()) << "a batch without an id is never taken: no point resending it";
}

TEST_F(RuntimeTest, IntakeAnswersARepeatedBatchIdentically) {
  std::unique_ptr<Intake> intake = OpenIntake("inproc://submit", "inproc://work");
  ASSERT_NE(intake, nullptr);
  ServiceThread running(*intake);

  auto client = transport::ClientChannel::Connect(*context_, "inproc://submit").value();
  v1::SubmitRequest request;
  v1::OrderBatch* batch = request.mutable_batch();
  batch->set_batch_id("B1");
  *batch->add_orders() = testing::SampleOrder("A1");
  *batch->add_orders() = testing::SampleOrder("A2");
  v1::Order bad = testing::SampleOrder("A3");
  bad.mutable_parcel()->set_weight_g(0);
  *batch->add_orders() = bad;
  v1::SubmitReply first = AskIntake(*client, request);
  EXPECT_TRUE(first.error().empty()) << first.error();
  EXPECT_EQ(first.accepted(), 2u);
  ASSERT_EQ(first.rejected_size(), 1);
  EXPECT_EQ(first.rejected(0).index(), 2u);
  v1::SubmitReply again = AskIntake(*client, request);
  EXPECT_EQ(again.SerializeAsString(), first.SerializeAsString());

  v1::SubmitRequest progress;
  progress.set_progress_batch_id("B1");
  v1::SubmitReply p = AskIntake(*client, progress);
  EXPECT_EQ(p.progress().total(), 2u);
  EXPECT_FALSE(p.progress().complete()) << "no worker has done anything yet";

  v1::SubmitRequest unknown;
  unknown.set_progress_batch_id("nope");
  EXPECT_FALSE(AskIntake(*client, unknown).error().empty());

  // A peer speaking another schema version is refused, and intake keeps serving.
  v1::SubmitRequest future = request;
  future.set_schema_version(2);
  v1::SubmitReply refused = AskIntake(*client, future.SerializeAsString());
  EXPECT_NE(refused.error().find("schema version"), std::string::npos) << refused.error();
  EXPECT_EQ(AskIntake(*client, progress).progress().total(), 2u);
}

// A worker's side of the work channel, spoken by hand.
class RawWorker {
 public:
  RawWorker(transport::Context& context, const std::string& endpoint, const std::string& name)
      : channel_(transport::ClientChannel::Connect(context, endpoint, name).value()) {}

  void Send(const v1::WorkMessage& message) {
    ASSERT_OK(channel_->Send(transport::Encode(message)));
  }
  void Ready(uint32_t credit) {
    v1::WorkMessage m;
    m.mutable_ready()->set_credit(credit);
    Send(m);
  }
  void Beat(uint64_t lease_id = 0) {
    v1::WorkMessage m;
    m.mutable_heartbeat()->set_sent_unix_ms(1);
    if (lease_id != 0) m.mutable_heartbeat()->add_lease_ids(lease_id);
    Send(m);
  }
  // The next message of `kind` within `timeout`, skipping others (e.g. heartbeats).
  std::optional<v1::WorkMessage> Next(v1::WorkMessage::KindCase kind, milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      auto in = channel_->Receive(milliseconds(20));
      if (!in.ok() || !in->has_value()) continue;
      auto m = transport::Decode<v1::WorkMessage>(**in);
      if (m.ok() && m->kind_case() == kind) return std::move(m).value();
    }
    return std::nullopt;
  }

 private:
  std::unique_ptr<transport::ClientChannel> channel_;
};

TEST_F(RuntimeTest, HeartbeatsKeepAWorkersLeaseAndSilencePassesItOnIssue5) {
  IntakeOptions options;
  options.lease_ms = 600;
  std::unique_ptr<Intake> intake = OpenIntake("inproc://submit", "inproc://work", options);
  ASSERT_NE(intake, nullptr);
  ServiceThread running(*intake);

  // A worker intake has never heard of is asked for its credit.
  RawWorker a(*context_, "inproc://work", "a");
  a.Beat();
  std::optional<v1::WorkMessage> hello = a.Next(v1::WorkMessage::kHeartbeat, milliseconds(5000));
  ASSERT_TRUE(hello.has_value());
  EXPECT_TRUE(hello->heartbeat().reannounce());

  auto submitter = transport::ClientChannel::Connect(*context_, "inproc://submit").value();
  v1::SubmitRequest request;
  request.mutable_batch()->set_batch_id("B1");
  *request.mutable_batch()->add_orders() = testing::SampleOrder("L1");
  *request.mutable_batch()->add_orders() = testing::SampleOrder("L2");
  ASSERT_EQ(AskIntake(*submitter, request).accepted(), 2u);

  a.Ready(10);
  std::optional<v1::WorkMessage> work = a.Next(v1::WorkMessage::kWork, milliseconds(5000));
  ASSERT_TRUE(work.has_value());
  ASSERT_EQ(work->work().orders_size(), 2);
  a.Beat(work->work().lease_id());
  std::optional<v1::WorkMessage> known = a.Next(v1::WorkMessage::kHeartbeat, milliseconds(5000));
  ASSERT_TRUE(known.has_value());
  EXPECT_FALSE(known->heartbeat().reannounce()) << "a announced its credit";

  // While a keeps beating, for three lease periods, b gets none of its work.
  RawWorker b(*context_, "inproc://work", "b");
  b.Ready(10);
  auto until = std::chrono::steady_clock::now() + milliseconds(3 * options.lease_ms);
  while (std::chrono::steady_clock::now() < until) {
    a.Beat(work->work().lease_id());
    b.Beat();
    EXPECT_FALSE(b.Next(v1::WorkMessage::kWork, milliseconds(100)).has_value())
        << "a's lease was taken while it was alive";
  }
  // a goes silent: after its lease, b gets the same orders with the same numbers.
  std::optional<v1::WorkMessage> moved;
  until = std::chrono::steady_clock::now() + milliseconds(10'000);
  while (!moved.has_value() && std::chrono::steady_clock::now() < until) {
    b.Beat();
    moved = b.Next(v1::WorkMessage::kWork, milliseconds(200));
  }
  ASSERT_TRUE(moved.has_value());
  ASSERT_EQ(moved->work().orders_size(), 2);
  EXPECT_EQ(moved->work().orders(0).tracking_number(), work->work().orders(0).tracking_number());
  EXPECT_NE(moved->work().lease_id(), work->work().lease_id());

  // A worker whose first word to this intake is a result (it finished work during an
  // intake restart) is still asked for its credit.
  RawWorker c(*context_, "inproc://work", "c");
  v1::WorkMessage done;
  done.mutable_done()->set_lease_id(work->work().lease_id());
  c.Send(done);
  c.Beat();
  std::optional<v1::WorkMessage> ask = c.Next(v1::WorkMessage::kHeartbeat, milliseconds(5000));
  ASSERT_TRUE(ask.has_value());
  EXPECT_TRUE(ask->heartbeat().reannounce());
}

TEST_F(RuntimeTest, AnAcknowledgementOfAnotherBatchDoesNotCompleteAWorkersLease) {
  // intake and dock played by hand. The dock first answers with the acknowledgement a
  // killed predecessor of the same name would have got (sequence 1, the old start of
  // every worker); the worker must not report its lease done on it.
  auto intake = transport::ServerChannel::Bind(*context_, "inproc://work").value();
  auto dock = transport::ServerChannel::Bind(*context_, "inproc://records").value();
  WorkerOptions options;
  options.fsync_labels = false;
  options.dock_ack_timeout_ms = 60'000;  // no resend within the test
  std::unique_ptr<Worker> worker = OpenWorker("w1", "inproc://work", "inproc://records", options);
  ASSERT_NE(worker, nullptr);
  ServiceThread running(*worker);

  auto next_work_message = [&](v1::WorkMessage::KindCase kind, milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      auto in = intake->Receive(milliseconds(20));
      if (!in.ok() || !in->has_value()) continue;
      auto m = transport::Decode<v1::WorkMessage>((*in)->payload);
      if (m.ok() && m->kind_case() == kind) return std::optional<v1::WorkMessage>(*m);
    }
    return std::optional<v1::WorkMessage>();
  };
  ASSERT_TRUE(next_work_message(v1::WorkMessage::kReady, milliseconds(5000)).has_value());
  v1::WorkMessage work;
  work.mutable_work()->set_lease_id(7);
  v1::Order order = testing::SampleOrder("A1");
  order.set_tracking_number("EA000000014CN");
  *work.mutable_work()->add_orders() = order;
  ASSERT_OK(intake->Send("w1", transport::Encode(work)));

  auto records = dock->Receive(milliseconds(10'000));
  ASSERT_TRUE(records.ok() && records->has_value());
  auto batch = transport::Decode<v1::RecordsMessage>((*records)->payload);
  ASSERT_TRUE(batch.ok() && batch->has_batch());
  ASSERT_NE(batch->batch().sequence(), 1u);
  v1::RecordsMessage stale;
  stale.mutable_stored()->set_sequence(1);
  stale.mutable_stored()->set_stored(1);
  ASSERT_OK(dock->Send("w1", transport::Encode(stale)));
  EXPECT_FALSE(next_work_message(v1::WorkMessage::kDone, milliseconds(1500)).has_value())
      << "the lease was reported done on another batch's acknowledgement";

  v1::RecordsMessage ack;
  ack.mutable_stored()->set_sequence(batch->batch().sequence());
  ack.mutable_stored()->set_stored(1);
  ASSERT_OK(dock->Send("w1", transport::Encode(ack)));
  std::optional<v1::WorkMessage> done =
      next_work_message(v1::WorkMessage::kDone, milliseconds(5000));
  ASSERT_TRUE(done.has_value());
  EXPECT_EQ(done->done().lease_id(), 7u);
}

// Issue 15: the worker paced its heartbeats on the wall clock, so an NTP step back
// silenced it (its lease expired at intake) and a step forward sent one at once. Paced
// on the steady clock, a heartbeat goes exactly when heartbeat_ms of steady time passed.
TEST_F(RuntimeTest, AWallClockStepNeitherSkipsNorBunchesHeartbeatsIssue15) {
  auto intake = transport::ServerChannel::Bind(*context_, "inproc://beats-work").value();
  auto dock = transport::ServerChannel::Bind(*context_, "inproc://beats-records").value();
  testing::FakeClock clock;
  WorkerOptions options;
  options.fsync_labels = false;
  options.heartbeat_ms = 1000;
  options.clock = &clock;
  std::unique_ptr<Worker> worker =
      OpenWorker("w1", "inproc://beats-work", "inproc://beats-records", options);
  ASSERT_NE(worker, nullptr);
  ServiceThread running(*worker);

  // Messages of `kind` intake receives in real time: it waits up to `first` for one, then
  // counts any more for `quiet` (the worker's loop turns every 200 ms, looking whether a
  // heartbeat is due; a loaded machine may delay that turn, not add one).
  auto count = [&](v1::WorkMessage::KindCase kind, milliseconds first, milliseconds quiet) {
    int n = 0;
    auto until = std::chrono::steady_clock::now() + first;
    while (std::chrono::steady_clock::now() < until) {
      auto in = intake->Receive(milliseconds(20));
      if (!in.ok() || !in->has_value()) continue;
      auto m = transport::Decode<v1::WorkMessage>((*in)->payload);
      if (!m.ok() || m->kind_case() != kind) continue;
      if (n++ == 0) until = std::chrono::steady_clock::now() + quiet;
    }
    return n;
  };
  const auto kHeartbeat = v1::WorkMessage::kHeartbeat;
  const milliseconds kQuiet(600);  // three turns of the worker's loop
  const milliseconds kDue(5000);   // a heartbeat that is due arrives well within this
  ASSERT_EQ(count(v1::WorkMessage::kReady, kDue, kQuiet), 1);
  EXPECT_EQ(count(kHeartbeat, kQuiet, kQuiet), 0) << "no steady time passed";
  clock.SetUnixMillis(clock.UnixMillis() + 3'600'000);
  EXPECT_EQ(count(kHeartbeat, kQuiet, kQuiet), 0) << "the wall clock's hour ahead bunched one";
  clock.SetUnixMillis(clock.UnixMillis() - 7'200'000);
  clock.Advance(milliseconds(1000));
  EXPECT_EQ(count(kHeartbeat, kDue, kQuiet), 1) << "the wall clock's step back skipped it";
  clock.Advance(milliseconds(999));
  EXPECT_EQ(count(kHeartbeat, kQuiet, kQuiet), 0);
  clock.Advance(milliseconds(1));
  EXPECT_EQ(count(kHeartbeat, kDue, kQuiet), 1);
}

TEST(Progress, ShowsDoneTotalRateAndTimeLeft) {
  testing::FakeClock clock;
  Progress progress(ProgressOptions{}, clock);
  progress.SetTotal(10'000);
  clock.Advance(std::chrono::seconds(2));
  progress.Update(5'000, 3);
  EXPECT_EQ(progress.Render(true),
            "[##############..............] 5,000/10,000 orders (3 failed)  2,500/s  elapsed 2s"
            "  ETA 2s");
  EXPECT_EQ(progress.Render(false), "5,000/10,000 orders (3 failed)  2,500/s  elapsed 2s  ETA 2s");
}

TEST(Progress, PrintsPlainLinesWhenNotOnATerminal) {
  testing::FakeClock clock;
  char* buffer = nullptr;
  size_t size = 0;
  std::FILE* out = open_memstream(&buffer, &size);
  ProgressOptions options;
  options.out = out;
  options.terminal = false;
  options.interval = milliseconds(1000);
  Progress progress(options, clock);
  progress.SetTotal(100);
  for (int i = 1; i <= 100; ++i) {
    clock.Advance(milliseconds(100));
    progress.Update(static_cast<uint64_t>(i), 0);
  }
  progress.Finish();
  std::fclose(out);
  std::string text(buffer, size);
  std::free(buffer);
  EXPECT_EQ(text.find('\r'), std::string::npos) << "no bar redraws in a log";
  size_t lines = static_cast<size_t>(std::count(text.begin(), text.end(), '\n'));
  EXPECT_GE(lines, 9u);
  EXPECT_LE(lines, 12u);
  EXPECT_NE(text.find("100/100 orders"), std::string::npos) << text;
}

// The report's throughput chart: a zero point at the start, at most one point a second,
// the final counts whenever the run ends (issue 12).
TEST(Timeline, KeepsAPointASecondAndTheFinalCountsIssue12) {
  testing::FakeClock clock;
  Timeline timeline(std::chrono::seconds(1), clock);
  clock.Advance(std::chrono::milliseconds(100));
  timeline.Observe(100, 100, 0, 0);  // too soon after the zero point
  clock.Advance(std::chrono::milliseconds(950));
  timeline.Observe(300, 200, 50, 1);
  clock.Advance(std::chrono::milliseconds(500));
  timeline.Observe(400, 400, 60, 1);  // too soon
  clock.Advance(std::chrono::milliseconds(200));
  v1::RunSummary summary;
  timeline.FinishInto(400, 400, 400, 2, summary);
  ASSERT_EQ(summary.timeline_size(), 3);
  EXPECT_EQ(summary.timeline(0).seconds(), 0);
  EXPECT_EQ(summary.timeline(0).finished(), 0u);
  EXPECT_DOUBLE_EQ(summary.timeline(1).seconds(), 1.05);
  EXPECT_EQ(summary.timeline(1).read(), 300u);
  EXPECT_EQ(summary.timeline(1).accepted(), 200u);
  EXPECT_EQ(summary.timeline(1).finished(), 50u);
  EXPECT_EQ(summary.timeline(1).failed(), 1u);
  EXPECT_DOUBLE_EQ(summary.timeline(2).seconds(), 1.75);
  EXPECT_EQ(summary.timeline(2).finished(), 400u);
  EXPECT_EQ(summary.timeline(2).failed(), 2u);
}

const v1::StageTiming* Stage(const StageTimingList& list, const std::string& name) {
  for (const v1::StageTiming& t : list) {
    if (t.stage() == name) return &t;
  }
  return nullptr;
}

// The stage timings of the report: leases add up at intake, and the submitter's window
// over intake's running total is its own work (issue 12).
TEST(StageTimings, LeasesAddUpAndAWindowOverTheTotalIsTheWorkInBetweenIssue12) {
  using std::chrono::microseconds;
  StageTimings lease1;
  lease1.Record(flow::Stage::kDecode, microseconds(3));
  lease1.Record(flow::Stage::kDecode, microseconds(5));
  lease1.Record(flow::Stage::kRender, microseconds(4000));
  StageTimings lease2(/*render_per_order=*/false);
  lease2.Record(flow::Stage::kDecode, microseconds(100));
  lease2.RecordDockAck(microseconds(900));

  StageTimingList total;  // intake's running total
  lease1.AddTo(&total);
  const StageTimingList before = total;  // what the submitter's first reply carried
  lease2.AddTo(&total);
  ASSERT_EQ(total.size(), 3);  // decode, render, dock_ack: no stage without observations
  const v1::StageTiming* decode = Stage(total, "decode");
  ASSERT_NE(decode, nullptr);
  EXPECT_EQ(decode->count(), 3u);
  EXPECT_DOUBLE_EQ(decode->sum_us(), 108);
  EXPECT_EQ(decode->unit(), "order");
  EXPECT_EQ(Stage(total, "render")->unit(), "batch");
  EXPECT_EQ(Stage(total, "dock_ack")->unit(), "batch");

  const StageTimingList between = TimingsBetween(before, total);
  ASSERT_EQ(between.size(), 2);  // render saw nothing in between
  EXPECT_EQ(Stage(between, "decode")->count(), 1u);
  EXPECT_DOUBLE_EQ(Stage(between, "decode")->sum_us(), 100);
  EXPECT_EQ(Stage(between, "dock_ack")->count(), 1u);
  EXPECT_EQ(Stage(between, "render"), nullptr);

  // Intake restarted between the two readings: no timings rather than wrong ones.
  StageTimingList restarted;
  lease2.AddTo(&restarted);
  EXPECT_TRUE(TimingsBetween(total, restarted).empty());

  TimingWindow window;
  window.Note(before);
  window.Note(total);
  EXPECT_EQ(window.Between().size(), 2);
}

}  // namespace
}  // namespace sortline::runtime
