// sortline-dock as its own process on 127.0.0.1: records in, decisions out over ZeroMQ
// and TCP telegrams, `sortline status`, the Prometheus endpoint, and a restart that keeps
// chute states, fills and trucks.
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "pipeline/csv/csv.h"
#include "pipeline/dock/telegram.h"
#include "pipeline/sort/sort_plan.h"
#include "pipeline/store/dock_store.h"
#include "pipeline/transport/channel.h"
#include "pipeline/transport/envelope.h"
#include "proto/dock.pb.h"
#include "tests/testing/daemons.h"
#include "tests/testing/process.h"
#include "tests/testing/testing.h"

namespace sortline {
namespace {

using std::chrono::milliseconds;

using testing::Bin;
using testing::Endpoint;

int ConnectTcp(int port) { return testing::ConnectLoopback(port, milliseconds(5000)); }

std::string ReadAll(int fd) {
  std::string out;
  char buffer[4096];
  ssize_t got;
  while ((got = ::recv(fd, buffer, sizeof(buffer), 0)) > 0) out.append(buffer, got);
  return out;
}

class DockProcess : public ::testing::Test {
 protected:
  void SetUp() override {
    context_ = transport::Context::Create().value();
    for (int* port : {&records_, &conveyor_, &events_, &telegram_, &metrics_}) {
      *port = testing::FreeLoopbackPort();
    }
  }

  // The dock on the fixture's ports, every channel on, the Xi'an hub's plan.
  testing::DockFlags Flags() const {
    testing::DockFlags flags;
    flags.records = Endpoint(records_);
    flags.conveyor = Endpoint(conveyor_);
    flags.db = dir_.file("dock.db");
    flags.manifests = dir_.file("manifests");
    flags.events = Endpoint(events_);
    flags.telegram_port = telegram_;
    flags.metrics_port = metrics_;
    flags.plan = std::string(SORTLINE_SOURCE_DIR) + "/deploy/plans/xian-hub";
    return flags;
  }

  void StartDock() {
    dock_ = testing::StartDock(Flags(), dir_.file("dock.log"));
    scanner_ = transport::ClientChannel::Connect(*context_, Endpoint(conveyor_)).value();
  }

  void StopDock() {
    scanner_.reset();
    dock_->Signal(SIGTERM);
    std::optional<int> code = dock_->Wait(milliseconds(10'000));
    ASSERT_TRUE(code.has_value()) << testing::ReadFile(dir_.file("dock.log"));
    EXPECT_EQ(*code, 0) << testing::ReadFile(dir_.file("dock.log"));
  }

  v1::ConveyorMessage Exchange(const v1::ConveyorMessage& message) {
    // The scanner's DEALER connects lazily; a send can wait for the daemon to bind.
    for (int attempt = 0; attempt < 50; ++attempt) {
      if (scanner_->Send(transport::Encode(message)).ok()) break;
    }
    auto in = scanner_->Receive(milliseconds(10'000));
    EXPECT_TRUE(in.ok() && in->has_value()) << testing::ReadFile(dir_.file("dock.log"));
    if (!in.ok() || !in->has_value()) return {};
    return transport::Decode<v1::ConveyorMessage>(**in).value();
  }

  v1::SortResponse Ask(uint64_t txn, const std::string& barcode) {
    v1::ConveyorMessage message;
    message.mutable_sort_request()->set_scanner_id("S1");
    message.mutable_sort_request()->set_transaction_id(txn);
    message.mutable_sort_request()->add_barcodes(barcode);
    return Exchange(message).sort_response();
  }

  testing::TempDir dir_;
  std::unique_ptr<transport::Context> context_;
  std::unique_ptr<testing::Subprocess> dock_;
  std::unique_ptr<transport::ClientChannel> scanner_;
  int records_ = 0, conveyor_ = 0, events_ = 0, telegram_ = 0, metrics_ = 0;
};

TEST_F(DockProcess, DecidesOverBothProtocolsReportsAndKeepsItsStateAcrossARestart) {
  StartDock();
  auto worker = transport::ClientChannel::Connect(*context_, Endpoint(records_)).value();
  v1::RecordsMessage records;
  records.mutable_batch()->set_sequence(1);
  for (auto [tracking, chute] :
       {std::pair{"EA000000014CN", "C051"}, {"EA000000028CN", "C052"}, {"EA000000031CN", "C052"}}) {
    v1::SortRecord* record = records.mutable_batch()->add_records();
    record->set_order_id(std::string("order-") + tracking);
    record->set_tracking_number(tracking);
    record->set_chute(chute);
    record->set_dock_door("D01");
    record->set_weight_g(800);
    record->set_outcome(v1::OUTCOME_SORTED);
  }
  for (int attempt = 0; attempt < 50; ++attempt) {
    if (worker->Send(transport::Encode(records)).ok()) break;
  }
  auto ack = worker->Receive(milliseconds(10'000));
  ASSERT_TRUE(ack.ok() && ack->has_value()) << testing::ReadFile(dir_.file("dock.log"));
  EXPECT_EQ(transport::Decode<v1::RecordsMessage>(**ack)->stored().stored(), 3u);

  ASSERT_EQ(Ask(1, "EA000000014CN").chute(), "C051");
  v1::ConveyorMessage confirm;
  confirm.mutable_divert_confirm()->set_scanner_id("S1");
  confirm.mutable_divert_confirm()->set_transaction_id(1);
  confirm.mutable_divert_confirm()->set_chute("C051");
  confirm.mutable_divert_confirm()->set_result(v1::DivertConfirm::SORTED);
  ASSERT_TRUE(Exchange(confirm).has_ack());
  v1::ConveyorMessage fault;
  fault.mutable_chute_event()->set_chute("C052");
  fault.mutable_chute_event()->set_kind(v1::ChuteEvent::FAULT);
  ASSERT_TRUE(Exchange(fault).has_ack());

  // Telegrams: a garbage sender is answered with an error and dropped; a PLC on another
  // connection is served.
  int garbage = ConnectTcp(telegram_);
  ASSERT_GE(garbage, 0);
  ASSERT_EQ(::send(garbage, "hello plc\n", 10, MSG_NOSIGNAL), 10);
  std::string error = ReadAll(garbage);
  ::close(garbage);
  ASSERT_EQ(error.size(), dock::kTelegramResponseSize);
  EXPECT_EQ(dock::DecodeResponse(error, dock::ByteOrder::kBigEndian)->exit_number,
            dock::kErrorExit);
  int plc = ConnectTcp(telegram_);
  dock::TelegramRequest request;
  request.product_code = 4242;
  request.barcodes = {"EA000000028CN"};
  std::string frame = dock::EncodeRequest(request, dock::ByteOrder::kBigEndian);
  ASSERT_EQ(::send(plc, frame.data(), frame.size(), MSG_NOSIGNAL),
            static_cast<ssize_t>(frame.size()));
  char answer[dock::kTelegramResponseSize];
  ASSERT_EQ(::recv(plc, answer, sizeof(answer), MSG_WAITALL), 8);
  ::close(plc);
  EXPECT_EQ(
      dock::DecodeResponse(std::string_view(answer, 8), dock::ByteOrder::kBigEndian)->exit_number,
      204)
      << "C052 is faulted: its overflow C954, exit 204 in the shipped plan";

  testing::CommandResult status = testing::RunCommand(Bin("sortline") + " status --events " +
                                                      Endpoint(events_) + " -n 1 --timeout-s 10");
  EXPECT_EQ(status.exit_code, 0) << status.output;
  EXPECT_NE(status.output.find("decisions 2"), std::string::npos) << status.output;
  EXPECT_NE(status.output.find("C052     FAULT"), std::string::npos) << status.output;
  EXPECT_NE(status.output.find("open trucks (1)"), std::string::npos) << status.output;

  int http = ConnectTcp(metrics_);
  std::string get = "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
  ::send(http, get.data(), get.size(), MSG_NOSIGNAL);
  std::string metrics = ReadAll(http);
  ::close(http);
  EXPECT_NE(metrics.find("sortline_dock_decisions_total{outcome=\"DECISION_OVERFLOW\"} 1"),
            std::string::npos)
      << metrics;
  EXPECT_NE(metrics.find("sortline_dock_records_stored_total 3"), std::string::npos);

  StopDock();
  StartDock();
  EXPECT_EQ(Ask(2, "EA000000031CN").outcome(), v1::DECISION_OVERFLOW)
      << "C052 is still faulted after the restart";
  testing::CommandResult after = testing::RunCommand(Bin("sortline") + " status --events " +
                                                     Endpoint(events_) + " -n 1 --timeout-s 10");
  EXPECT_NE(after.output.find("C051     ok        1/300"), std::string::npos) << after.output;
  EXPECT_NE(after.output.find("D01-1      door D01       1 parcels"), std::string::npos)
      << after.output;
  StopDock();
}

// Issue 14: the dock reloads the plan on SIGHUP, atomically; an invalid plan is refused
// and the one before keeps serving.
TEST_F(DockProcess, ReloadsThePlanOnSighupAndRefusesAnInvalidOneIssue14) {
  const std::string plan = dir_.file("plan");
  std::filesystem::copy(std::string(SORTLINE_SOURCE_DIR) + "/deploy/plans/xian-hub", plan);
  const std::string chutes = plan + "/chutes.csv";
  const std::string original = testing::ReadFile(chutes);
  testing::DockFlags flags = Flags();
  flags.events = "";
  flags.metrics_port = -1;
  flags.plan = plan;
  flags.extra = {"--plan-poll-ms", "0"};
  dock_ = testing::StartDock(flags, dir_.file("dock.log"));
  auto worker = transport::ClientChannel::Connect(*context_, Endpoint(records_)).value();
  v1::RecordsMessage records;
  records.mutable_batch()->set_sequence(1);
  v1::SortRecord* record = records.mutable_batch()->add_records();
  record->set_order_id("order-1");
  record->set_tracking_number("EA000000014CN");
  record->set_chute("C051");
  record->set_dock_door("D11");
  for (int attempt = 0; attempt < 50; ++attempt) {
    if (worker->Send(transport::Encode(records)).ok()) break;
  }
  ASSERT_TRUE(worker->Receive(milliseconds(10'000)).value().has_value());
  auto exit_of = [&](uint32_t product) {
    int plc = ConnectTcp(telegram_);
    dock::TelegramRequest request;
    request.product_code = product;
    request.barcodes = {"EA000000014CN"};
    std::string frame = dock::EncodeRequest(request, dock::ByteOrder::kBigEndian);
    ::send(plc, frame.data(), frame.size(), MSG_NOSIGNAL);
    char answer[dock::kTelegramResponseSize];
    const ssize_t got = ::recv(plc, answer, sizeof(answer), MSG_WAITALL);
    ::close(plc);
    if (got != 8) return -1;
    return static_cast<int>(
        dock::DecodeResponse(std::string_view(answer, 8), dock::ByteOrder::kBigEndian)
            ->exit_number);
  };
  auto reload = [&](const std::string& text, const std::string& expect_in_log, int times) {
    std::ofstream(chutes, std::ios::trunc) << text;
    dock_->Signal(SIGHUP);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (std::chrono::steady_clock::now() < deadline) {
      const std::string log = testing::ReadFile(dir_.file("dock.log"));
      size_t count = 0;
      for (size_t at = log.find(expect_in_log); at != std::string::npos;
           at = log.find(expect_in_log, at + 1)) {
        ++count;
      }
      if (count >= static_cast<size_t>(times)) return true;
      std::this_thread::sleep_for(milliseconds(50));
    }
    return false;
  };
  EXPECT_EQ(exit_of(1), 51);
  std::string renumbered = original;
  renumbered.replace(renumbered.find("C051,normal,300,C954,,,,51"), 26,
                     "C051,normal,300,C954,,,,99");
  ASSERT_TRUE(reload(renumbered, "now serving plan", 1))
      << testing::ReadFile(dir_.file("dock.log"));
  EXPECT_EQ(exit_of(2), 99) << "the new plan's exit number";
  std::string invalid = renumbered;
  invalid.replace(invalid.find("C051,normal,300,C954,,,,99"), 26, "C051,normal,300,C954,,,,300");
  ASSERT_TRUE(reload(invalid, "not a telegram exit number", 1))
      << testing::ReadFile(dir_.file("dock.log"));
  EXPECT_EQ(exit_of(3), 99) << "an invalid plan is refused; the one before keeps serving";
  StopDock();
}

// Issue 14, the end-to-end plan test: `sortline run` on the shipped plan, then the dock
// on the same plan and store, the scanner simulator scanning every parcel, confirming
// its divert, changing full bags and closing the trucks at every door: each truck's
// manifest lists exactly the parcels the dock loaded onto it.
TEST_F(DockProcess, ARunOnTheShippedPlanIsSortedLoadedAndManifestedByTheDockIssue14) {
#ifndef SORTLINE_SCANNER_SIM
  GTEST_SKIP() << "needs bench/scanner_sim (SORTLINE_BUILD_BENCH)";
#else
  const std::string plan_dir = std::string(SORTLINE_SOURCE_DIR) + "/deploy/plans/xian-hub";
  const std::string out = dir_.file("out");
  testing::CommandResult gen = testing::GenerateOrdersFile(dir_.file("orders.jsonl"), 10000, 14);
  ASSERT_EQ(gen.exit_code, 0) << gen.output;
  testing::CommandResult run =
      testing::RunCommand(Bin("sortline") + " run " + dir_.file("orders.jsonl") + " -o " + out);
  ASSERT_EQ(run.exit_code, 0) << run.output;

  testing::DockFlags flags = Flags();
  flags.db = out + "/dock.db";
  flags.events = "";
  flags.telegram_port = -1;
  flags.metrics_port = -1;
  flags.plan = plan_dir;
  dock_ = testing::StartDock(flags, dir_.file("dock.log"));
  testing::CommandResult scan =
      testing::RunCommand(std::string(SORTLINE_SCANNER_SIM) + " --conveyor " + Endpoint(conveyor_) +
                          " --scan-records " + out + "/records.jsonl --plan " + plan_dir);
  ASSERT_EQ(scan.exit_code, 0) << scan.output << testing::ReadFile(dir_.file("dock.log"));
  dock_->Signal(SIGTERM);
  ASSERT_EQ(dock_->Wait(milliseconds(30'000)), 0) << testing::ReadFile(dir_.file("dock.log"));
  EXPECT_NE(scan.output.find("scanned 10000 parcels"), std::string::npos) << scan.output;
  EXPECT_EQ(scan.output.find(" 0 bag changes"), std::string::npos) << "no chute filled its bag";

  auto plan = sort::SortPlan::Load(plan_dir, nullptr).value();
  std::set<std::string> doors;
  for (const v1::DoorConfig& door : plan->doors()) doors.insert(door.door());
  // The manifests: truck -> the parcels it lists, each with its record's order id.
  std::map<std::string, std::set<std::string>> listed;
  size_t rows = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir_.file("manifests"))) {
    if (entry.path().extension() != ".csv") continue;
    const std::string truck = entry.path().stem().string();
    EXPECT_EQ(doors.count(truck.substr(0, truck.find('-'))), 1u)
        << truck << " at an unplanned door";
    bool header = true;
    ASSERT_TRUE(csv::ReadCsvFile(entry.path().string(), [&](const csv::CsvRow& row) {
                  if (header) {
                    header = false;
                    return Status::Ok();
                  }
                  EXPECT_EQ(row.fields.at(0), truck);
                  EXPECT_FALSE(row.fields.at(4).empty()) << "an order id for each parcel";
                  EXPECT_TRUE(listed[truck].insert(row.fields.at(3)).second) << "listed twice";
                  ++rows;
                  return Status::Ok();
                }).ok());
  }
  // The dock's store: every parcel it loaded, by truck.
  auto store = store::DockStore::Open(out + "/dock.db", {}).value();
  std::map<std::string, std::set<std::string>> loaded;
  size_t records = 0;
  ASSERT_TRUE(store
                  ->ForEach([&](const v1::SortRecord& record) {
                    ++records;
                    auto parcel = store->FindParcel(record.tracking_number());
                    EXPECT_TRUE(parcel.ok() && parcel->has_value()) << record.tracking_number();
                    if (parcel.ok() && parcel->has_value() &&
                        (*parcel)->state() == v1::PARCEL_LOADED) {
                      loaded[(*parcel)->truck_id()].insert(record.tracking_number());
                    }
                    return true;
                  })
                  .ok());
  EXPECT_EQ(records, 10000u);
  EXPECT_GT(rows, 9000u) << "most parcels go onto a truck (the rest to the hold area)";
  EXPECT_GE(listed.size(), 10u) << "trucks at most of the plan's 13 doors";
  EXPECT_EQ(listed, loaded) << "each manifest lists exactly the parcels loaded onto its truck";
  EXPECT_TRUE(store->LoadState().value().parcels.empty()) << "every truck closed";
#endif
}

}  // namespace
}  // namespace sortline
