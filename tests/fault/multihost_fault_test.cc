// Beyond one box (issue 11): the daemons on five "hosts", each a network namespace with
// its own UTS host name on one bridge the test creates, CURVE on every channel:
//   hub-a: the dock and intake-0       hub-b: intake-1
//   work-a, work-b: a worker each, both writing labels into one shared directory
//   shop: `sortline submit` spreading batches over both intakes
// It measures orders/s with one worker host and then two in the same run (it is all one
// machine: the point is that nothing serialises across hosts, not the absolute figure),
// then runs 50,000 orders while work-a's link is down longer than a lease and comes
// back, and intake-1 is killed with SIGKILL and restarted on its journal. The ledger
// check holds over both journals: every order one record, every label whole and
// decodable from the shared label directory, and no host's temporaries left behind.
#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <unistd.h>

#include "pipeline/model/orders.h"
#include "tests/fault/fault_harness.h"
#include "tests/testing/daemons.h"
#include "tests/testing/process.h"
#include "tests/testing/testing.h"

namespace sortline {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using Steady = std::chrono::steady_clock;

constexpr char kIp[] = "/usr/sbin/ip";
constexpr int kLeaseMs = 2000;

// A bridge in this namespace and one namespace per host joined to it by a veth pair,
// addresses from a /24 of 10.215.0.0/16 picked by the process id. Processes on a host
// also get the host's name (a UTS namespace of their own), as the label temporaries
// carry it. Everything is deleted on destruction, also when the test failed halfway.
class Hosts {
 public:
  explicit Hosts(const std::vector<std::string>& names) {
    const int id = static_cast<int>(::getpid() % 60000);
    tag_ = std::to_string(id);
    bridge_ = "smb" + tag_;
    const std::string net = "10.215." + std::to_string(id % 250) + ".";
    bool ok = Run(std::string(kIp) + " link add " + bridge_ + " type bridge") &&
              Run(std::string(kIp) + " addr add " + net + "1/24 dev " + bridge_) &&
              Run(std::string(kIp) + " link set " + bridge_ + " up");
    for (size_t k = 0; ok && k < names.size(); ++k) {
      Host host;
      host.ns = "sortline-mh-" + tag_ + "-" + names[k];
      host.outer = "smh" + tag_ + "x" + std::to_string(k);
      host.inner = "smn" + tag_ + "x" + std::to_string(k);
      host.address = net + std::to_string(11 + k);
      host.name = names[k] + "-" + tag_;
      hosts_[names[k]] = host;
      const std::string in = std::string(kIp) + " netns exec " + host.ns + " " + kIp + " ";
      ok = Run(std::string(kIp) + " netns add " + host.ns) &&
           Run(std::string(kIp) + " link add " + host.outer + " type veth peer name " +
               host.inner) &&
           Run(std::string(kIp) + " link set " + host.inner + " netns " + host.ns) &&
           Run(std::string(kIp) + " link set " + host.outer + " master " + bridge_) &&
           Run(std::string(kIp) + " link set " + host.outer + " up") &&
           Run(in + "addr add " + host.address + "/24 dev " + host.inner) &&
           Run(in + "link set " + host.inner + " up") && Run(in + "link set lo up");
    }
  }
  ~Hosts() {
    for (const auto& [name, host] : hosts_) {
      testing::RunCommand(std::string(kIp) + " link del " + host.outer + " 2>/dev/null");
      testing::RunCommand(std::string(kIp) + " netns del " + host.ns + " 2>/dev/null");
    }
    testing::RunCommand(std::string(kIp) + " link del " + bridge_ + " 2>/dev/null");
  }
  Hosts(const Hosts&) = delete;
  Hosts& operator=(const Hosts&) = delete;

  // "" when every host is up, else what failed.
  const std::string& error() const { return error_; }
  std::string Endpoint(const std::string& host, int port) const {
    return "tcp://" + hosts_.at(host).address + ":" + std::to_string(port);
  }
  // The argv prefix that runs a program on `host`, under the host's name.
  std::vector<std::string> On(const std::string& host) const {
    const Host& h = hosts_.at(host);
    return {kIp,       "netns",   "exec",
            h.ns,      "unshare", "--uts",
            "/bin/sh", "-c",      "hostname " + h.name + " && exec \"$0\" \"$@\""};
  }
  const std::string& HostName(const std::string& host) const { return hosts_.at(host).name; }
  // Takes `host`'s link to the bridge down or up.
  bool SetLink(const std::string& host, bool up) {
    return Run(std::string(kIp) + " link set " + hosts_.at(host).outer + (up ? " up" : " down"));
  }

 private:
  struct Host {
    std::string ns, outer, inner, address, name;
  };
  bool Run(const std::string& command) {
    testing::CommandResult result = testing::RunCommand(command + " 2>&1");
    if (result.exit_code != 0) error_ += command + ": " + result.output + "\n";
    return result.exit_code == 0;
  }

  std::string tag_, bridge_, error_;
  std::map<std::string, Host> hosts_;
};

// Processes by role, each logging to <dir>/<role>.log; killed on destruction.
class Processes {
 public:
  explicit Processes(std::string dir) : dir_(std::move(dir)) {}
  void Start(const std::string& role, const std::vector<std::string>& prefix,
             const std::vector<std::string>& argv) {
    std::vector<std::string> full = prefix;
    full.insert(full.end(), argv.begin(), argv.end());
    std::ofstream(Log(role), std::ios::app) << "---- test: starting " << role << "\n";
    running_.erase(role);
    running_.emplace(role, std::make_unique<testing::Subprocess>(full, Log(role)));
  }
  testing::Subprocess& operator[](const std::string& role) { return *running_.at(role); }
  std::string Log(const std::string& role) const { return dir_ + "/" + role + ".log"; }
  // SIGTERM to each of `roles` in order; "" when each exited 0, else who did not.
  std::string Stop(const std::vector<std::string>& roles) {
    std::string trouble;
    for (const std::string& role : roles) {
      running_.at(role)->Signal(SIGTERM);
      std::optional<int> code = running_.at(role)->Wait(seconds(30));
      if (code != 0)
        trouble += role + (code ? " exited " + std::to_string(*code) : " hangs") + "\n";
    }
    return trouble;
  }
  std::string Tails() const {
    std::string out;
    for (const auto& [role, process] : running_) {
      std::string text = testing::ReadFile(Log(role));
      if (text.size() > 3000) text = "..." + text.substr(text.size() - 3000);
      out += "==== " + role + "\n" + text;
    }
    return out;
  }

 private:
  std::string dir_;
  std::map<std::string, std::unique_ptr<testing::Subprocess>> running_;
};

// Key pairs from `sortline keys gen` and the keys table: one intake pair shared by both
// intakes (a client trusts one key per server role), the dock, a worker pair per worker
// host, the shop's submitter pair, and a conveyor (the dock serves that role too).
std::string MakeKeys(const std::string& dir) {
  testing::GenerateKeysTable(dir + "/keys", dir + "/keys.csv",
                             {{"intake", "intake"},
                              {"dock", "dock"},
                              {"work-a", "worker"},
                              {"work-b", "worker"},
                              {"shop", "submitter"},
                              {"scanner", "conveyor"}});
  return dir + "/keys.csv";
}

// Cuts the orders file `path` into consecutive parts of the given sizes.
std::vector<testing::GeneratedOrders> Split(
    const std::string& path, const std::vector<std::pair<std::string, size_t>>& sizes) {
  std::ifstream in(path);
  std::vector<testing::GeneratedOrders> parts;
  std::string line;
  for (const auto& [part_path, count] : sizes) {
    testing::GeneratedOrders part;
    part.path = part_path;
    std::ofstream out(part_path);
    while (part.ids.size() < count && std::getline(in, line)) {
      out << line << "\n";
      Result<v1::Order> order = model::ParseOrderJson(line);
      if (order.ok()) part.ids.insert(order->order_id());
    }
    EXPECT_EQ(part.ids.size(), count) << part_path;
    parts.push_back(std::move(part));
  }
  return parts;
}

TEST(MultiHost, TwoIntakesDockAndWorkersOnTwoHostsSurviveALinkDownAndAKilledIntake_Issue11) {
  if (::geteuid() != 0) GTEST_SKIP() << "network namespaces need root";
  testing::TempDir dir;
  testing::TempDir labels(testing::kShm);  // the shared label volume
  Hosts hosts({"hub-a", "hub-b", "work-a", "work-b", "shop"});
  ASSERT_EQ(hosts.error(), "") << "cannot set up the bridge and the hosts";
  const std::string table = MakeKeys(dir.path().string());
  auto curve = [&](const std::string& name) {
    return std::vector<std::string>{"--curve-key", dir.file("keys/" + name + ".key"),
                                    "--curve-keys", table};
  };
  auto with = [](std::vector<std::string> argv, const std::vector<std::string>& more) {
    argv.insert(argv.end(), more.begin(), more.end());
    return argv;
  };

  const int submit_port = 5550, work_port = 5551, records_port = 5560;
  const std::vector<std::string> intake_hosts = {"hub-a", "hub-b"};
  Processes run(dir.path().string());
  testing::DockFlags dock;
  dock.records = hosts.Endpoint("hub-a", records_port);
  dock.conveyor = hosts.Endpoint("hub-a", 5561);
  dock.db = dir.file("dock.db");
  dock.manifests = dir.file("manifests");
  dock.fsync = false;
  dock.extra = curve("dock");
  run.Start("dock", hosts.On("hub-a"), testing::DockArgv(dock));
  auto start_intake = [&](int n) {
    const std::string& host = intake_hosts[static_cast<size_t>(n)];
    testing::IntakeFlags intake;
    intake.submit = hosts.Endpoint(host, submit_port);
    intake.work = hosts.Endpoint(host, work_port);
    intake.journal = dir.file("intake-" + std::to_string(n) + ".db");
    intake.lease_ms = kLeaseMs;
    intake.fsync = false;
    intake.extra = with({"--tracking-shard", std::to_string(n) + "/2"}, curve("intake"));
    run.Start("intake-" + std::to_string(n), hosts.On(host), testing::IntakeArgv(intake));
  };
  start_intake(0);
  start_intake(1);
  auto start_worker = [&](const std::string& host) {
    testing::WorkerFlags worker;
    worker.intakes = {hosts.Endpoint("hub-a", work_port), hosts.Endpoint("hub-b", work_port)};
    worker.dock = hosts.Endpoint("hub-a", records_port);
    worker.labels = labels.path().string();
    worker.name = host;
    worker.fsync = false;
    worker.extra = curve(host);
    run.Start(host, hosts.On(host), testing::WorkerArgv(worker));
  };
  const std::vector<std::string> submit_to = {
      "--intake",           hosts.Endpoint("hub-a", submit_port),
      "--intake",           hosts.Endpoint("hub-b", submit_port),
      "--batch-size",       "500",
      "--stall-timeout-ms", "60000"};
  // Submits `orders` from the shop host and waits; its orders/s, or -1 when it failed.
  auto submit = [&](const std::string& name, const testing::GeneratedOrders& orders,
                    const std::function<void()>& meanwhile) -> double {
    const auto start = Steady::now();
    run.Start(
        name, hosts.On("shop"),
        with(with({testing::Bin("sortline"), "submit", orders.path}, submit_to), curve("shop")));
    if (meanwhile) meanwhile();
    std::optional<int> code = run[name].Wait(seconds(240));
    if (code != 0) {
      ADD_FAILURE() << name << (code ? " exited " + std::to_string(*code) : " did not finish")
                    << "\n"
                    << run.Tails();
      return -1;
    }
    return static_cast<double>(orders.ids.size()) /
           std::chrono::duration<double>(Steady::now() - start).count();
  };

  // Orders/s with one worker host, then with two, on batches of the same size.
  // One generated file cut in three, so no order id is in two of them.
  const testing::GeneratedOrders all = testing::GenerateOrders(dir.file("all.jsonl"), 66'000, 611);
  ASSERT_EQ(all.ids.size(), 66'000u);
  const std::vector<testing::GeneratedOrders> parts =
      Split(all.path, {{dir.file("one.jsonl"), 8000},
                       {dir.file("two.jsonl"), 8000},
                       {dir.file("festival.jsonl"), 50'000}});
  const testing::GeneratedOrders& one_host = parts[0];
  const testing::GeneratedOrders& two_hosts = parts[1];
  const testing::GeneratedOrders& festival = parts[2];
  start_worker("work-a");
  const double rate_one = submit("submit-one", one_host, nullptr);
  start_worker("work-b");
  const double rate_two = submit("submit-two", two_hosts, nullptr);
  std::printf(
      "[ multi-host ] orders/s with 1 worker host: %.0f, with 2 worker hosts: %.0f "
      "(x%.2f; 8,000 orders each, CURVE on every channel, one machine)\n",
      rate_one, rate_two, rate_one > 0 ? rate_two / rate_one : 0.0);
  ASSERT_GT(rate_one, 0);
  ASSERT_GT(rate_two, 0);

  // 50,000 orders through a cut link and a killed intake.
  const int64_t before = testing::DockRecordCount(dir.file("dock.db"));
  const double rate_festival = submit("submit-festival", festival, [&] {
    ASSERT_TRUE(testing::WaitFor(
        [&] { return testing::DockRecordCount(dir.file("dock.db")) >= before + 5000; },
        seconds(120)))
        << run.Tails();
    ASSERT_TRUE(hosts.SetLink("work-a", false)) << hosts.error();
    std::this_thread::sleep_for(milliseconds(kLeaseMs * 5 / 2));  // longer than a lease
    ASSERT_TRUE(hosts.SetLink("work-a", true)) << hosts.error();
    ASSERT_TRUE(testing::WaitFor(
        [&] { return testing::DockRecordCount(dir.file("dock.db")) >= before + 20'000; },
        seconds(120)))
        << run.Tails();
    run["intake-1"].Signal(SIGKILL);
    run["intake-1"].Wait(seconds(10));
    std::this_thread::sleep_for(milliseconds(1000));
    start_intake(1);
  });
  std::printf("[ multi-host ] 50,000 orders with a link down and an intake killed: %.0f orders/s\n",
              rate_festival);

  // Peak memory of each daemon, for the Kubernetes resource figures (docs/scale-out.md).
  for (const char* role : {"dock", "intake-0", "intake-1", "work-a", "work-b"}) {
    const std::string status =
        testing::ReadFile("/proc/" + std::to_string(run[role].pid()) + "/status");
    const size_t at = status.find("VmHWM:");
    std::printf("[ multi-host ] %s peak resident memory:%s\n", role,
                at == std::string::npos
                    ? " ?"
                    : status.substr(at + 6, status.find('\n', at) - at - 6).c_str());
  }
  const std::string stopped = run.Stop({"work-a", "work-b", "intake-0", "intake-1", "dock"});
  EXPECT_EQ(stopped, "") << run.Tails();
  // The faults took effect: the intakes gave up on work-a while its link was down, and
  // intake-1 served twice.
  const std::string intake_logs =
      testing::ReadFile(run.Log("intake-0")) + testing::ReadFile(run.Log("intake-1"));
  EXPECT_NE(intake_logs.find("worker work-a silent past its lease"), std::string::npos)
      << intake_logs;
  const std::string intake_1 = testing::ReadFile(run.Log("intake-1"));
  size_t starts = 0;
  for (size_t at = intake_1.find("starting intake-1"); at != std::string::npos;
       at = intake_1.find("starting intake-1", at + 1)) {
    ++starts;
  }
  EXPECT_EQ(starts, 2u) << intake_1;

  testing::Ledger ledger;
  for (const auto* orders : {&one_host, &two_hosts, &festival}) {
    ledger.valid_ids.insert(orders->ids.begin(), orders->ids.end());
  }
  ledger.dock_db = dir.file("dock.db");
  ledger.intake_dbs = {dir.file("intake-0.db"), dir.file("intake-1.db")};
  ledger.labels_dir = labels.path();
  ledger.scratch_dir = dir.file("scans");
  testing::ExpectLedgerHolds(ledger);
  if (HasFailure()) ADD_FAILURE() << run.Tails();
}

}  // namespace
}  // namespace sortline
