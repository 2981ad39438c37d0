#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "pipeline/csv/csv.h"
#include "pipeline/dock/engine.h"
#include "pipeline/dock/manifest_writer.h"
#include "tests/dock/dock_testing.h"
#include "tests/testing/fake_clock.h"
#include "tests/testing/process.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/testing.h"

namespace sortline::dock {
namespace {

using ::sortline::testing::FakeClock;
using testing::Confirm;
using testing::Record;
using testing::Request;

TEST(Manifest, ListsExactlyTheParcelsLoaded) {
  DockConfig config;
  v1::DoorConfig door;
  door.set_door("D07");
  door.set_truck_max_weight_g(10'000);
  config.doors["D07"] = door;
  FakeClock clock;
  auto engine = Engine::Create(config, clock);
  std::set<std::string> loaded_first_truck;
  for (int i = 0; i < 12; ++i) {
    std::string tracking = "EA" + std::to_string(10000000 + i) + "0CN";
    engine->AddRecord(
        testing::Indexed(Record(tracking, "C0" + std::to_string(10 + i % 3), 1000, "D07")));
  }
  engine->AddRecord(testing::Indexed(Record("EA999999999CN", "C011", 1000, "D08")));
  std::vector<v1::Manifest> manifests;
  for (int i = 0; i < 12; ++i) {
    std::string tracking = "EA" + std::to_string(10000000 + i) + "0CN";
    v1::SortResponse response = engine->Decide(Request(i + 1, {tracking}), nullptr);
    if (i == 5) {
      ASSERT_OK(engine->Apply(Confirm(i + 1, response.chute(), v1::DivertConfirm::LOST)));
      continue;
    }
    ASSERT_OK(engine->Apply(Confirm(i + 1, response.chute())));
    if (manifests.empty()) loaded_first_truck.insert(tracking);
    for (v1::DockEvent& event : engine->TakeEvents()) {
      if (event.has_manifest()) manifests.push_back(event.manifest());
    }
  }
  engine->Decide(Request(100, {"EA999999999CN"}), nullptr);
  ASSERT_OK(engine->Apply(Confirm(100, "C011")));
  ASSERT_EQ(manifests.size(), 1u) << "ten parcels of 1 kg fill a 10 kg truck";

  sortline::testing::TempDir dir;
  auto directory = DefaultFileSystem().OpenDirectory(dir.path().string());
  ASSERT_OK(directory);
  ASSERT_OK(WriteManifest(**directory, manifests[0]));
  const std::string id = manifests[0].truck().truck_id();
  std::set<std::string> listed;
  bool header = true;
  ASSERT_TRUE(csv::ReadCsvFile(dir.file(id + ".csv"), [&](const csv::CsvRow& row) {
                if (header) {
                  header = false;
                  return Status::Ok();
                }
                EXPECT_EQ(row.fields.at(0), id);
                EXPECT_EQ(row.fields.at(1), "D07");
                EXPECT_TRUE(listed.insert(row.fields.at(3)).second) << "listed twice";
                return Status::Ok();
              }).ok());
  EXPECT_EQ(listed, loaded_first_truck);
  EXPECT_EQ(listed.size(), 10u);
  EXPECT_EQ(listed.count("EA100000050CN"), 0u) << "the lost parcel was never loaded";

  sortline::testing::CommandResult text =
      sortline::testing::RunCommand("pdftotext " + dir.file(id + ".pdf") + " -");
  ASSERT_EQ(text.exit_code, 0) << text.output;
  EXPECT_NE(text.output.find("Truck manifest " + id), std::string::npos) << text.output;
  EXPECT_NE(text.output.find("Parcels: 10"), std::string::npos) << text.output;
  sortline::testing::CommandResult symbols = sortline::testing::RunCommand(
      "pdftoppm -r 200 -gray -png -singlefile " + dir.file(id + ".pdf") + " " + dir.file("page") +
      " && zbarimg -q --raw " + dir.file("page.png"));
  ASSERT_EQ(symbols.exit_code, 0) << symbols.output;
  // zbar may print D-Bus connection noise on machines without a system bus.
  std::vector<std::string> decoded;
  size_t start = 0;
  while (start < symbols.output.size()) {
    size_t end = symbols.output.find('\n', start);
    if (end == std::string::npos) end = symbols.output.size();
    std::string line = symbols.output.substr(start, end - start);
    if (!line.empty() && !line.starts_with("Connection ")) decoded.push_back(line);
    start = end + 1;
  }
  EXPECT_EQ(decoded, std::vector<std::string>{id}) << "the manifest id as a barcode";
}

TEST(Manifest, CsvFieldsWithCommasQuotesAndNewlinesReadBackWhole) {
  v1::Manifest manifest;
  manifest.mutable_truck()->set_truck_id("D07-1");
  manifest.mutable_truck()->set_door("D07");
  v1::ParcelStatus* parcel = manifest.add_parcels();
  parcel->set_load_index(1);
  parcel->set_tracking_number("EA100000050CN");
  parcel->set_order_id("shop \"A\", order 7\nline 2");
  parcel->set_chute("C011");
  parcel->set_weight_g(1200);
  const std::string text = ManifestCsv(manifest);
  std::vector<std::vector<std::string>> rows;
  ASSERT_TRUE(csv::ParseCsv(text, "manifest.csv", [&](const csv::CsvRow& row) {
                rows.push_back(row.fields);
                return Status::Ok();
              }).ok());
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[1],
            (std::vector<std::string>{"D07-1", "D07", "1", "EA100000050CN",
                                      "shop \"A\", order 7\nline 2", "C011", "1200", "0"}));
  // Plain values stay unquoted, as before libcsv wrote them.
  EXPECT_NE(text.find("D07-1,D07,1,EA100000050CN,"), std::string::npos) << text;
}

}  // namespace
}  // namespace sortline::dock
