#include "pipeline/dock/engine.h"

#include <chrono>
#include <memory>

#include <gtest/gtest.h>

#include "tests/dock/dock_testing.h"
#include "tests/testing/fake_clock.h"
#include "tests/testing/status_matchers.h"

namespace sortline::dock {
namespace {

using ::sortline::testing::FakeClock;
using testing::ChuteEventOf;
using testing::Confirm;
using testing::Record;
using testing::Request;

class EngineTest : public ::testing::Test {
 protected:
  EngineTest() {
    config_.default_capacity = 100;
    v1::ChuteConfig small;
    small.set_name("C051");
    small.set_kind(v1::CHUTE_NORMAL);
    small.set_capacity(2);
    small.set_overflow("C899");
    config_.chutes["C051"] = small;
    v1::ChuteConfig overflow;
    overflow.set_name("C899");
    overflow.set_kind(v1::CHUTE_OVERFLOW);
    overflow.set_capacity(1);
    config_.chutes["C899"] = overflow;
    v1::DoorConfig door;
    door.set_door("D01");
    door.add_routes("R01");
    door.set_truck_max_weight_g(3000);
    door.set_truck_max_volume_cm3(1'000'000);
    door.set_departure_every_s(3600);
    config_.doors["D01"] = door;
    engine_ = Make();
  }

  // An engine over config_ that knows the fixture's four records.
  std::unique_ptr<Engine> Make() {
    std::unique_ptr<Engine> engine = Engine::Create(config_, clock_);
    for (const v1::SortRecord& record :
         {Record("EA000000014CN", "C051", 1000), Record("EA000000028CN", "C052", 1000),
          Record("EA000000031CN", "C051", 1000), Record("EA000000045CN", "C051", 1000)}) {
      engine->AddRecord(testing::Indexed(record));
    }
    return engine;
  }

  v1::SortResponse Decide(const v1::SortRequest& request, bool* repeated = nullptr) {
    return engine_->Decide(request, repeated);
  }

  DockConfig config_;
  FakeClock clock_;
  std::unique_ptr<Engine> engine_;
};

TEST_F(EngineTest, KnownParcelGoesToItsChute) {
  v1::SortResponse response = Decide(Request(1, {"EA000000014CN"}, 1000));
  EXPECT_EQ(response.outcome(), v1::DECISION_SORTED);
  EXPECT_EQ(response.chute(), "C051");
  EXPECT_EQ(response.tracking_number(), "EA000000014CN");
  EXPECT_EQ(response.transaction_id(), 1u);
  EXPECT_EQ(engine_->Parcel("EA000000014CN")->state(), v1::PARCEL_DECIDED);
}

TEST_F(EngineTest, NoReadGoesToTheNoReadChute) {
  v1::SortResponse response = Decide(Request(1, {}));
  EXPECT_EQ(response.outcome(), v1::DECISION_NO_READ);
  EXPECT_EQ(response.chute(), config_.no_read_chute);
  EXPECT_EQ(Decide(Request(2, {""})).outcome(), v1::DECISION_NO_READ);
}

TEST_F(EngineTest, SeveralDifferentKnownParcelsAreRejected) {
  v1::SortResponse response = Decide(Request(1, {"EA000000014CN", "EA000000028CN"}));
  EXPECT_EQ(response.outcome(), v1::DECISION_MULTI_BARCODE);
  EXPECT_EQ(response.chute(), config_.no_read_chute);
}

TEST_F(EngineTest, OneLabelReadTwiceOrWithAStrayCodeIsOneParcel) {
  EXPECT_EQ(Decide(Request(1, {"EA000000014CN", "EA000000014CN"})).outcome(), v1::DECISION_SORTED);
  EXPECT_EQ(Decide(Request(2, {"6901234567892", "EA000000028CN"})).chute(), "C052");
}

TEST_F(EngineTest, UnknownBarcodeGoesToTheNoOrderChute) {
  v1::SortResponse response = Decide(Request(1, {"EA999999995CN"}));
  EXPECT_EQ(response.outcome(), v1::DECISION_NO_ORDER);
  EXPECT_EQ(response.chute(), config_.no_order_chute);
}

TEST_F(EngineTest, WeightFarFromTheOrdersGoesToTheManualChute) {
  v1::SortResponse heavy = Decide(Request(1, {"EA000000014CN"}, 2500));
  EXPECT_EQ(heavy.outcome(), v1::DECISION_WEIGHT_MISMATCH);
  EXPECT_EQ(heavy.chute(), config_.manual_chute);
  EXPECT_EQ(Decide(Request(2, {"EA000000014CN"}, 1150)).outcome(), v1::DECISION_SORTED)
      << "within tolerance";
  EXPECT_EQ(Decide(Request(3, {"EA000000014CN"}, 0)).outcome(), v1::DECISION_SORTED)
      << "no weight measured: no check";
}

TEST_F(EngineTest, WeightToleranceIsConfigurable) {
  config_.weight_tolerance_ratio = 0.05;
  config_.weight_tolerance_g = 20;
  engine_ = Make();
  EXPECT_EQ(Decide(Request(1, {"EA000000014CN"}, 1150)).outcome(), v1::DECISION_WEIGHT_MISMATCH);
}

TEST_F(EngineTest, RepeatedTransactionGetsTheSameAnswerAndCountsOnce) {
  bool repeated = true;
  v1::SortResponse first = Decide(Request(7, {"EA000000014CN"}), &repeated);
  EXPECT_FALSE(repeated);
  ASSERT_OK(engine_->Apply(ChuteEventOf("C051", v1::ChuteEvent::FAULT)));
  v1::SortResponse again = Decide(Request(7, {"EA000000014CN"}), &repeated);
  EXPECT_TRUE(repeated);
  EXPECT_EQ(again.SerializeAsString(), first.SerializeAsString())
      << "the parcel has not moved: same answer even though the chute faulted since";
  size_t decisions = 0;
  for (const v1::DockEvent& event : engine_->TakeEvents()) decisions += event.has_decision();
  EXPECT_EQ(decisions, 1u);
  EXPECT_EQ(Decide(Request(7, {"EA000000014CN"}, 0, "S2")).outcome(), v1::DECISION_OVERFLOW)
      << "another scanner's transaction 7 is another parcel";

  ASSERT_OK(engine_->Apply(Confirm(7, "C051", v1::DivertConfirm::TIMED_OUT)));
  v1::SortResponse after_move = Decide(Request(7, {"EA000000014CN"}), &repeated);
  EXPECT_FALSE(repeated) << "the parcel moved on: decided anew";
  EXPECT_EQ(after_move.outcome(), v1::DECISION_OVERFLOW);
}

TEST_F(EngineTest, FullChuteOverflowsThenRecirculatesThenIsAvailableAgain) {
  ASSERT_EQ(Decide(Request(1, {"EA000000014CN"})).chute(), "C051");
  ASSERT_OK(engine_->Apply(Confirm(1, "C051")));
  ASSERT_EQ(Decide(Request(2, {"EA000000031CN"})).chute(), "C051");
  ASSERT_OK(engine_->Apply(Confirm(2, "C051")));
  EXPECT_EQ(engine_->Chute("C051")->fill(), 2u);
  EXPECT_EQ(engine_->Chute("C051")->state(), v1::CHUTE_FULL) << "at capacity";

  v1::SortResponse overflow = Decide(Request(3, {"EA000000045CN"}));
  EXPECT_EQ(overflow.outcome(), v1::DECISION_OVERFLOW);
  EXPECT_EQ(overflow.chute(), "C899");
  ASSERT_OK(engine_->Apply(Confirm(3, "C899")));
  EXPECT_EQ(engine_->Chute("C899")->state(), v1::CHUTE_FULL);

  v1::SortResponse recirculate = Decide(Request(4, {"EA000000045CN"}));
  EXPECT_EQ(recirculate.outcome(), v1::DECISION_RECIRCULATE);
  EXPECT_EQ(recirculate.chute(), config_.recirculation);

  ASSERT_OK(engine_->Apply(ChuteEventOf("C051", v1::ChuteEvent::AVAILABLE)));
  EXPECT_EQ(engine_->Chute("C051")->state(), v1::CHUTE_FULL)
      << "a chute at capacity stays full until its bag is changed";
  ASSERT_OK(engine_->Apply(ChuteEventOf("C051", v1::ChuteEvent::BAG_CHANGE, "BAG-0002")));
  EXPECT_EQ(engine_->Chute("C051")->state(), v1::CHUTE_AVAILABLE);
  v1::SortResponse back = Decide(Request(5, {"EA000000045CN"}));
  EXPECT_EQ(back.outcome(), v1::DECISION_SORTED);
  EXPECT_EQ(back.chute(), "C051");
}

TEST_F(EngineTest, BagChangeEmptiesTheChuteAndRecordsTheBag) {
  ASSERT_EQ(Decide(Request(1, {"EA000000014CN"})).chute(), "C051");
  ASSERT_OK(engine_->Apply(Confirm(1, "C051")));
  EXPECT_EQ(engine_->Chute("C051")->fill(), 1u);
  ASSERT_OK(engine_->Apply(ChuteEventOf("C051", v1::ChuteEvent::BAG_CHANGE, "BAG-7")));
  EXPECT_EQ(engine_->Chute("C051")->fill(), 0u);
  EXPECT_EQ(engine_->Chute("C051")->bag_barcode(), "BAG-7");
}

TEST_F(EngineTest, FaultAndSensorFullHoldAChuteUntilAvailable) {
  ASSERT_OK(engine_->Apply(ChuteEventOf("C051", v1::ChuteEvent::FAULT)));
  EXPECT_EQ(engine_->Chute("C051")->state(), v1::CHUTE_FAULTED);
  EXPECT_EQ(Decide(Request(1, {"EA000000014CN"})).outcome(), v1::DECISION_OVERFLOW);
  ASSERT_OK(engine_->Apply(ChuteEventOf("C051", v1::ChuteEvent::AVAILABLE)));
  EXPECT_EQ(Decide(Request(2, {"EA000000014CN"})).outcome(), v1::DECISION_SORTED);
  ASSERT_OK(engine_->Apply(ChuteEventOf("C051", v1::ChuteEvent::FULL)));
  EXPECT_EQ(engine_->Chute("C051")->state(), v1::CHUTE_FULL);
  EXPECT_EQ(Decide(Request(3, {"EA000000014CN"})).outcome(), v1::DECISION_OVERFLOW);
}

TEST_F(EngineTest, MalformedEventsAreRefusedAndChangeNothing) {
  EXPECT_FALSE(engine_->Apply(ChuteEventOf("", v1::ChuteEvent::FULL)).ok());
  EXPECT_FALSE(engine_->Apply(ChuteEventOf("C051", v1::ChuteEvent::KIND_UNSPECIFIED)).ok());
  EXPECT_FALSE(engine_->Apply(Confirm(1, "", v1::DivertConfirm::SORTED)).ok());
  EXPECT_FALSE(engine_->Apply(Confirm(1, "C051", v1::DivertConfirm::RESULT_UNSPECIFIED)).ok());
  EXPECT_EQ(engine_->Chute("C051")->state(), v1::CHUTE_AVAILABLE);
  EXPECT_EQ(engine_->Chute("C051")->fill(), 0u);
}

TEST_F(EngineTest, ARepeatedConfirmationFillsOnce) {
  Decide(Request(1, {"EA000000014CN"}));
  ASSERT_OK(engine_->Apply(Confirm(1, "C051")));
  ASSERT_OK(engine_->Apply(Confirm(1, "C051")));
  EXPECT_EQ(engine_->Chute("C051")->fill(), 1u);
}

TEST_F(EngineTest, LostAndTimedOutParcelsAreTracked) {
  Decide(Request(1, {"EA000000014CN"}));
  ASSERT_OK(engine_->Apply(Confirm(1, "C051", v1::DivertConfirm::LOST)));
  EXPECT_EQ(engine_->Parcel("EA000000014CN")->state(), v1::PARCEL_LOST);
  Decide(Request(2, {"EA000000028CN"}));
  ASSERT_OK(engine_->Apply(Confirm(2, "C052", v1::DivertConfirm::TIMED_OUT)));
  EXPECT_EQ(engine_->Parcel("EA000000028CN")->state(), v1::PARCEL_TIMED_OUT);
  EXPECT_FALSE(engine_->Chute("C052").has_value()) << "nothing reached the chute";
}

// Sorts `tracking` through `chute` as transaction `txn` and confirms it.
void SortAndConfirm(Engine& engine, uint64_t txn, const std::string& tracking,
                    const std::string& chute, int32_t weight_g) {
  ASSERT_EQ(engine.Decide(Request(txn, {tracking}, weight_g), nullptr).chute(), chute);
  ASSERT_OK(engine.Apply(Confirm(txn, chute)));
}

std::vector<v1::Manifest> Manifests(Engine& engine) {
  std::vector<v1::Manifest> manifests;
  for (v1::DockEvent& event : engine.TakeEvents()) {
    if (event.has_manifest()) manifests.push_back(event.manifest());
  }
  return manifests;
}

TEST_F(EngineTest, ConfirmedParcelsLoadOntoTheirDoorsTruck) {
  SortAndConfirm(*engine_, 1, "EA000000014CN", "C051", 1000);
  ASSERT_EQ(engine_->OpenTrucks().size(), 1u);
  v1::TruckStatus truck = engine_->OpenTrucks()[0];
  EXPECT_EQ(truck.door(), "D01");
  EXPECT_EQ(truck.parcels(), 1u);
  EXPECT_EQ(truck.weight_g(), 1000);
  EXPECT_EQ(truck.volume_cm3(), 6000);
  EXPECT_EQ(truck.departure_unix_ms(), clock_.UnixMillis() + 3'600'000);
  v1::ParcelStatus parcel = *engine_->Parcel("EA000000014CN");
  EXPECT_EQ(parcel.state(), v1::PARCEL_LOADED);
  EXPECT_EQ(parcel.truck_id(), truck.truck_id());
}

TEST_F(EngineTest, TruckClosesOnCapacityAndTheNextOpens) {
  SortAndConfirm(*engine_, 1, "EA000000014CN", "C051", 1000);
  SortAndConfirm(*engine_, 2, "EA000000031CN", "C051", 1000);
  ASSERT_OK(engine_->Apply(ChuteEventOf("C051", v1::ChuteEvent::BAG_CHANGE, "B2")));
  EXPECT_TRUE(Manifests(*engine_).empty());
  SortAndConfirm(*engine_, 3, "EA000000045CN", "C051", 1200);
  std::vector<v1::Manifest> closed = Manifests(*engine_);
  ASSERT_EQ(closed.size(), 1u) << "3200 g does not fit a 3000 g truck";
  EXPECT_EQ(closed[0].truck().state(), v1::TRUCK_CLOSED_FULL);
  EXPECT_EQ(closed[0].truck().truck_id(), "D01-1");
  ASSERT_EQ(closed[0].parcels_size(), 2);
  EXPECT_EQ(closed[0].parcels(0).tracking_number(), "EA000000014CN");
  EXPECT_EQ(closed[0].parcels(1).tracking_number(), "EA000000031CN");
  ASSERT_EQ(engine_->OpenTrucks().size(), 1u);
  EXPECT_EQ(engine_->OpenTrucks()[0].truck_id(), "D01-2");
  EXPECT_EQ(engine_->OpenTrucks()[0].parcels(), 1u);
  EXPECT_EQ(engine_->Parcel("EA000000045CN")->truck_id(), "D01-2");
}

TEST_F(EngineTest, TruckClosesAtDepartureWithItsParcels) {
  SortAndConfirm(*engine_, 1, "EA000000014CN", "C051", 1000);
  clock_.Advance(std::chrono::minutes(59));
  engine_->Tick();
  EXPECT_TRUE(Manifests(*engine_).empty());
  clock_.Advance(std::chrono::minutes(2));
  engine_->Tick();
  std::vector<v1::Manifest> closed = Manifests(*engine_);
  ASSERT_EQ(closed.size(), 1u);
  EXPECT_EQ(closed[0].truck().state(), v1::TRUCK_CLOSED_DEPARTED);
  ASSERT_EQ(closed[0].parcels_size(), 1);
  EXPECT_EQ(engine_->OpenTrucks().at(0).truck_id(), "D01-2");
  EXPECT_EQ(engine_->OpenTrucks().at(0).parcels(), 0u);
}

TEST_F(EngineTest, AnEmptyTruckDoesNotDepart) {
  SortAndConfirm(*engine_, 1, "EA000000014CN", "C051", 1000);
  clock_.Advance(std::chrono::minutes(61));
  engine_->Tick();
  ASSERT_EQ(Manifests(*engine_).size(), 1u);
  clock_.Advance(std::chrono::minutes(61));
  engine_->Tick();
  EXPECT_TRUE(Manifests(*engine_).empty());
  EXPECT_EQ(engine_->OpenTrucks().at(0).truck_id(), "D01-2");
}

TEST_F(EngineTest, RestoredStateCarriesOn) {
  SortAndConfirm(*engine_, 1, "EA000000014CN", "C051", 1000);
  std::vector<v1::DockEvent> events = engine_->TakeEvents();
  auto restored = Make();
  for (const v1::DockEvent& event : events) {
    if (event.has_chute()) restored->Restore(event.chute());
  }
  for (const v1::DockEvent& event : events) {
    if (event.has_truck()) restored->Restore(event.truck());
  }
  for (const v1::DockEvent& event : events) {
    if (event.has_parcel()) restored->Restore(event.parcel());
  }
  EXPECT_EQ(restored->Chute("C051")->fill(), 1u);
  ASSERT_EQ(restored->OpenTrucks().size(), 1u);
  EXPECT_EQ(restored->Parcel("EA000000014CN")->state(), v1::PARCEL_LOADED);
  SortAndConfirm(*restored, 2, "EA000000031CN", "C051", 1000);
  EXPECT_EQ(restored->Chute("C051")->state(), v1::CHUTE_FULL);
  SortAndConfirm(*restored, 3, "EA000000045CN", "C899", 1200);
  std::vector<v1::Manifest> closed = Manifests(*restored);
  ASSERT_EQ(closed.size(), 1u);
  ASSERT_EQ(closed[0].parcels_size(), 2) << "the parcel loaded before the restart is listed";
  EXPECT_EQ(closed[0].parcels(0).tracking_number(), "EA000000014CN");
}

}  // namespace
}  // namespace sortline::dock

namespace sortline::dock {
namespace {

// Issue 14: a plan reloaded while the dock runs.
class EngineReloadTest : public ::testing::Test {
 protected:
  EngineReloadTest() {
    config_.planned = true;
    config_.plan_version = "v1";
    config_.no_order_chute = "C900";
    AddChute("C051", v1::CHUTE_NORMAL, 2, "C950");
    AddChute("C052", v1::CHUTE_NORMAL, 5, "C950");
    AddChute("C950", v1::CHUTE_OVERFLOW, 100, "");
    AddChute("C900", v1::CHUTE_NO_ORDER, 100, "");
    AddDoor("D01", 5000, {360});
    AddDoor("D02", 5000, {360});
    engine_ = Engine::Create(config_, clock_);
    for (int i = 1; i <= 9; ++i) {
      engine_->AddRecord(
          testing::Indexed(Record("EA00000000" + std::to_string(i) + "CN", i <= 6 ? "C051" : "C052",
                                  1000, i <= 3 || i > 6 ? "D01" : "D02")));
    }
  }

  void AddChute(const std::string& name, v1::ChuteKind kind, uint32_t capacity,
                const std::string& overflow) {
    v1::ChuteConfig& chute = config_.chutes[name];
    chute.set_name(name);
    chute.set_kind(kind);
    chute.set_capacity(capacity);
    chute.set_overflow(overflow);
  }
  void AddDoor(const std::string& name, int64_t max_weight_g, std::vector<uint32_t> departures) {
    v1::DoorConfig& door = config_.doors[name];
    door.set_door(name);
    door.set_truck_max_weight_g(max_weight_g);
    door.set_truck_max_volume_cm3(100'000'000);
    for (uint32_t minutes : departures) door.add_departure_minutes(minutes);
  }
  // Scans parcel `i` as transaction `i` and confirms it at the chute answered.
  std::string SortAndConfirm(int i) {
    const std::string tracking = "EA00000000" + std::to_string(i) + "CN";
    v1::SortResponse response = engine_->Decide(Request(i, {tracking}), nullptr);
    EXPECT_OK(engine_->Apply(Confirm(i, response.chute())));
    return response.chute();
  }
  std::vector<v1::Manifest> Manifests() {
    std::vector<v1::Manifest> manifests;
    for (v1::DockEvent& event : engine_->TakeEvents()) {
      if (event.has_manifest()) manifests.push_back(event.manifest());
    }
    return manifests;
  }

  DockConfig config_;
  FakeClock clock_{1'790'000'000'000};
  std::unique_ptr<Engine> engine_;
};

TEST_F(EngineReloadTest, AFullChuteTakesParcelsAgainWhenItsCapacityGrowsIssue14) {
  ASSERT_EQ(SortAndConfirm(1), "C051");
  ASSERT_EQ(SortAndConfirm(2), "C051");
  EXPECT_EQ(engine_->Chute("C051")->state(), v1::CHUTE_FULL);
  config_.chutes["C051"].set_capacity(3);
  engine_->Reconfigure(config_);
  EXPECT_EQ(engine_->Chute("C051")->state(), v1::CHUTE_AVAILABLE);
  EXPECT_EQ(engine_->Chute("C051")->fill(), 2u) << "its bag keeps its parcels";
  EXPECT_EQ(SortAndConfirm(3), "C051");
  config_.chutes["C051"].set_capacity(1);
  engine_->Reconfigure(config_);
  EXPECT_EQ(engine_->Chute("C051")->state(), v1::CHUTE_FULL) << "shrunk below its fill";
}

TEST_F(EngineReloadTest, ARemovedChuteIsHeldUntilItsBagIsChangedIssue14) {
  ASSERT_EQ(SortAndConfirm(1), "C051");
  v1::SortResponse in_flight = engine_->Decide(Request(2, {"EA000000002CN"}), nullptr);
  ASSERT_EQ(in_flight.chute(), "C051");
  config_.chutes.erase("C051");
  const std::string summary = engine_->Reconfigure(config_);
  EXPECT_NE(summary.find("C051 removed; held"), std::string::npos) << summary;
  ASSERT_TRUE(engine_->Chute("C051").has_value()) << "shown while its bag holds a parcel";
  v1::SortResponse after = engine_->Decide(Request(3, {"EA000000003CN"}), nullptr);
  EXPECT_EQ(after.outcome(), v1::DECISION_ERROR);
  EXPECT_EQ(after.chute(), "C900") << "the hold area, not the removed chute";
  EXPECT_NE(after.reason().find("not in plan"), std::string::npos) << after.reason();
  ASSERT_OK(engine_->Apply(Confirm(2, "C051"))) << "a divert already under way counts";
  EXPECT_EQ(engine_->Chute("C051")->fill(), 2u);
  EXPECT_EQ(engine_->Parcel("EA000000002CN")->state(), v1::PARCEL_LOADED);
  EXPECT_FALSE(engine_->Apply(ChuteEventOf("C777", v1::ChuteEvent::FULL)).ok())
      << "events of chutes the plan does not have are refused";
  ASSERT_OK(engine_->Apply(ChuteEventOf("C051", v1::ChuteEvent::BAG_CHANGE, "B9")));
  EXPECT_FALSE(engine_->Chute("C051").has_value()) << "gone with its last bag";
}

TEST_F(EngineReloadTest, AnOpenTruckTakesItsDoorsNewLimitsAndTimesIssue14) {
  SortAndConfirm(1);
  SortAndConfirm(2);
  ASSERT_EQ(engine_->OpenTrucks().size(), 1u);
  EXPECT_EQ(engine_->OpenTrucks()[0].max_weight_g(), 5000);
  // 1'790'000'000'000 ms is 2026-09-21 14:13:20 UTC, 22:13:20 hub time: the next
  // departure is 06:00 the next morning, 7 h 46 min 40 s later.
  const int64_t six = 1'790'000'000'000 + 28'000'000;
  EXPECT_EQ(engine_->OpenTrucks()[0].departure_unix_ms(), six);
  config_.doors["D01"].set_truck_max_weight_g(2000);
  config_.doors["D01"].clear_departure_minutes();
  config_.doors["D01"].add_departure_minutes(345);  // 05:45
  engine_->TakeEvents();
  engine_->Reconfigure(config_);
  std::vector<v1::Manifest> closed = Manifests();
  ASSERT_EQ(closed.size(), 1u) << "two parcels of 1 kg fill a truck of 2 kg";
  EXPECT_EQ(closed[0].truck().state(), v1::TRUCK_CLOSED_FULL);
  EXPECT_EQ(closed[0].parcels_size(), 2);
  SortAndConfirm(3);
  EXPECT_EQ(engine_->OpenTrucks()[0].max_weight_g(), 2000);
  EXPECT_EQ(engine_->OpenTrucks()[0].departure_unix_ms(), six - 15 * 60 * 1000);
}

TEST_F(EngineReloadTest, ARemovedDoorsTruckClosesWithWhatItHoldsIssue14) {
  SortAndConfirm(4);  // door D02
  engine_->TakeEvents();
  config_.doors.erase("D02");
  engine_->Reconfigure(config_);
  std::vector<v1::Manifest> closed = Manifests();
  ASSERT_EQ(closed.size(), 1u);
  EXPECT_EQ(closed[0].truck().state(), v1::TRUCK_CLOSED_DOOR_REMOVED);
  EXPECT_EQ(closed[0].parcels(0).tracking_number(), "EA000000004CN");
  EXPECT_TRUE(engine_->OpenTrucks().empty());
  SortAndConfirm(5);
  EXPECT_TRUE(engine_->OpenTrucks().empty()) << "parcels of a door the plan lost are not loaded";
  EXPECT_EQ(engine_->Parcel("EA000000005CN")->state(), v1::PARCEL_SORTED);
}

TEST_F(EngineReloadTest, TheLoaderClosesATruckAtItsDoorAndAParcelLoadsOnceIssue14) {
  SortAndConfirm(1);
  EXPECT_EQ(engine_->Apply(ChuteEventOf("C051", v1::ChuteEvent::AVAILABLE)).ok(), true);
  v1::DoorEvent close;
  close.set_door("D02");
  close.set_kind(v1::DoorEvent::CLOSE_TRUCK);
  EXPECT_EQ(engine_->Apply(close).code(), StatusCode::kFailedPrecondition) << "nothing loaded";
  close.set_door("D01");
  // The same parcel scanned and confirmed again (it went round) is not loaded twice.
  v1::SortResponse again = engine_->Decide(Request(11, {"EA000000001CN"}), nullptr);
  ASSERT_OK(engine_->Apply(Confirm(11, again.chute())));
  engine_->TakeEvents();
  ASSERT_OK(engine_->Apply(close));
  std::vector<v1::Manifest> closed = Manifests();
  ASSERT_EQ(closed.size(), 1u);
  EXPECT_EQ(closed[0].truck().state(), v1::TRUCK_CLOSED_AT_DOOR);
  EXPECT_EQ(closed[0].parcels_size(), 1);
  EXPECT_EQ(engine_->Parcel("EA000000001CN")->state(), v1::PARCEL_STATE_UNSPECIFIED)
      << "departed: nothing but its state is kept in memory";
}

TEST(RecordIndex, GrowsStepByStepAndKeepsEveryEntryIssue14) {
  RecordIndex index;
  IndexedRecord record;
  record.chute = "C001";
  record.dock_door = "D01";
  for (int i = 0; i < 100'000; ++i) {
    record.tracking_number = "EA" + std::to_string(100'000'000 + i) + "CN";
    record.weight_g = i;
    ASSERT_TRUE(index.Add(record));
    if (i % 9973 == 0) {  // while growing, older entries stay found and changeable
      Entry* first = index.Find("EA100000000CN");
      ASSERT_NE(first, nullptr);
      first->set_parcel_state(ParcelState::kSorted);
    }
  }
  EXPECT_EQ(index.size(), 100'000u);
  for (int i = 0; i < 100'000; ++i) {
    const Entry* entry = index.Find("EA" + std::to_string(100'000'000 + i) + "CN");
    ASSERT_NE(entry, nullptr) << i;
    EXPECT_EQ(entry->weight_g, static_cast<uint32_t>(i));
    EXPECT_EQ(index.symbols().Name(entry->chute), "C001");
  }
  EXPECT_EQ(index.Find("EA100000000CN")->parcel_state(), ParcelState::kSorted);
  EXPECT_EQ(index.Find("EA099999999CN"), nullptr);
  EXPECT_LE(index.table_bytes(), 100'000u * 64) << "at most 64 bytes a parcel";
  record.tracking_number = "A-TRACKING-NUMBER-LONGER-THAN-16";
  ASSERT_TRUE(index.Add(record));
  EXPECT_EQ(index.spilled(), 1u);
  EXPECT_NE(index.Find("A-TRACKING-NUMBER-LONGER-THAN-16"), nullptr);
}

}  // namespace
}  // namespace sortline::dock
