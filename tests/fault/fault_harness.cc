#include "tests/fault/fault_harness.h"

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <thread>

#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include "pipeline/base/hash.h"
#include "pipeline/label/label_store.h"
#include "pipeline/model/orders.h"
#include "pipeline/model/s10.h"
#include "pipeline/store/dock_store.h"
#include "pipeline/store/journal.h"
#include "pipeline/store/sqlite_db.h"
#include "pipeline/transport/channel.h"
#include "pipeline/transport/envelope.h"
#include "tests/testing/status_matchers.h"

namespace sortline::testing {
namespace {

namespace fs = std::filesystem;

// Decoding takes about half a second of a loaded core per label: at most this many of
// the named orders are decoded (spread over them), plus the sample.
constexpr size_t kMaxNamedDecodes = 40;
using std::chrono::milliseconds;

// Up to `n` of `items`, spread evenly, so a sample covers early and late work.
template <typename T>
std::vector<T> Spread(const std::vector<T>& items, size_t n) {
  std::vector<T> out;
  if (items.empty() || n == 0) return out;
  if (n >= items.size()) return items;
  for (size_t i = 0; i < n; ++i) out.push_back(items[i * items.size() / n]);
  return out;
}

std::string Tail(const std::string& text, size_t lines) {
  size_t pos = text.size();
  size_t seen = 0;
  while (pos > 0) {
    size_t nl = text.rfind('\n', pos - 1);
    if (nl == std::string::npos) return text;
    if (nl + 1 < text.size() && ++seen > lines) return text.substr(nl + 1);
    pos = nl;
  }
  return text;
}

std::string First(const std::set<std::string>& ids, size_t n) {
  std::string out;
  for (const std::string& id : ids) {
    if (n-- == 0) return out + " ...";
    out += " " + id;
  }
  return out;
}

Result<std::unique_ptr<store::internal::Db>> OpenExisting(const std::string& db_path) {
  std::error_code ec;
  if (!fs::exists(db_path, ec)) return NotFound("no database at " + db_path);
  store::internal::DbOptions options;
  options.synchronous_full = false;  // readers commit nothing
  return store::internal::Db::Open(db_path, options);
}

// A PDF ends with %%EOF, optionally followed by an end of line.
bool EndsLikePdf(const std::string& bytes) {
  size_t end = bytes.find_last_not_of("\r\n \t");
  return end != std::string::npos && end >= 4 && bytes.compare(end - 4, 5, "%%EOF") == 0;
}

void ExpectIntegrityOk(const std::string& db_path) {
  Result<std::unique_ptr<store::internal::Db>> db = OpenExisting(db_path);
  ASSERT_OK(db);
  Result<std::string> check = (*db)->QueryText("PRAGMA integrity_check");
  ASSERT_OK(check) << db_path;
  EXPECT_EQ(*check, "ok") << "PRAGMA integrity_check of " << db_path;
}

}  // namespace

bool WaitFor(const std::function<bool()>& condition, milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    if (condition()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(milliseconds(50));
  }
}

GeneratedOrders GenerateOrders(const std::string& path, int count, int seed) {
  GeneratedOrders orders;
  orders.path = path;
  CommandResult gen = GenerateOrdersFile(path, count, seed);
  if (gen.exit_code != 0) {
    ADD_FAILURE() << "sortline gen failed: " << gen.output;
    return orders;
  }
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    Result<v1::Order> order = model::ParseOrderJson(line);
    if (!order.ok()) {
      ADD_FAILURE() << "generated order does not parse: " << order.status();
      continue;
    }
    orders.ids.insert(order->order_id());
  }
  EXPECT_EQ(orders.ids.size(), static_cast<size_t>(count)) << "generated ids are distinct";
  return orders;
}

std::string GenerateKeyPair(const std::string& dir, const std::string& name,
                            const std::string& role) {
  CommandResult made = RunCommand(Bin("sortline") + " keys gen --out " + dir + " --name " + name +
                                  " --role " + role + " 2>/dev/null");
  EXPECT_EQ(made.exit_code, 0) << made.output;
  std::string out = made.output.substr(0, made.output.find_last_not_of('\n') + 1);
  return out.substr(out.find_last_of('\n') + 1) + "\n";
}

void GenerateKeysTable(const std::string& keys_dir, const std::string& table_path,
                       const std::vector<std::pair<std::string, std::string>>& listed) {
  std::string table = "role,name,public_key\n";
  for (const auto& [name, role] : listed) table += GenerateKeyPair(keys_dir, name, role);
  std::ofstream out(table_path);
  out << table;
  out.close();
  EXPECT_TRUE(out.good()) << "cannot write the keys table " << table_path;
}

std::vector<v1::Order> ReadOrders(const std::string& path) {
  std::vector<v1::Order> orders;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    Result<v1::Order> order = model::ParseOrderJson(line);
    if (!order.ok()) {
      ADD_FAILURE() << path << ": " << order.status();
      continue;
    }
    orders.push_back(std::move(order).value());
  }
  return orders;
}

v1::SubmitRequest BatchOf(const std::string& batch_id, const std::vector<v1::Order>& orders,
                          size_t from, size_t count) {
  v1::SubmitRequest request;
  request.mutable_batch()->set_batch_id(batch_id);
  for (size_t i = from; i < orders.size() && i - from < count; ++i) {
    *request.mutable_batch()->add_orders() = orders[i];
  }
  return request;
}

Result<std::string> Exchange(const std::string& endpoint, const std::string& payload,
                             const std::function<bool(const std::string&)>& accept,
                             milliseconds timeout, const transport::Security* security,
                             const std::string& server_role) {
  SORTLINE_ASSIGN_OR_RETURN(std::unique_ptr<transport::Context> context,
                            transport::Context::Create());
  transport::ChannelOptions options;
  options.send_timeout_ms = 1000;  // so the deadline is checked between attempts
  options.linger_ms = 0;
  options.security = security;
  options.peer_role = server_role;
  SORTLINE_ASSIGN_OR_RETURN(std::unique_ptr<transport::ClientChannel> channel,
                            transport::ClientChannel::Connect(*context, endpoint, "", options));
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  bool sent = false;
  while (std::chrono::steady_clock::now() < deadline) {
    if (!sent) {
      sent = channel->Send(payload).ok();
      if (!sent) continue;  // no connection took it (ZMQ_IMMEDIATE): try again
    }
    Result<std::optional<std::string>> in = channel->Receive(milliseconds(200));
    if (!in.ok()) return in.status();
    if (in->has_value() && accept(**in)) return std::move(**in);
  }
  return Unavailable("no " + std::string(sent ? "reply" : "connection") + " from " + endpoint +
                     " within " + std::to_string(timeout.count()) + " ms");
}

Result<v1::SubmitReply> AskIntake(const std::string& endpoint, const v1::SubmitRequest& request,
                                  const std::string& batch_id, milliseconds timeout,
                                  const transport::Security* security) {
  SORTLINE_ASSIGN_OR_RETURN(std::string reply,
                            Exchange(
                                endpoint, transport::Encode(request),
                                [&](const std::string& payload) {
                                  Result<v1::SubmitReply> decoded =
                                      transport::Decode<v1::SubmitReply>(payload);
                                  return decoded.ok() && decoded->batch_id() == batch_id;
                                },
                                timeout, security, "intake"));
  return transport::Decode<v1::SubmitReply>(reply);
}

bool BatchComplete(const std::string& endpoint, const std::string& batch_id,
                   const transport::Security* security) {
  v1::SubmitRequest ask;
  ask.set_progress_batch_id(batch_id);
  Result<v1::SubmitReply> reply =
      AskIntake(endpoint, ask, batch_id, std::chrono::seconds(5), security);
  return reply.ok() && reply->progress().complete();
}

Result<v1::RecordsStored> StoreAtDock(const std::string& endpoint, const v1::RecordBatch& batch,
                                      milliseconds timeout, const transport::Security* security) {
  v1::RecordsMessage message;
  *message.mutable_batch() = batch;
  SORTLINE_ASSIGN_OR_RETURN(
      std::string reply,
      Exchange(
          endpoint, transport::Encode(std::move(message)),
          [&](const std::string& payload) {
            Result<v1::RecordsMessage> decoded = transport::Decode<v1::RecordsMessage>(payload);
            return decoded.ok() &&
                   (!decoded->error().empty() ||
                    (decoded->has_stored() && decoded->stored().sequence() == batch.sequence()));
          },
          timeout, security, "dock"));
  SORTLINE_ASSIGN_OR_RETURN(v1::RecordsMessage decoded,
                            transport::Decode<v1::RecordsMessage>(reply));
  if (!decoded.error().empty()) return Unavailable("dock refused the records: " + decoded.error());
  return decoded.stored();
}

FaultPipeline::FaultPipeline(FaultPipelineOptions options) : options_(std::move(options)) {
  if (options_.labels_dir.empty()) options_.labels_dir = options_.dir + "/labels";
  if (options_.dock_db.empty()) options_.dock_db = options_.dir + "/dock.db";
  fs::create_directories(options_.labels_dir);
}

FaultPipeline::~FaultPipeline() {
  // Subprocess's destructor kills and reaps.
  processes_.clear();
}

std::string FaultPipeline::Address(int port) const {
  return "tcp://" + options_.host + ":" + std::to_string(port);
}

void FaultPipeline::Start(const std::string& role, std::vector<std::string> argv) {
  auto it = processes_.find(role);
  if (it != processes_.end()) {
    if (!it->second->Wait(milliseconds(0)).has_value()) {
      ADD_FAILURE() << role << " started while it still runs";
      return;
    }
    processes_.erase(it);
  }
  if (std::find(roles_.begin(), roles_.end(), role) == roles_.end()) roles_.push_back(role);
  {
    std::ofstream log(LogPath(role), std::ios::app);
    log << "---- test harness: starting " << role << "\n";
  }
  processes_[role] = std::make_unique<Subprocess>(argv, LogPath(role));
}

void FaultPipeline::StartDock(const std::vector<std::string>& extra_args) {
  DockFlags flags;
  flags.records = records_endpoint();
  flags.conveyor = conveyor_endpoint();
  flags.db = options_.dock_db;
  flags.manifests = options_.dir + "/manifests";
  flags.events = "tcp://127.0.0.1:0";
  flags.telegram_port = 0;
  flags.metrics_port = options_.metrics_port;
  flags.fsync = options_.fsync;
  flags.extra = extra_args;
  Start("dock", DockArgv(flags));
}

void FaultPipeline::StartIntake(const std::vector<std::string>& extra_args) {
  IntakeFlags flags;
  flags.submit = submit_endpoint();
  flags.work = work_endpoint();
  flags.journal = intake_db();
  flags.lease_ms = options_.lease_ms;
  flags.fsync = options_.fsync;
  flags.extra = extra_args;
  Start("intake", IntakeArgv(flags));
}

void FaultPipeline::StartWorker(const std::string& name, const std::vector<std::string>& extra_args,
                                const std::vector<std::string>& wrapper) {
  WorkerFlags flags;
  flags.intakes = {work_endpoint()};
  flags.dock = records_endpoint();
  flags.labels = options_.labels_dir;
  flags.name = name;
  flags.credit = options_.worker_credit;
  flags.fsync = options_.fsync;
  flags.extra = extra_args;
  std::vector<std::string> argv = wrapper;
  for (std::string& arg : WorkerArgv(flags)) argv.push_back(std::move(arg));
  Start(name, std::move(argv));
}

void FaultPipeline::StartSubmit(const std::string& orders_path,
                                const std::vector<std::string>& extra_args) {
  std::vector<std::string> argv = {
      Bin("sortline"), "submit",          orders_path,
      "--intake",      submit_endpoint(), "--stall-timeout-ms",
      "60000",         "--summary",       options_.dir + "/summary.json"};
  argv.insert(argv.end(), extra_args.begin(), extra_args.end());
  Start("submit", std::move(argv));
}

void FaultPipeline::StartDaemons(const std::vector<std::string>& workers) {
  StartDock();
  StartIntake();
  for (const std::string& worker : workers) StartWorker(worker);
}

Ledger FaultPipeline::LedgerFor(const std::set<std::string>& valid_ids) const {
  Ledger ledger;
  ledger.valid_ids = valid_ids;
  ledger.dock_db = options_.dock_db;
  ledger.intake_db = intake_db();
  ledger.labels_dir = options_.labels_dir;
  ledger.scratch_dir = options_.dir + "/scans";
  return ledger;
}

bool FaultPipeline::Running(const std::string& role) {
  auto it = processes_.find(role);
  return it != processes_.end() && !it->second->Wait(milliseconds(0)).has_value();
}

void FaultPipeline::Signal(const std::string& role, int signal) {
  auto it = processes_.find(role);
  if (it == processes_.end()) {
    ADD_FAILURE() << "no process " << role;
    return;
  }
  it->second->Signal(signal);
}

void FaultPipeline::Kill(const std::string& role) {
  Signal(role, SIGKILL);
  EXPECT_TRUE(WaitExit(role, milliseconds(10'000)).has_value()) << role << " survived SIGKILL";
}

std::optional<int> FaultPipeline::WaitExit(const std::string& role, milliseconds timeout) {
  auto it = processes_.find(role);
  if (it == processes_.end()) return std::nullopt;
  return it->second->Wait(timeout);
}

std::string FaultPipeline::StopAll(milliseconds timeout) {
  std::vector<std::string> order;
  for (const std::string& role : roles_) {
    if (role != "dock" && role != "intake" && role != "submit") order.push_back(role);
  }
  order.push_back("intake");
  order.push_back("dock");
  std::string problems;
  for (const std::string& role : order) {
    if (!Running(role)) continue;
    Signal(role, SIGTERM);
    std::optional<int> code = WaitExit(role, timeout);
    if (!code.has_value()) {
      problems += role + " did not stop within " + std::to_string(timeout.count()) +
                  " ms of SIGTERM; killed\n";
      Kill(role);
    } else if (*code != 0) {
      problems += role + " exited " + std::to_string(*code) + " on SIGTERM\n";
    }
  }
  if (Running("submit")) Kill("submit");
  return problems;
}

std::string FaultPipeline::LogPath(const std::string& role) const {
  return options_.dir + "/" + role + ".log";
}

std::string FaultPipeline::Log(const std::string& role) const { return ReadFile(LogPath(role)); }

std::string FaultPipeline::Logs(size_t lines) const {
  std::string out;
  for (const std::string& role : roles_) {
    out += "==== " + role + ".log (last " + std::to_string(lines) + " lines)\n" +
           Tail(Log(role), lines);
  }
  return out;
}

size_t FaultPipeline::CountInLog(const std::string& role, const std::string& text) const {
  const std::string log = Log(role);
  size_t count = 0;
  for (size_t pos = log.find(text); pos != std::string::npos; pos = log.find(text, pos + 1)) {
    ++count;
  }
  return count;
}

bool FaultTest::Generate(int count, int seed) {
  orders_ = GenerateOrders(dir_.file("orders.jsonl"), count, seed);
  EXPECT_FALSE(orders_.ids.empty()) << "no orders generated";
  return !orders_.ids.empty();
}

FaultPipeline& FaultTest::NewPipeline(FaultPipelineOptions options) {
  options.dir = dir_.path().string();
  pipeline_ = std::make_unique<FaultPipeline>(std::move(options));
  return *pipeline_;
}

void FaultTest::AwaitSubmit(milliseconds timeout, const std::string& when) {
  std::optional<int> submitted = pipeline_->WaitExit("submit", timeout);
  ASSERT_TRUE(submitted.has_value())
      << "submit did not finish" << (when.empty() ? "" : " ") << when << "\n"
      << pipeline_->Logs();
  EXPECT_EQ(*submitted, 0) << pipeline_->Logs();
}

void FaultTest::ExpectNoRecordsStoredFor(milliseconds window, const std::string& fault) {
  const int64_t before = DockRecordCount(pipeline_->dock_db());
  std::this_thread::sleep_for(window);
  EXPECT_EQ(DockRecordCount(pipeline_->dock_db()), before) << "records stored after " << fault;
  EXPECT_LT(before, static_cast<int64_t>(orders_.ids.size())) << "the run ended before " << fault;
}

void FaultTest::ExpectBatchCompletes(const std::string& batch_id,
                                     const transport::Security* security) {
  EXPECT_TRUE(
      WaitFor([&] { return BatchComplete(pipeline_->submit_endpoint(), batch_id, security); },
              std::chrono::seconds(120)))
      << batch_id << "\n"
      << pipeline_->Logs();
}

void ExpectCleanStopAndLedgerHolds(FaultPipeline& pipeline, const Ledger& ledger) {
  EXPECT_EQ(pipeline.StopAll(), "") << pipeline.Logs();
  ExpectLedgerHolds(ledger);
  if (::testing::Test::HasFailure()) ADD_FAILURE() << "logs:\n" << pipeline.Logs();
}

void FaultTest::ExpectCleanStopAndLedgerHolds(std::optional<Ledger> ledger) {
  EXPECT_EQ(pipeline_->StopAll(), "") << pipeline_->Logs();
  ExpectLedgerHolds(ledger.has_value() ? *ledger : OrdersLedger());  // TearDown adds the logs
}

void FaultTest::TearDown() {
  if (pipeline_ != nullptr && HasFailure()) ADD_FAILURE() << "logs:\n" << pipeline_->Logs();
}

double MetricValue(const std::string& exposition, const std::string& name) {
  const std::regex line("(^|\n)" + name + " ([0-9.eE+-]+)");
  std::smatch match;
  if (!std::regex_search(exposition, match, line)) return -1;
  return std::stod(match[2].str());
}

double SeriesValue(const std::string& exposition, const std::string& series) {
  const size_t at = ("\n" + exposition).find("\n" + series + " ");
  if (at == std::string::npos) return -1;
  return std::stod(exposition.substr(at + series.size() + 1));
}

Result<int64_t> QueryInt(const std::string& db_path, const std::string& sql) {
  SORTLINE_ASSIGN_OR_RETURN(std::unique_ptr<store::internal::Db> db, OpenExisting(db_path));
  return db->QueryInt(sql);
}

int64_t DockRecordCount(const std::string& dock_db) {
  Result<int64_t> count = QueryInt(dock_db, "SELECT count(*) FROM records");
  return count.ok() ? *count : 0;
}

std::set<std::string> OrdersLeasedTo(const std::string& intake_db, const std::string& worker) {
  std::set<std::string> ids;
  Result<std::unique_ptr<store::internal::Db>> db = OpenExisting(intake_db);
  if (!db.ok()) return ids;
  Result<store::internal::Statement> query =
      (*db)->Prepare("SELECT order_id FROM orders WHERE state = 1 AND lease_worker = ?");
  if (!query.ok()) return ids;
  query->BindText(1, worker);
  while (true) {
    Result<bool> row = query->Step();
    if (!row.ok() || !*row) break;
    ids.insert(std::string(query->ColumnText(0)));
  }
  return ids;
}

void ExpectLedgerHolds(const Ledger& ledger) {
  // 1. The dock holds exactly the valid ids, one record each.
  Result<std::unique_ptr<store::DockStore>> dock =
      store::DockStore::Open(ledger.dock_db, store::DockStoreOptions{});
  ASSERT_OK(dock);
  std::set<std::string> stored;
  std::set<std::string> tracking_numbers;
  std::vector<v1::SortRecord> records;
  ASSERT_TRUE((*dock)
                  ->ForEach([&](const v1::SortRecord& record) {
                    EXPECT_TRUE(stored.insert(record.order_id()).second)
                        << "two records for " << record.order_id();
                    tracking_numbers.insert(record.tracking_number());
                    records.push_back(record);
                    return true;
                  })
                  .ok());
  Result<uint64_t> count = (*dock)->Count();
  ASSERT_OK(count);
  EXPECT_EQ(*count, stored.size());
  std::set<std::string> missing;
  std::set<std::string> extra;
  std::set_difference(ledger.valid_ids.begin(), ledger.valid_ids.end(), stored.begin(),
                      stored.end(), std::inserter(missing, missing.end()));
  std::set_difference(stored.begin(), stored.end(), ledger.valid_ids.begin(),
                      ledger.valid_ids.end(), std::inserter(extra, extra.end()));
  EXPECT_TRUE(missing.empty()) << missing.size() << " of " << ledger.valid_ids.size()
                               << " valid orders have no dock record:" << First(missing, 10);
  EXPECT_TRUE(extra.empty()) << extra.size()
                             << " dock records for ids never submitted:" << First(extra, 10);
  EXPECT_EQ(tracking_numbers.size(), stored.size()) << "tracking numbers are unique";
  Result<uint64_t> quarantined = (*dock)->QuarantineCount();
  ASSERT_OK(quarantined);
  EXPECT_EQ(*quarantined, ledger.quarantined) << "quarantine entries at dock";
  dock->reset();

  // 2. Every batch a journal acknowledged is complete; nothing is outstanding.
  std::vector<std::string> intake_dbs = ledger.intake_dbs;
  if (intake_dbs.empty() && !ledger.intake_db.empty()) intake_dbs.push_back(ledger.intake_db);
  uint64_t total = 0;
  size_t batch_count = 0;
  for (const std::string& intake_db : intake_dbs) {
    std::vector<std::string> batch_ids;
    {
      Result<std::unique_ptr<store::internal::Db>> db = OpenExisting(intake_db);
      ASSERT_OK(db);
      Result<store::internal::Statement> query = (*db)->Prepare("SELECT batch_id FROM batches");
      ASSERT_OK(query);
      while (true) {
        Result<bool> row = query->Step();
        ASSERT_OK(row);
        if (!*row) break;
        batch_ids.emplace_back(query->ColumnText(0));
      }
    }
    Result<std::unique_ptr<store::Journal>> journal =
        store::Journal::Open(intake_db, store::JournalOptions{});
    ASSERT_OK(journal);
    Result<uint64_t> outstanding = (*journal)->Outstanding();
    ASSERT_OK(outstanding);
    EXPECT_EQ(*outstanding, 0u) << "orders journaled and not finished in " << intake_db;
    for (const std::string& id : batch_ids) {
      Result<v1::BatchProgress> progress = (*journal)->Progress(id);
      ASSERT_OK(progress) << id;
      EXPECT_TRUE(progress->complete())
          << "batch " << id << " incomplete: " << progress->ShortDebugString();
      EXPECT_EQ(progress->failed(), 0u) << "batch " << id << ": " << progress->ShortDebugString();
      total += progress->total();
    }
    batch_count += batch_ids.size();
  }
  if (!intake_dbs.empty()) {
    EXPECT_EQ(total, ledger.valid_ids.size()) << "orders journaled over " << batch_count
                                              << " batches in " << intake_dbs.size() << " journals";
  }

  // 3. Every label is whole: final name, recorded size and hash, a complete PDF; a batch
  // file's page is the record's parcel (the page list the file carries) and no page is
  // referenced twice; no temporary file; no label file without a record.
  std::set<std::string> files;
  std::vector<std::string> temporaries;
  std::error_code ec;
  for (const fs::directory_entry& entry : fs::directory_iterator(ledger.labels_dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (entry.is_directory()) continue;  // the label index
    if (name.starts_with(".") || name.find(".tmp") != std::string::npos) {
      temporaries.push_back(name);
    } else {
      files.insert(name);
    }
  }
  ASSERT_FALSE(ec) << ledger.labels_dir << ": " << ec.message();
  EXPECT_TRUE(temporaries.empty())
      << temporaries.size() << " temporary label files left, e.g. " << temporaries.front();
  struct LabelFile {
    bool whole = false;
    std::string hash;
    size_t size = 0;
    std::vector<std::string> pages;  // a batch file's tracking numbers by page
  };
  std::map<std::string, LabelFile> read;  // each file read once
  std::set<std::pair<std::string, uint32_t>> pages_referenced;
  std::set<std::string> referenced;
  std::vector<v1::SortRecord> labelled;
  size_t bad_labels = 0;
  for (const v1::SortRecord& record : records) {
    const v1::LabelRef& ref = record.label();
    if (ref.path().empty()) continue;
    referenced.insert(ref.path());
    labelled.push_back(record);
    auto [it, fresh] = read.try_emplace(ref.path());
    LabelFile& file = it->second;
    if (fresh) {
      const std::string bytes = ReadFile(ledger.labels_dir + "/" + ref.path());
      file.whole = bytes.starts_with("%PDF-") && EndsLikePdf(bytes);
      file.hash = HashHex(Fnv1a64(bytes));
      file.size = bytes.size();
      if (ref.page() > 0) {
        Result<std::vector<std::string>> pages = label::BatchPages(bytes);
        if (pages.ok()) file.pages = std::move(pages).value();
      }
    }
    const bool whole = file.whole && file.size == ref.bytes() && file.hash == ref.content_hash();
    const bool page_ok =
        ref.page() == 0 ||
        (ref.page() <= file.pages.size() && file.pages[ref.page() - 1] == record.tracking_number());
    if ((!whole || !page_ok) && bad_labels++ < 10) {
      ADD_FAILURE() << "label of " << record.order_id() << " (" << ref.path() << " page "
                    << ref.page() << ") is not whole or not its page: " << file.size
                    << " bytes, recorded " << ref.bytes() << " bytes hash " << ref.content_hash()
                    << ", file hash " << file.hash << ", the file names " << file.pages.size()
                    << " pages";
    }
    if (ref.page() > 0) {
      EXPECT_TRUE(pages_referenced.insert({ref.path(), ref.page()}).second)
          << ref.path() << " page " << ref.page() << " is referenced by two records";
    }
  }
  EXPECT_EQ(bad_labels, 0u) << "labels not whole";
  std::set<std::string> orphans;
  std::set_difference(files.begin(), files.end(), referenced.begin(), referenced.end(),
                      std::inserter(orphans, orphans.end()));
  EXPECT_TRUE(orphans.empty()) << orphans.size()
                               << " label files without a record:" << First(orphans, 5);

  // 4. The Code 128 of a sample, and of every order named, decodes to its tracking number
  // from its page.
  std::vector<v1::SortRecord> named;
  for (const v1::SortRecord& record : labelled) {
    if (ledger.must_decode.contains(record.order_id())) named.push_back(record);
  }
  std::vector<v1::SortRecord> to_decode = Spread(named, kMaxNamedDecodes);
  for (const v1::SortRecord& record : Spread(labelled, ledger.sample)) to_decode.push_back(record);
  if (!to_decode.empty()) {
    fs::create_directories(ledger.scratch_dir);
    std::string list;
    for (const v1::SortRecord& record : to_decode) {
      list += ledger.labels_dir + "/" + record.label().path() + " " +
              std::to_string(std::max<uint32_t>(record.label().page(), 1)) + "\n";
    }
    const std::string list_path = ledger.scratch_dir + "/decode.list";
    std::ofstream(list_path) << list;
    // Two at a time: the machine has two cores.
    CommandResult scans = RunCommand(
        "xargs -P 2 -L 1 sh -c 'png=\"$1/$(basename \"$2\" .pdf)-$3\"; "
        "pdftoppm -r 300 -png -f \"$3\" -l \"$3\" -singlefile \"$2\" \"$png\" 2>/dev/null && "
        "zbarimg -q --raw \"$png.png\" 2>/dev/null; rm -f \"$png.png\"' _ " +
        ledger.scratch_dir + " < " + list_path);
    std::set<std::string> decoded;
    std::istringstream lines(scans.output);
    std::string line;
    while (std::getline(lines, line)) decoded.insert(line);
    size_t undecoded = 0;
    for (const v1::SortRecord& record : to_decode) {
      if (!decoded.contains(record.tracking_number()) && undecoded++ < 10) {
        ADD_FAILURE() << "Code 128 of " << record.tracking_number() << " (order "
                      << record.order_id() << ") not decoded from " << record.label().path()
                      << " page " << record.label().page();
      }
    }
    EXPECT_EQ(undecoded, 0u) << "of " << to_decode.size() << " labels decoded";
  }

  // 5. Both databases pass SQLite's integrity check.
  ExpectIntegrityOk(ledger.dock_db);
  if (!ledger.intake_db.empty()) ExpectIntegrityOk(ledger.intake_db);
}

}  // namespace sortline::testing
