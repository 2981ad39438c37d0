#include "pipeline/dock/event_backlog.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace sortline::dock {
namespace {

v1::DockEvent Decision(uint64_t transaction) {
  v1::DockEvent event;
  event.mutable_decision()->set_transaction_id(transaction);
  return event;
}

v1::DockEvent Parcel(const std::string& tracking, v1::ParcelState state) {
  v1::DockEvent event;
  event.mutable_parcel()->set_tracking_number(tracking);
  event.mutable_parcel()->set_state(state);
  return event;
}

v1::DockEvent Chute(const std::string& chute, uint32_t fill) {
  v1::DockEvent event;
  event.mutable_chute()->set_chute(chute);
  event.mutable_chute()->set_fill(fill);
  return event;
}

v1::DockEvent Manifest(const std::string& truck) {
  v1::DockEvent event;
  event.mutable_manifest()->mutable_truck()->set_truck_id(truck);
  return event;
}

TEST(EventBacklog, KeepsEveryEventInOrderUpToItsLimit) {
  EventBacklog backlog(4);
  backlog.Add({Decision(1), Chute("C1", 1), Decision(2)});
  backlog.Add({Chute("C1", 2)});
  std::vector<v1::DockEvent> events = backlog.Take(10);
  ASSERT_EQ(events.size(), 4u);
  EXPECT_EQ(events[0].decision().transaction_id(), 1u);
  EXPECT_EQ(events[1].chute().fill(), 1u);
  EXPECT_EQ(events[2].decision().transaction_id(), 2u);
  EXPECT_EQ(events[3].chute().fill(), 2u);
  EXPECT_TRUE(backlog.empty());
  EXPECT_EQ(backlog.decisions_dropped(), 0u);
}

TEST(EventBacklog, PastItsLimitKeepsTheLatestStateOfEachKeyAndEveryManifest) {
  EventBacklog backlog(2);
  backlog.Add({Decision(1), Decision(2)});
  backlog.Add({Parcel("EA1", v1::PARCEL_DECIDED), Decision(3), Chute("C1", 1),
               Parcel("EA1", v1::PARCEL_LOADED), Manifest("D01-1"), Chute("C1", 2),
               Manifest("D01-2"), Decision(4)});
  EXPECT_EQ(backlog.decisions_dropped(), 2u);
  EXPECT_EQ(backlog.states_replaced(), 2u);
  EXPECT_EQ(backlog.size(), 6u);

  std::vector<v1::DockEvent> events = backlog.Take(100);
  ASSERT_EQ(events.size(), 6u);
  EXPECT_EQ(events[0].decision().transaction_id(), 1u) << "the ordered events first";
  EXPECT_EQ(events[1].decision().transaction_id(), 2u);
  EXPECT_EQ(events[2].parcel().state(), v1::PARCEL_LOADED) << "the parcel's latest state";
  EXPECT_EQ(events[3].chute().fill(), 2u) << "the chute's latest fill";
  EXPECT_EQ(events[4].manifest().truck().truck_id(), "D01-1");
  EXPECT_EQ(events[5].manifest().truck().truck_id(), "D01-2");
}

TEST(EventBacklog, EventsPutBackComeOutFirstAgain) {
  EventBacklog backlog(100);
  backlog.Add({Decision(1), Decision(2), Decision(3)});
  std::vector<v1::DockEvent> first = backlog.Take(2);
  backlog.Add({Decision(4)});
  backlog.PutBack(std::move(first));
  std::vector<v1::DockEvent> events = backlog.Take(100);
  ASSERT_EQ(events.size(), 4u);
  for (uint64_t i = 0; i < 4; ++i) EXPECT_EQ(events[i].decision().transaction_id(), i + 1);
}

TEST(EventBacklog, OnceKeyedNewEventsWaitBehindTheKeyedOnesUntilTheyDrain) {
  EventBacklog backlog(1);
  backlog.Add({Chute("C1", 1), Chute("C1", 2)});  // the second is kept by key
  std::vector<v1::DockEvent> taken = backlog.Take(1);
  ASSERT_EQ(taken.size(), 1u);
  backlog.Add({Chute("C1", 3)});  // room in the ordered part, but must not overtake fill 2
  std::vector<v1::DockEvent> events = backlog.Take(100);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].chute().fill(), 3u) << "replaced fill 2 in place, never behind it";
}

}  // namespace
}  // namespace sortline::dock
