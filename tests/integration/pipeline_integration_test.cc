// intake, two workers and dock as separate processes on 127.0.0.1; `sortline submit`
// sends 20,000 generated orders and waits for them.
#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <signal.h>

#include "pipeline/model/orders.h"
#include "pipeline/model/s10.h"
#include "pipeline/store/dock_store.h"
#include "tests/testing/daemons.h"
#include "tests/testing/process.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/testing.h"

namespace sortline {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr int kOrders = 20'000;

using testing::Bin;
using testing::Endpoint;

TEST(Pipeline, TwentyThousandOrdersAcrossProcessesEndAsOneRecordEachWithReadableLabels) {
  testing::TempDir dir;
  const std::string orders = dir.file("orders.jsonl");
  testing::CommandResult gen = testing::GenerateOrdersFile(orders, kOrders, 1111);
  ASSERT_EQ(gen.exit_code, 0) << gen.output;

  const testing::PipelinePorts ports;
  const std::string labels = dir.file("labels");
  const std::string log = dir.file("daemons.log");

  std::vector<std::unique_ptr<testing::Subprocess>> daemons;
  testing::StartDockAndIntake(ports, dir.path().string(), log, daemons);
  for (const char* name : {"w1", "w2"}) {
    daemons.push_back(testing::StartWorker(testing::PipelineWorker(ports, labels, name), log));
  }

  testing::CommandResult submit = testing::RunCommand(
      Bin("sortline") + " submit " + orders + " --intake " + Endpoint(ports.submit) +
      " --stall-timeout-ms 60000 --summary " + dir.file("summary.json"));
  EXPECT_EQ(submit.exit_code, 0) << submit.output << "\n" << testing::ReadFile(log);
  EXPECT_NE(submit.output.find("20000 orders read"), std::string::npos) << submit.output;

  // Clean shutdown on SIGTERM: every daemon exits 0.
  for (auto& daemon : daemons) daemon->Signal(SIGTERM);
  for (auto& daemon : daemons) {
    std::optional<int> code = daemon->Wait(milliseconds(20'000));
    ASSERT_TRUE(code.has_value()) << "daemon did not stop on SIGTERM\n" << testing::ReadFile(log);
    EXPECT_EQ(*code, 0) << testing::ReadFile(log);
  }

  // The dock holds exactly one record per generated order, each with a valid S10 number.
  std::set<std::string> expected;
  {
    std::ifstream in(orders);
    std::string line;
    while (std::getline(in, line)) {
      Result<v1::Order> order = model::ParseOrderJson(line);
      ASSERT_OK(order);
      expected.insert(order->order_id());
    }
  }
  ASSERT_EQ(expected.size(), static_cast<size_t>(kOrders));
  Result<std::unique_ptr<store::DockStore>> dock =
      store::DockStore::Open(dir.file("dock.db"), store::DockStoreOptions{});
  ASSERT_OK(dock);
  EXPECT_EQ((*dock)->Count().value(), static_cast<uint64_t>(kOrders));
  EXPECT_EQ((*dock)->QuarantineCount().value(), 0u);
  std::set<std::string> stored;
  std::set<std::string> tracking;
  std::vector<v1::SortRecord> sample;
  int index = 0;
  ASSERT_TRUE((*dock)
                  ->ForEach([&](const v1::SortRecord& record) {
                    stored.insert(record.order_id());
                    tracking.insert(record.tracking_number());
                    EXPECT_TRUE(model::ValidateS10(record.tracking_number()).ok())
                        << record.tracking_number();
                    EXPECT_FALSE(record.chute().empty());
                    if (index++ % 2003 == 0) sample.push_back(record);
                    return true;
                  })
                  .ok());
  EXPECT_EQ(stored, expected);
  EXPECT_EQ(tracking.size(), static_cast<size_t>(kOrders)) << "tracking numbers are unique";

  // A sample of labels decodes to the record's tracking number (zbarimg on a 300 dpi
  // rendering) and shows the recipient's Chinese name (pdftotext).
  std::map<std::string, std::string> recipient_of;
  {
    std::ifstream in(orders);
    std::string line;
    while (std::getline(in, line)) {
      Result<v1::Order> order = model::ParseOrderJson(line);
      recipient_of[order->order_id()] = order->recipient().name();
    }
  }
  ASSERT_GE(sample.size(), 8u);
  for (const v1::SortRecord& record : sample) {
    // The record's page of its batch file.
    const std::string pdf = labels + "/" + record.label().path();
    const std::string page = std::to_string(std::max<uint32_t>(record.label().page(), 1));
    const std::string pages = " -f " + page + " -l " + page + " ";
    const std::string png = dir.file(record.tracking_number());
    testing::CommandResult raster =
        testing::RunCommand("pdftoppm -r 300 -png -singlefile" + pages + pdf + " " + png);
    ASSERT_EQ(raster.exit_code, 0) << raster.output;
    testing::CommandResult codes = testing::RunCommand("zbarimg -q --raw " + png + ".png");
    EXPECT_NE(codes.output.find(record.tracking_number() + "\n"), std::string::npos)
        << "Code 128 of " << record.tracking_number() << " not decoded: " << codes.output;
    testing::CommandResult text = testing::RunCommand("pdftotext" + pages + pdf + " -");
    ASSERT_EQ(text.exit_code, 0) << text.output;
    const std::string& name = recipient_of[record.order_id()];
    ASSERT_FALSE(name.empty());
    EXPECT_NE(text.output.find(name), std::string::npos)
        << "recipient " << name << " not in the label text:\n"
        << text.output;
  }
}

}  // namespace
}  // namespace sortline
