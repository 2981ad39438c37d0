// A worker on another "host" cut off from intake and dock (issue 5): the worker runs in a
// network namespace the test creates, joined to this one by a veth pair with private
// addresses; intake and dock bind the host side's address. The namespace's link goes
// down mid-run and comes back: the worker reconnects and every order completes.
#include <chrono>
#include <string>
#include <thread>

#include <gtest/gtest.h>
#include <unistd.h>

#include "tests/fault/fault_harness.h"
#include "tests/testing/process.h"
#include "tests/testing/testing.h"

namespace sortline {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr char kIp[] = "/usr/sbin/ip";

// A namespace and a veth pair into it, /30 of 10.213.0.0/16 picked by the process id.
// Everything is deleted on destruction, also when the test failed halfway.
class NamespacedLink {
 public:
  NamespacedLink() {
    const int id = static_cast<int>(::getpid() % 60000);
    ns_ = "sortline-fault-" + std::to_string(::getpid());
    host_if_ = "sfh" + std::to_string(id);
    ns_if_ = "sfn" + std::to_string(id);
    const std::string net = "10.213." + std::to_string(id % 250) + ".";
    host_address_ = net + "1";
    ns_address_ = net + "2";
    (void)(Run(std::string(kIp) + " netns add " + ns_) &&
           Run(std::string(kIp) + " link add " + host_if_ + " type veth peer name " + ns_if_) &&
           Run(std::string(kIp) + " link set " + ns_if_ + " netns " + ns_) &&
           Run(std::string(kIp) + " addr add " + host_address_ + "/30 dev " + host_if_) &&
           Run(std::string(kIp) + " link set " + host_if_ + " up") &&
           Run(InNamespace("addr add " + ns_address_ + "/30 dev " + ns_if_)) &&
           Run(InNamespace("link set " + ns_if_ + " up")) && Run(InNamespace("link set lo up")));
  }
  ~NamespacedLink() {
    testing::RunCommand(std::string(kIp) + " link del " + host_if_);
    testing::RunCommand(std::string(kIp) + " netns del " + ns_);
  }
  NamespacedLink(const NamespacedLink&) = delete;
  NamespacedLink& operator=(const NamespacedLink&) = delete;

  // "" when the namespace and link are up, else what failed.
  const std::string& error() const { return error_; }
  const std::string& host_address() const { return host_address_; }
  std::vector<std::string> exec_prefix() const { return {kIp, "netns", "exec", ns_}; }
  bool SetNamespaceLink(bool up) {
    return Run(InNamespace("link set " + ns_if_ + (up ? " up" : " down")));
  }

 private:
  std::string InNamespace(const std::string& command) const {
    return std::string(kIp) + " netns exec " + ns_ + " " + kIp + " " + command;
  }
  bool Run(const std::string& command) {
    testing::CommandResult result = testing::RunCommand(command);
    if (result.exit_code != 0) error_ += command + ": " + result.output + "\n";
    return result.exit_code == 0;
  }

  std::string ns_, host_if_, ns_if_, host_address_, ns_address_;
  std::string error_;
};

using NetworkFault = testing::FaultTest;

TEST_F(NetworkFault, WorkerCutOffByItsNamespaceLinkGoingDownCompletesItsWorkOnceHealed) {
  if (::geteuid() != 0) GTEST_SKIP() << "network namespaces need root";
  NamespacedLink link;
  ASSERT_EQ(link.error(), "") << "cannot set up the namespace and veth pair";

  ASSERT_TRUE(Generate(3000, 508));
  testing::FaultPipelineOptions options;
  options.host = link.host_address();
  options.worker_credit = 64;
  testing::FaultPipeline& pipeline = NewPipeline(options);
  pipeline.StartDock();
  pipeline.StartIntake();
  pipeline.StartWorker("wns", {}, link.exec_prefix());
  pipeline.StartSubmit(orders().path, {"--batch-size", "500"});

  ASSERT_TRUE(testing::WaitFor([&] { return testing::DockRecordCount(pipeline.dock_db()) >= 300; },
                               seconds(120)))
      << "the namespaced worker made no progress\n"
      << pipeline.Logs();
  ASSERT_TRUE(link.SetNamespaceLink(false)) << link.error();

  // Cut off past its lease (2 s): nothing reaches the dock any more once what was in
  // flight has landed.
  std::this_thread::sleep_for(milliseconds(1500));
  ExpectNoRecordsStoredFor(milliseconds(3500), "the link went down");
  EXPECT_TRUE(pipeline.Running("wns")) << pipeline.Logs();

  ASSERT_TRUE(link.SetNamespaceLink(true)) << link.error();
  ASSERT_NO_FATAL_FAILURE(AwaitSubmit(seconds(180), "after the link healed"));
  ExpectCleanStopAndLedgerHolds();
}

}  // namespace
}  // namespace sortline
