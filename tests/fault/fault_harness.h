// What every fault test shares: the pipeline as separate processes that can be killed
// and restarted one by one on the same ports and files, and the ledger check every fault
// test ends with (issue 5, "Acceptance"):
//   - the order ids in the dock store are exactly the valid ids submitted, one record each;
//   - every batch the journal acknowledged is complete, nothing is outstanding;
//   - every label file is whole (the recorded size and content hash, a complete PDF,
//     no temporary file left); a record's page of a batch file is its parcel's (the page
//     list the file carries) and no page is referenced twice; for a sample and for the
//     orders named, the Code 128 of the record's page decodes with zbarimg on a 300 dpi
//     rendering;
//   - PRAGMA integrity_check is ok on intake.db and dock.db.
//
// Thread-safety: everything here is used from the one test thread.
#ifndef TESTS_FAULT_FAULT_HARNESS_H_
#define TESTS_FAULT_FAULT_HARNESS_H_

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "pipeline/base/result.h"
#include "pipeline/transport/security.h"
#include "proto/order.pb.h"
#include "proto/wire.pb.h"
#include "tests/testing/daemons.h"
#include "tests/testing/process.h"
#include "tests/testing/testing.h"

namespace sortline::testing {

// Polls `condition` every 50 ms until it holds (true) or `timeout` passes (false).
bool WaitFor(const std::function<bool()>& condition, std::chrono::milliseconds timeout);

// An orders file written by `sortline gen`, with the ids of its orders (all valid).
struct GeneratedOrders {
  std::string path;
  std::set<std::string> ids;
};
// Writes `count` orders made from `seed` to `path`. A failure is reported to gtest
// (ADD_FAILURE) and leaves `ids` empty.
GeneratedOrders GenerateOrders(const std::string& path, int count, int seed);

// The orders of an orders file, in file order.
std::vector<v1::Order> ReadOrders(const std::string& path);

// A SubmitRequest carrying batch `batch_id` of `count` orders of `orders` from index
// `from` on (fewer when `orders` ends first; all of them by default).
v1::SubmitRequest BatchOf(const std::string& batch_id, const std::vector<v1::Order>& orders,
                          size_t from = 0, size_t count = SIZE_MAX);

// A client of its own on a server channel, as a retrying peer would be: sends `payload`
// once a connection takes it and returns the first reply `accept` takes. kUnavailable when
// none came within `timeout` (also when the server never admitted this client).
// `security` (borrowed; nullptr = plaintext) with `server_role` ("intake", "dock") makes
// it a CURVE client.
Result<std::string> Exchange(const std::string& endpoint, const std::string& payload,
                             const std::function<bool(const std::string&)>& accept,
                             std::chrono::milliseconds timeout,
                             const transport::Security* security = nullptr,
                             const std::string& server_role = "");
// One request on intake's submit channel; the reply about `batch_id`.
Result<v1::SubmitReply> AskIntake(const std::string& endpoint, const v1::SubmitRequest& request,
                                  const std::string& batch_id, std::chrono::milliseconds timeout,
                                  const transport::Security* security = nullptr);
// Whether intake (at `endpoint`) reports batch `batch_id` complete; false also when it did
// not answer within 5 s.
bool BatchComplete(const std::string& endpoint, const std::string& batch_id,
                   const transport::Security* security = nullptr);
// One RecordBatch on the dock's records channel; its acknowledgement, or kUnavailable
// with the dock's error when it refused the batch.
Result<v1::RecordsStored> StoreAtDock(const std::string& endpoint, const v1::RecordBatch& batch,
                                      std::chrono::milliseconds timeout,
                                      const transport::Security* security = nullptr);

// Writes the CURVE key pair `dir`/`name`.key with `sortline keys gen` and returns its
// keys table row ("role,name,public_key\n", the last line `keys gen` prints). A failure
// is reported to gtest.
std::string GenerateKeyPair(const std::string& dir, const std::string& name,
                            const std::string& role);
// A key pair for each {name, role} of `listed` (GenerateKeyPair into `keys_dir`) and
// their keys table, written to `table_path`. A failure is reported to gtest.
void GenerateKeysTable(const std::string& keys_dir, const std::string& table_path,
                       const std::vector<std::pair<std::string, std::string>>& listed);

// What the ledger check compares against.
struct Ledger {
  std::set<std::string> valid_ids;  // every valid order id submitted
  std::string dock_db;
  std::string intake_db;  // "" when the test ran no intake
  // Several intakes (shards): each journal's batches complete, their totals adding up to
  // the valid ids. Used instead of intake_db when not empty.
  std::vector<std::string> intake_dbs;
  std::string labels_dir;
  std::string scratch_dir;  // where label renderings go
  // Order ids whose labels must decode, beyond the sample (at most 40 of them, spread).
  std::set<std::string> must_decode;
  size_t sample = 6;         // labels decoded, spread over the records
  uint64_t quarantined = 0;  // quarantine entries expected at dock
};

struct FaultPipelineOptions {
  std::string dir;                 // databases and logs; REQUIRED
  std::string labels_dir;          // "" = <dir>/labels
  std::string dock_db;             // "" = <dir>/dock.db
  std::string host = "127.0.0.1";  // the address the daemons bind and every client reaches
  int lease_ms = 2000;             // sortline-intake --lease-ms
  int worker_credit = 0;           // sortline-worker --credit; 0 = the worker's default
  bool fsync = true;               // false: --no-fsync on every process (speed runs)
  int metrics_port = 0;            // sortline-dock --metrics-port; 0 = any free port
};

// dock, intake, workers and a submitter as real processes. Processes are known by a
// role name: "dock", "intake", "submit" and each worker's name. Each role logs to
// <dir>/<role>.log (appended across restarts). Starting a role that still runs is a
// test failure. The destructor kills whatever still runs.
class FaultPipeline {
 public:
  explicit FaultPipeline(FaultPipelineOptions options);
  ~FaultPipeline();
  FaultPipeline(const FaultPipeline&) = delete;
  FaultPipeline& operator=(const FaultPipeline&) = delete;

  void StartDock(const std::vector<std::string>& extra_args = {});
  void StartIntake(const std::vector<std::string>& extra_args = {});
  // `wrapper` goes before the program, e.g. {"/usr/sbin/ip", "netns", "exec", "ns1"}.
  void StartWorker(const std::string& name, const std::vector<std::string>& extra_args = {},
                   const std::vector<std::string>& wrapper = {});
  // `sortline submit FILE --intake <submit endpoint>` in the background.
  void StartSubmit(const std::string& orders_path, const std::vector<std::string>& extra_args = {});
  // StartDock(), StartIntake() and StartWorker(name) for each of `workers`, no extra flags.
  void StartDaemons(const std::vector<std::string>& workers);

  bool Running(const std::string& role);
  void Signal(const std::string& role, int signal);
  // SIGKILL and reap.
  void Kill(const std::string& role);
  // The exit code once `role` ended within `timeout`; empty while it still runs.
  std::optional<int> WaitExit(const std::string& role, std::chrono::milliseconds timeout);
  // SIGTERM to every daemon still running (workers first, then intake, then dock) and
  // waits for them. Returns "" when each exited 0, else which did not and how.
  std::string StopAll(std::chrono::milliseconds timeout = std::chrono::seconds(30));

  std::string LogPath(const std::string& role) const;
  std::string Log(const std::string& role) const;
  // The last `lines` lines of every role's log, for failure messages.
  std::string Logs(size_t lines = 25) const;
  // How often `text` appears in `role`'s log.
  size_t CountInLog(const std::string& role, const std::string& text) const;

  std::string submit_endpoint() const { return Address(ports_.submit); }
  std::string work_endpoint() const { return Address(ports_.work); }
  std::string records_endpoint() const { return Address(ports_.records); }
  std::string conveyor_endpoint() const { return Address(ports_.conveyor); }
  const std::string& dir() const { return options_.dir; }
  const std::string& labels_dir() const { return options_.labels_dir; }
  const std::string& dock_db() const { return options_.dock_db; }
  std::string intake_db() const { return options_.dir + "/intake.db"; }

  // The ledger of this pipeline's files for `valid_ids`; renderings go to <dir>/scans.
  Ledger LedgerFor(const std::set<std::string>& valid_ids) const;

 private:
  std::string Address(int port) const;
  void Start(const std::string& role, std::vector<std::string> argv);

  FaultPipelineOptions options_;
  PipelinePorts ports_;
  std::map<std::string, std::unique_ptr<Subprocess>> processes_;
  std::vector<std::string> roles_;  // in start order, for logs
};

// Runs the ledger check, reporting every violation to gtest. Call with the daemons
// stopped (or killed).
void ExpectLedgerHolds(const Ledger& ledger);

// Stops every daemon of `pipeline`, expecting each to exit 0, then runs the ledger check
// on `ledger`; the tail of every log is added when anything failed.
void ExpectCleanStopAndLedgerHolds(FaultPipeline& pipeline, const Ledger& ledger);

// The frame of most fault tests: a temporary directory, the orders generated into it and
// a FaultPipeline working in it, so a test reads as its scenario. TearDown adds the tail
// of every log to a test that failed.
class FaultTest : public ::testing::Test {
 protected:
  // Writes `count` orders made from `seed` to <dir>/orders.jsonl (orders()); false when
  // none came (the failure is reported). Use as ASSERT_TRUE(Generate(...)).
  bool Generate(int count, int seed);
  // Makes the pipeline, working in the test's directory (options.dir is set here).
  FaultPipeline& NewPipeline(FaultPipelineOptions options = {});
  const TempDir& dir() const { return dir_; }
  const GeneratedOrders& orders() const { return orders_; }

  // Waits up to `timeout` for `sortline submit` to end and expects exit 0; a fatal
  // failure ("submit did not finish" + `when`) when it still runs, so call it as
  // ASSERT_NO_FATAL_FAILURE(AwaitSubmit(...)).
  void AwaitSubmit(std::chrono::milliseconds timeout, const std::string& when = "");
  // While `fault` holds ("the disk filled"): expects the dock to store no record for
  // `window`, and the run not to be over (fewer records stored than orders generated).
  void ExpectNoRecordsStoredFor(std::chrono::milliseconds window, const std::string& fault);
  // Expects intake to report `batch_id` complete within 120 s.
  void ExpectBatchCompletes(const std::string& batch_id,
                            const transport::Security* security = nullptr);
  // The ledger of the pipeline's files for the generated orders.
  Ledger OrdersLedger() const { return pipeline_->LedgerFor(orders_.ids); }
  // Stops every daemon, expecting each to exit 0, then runs the ledger check on
  // `ledger` (OrdersLedger() when none is given).
  void ExpectCleanStopAndLedgerHolds(std::optional<Ledger> ledger = std::nullopt);

  void TearDown() override;

 private:
  TempDir dir_;
  GeneratedOrders orders_;
  std::unique_ptr<FaultPipeline> pipeline_;
};

// The value of the metric `name` (without labels) in a Prometheus text exposition, e.g.
// HttpGet(port, "/metrics"); -1 when absent.
double MetricValue(const std::string& exposition, const std::string& name);
// The value of one series, its name with its labels exactly as rendered, e.g.
// `sortline_intake_backlog_orders{class="ordinary",state="pending"}`; -1 when absent.
double SeriesValue(const std::string& exposition, const std::string& series);

// Read-only looks into a database through store/'s SQLite wrapper, for progress polling
// while the daemons run (WAL readers do not block the writer) and for the checks.
// The first column of the first row of `sql`; an error when the database or the query
// fails.
Result<int64_t> QueryInt(const std::string& db_path, const std::string& sql);
// Records stored at dock so far (0 while the store does not exist yet).
int64_t DockRecordCount(const std::string& dock_db);
// The ids of the orders the journal has leased to `worker` and not yet finished, read
// from the journal's tables (store/ has no API for it); empty when unknown.
std::set<std::string> OrdersLeasedTo(const std::string& intake_db, const std::string& worker);

}  // namespace sortline::testing

#endif  // TESTS_FAULT_FAULT_HARNESS_H_
