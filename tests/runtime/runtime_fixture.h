// The frame the runtime tests share: the shipped division table and sort plan, loaded
// once per suite, a temporary directory and a channel context per test, generated orders
// files in the directory, the services opened in the context with their files in the
// directory, and a thread to run each service on.
//
// Thread-safety: used from the test thread; the services under test only read the
// table and the plan.
#ifndef TESTS_RUNTIME_RUNTIME_FIXTURE_H_
#define TESTS_RUNTIME_RUNTIME_FIXTURE_H_

#include <chrono>
#include <cstdint>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <utility>

#include <gtest/gtest.h>

#include "pipeline/model/divisions.h"
#include "pipeline/model/orders.h"
#include "pipeline/runtime/dock.h"
#include "pipeline/runtime/embedded.h"
#include "pipeline/runtime/intake.h"
#include "pipeline/runtime/progress.h"
#include "pipeline/runtime/worker.h"
#include "pipeline/sort/sort_plan.h"
#include "pipeline/transport/channel.h"
#include "pipeline/transport/envelope.h"
#include "proto/wire.pb.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/testing.h"

namespace sortline::runtime {

// Runs a service (an Intake, Dock or Worker: Run() until RequestStop()) on a thread of
// its own from construction until Stop() or destruction, which stop it and wait for it,
// also when an assertion ends the test early. A Run() that ends in error fails the test.
// Declare it after the service it runs, so that it goes first.
template <typename Service>
class ServiceThread {
 public:
  explicit ServiceThread(Service& service)
      : service_(service), thread_([this] { EXPECT_OK(service_.Run()); }) {}
  ServiceThread(const ServiceThread&) = delete;
  ServiceThread& operator=(const ServiceThread&) = delete;
  ~ServiceThread() { Stop(); }

  void Stop() {
    if (!thread_.joinable()) return;
    service_.RequestStop();
    thread_.join();
  }

 private:
  Service& service_;
  std::thread thread_;
};

// Sends `payload` to intake's submit channel and returns intake's answer; an empty reply,
// and a failed test, when none comes within `timeout` or it does not decode.
inline v1::SubmitReply AskIntake(transport::ClientChannel& client, const std::string& payload,
                                 std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
  EXPECT_OK(client.Send(payload));
  auto in = client.Receive(timeout);
  EXPECT_TRUE(in.ok() && in->has_value()) << "intake did not answer";
  if (!in.ok() || !in->has_value()) return v1::SubmitReply();
  Result<v1::SubmitReply> reply = transport::Decode<v1::SubmitReply>(**in);
  EXPECT_OK(reply);
  return reply.ok() ? std::move(reply).value() : v1::SubmitReply();
}
inline v1::SubmitReply AskIntake(transport::ClientChannel& client,
                                 const v1::SubmitRequest& request) {
  return AskIntake(client, transport::Encode(request));
}

class RuntimeFixture : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    divisions_ = model::DivisionTable::Load(testing::DivisionsDir()).value().release();
    plan_ = std::shared_ptr<const sort::SortPlan>(
        sort::SortPlan::Load(testing::DefaultPlanPath(), divisions_).value().release());
  }
  static void TearDownTestSuite() {
    plan_.reset();
    delete divisions_;
    divisions_ = nullptr;
  }

  // `n` generated orders (generator seed `seed`) as <dir>/orders-<seed>.jsonl.
  std::string WriteOrders(int n, uint64_t seed) {
    model::GeneratorOptions options;
    options.seed = seed;
    model::OrderGenerator gen(*divisions_, options);
    std::string path = dir_.file("orders-" + std::to_string(seed) + ".jsonl");
    std::ofstream out(path);
    for (int i = 0; i < n; ++i) out << model::OrderToJson(gen.Generate(i)) << '\n';
    return path;
  }

  // The services in this process over the orders file `orders_path`, writing into
  // <dir>/out; `progress` draws nothing unless the caller gives one that does.
  Result<v1::RunSummary> RunOrders(const std::string& orders_path, EmbeddedOptions options,
                                   Progress* progress = nullptr) {
    options.orders_path = orders_path;
    options.out_dir = dir_.file("out");
    Progress quiet(ProgressOptions{});
    return RunEmbedded(*divisions_, plan_, options, progress != nullptr ? *progress : quiet);
  }

  // Intake bound to `submit_endpoint` and `work_endpoint`, its journal <dir>/intake.db;
  // null, and a failed test, when it does not open.
  std::unique_ptr<Intake> OpenIntake(const std::string& submit_endpoint,
                                     const std::string& work_endpoint, IntakeOptions options) {
    options.submit_endpoint = submit_endpoint;
    options.work_endpoint = work_endpoint;
    options.journal_path = dir_.file("intake.db");
    return OkOrNull(Intake::Open(*context_, *divisions_, options));
  }
  std::unique_ptr<Intake> OpenIntake(const std::string& submit_endpoint,
                                     const std::string& work_endpoint) {
    const IntakeOptions defaults;  // named: GCC 12 -O2 misjudges a {} temporary here
    return OpenIntake(submit_endpoint, work_endpoint, defaults);
  }

  // The dock bound to `records_endpoint` and `conveyor_endpoint`, its store <dir>/dock.db
  // and its manifests in <dir>/manifests; null, and a failed test, when it does not open.
  std::unique_ptr<Dock> OpenDock(const std::string& records_endpoint,
                                 const std::string& conveyor_endpoint) {
    DockOptions options;
    options.records_endpoint = records_endpoint;
    options.conveyor_endpoint = conveyor_endpoint;
    options.store_path = dir_.file("dock.db");
    options.manifest_dir = dir_.file("manifests");
    return OkOrNull(Dock::Open(*context_, options));
  }

  // A worker named `name` taking work from `intake_endpoint` and sending its records to
  // `dock_endpoint`, its labels in <dir>/labels unless `options` names another directory;
  // null, and a failed test, when it does not open.
  std::unique_ptr<Worker> OpenWorker(const std::string& name, const std::string& intake_endpoint,
                                     const std::string& dock_endpoint, WorkerOptions options) {
    options.name = name;
    options.intake_endpoint = intake_endpoint;
    options.dock_endpoint = dock_endpoint;
    if (options.label_dir == WorkerOptions().label_dir) options.label_dir = dir_.file("labels");
    return OkOrNull(Worker::Open(*context_, *divisions_, plan_, options));
  }

  static inline model::DivisionTable* divisions_ = nullptr;
  static inline std::shared_ptr<const sort::SortPlan> plan_;
  testing::TempDir dir_;
  // inproc:// endpoints are this context's own; it outlives what a test opens in it.
  std::unique_ptr<transport::Context> context_ = transport::Context::Create().value();

 private:
  template <typename Service>
  static std::unique_ptr<Service> OkOrNull(Result<std::unique_ptr<Service>> opened) {
    EXPECT_OK(opened);
    return opened.ok() ? std::move(opened).value() : nullptr;
  }
};

}  // namespace sortline::runtime

#endif  // TESTS_RUNTIME_RUNTIME_FIXTURE_H_
