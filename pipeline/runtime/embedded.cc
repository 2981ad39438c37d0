#include "pipeline/runtime/embedded.h"

#include <filesystem>
#include <thread>
#include <utility>
#include <vector>

#include <google/protobuf/util/json_util.h>

#include "pipeline/base/file.h"
#include "pipeline/runtime/dock.h"
#include "pipeline/runtime/intake.h"
#include "pipeline/runtime/worker.h"
#include "pipeline/store/dock_store.h"
#include "pipeline/transport/channel.h"

namespace sortline::runtime {
namespace {

namespace fs = std::filesystem;

// Runs `service.Run()` on a thread and keeps the first failure.
template <typename Service>
class ServiceThread {
 public:
  explicit ServiceThread(Service& service)
      : service_(service), thread_([this] { status_ = service_.Run(); }) {}
  ~ServiceThread() { Stop().IgnoreError(); }
  ServiceThread(const ServiceThread&) = delete;
  ServiceThread& operator=(const ServiceThread&) = delete;

  Status Stop() {
    service_.RequestStop();
    if (thread_.joinable()) thread_.join();
    return status_;
  }

 private:
  Service& service_;
  Status status_;
  std::thread thread_;
};

// Writes every dock record as a JSON line and counts them per chute and per outcome
// into `summary`.
Status ExportRecords(const std::string& db_path, const std::string& out_path,
                     v1::RunSummary& summary) {
  store::DockStoreOptions options;
  options.synchronous_full = false;
  SORTLINE_ASSIGN_OR_RETURN(std::unique_ptr<store::DockStore> dock,
                            store::DockStore::Open(db_path, options));
  SORTLINE_ASSIGN_OR_RETURN(std::unique_ptr<PendingFile> out,
                            DefaultFileSystem().CreatePending(out_path));
  google::protobuf::util::JsonPrintOptions json_options;
  json_options.preserve_proto_field_names = true;
  std::string line;
  Status appended;
  SORTLINE_RETURN_IF_ERROR(dock->ForEach([&](const v1::SortRecord& record) {
    line.clear();
    if (!google::protobuf::util::MessageToJsonString(record, &line, json_options).ok()) {
      appended = Internal("record of order " + record.order_id() + " cannot be printed as JSON");
      return false;
    }
    line += '\n';
    appended = out->Append(line);
    if (!appended.ok()) return false;
    (*summary.mutable_records_by_chute())[record.chute()] += 1;
    (*summary.mutable_records_by_outcome())[v1::Outcome_Name(record.outcome())] += 1;
    return true;
  }));
  SORTLINE_RETURN_IF_ERROR(appended);
  return out->Commit(Durability::kNone);
}

}  // namespace

Result<v1::RunSummary> RunEmbedded(const model::DivisionTable& divisions,
                                   std::shared_ptr<const sort::SortPlan> plan,
                                   const EmbeddedOptions& options, Progress& progress) {
  if (options.orders_path.empty()) return InvalidArgument("no orders file given");
  if (options.workers < 1) return InvalidArgument("need at least one worker");
  const fs::path out_dir = options.out_dir;
  std::error_code ec;
  fs::create_directories(out_dir, ec);
  if (ec) return IoError("cannot create " + out_dir.string() + ": " + ec.message());

  SORTLINE_ASSIGN_OR_RETURN(std::unique_ptr<transport::Context> context,
                            transport::Context::Create());

  IntakeOptions intake_options;
  intake_options.submit_endpoint = "inproc://sortline-submit";
  intake_options.work_endpoint = "inproc://sortline-work";
  intake_options.journal_path = (out_dir / "intake.db").string();
  intake_options.journal.synchronous_full = options.fsync;
  intake_options.order_limits = options.order_limits;
  SORTLINE_ASSIGN_OR_RETURN(std::unique_ptr<Intake> intake,
                            Intake::Open(*context, divisions, intake_options));

  DockOptions dock_options;
  dock_options.records_endpoint = "inproc://sortline-records";
  dock_options.conveyor_endpoint = "inproc://sortline-conveyor";
  dock_options.store_path = (out_dir / "dock.db").string();
  dock_options.store.synchronous_full = options.fsync;
  dock_options.plans = std::make_shared<sort::PlanHolder>(plan);  // the workers' plan
  SORTLINE_ASSIGN_OR_RETURN(std::unique_ptr<Dock> dock, Dock::Open(*context, dock_options));

  std::vector<std::unique_ptr<Worker>> workers;
  for (int i = 0; i < options.workers; ++i) {
    WorkerOptions worker_options;
    worker_options.intake_endpoint = intake->work_endpoint();
    worker_options.dock_endpoint = dock->records_endpoint();
    worker_options.name = "embedded-worker-" + std::to_string(i);
    worker_options.label_dir = (out_dir / "labels").string();
    worker_options.fsync_labels = options.fsync;
    worker_options.flow.label_template = options.label_template;
    worker_options.flow.batch_pdf = options.batch_pdf;
    worker_options.flow.batch_chute_order = options.chute_order;
    SORTLINE_ASSIGN_OR_RETURN(std::unique_ptr<Worker> worker,
                              Worker::Open(*context, divisions, plan, worker_options));
    workers.push_back(std::move(worker));
  }

  Result<v1::RunSummary> summary = InvalidArgument("not run");
  {
    ServiceThread<Intake> intake_thread(*intake);
    ServiceThread<Dock> dock_thread(*dock);
    std::vector<std::unique_ptr<ServiceThread<Worker>>> worker_threads;
    for (auto& worker : workers) {
      worker_threads.push_back(std::make_unique<ServiceThread<Worker>>(*worker));
    }
    SubmitOptions submit_options;
    submit_options.intake_endpoint = intake->submit_endpoint();
    submit_options.batch_size = options.batch_size;
    summary = SubmitOrdersFile(*context, options.orders_path, submit_options, progress);

    Status stopped;
    for (auto& t : worker_threads) {
      Status s = t->Stop();
      if (stopped.ok()) stopped = s;
    }
    Status s = intake_thread.Stop();
    if (stopped.ok()) stopped = s;
    s = dock_thread.Stop();
    if (stopped.ok()) stopped = s;
    if (!stopped.ok()) return stopped.WithContext("embedded pipeline");
  }
  if (!summary.ok()) return summary.status();
  // Close the dock's database before reading it back for the export.
  workers.clear();
  dock.reset();
  intake.reset();

  v1::RunSummary result = std::move(summary).value();
  result.set_labels_dir((out_dir / "labels").string());
  result.set_dock_db_path(dock_options.store_path);
  result.set_records_path((out_dir / "records.jsonl").string());
  result.set_summary_path((out_dir / "summary.json").string());
  SORTLINE_RETURN_IF_ERROR(ExportRecords(result.dock_db_path(), result.records_path(), result));
  SORTLINE_RETURN_IF_ERROR(DefaultFileSystem().WriteFileAtomically(
      result.summary_path(), SummaryToJson(result), Durability::kNone));
  return result;
}

}  // namespace sortline::runtime
