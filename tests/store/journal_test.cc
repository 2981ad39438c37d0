#include "pipeline/store/journal.h"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "pipeline/model/s10.h"
#include "pipeline/store/dock_store.h"
#include "pipeline/store/sqlite_db.h"
#include "tests/testing/fake_clock.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/store_fixture.h"
#include "tests/testing/testing.h"

namespace sortline::store {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

constexpr int64_t kLeaseMs = 30'000;

v1::Order StandardOrder(const std::string& id) {
  v1::Order order = sortline::testing::SampleOrder(id);
  order.set_service(v1::SERVICE_STANDARD);
  order.mutable_parcel()->set_perishable(false);
  return order;
}

v1::OrderBatch Batch(const std::string& batch_id, const std::vector<v1::Order>& orders) {
  v1::OrderBatch batch;
  batch.set_batch_id(batch_id);
  batch.set_source("journal_test");
  for (const v1::Order& order : orders) *batch.add_orders() = order;
  return batch;
}

v1::OrderBatch NumberedBatch(const std::string& batch_id, int first, int count) {
  std::vector<v1::Order> orders;
  for (int i = first; i < first + count; ++i)
    orders.push_back(StandardOrder("O" + std::to_string(i)));
  return Batch(batch_id, orders);
}

v1::OrderRejection Rejected(uint32_t index, const std::string& reason) {
  v1::OrderRejection rejection;
  rejection.set_index(index);
  rejection.set_reason(reason);
  return rejection;
}

v1::WorkDone Done(uint64_t lease_id,
                  const std::vector<std::pair<std::string, v1::Outcome>>& results) {
  v1::WorkDone done;
  done.set_lease_id(lease_id);
  for (const auto& [order_id, outcome] : results) {
    v1::OrderResult* result = done.add_results();
    result->set_order_id(order_id);
    result->set_outcome(outcome);
    if (outcome != v1::OUTCOME_SORTED) result->set_reason("reason for " + order_id);
  }
  return done;
}

// Every order of `work` sorted.
v1::WorkDone AllSorted(const v1::WorkBatch& work) {
  v1::WorkDone done;
  done.set_lease_id(work.lease_id());
  for (const v1::Order& order : work.orders()) {
    v1::OrderResult* result = done.add_results();
    result->set_order_id(order.order_id());
    result->set_outcome(v1::OUTCOME_SORTED);
  }
  return done;
}

std::vector<std::string> OrderIds(const v1::WorkBatch& work) {
  std::vector<std::string> ids;
  for (const v1::Order& order : work.orders()) ids.push_back(order.order_id());
  return ids;
}

uint32_t Serial(const std::string& tracking) {
  return static_cast<uint32_t>(std::stoul(tracking.substr(2, 8)));
}

// A batch's progress in one line, so that a test states all its counts at once.
std::string Tally(const v1::BatchProgress& progress) {
  return std::to_string(progress.done()) + " done + " + std::to_string(progress.failed()) +
         " failed of " + std::to_string(progress.total()) +
         (progress.complete() ? ", complete" : ", not complete");
}

// The Tally of `batch_id` in `journal` (or the error).
std::string Tally(Journal& journal, const std::string& batch_id) {
  Result<v1::BatchProgress> progress = journal.Progress(batch_id);
  return progress.ok() ? Tally(*progress) : progress.status().ToString();
}

class JournalTest : public sortline::testing::StoreFileTest<Journal, JournalOptions> {
 protected:
  JournalTest() : StoreFileTest("journal.db") {}

  // A journal holding batch "B1" of `n` numbered orders, O0 on, none leased yet; null,
  // and a failed test, when it does not open or does not take them.
  std::unique_ptr<Journal> OpenWithBatchOf(int n) {
    std::unique_ptr<Journal> journal = Open();
    if (journal == nullptr) return nullptr;
    Result<v1::SubmitReply> reply = journal->Submit(NumberedBatch("B1", 0, n), {});
    EXPECT_OK(reply);
    if (!reply.ok()) return nullptr;
    EXPECT_EQ(reply->accepted(), static_cast<uint64_t>(n));
    return journal;
  }
};

TEST_F(JournalTest, SubmitAssignsValidUniqueConsecutiveS10Numbers) {
  auto journal = Open();
  ASSERT_NE(journal, nullptr);
  ASSERT_OK_AND_ASSIGN(v1::SubmitReply reply, journal->Submit(NumberedBatch("B1", 0, 50), {}));
  EXPECT_EQ(reply.accepted(), 50u);
  EXPECT_EQ(reply.batch_id(), "B1");
  EXPECT_EQ(reply.schema_version(), static_cast<uint32_t>(v1::SCHEMA_VERSION_CURRENT));

  ASSERT_OK_AND_ASSIGN(v1::WorkBatch work, journal->Lease("w1", 100, 1'000, kLeaseMs));
  ASSERT_EQ(work.orders_size(), 50);
  const v1::OrderBatch submitted = NumberedBatch("B1", 0, 50);
  std::set<std::string> seen;
  for (int i = 0; i < work.orders_size(); ++i) {
    const std::string& tracking = work.orders(i).tracking_number();
    v1::Order expected = submitted.orders(i);
    expected.set_tracking_number(tracking);
    EXPECT_EQ(work.orders(i).SerializeAsString(), expected.SerializeAsString())
        << "the journaled order is the submitted one plus its number";
    EXPECT_OK(model::ValidateS10(tracking)) << tracking;
    EXPECT_EQ(tracking.substr(0, 2), "EA");
    EXPECT_EQ(tracking.substr(11), "CN");
    EXPECT_EQ(Serial(tracking), static_cast<uint32_t>(i + 1)) << tracking;
    seen.insert(tracking);
  }
  EXPECT_EQ(seen.size(), 50u);
}

TEST_F(JournalTest, SubmitIssuesFromTheConfiguredRange) {
  JournalOptions options;
  options.tracking_range = {"LK", "DE", 40'000'000, 40'000'099};
  auto journal = Open(options);
  ASSERT_NE(journal, nullptr);
  ASSERT_OK(journal->Submit(NumberedBatch("B1", 0, 2), {}));
  ASSERT_OK_AND_ASSIGN(v1::WorkBatch work, journal->Lease("w1", 10, 1'000, kLeaseMs));
  ASSERT_EQ(work.orders_size(), 2);
  EXPECT_EQ(work.orders(0).tracking_number(), model::FormatS10("LK", 40'000'000, "DE"));
  EXPECT_EQ(work.orders(1).tracking_number(), model::FormatS10("LK", 40'000'001, "DE"));
}

TEST_F(JournalTest, RejectedOrdersAreListedAndNotJournaled) {
  auto journal = Open();
  ASSERT_NE(journal, nullptr);
  ASSERT_OK_AND_ASSIGN(
      v1::SubmitReply reply,
      journal->Submit(NumberedBatch("B1", 0, 4),
                      {Rejected(3, "weight_g must be positive"), Rejected(1, "no division code")}));
  EXPECT_EQ(reply.accepted(), 2u);
  ASSERT_EQ(reply.rejected_size(), 2);
  EXPECT_EQ(reply.rejected(0).index(), 1u);
  EXPECT_EQ(reply.rejected(0).order_id(), "O1");
  EXPECT_EQ(reply.rejected(0).reason(), "no division code");
  EXPECT_EQ(reply.rejected(1).index(), 3u);
  EXPECT_EQ(reply.rejected(1).order_id(), "O3");

  ASSERT_OK_AND_ASSIGN(v1::WorkBatch work, journal->Lease("w1", 10, 1'000, kLeaseMs));
  EXPECT_THAT(OrderIds(work), ElementsAre("O0", "O2"));
  ASSERT_OK_AND_ASSIGN(v1::BatchProgress progress, journal->Progress("B1"));
  EXPECT_EQ(progress.total(), 2u);
}

TEST_F(JournalTest, RejectionIndexOutsideTheBatchIsInvalidAndJournalsNothing) {
  auto journal = Open();
  ASSERT_NE(journal, nullptr);
  Result<v1::SubmitReply> reply = journal->Submit(NumberedBatch("B1", 0, 2), {Rejected(2, "x")});
  EXPECT_EQ(reply.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(journal->Progress("B1").status().code(), StatusCode::kNotFound);
  ASSERT_OK_AND_ASSIGN(uint64_t outstanding, journal->Outstanding());
  EXPECT_EQ(outstanding, 0u);
}

TEST_F(JournalTest, EmptyBatchIdIsInvalid) {
  auto journal = Open();
  ASSERT_NE(journal, nullptr);
  EXPECT_EQ(journal->Submit(NumberedBatch("", 0, 1), {}).status().code(),
            StatusCode::kInvalidArgument);
}

TEST_F(JournalTest, AlreadyJournaledOrderIdsAreListedAsDuplicates) {
  auto journal = Open();
  ASSERT_NE(journal, nullptr);
  ASSERT_OK(journal->Submit(Batch("B1", {StandardOrder("X"), StandardOrder("Y")}), {}));
  ASSERT_OK_AND_ASSIGN(
      v1::SubmitReply reply,
      journal->Submit(Batch("B2", {StandardOrder("Y"), StandardOrder("Z"), StandardOrder("Z")}),
                      {}));
  EXPECT_EQ(reply.accepted(), 1u);
  EXPECT_THAT(reply.duplicates(), ElementsAre("Y", "Z"));
  ASSERT_OK_AND_ASSIGN(uint64_t outstanding, journal->Outstanding());
  EXPECT_EQ(outstanding, 3u);

  // A duplicate consumes no tracking number: Z got serial 3, the next order gets 4.
  ASSERT_OK(journal->Submit(Batch("B3", {StandardOrder("W")}), {}));
  ASSERT_OK_AND_ASSIGN(v1::WorkBatch work, journal->Lease("w1", 10, 1'000, kLeaseMs));
  ASSERT_EQ(work.orders_size(), 4);
  EXPECT_EQ(work.orders(3).order_id(), "W");
  EXPECT_EQ(Serial(work.orders(3).tracking_number()), 4u);
}

TEST_F(JournalTest, RepeatedBatchIdReturnsTheFirstReplyUnchanged) {
  auto journal = Open();
  ASSERT_NE(journal, nullptr);
  ASSERT_OK_AND_ASSIGN(v1::SubmitReply first,
                       journal->Submit(NumberedBatch("B1", 0, 3), {Rejected(0, "bad")}));
  ASSERT_OK_AND_ASSIGN(v1::SubmitReply again, journal->Submit(NumberedBatch("B1", 10, 5), {}));
  EXPECT_EQ(again.SerializeAsString(), first.SerializeAsString());
  EXPECT_EQ(again.accepted(), 2u);
  ASSERT_OK_AND_ASSIGN(uint64_t outstanding, journal->Outstanding());
  EXPECT_EQ(outstanding, 2u);

  // Also after a restart.
  journal.reset();
  journal = Open();
  ASSERT_NE(journal, nullptr);
  ASSERT_OK_AND_ASSIGN(v1::SubmitReply reopened, journal->Submit(NumberedBatch("B1", 0, 3), {}));
  EXPECT_EQ(reopened.SerializeAsString(), first.SerializeAsString());
}

TEST_F(JournalTest, ReopenedJournalKeepsOrdersAndNeverReissuesANumber) {
  std::set<std::string> before;
  {
    auto journal = Open();
    ASSERT_NE(journal, nullptr);
    ASSERT_OK(journal->Submit(NumberedBatch("B1", 0, 3), {}));
    ASSERT_OK_AND_ASSIGN(v1::WorkBatch work, journal->Lease("w1", 1, 1'000, kLeaseMs));
    ASSERT_EQ(work.orders_size(), 1);
  }
  auto journal = Open();
  ASSERT_NE(journal, nullptr);
  ASSERT_OK_AND_ASSIGN(uint64_t outstanding, journal->Outstanding());
  EXPECT_EQ(outstanding, 3u);
  ASSERT_OK(journal->Submit(NumberedBatch("B2", 3, 2), {}));
  // The lease taken before the restart is still held until it expires.
  ASSERT_OK_AND_ASSIGN(v1::WorkBatch work, journal->Lease("w2", 10, 2'000, kLeaseMs));
  EXPECT_THAT(OrderIds(work), ElementsAre("O1", "O2", "O3", "O4"));
  std::vector<uint32_t> serials;
  for (const v1::Order& order : work.orders()) serials.push_back(Serial(order.tracking_number()));
  EXPECT_THAT(serials, ElementsAre(2u, 3u, 4u, 5u));
  journal.reset();

  // The next serial is kept durably, not rediscovered by skipping numbers in use.
  ASSERT_OK_AND_ASSIGN(auto db, internal::Db::Open(path(), {}));
  ASSERT_OK_AND_ASSIGN(int64_t next,
                       db->QueryInt("SELECT value FROM counters WHERE name = 's10:EA:CN'"));
  EXPECT_EQ(next, 6);
}

TEST_F(JournalTest, PreassignedValidTrackingNumberIsKept) {
  auto journal = Open();
  ASSERT_NE(journal, nullptr);
  const std::string own = model::FormatS10("RR", 12'345'678, "CN");
  // Serial 2 of the journal's own range is taken by an order that arrived with it.
  const std::string taken = model::FormatS10("EA", 2, "CN");
  std::vector<v1::Order> orders = {StandardOrder("A"), StandardOrder("B"), StandardOrder("C"),
                                   StandardOrder("D"), StandardOrder("E")};
  orders[0].set_tracking_number(own);
  orders[1].set_tracking_number(taken);
  orders[3].set_tracking_number("EA000000011CN");  // wrong check digit
  orders[4].set_tracking_number(own);              // already used by A
  ASSERT_OK_AND_ASSIGN(v1::SubmitReply reply, journal->Submit(Batch("B1", orders), {}));
  EXPECT_EQ(reply.accepted(), 3u);
  ASSERT_EQ(reply.rejected_size(), 2);
  EXPECT_EQ(reply.rejected(0).order_id(), "D");
  EXPECT_THAT(reply.rejected(0).reason(), HasSubstr("check digit"));
  EXPECT_EQ(reply.rejected(1).order_id(), "E");
  EXPECT_THAT(reply.rejected(1).reason(), HasSubstr("another order"));

  ASSERT_OK_AND_ASSIGN(v1::WorkBatch work, journal->Lease("w1", 10, 1'000, kLeaseMs));
  ASSERT_THAT(OrderIds(work), ElementsAre("A", "B", "C"));
  EXPECT_EQ(work.orders(0).tracking_number(), own);
  EXPECT_EQ(work.orders(1).tracking_number(), taken);
  // C skips the taken serial 2.
  EXPECT_EQ(work.orders(2).tracking_number(), model::FormatS10("EA", 1, "CN"));
  ASSERT_OK(journal->Submit(Batch("B2", {StandardOrder("F")}), {}));
  ASSERT_OK_AND_ASSIGN(v1::WorkBatch next, journal->Lease("w1", 10, 1'000, kLeaseMs));
  ASSERT_EQ(next.orders_size(), 1);
  EXPECT_EQ(next.orders(0).tracking_number(), model::FormatS10("EA", 3, "CN"));
}

TEST_F(JournalTest, SpentTrackingRangeFailsTheWholeBatch) {
  JournalOptions options;
  options.tracking_range.first = 1;
  options.tracking_range.last = 3;
  auto journal = Open(options);
  ASSERT_NE(journal, nullptr);
  Result<v1::SubmitReply> reply = journal->Submit(NumberedBatch("B1", 0, 4), {});
  EXPECT_EQ(reply.status().code(), StatusCode::kResourceExhausted);
  EXPECT_THAT(reply.status().message(), HasSubstr("B1"));
  ASSERT_OK_AND_ASSIGN(uint64_t outstanding, journal->Outstanding());
  EXPECT_EQ(outstanding, 0u);
  EXPECT_EQ(journal->Progress("B1").status().code(), StatusCode::kNotFound);
  ASSERT_OK_AND_ASSIGN(v1::SubmitReply fits, journal->Submit(NumberedBatch("B2", 0, 3), {}));
  EXPECT_EQ(fits.accepted(), 3u);
}

TEST_F(JournalTest, FullJournalFailsTheBatchAndRollsItBack) {
  JournalOptions options;
  options.max_bytes = 256 * 1024;
  uint64_t accepted = 0;
  Status failure;
  {
    auto journal = Open(options);
    ASSERT_NE(journal, nullptr);
    for (int batch = 0; batch < 100 && failure.ok(); ++batch) {
      Result<v1::SubmitReply> reply =
          journal->Submit(NumberedBatch("B" + std::to_string(batch), batch * 100, 100), {});
      if (reply.ok()) {
        accepted += reply->accepted();
      } else {
        failure = reply.status();
      }
    }
    ASSERT_FALSE(failure.ok()) << "the journal never filled up";
    EXPECT_EQ(failure.code(), StatusCode::kResourceExhausted) << failure;
    EXPECT_THAT(failure.message(), HasSubstr("full"));
    ASSERT_OK_AND_ASSIGN(uint64_t outstanding, journal->Outstanding());
    EXPECT_EQ(outstanding, accepted);
  }
  // Without the cap the next order gets the serial right after the last committed one:
  // the failed batch consumed none.
  auto journal = Open();
  ASSERT_NE(journal, nullptr);
  ASSERT_OK(journal->Submit(Batch("after", {StandardOrder("after")}), {}));
  ASSERT_OK_AND_ASSIGN(uint64_t outstanding, journal->Outstanding());
  EXPECT_EQ(outstanding, accepted + 1);
  ASSERT_OK_AND_ASSIGN(v1::WorkBatch work,
                       journal->Lease("w1", static_cast<uint32_t>(accepted + 1), 1, kLeaseMs));
  ASSERT_EQ(work.orders_size(), static_cast<int>(accepted + 1));
  const v1::Order& last = work.orders(work.orders_size() - 1);
  EXPECT_EQ(last.order_id(), "after");
  EXPECT_EQ(Serial(last.tracking_number()), accepted + 1);
}

TEST_F(JournalTest, GroupCommitAnswersEachBatchAsSubmitWouldAndKeepsThemAll) {
  v1::OrderBatch first = NumberedBatch("G1", 0, 3);
  v1::OrderBatch second = NumberedBatch("G2", 3, 2);
  *second.add_orders() = first.orders(0);  // already journaled by the first batch
  v1::OrderRejection bad;
  bad.set_index(1);
  bad.set_reason("weight is 0");
  {
    auto journal = Open();
    ASSERT_NE(journal, nullptr);
    ASSERT_OK_AND_ASSIGN(std::vector<v1::SubmitReply> replies,
                         journal->SubmitGroup({&first, &second, &first}, {{}, {bad}, {}}));
    ASSERT_EQ(replies.size(), 3u);
    EXPECT_EQ(replies[0].accepted(), 3u);
    EXPECT_EQ(replies[1].accepted(), 1u);
    ASSERT_EQ(replies[1].rejected_size(), 1);
    EXPECT_EQ(replies[1].rejected(0).index(), 1u);
    ASSERT_EQ(replies[1].duplicates_size(), 1);
    EXPECT_EQ(replies[1].duplicates(0), first.orders(0).order_id());
    EXPECT_EQ(replies[2].SerializeAsString(), replies[0].SerializeAsString())
        << "a batch id repeated within the group gets its first answer";
  }
  auto journal = Open();
  ASSERT_NE(journal, nullptr);
  ASSERT_OK_AND_ASSIGN(v1::WorkBatch work, journal->Lease("w1", 100, 1, kLeaseMs));
  ASSERT_EQ(work.orders_size(), 4);
  std::vector<uint32_t> serials;
  for (const v1::Order& order : work.orders()) serials.push_back(Serial(order.tracking_number()));
  std::sort(serials.begin(), serials.end());
  EXPECT_EQ(serials, (std::vector<uint32_t>{1, 2, 3, 4})) << "one counter across the group";
  ASSERT_OK_AND_ASSIGN(v1::SubmitReply again, journal->Submit(second, {}));
  EXPECT_EQ(again.accepted(), 1u) << "the stored answer, whatever the new content";
}

TEST_F(JournalTest, GroupWithAnInvalidBatchJournalsNothing) {
  auto journal = Open();
  ASSERT_NE(journal, nullptr);
  v1::OrderBatch good = NumberedBatch("G1", 0, 2);
  v1::OrderBatch nameless = NumberedBatch("", 2, 2);
  Result<std::vector<v1::SubmitReply>> replies = journal->SubmitGroup({&good, &nameless}, {{}, {}});
  ASSERT_FALSE(replies.ok());
  EXPECT_EQ(replies.status().code(), StatusCode::kInvalidArgument);
  ASSERT_OK_AND_ASSIGN(uint64_t outstanding, journal->Outstanding());
  EXPECT_EQ(outstanding, 0u);
}

TEST_F(JournalTest, LeaseGivesPerishableFirstThenOldest) {
  auto journal = Open();
  ASSERT_NE(journal, nullptr);
  v1::Order cold = StandardOrder("cold");
  cold.set_service(v1::SERVICE_COLD_CHAIN);
  v1::Order fruit = StandardOrder("fruit");
  fruit.mutable_parcel()->set_perishable(true);
  v1::Order fresh = StandardOrder("fresh");
  fresh.set_service(v1::SERVICE_FRESH_PRODUCE);
  ASSERT_OK(
      journal->Submit(Batch("B1", {StandardOrder("s1"), cold, StandardOrder("s2"), fruit}), {}));
  ASSERT_OK(journal->Submit(Batch("B2", {StandardOrder("s3"), fresh}), {}));

  ASSERT_OK_AND_ASSIGN(v1::WorkBatch first, journal->Lease("w1", 4, 1'000, kLeaseMs));
  EXPECT_THAT(OrderIds(first), ElementsAre("cold", "fruit", "fresh", "s1"));
  EXPECT_NE(first.lease_id(), 0u);
  EXPECT_EQ(first.lease_expires_unix_ms(), 1'000 + kLeaseMs);
  ASSERT_OK_AND_ASSIGN(v1::WorkBatch second, journal->Lease("w2", 4, 1'000, kLeaseMs));
  EXPECT_THAT(OrderIds(second), ElementsAre("s2", "s3"));
  EXPECT_NE(second.lease_id(), first.lease_id());
  ASSERT_OK_AND_ASSIGN(v1::WorkBatch none, journal->Lease("w3", 4, 1'000, kLeaseMs));
  EXPECT_EQ(none.orders_size(), 0);
  EXPECT_EQ(none.lease_id(), 0u);
}

TEST_F(JournalTest, LeaseOfZeroOrdersIsEmpty) {
  auto journal = OpenWithBatchOf(2);
  ASSERT_NE(journal, nullptr);
  ASSERT_OK_AND_ASSIGN(v1::WorkBatch none, journal->Lease("w1", 0, 1'000, kLeaseMs));
  EXPECT_EQ(none.orders_size(), 0);
  ASSERT_OK_AND_ASSIGN(v1::WorkBatch all, journal->Lease("w1", 5, 1'000, kLeaseMs));
  EXPECT_EQ(all.orders_size(), 2);
}

TEST_F(JournalTest, ExpiredLeaseGoesToAnotherWorkerAndTheLateSuccessCountsOnce) {
  auto journal = OpenWithBatchOf(1);
  ASSERT_NE(journal, nullptr);
  ASSERT_OK_AND_ASSIGN(v1::WorkBatch a, journal->Lease("a", 10, 1'000, 500));
  ASSERT_EQ(a.orders_size(), 1);
  ASSERT_OK_AND_ASSIGN(v1::WorkBatch early, journal->Lease("b", 10, 1'400, 500));
  EXPECT_EQ(early.orders_size(), 0) << "the lease has not expired yet";
  ASSERT_OK_AND_ASSIGN(v1::WorkBatch b, journal->Lease("b", 10, 1'600, 500));
  ASSERT_EQ(b.orders_size(), 1);
  EXPECT_EQ(b.orders(0).order_id(), "O0");
  EXPECT_EQ(b.orders(0).tracking_number(), a.orders(0).tracking_number());
  EXPECT_NE(b.lease_id(), a.lease_id());

  ASSERT_OK(journal->Complete(Done(a.lease_id(), {{"O0", v1::OUTCOME_SORTED}})));
  ASSERT_OK(journal->Complete(Done(b.lease_id(), {{"O0", v1::OUTCOME_SORTED}})));
  EXPECT_EQ(Tally(*journal, "B1"), "1 done + 0 failed of 1, complete");
  ASSERT_OK_AND_ASSIGN(v1::WorkBatch none, journal->Lease("c", 10, 100'000, 500));
  EXPECT_EQ(none.orders_size(), 0);
}

TEST_F(JournalTest, OnlyTheLeasesAWorkerNamesAreRenewedAndAnExpiredOneIsNotRevived) {
  auto journal = OpenWithBatchOf(4);
  ASSERT_NE(journal, nullptr);
  ASSERT_OK_AND_ASSIGN(v1::WorkBatch kept, journal->Lease("a", 2, 1'000, 500));
  ASSERT_EQ(kept.orders_size(), 2);
  // A second lease of a's that a never names (lost in flight, or held by a killed
  // worker of the same name) is not kept alive by a's heartbeats.
  ASSERT_OK_AND_ASSIGN(v1::WorkBatch lost, journal->Lease("a", 1, 1'000, 500));
  ASSERT_EQ(lost.orders_size(), 1);
  ASSERT_OK_AND_ASSIGN(uint64_t held, journal->Renew("a", {kept.lease_id()}, 1'400, 500));
  EXPECT_EQ(held, 2u);
  ASSERT_OK_AND_ASSIGN(uint64_t other, journal->Renew("b", {kept.lease_id()}, 1'400, 500));
  EXPECT_EQ(other, 0u) << "b does not hold a's lease";
  // Past the first expiry (1'500), inside the renewed one (1'900): b gets the lost
  // lease's order (a lease of its own) and then the one never leased, not the renewed two.
  ASSERT_OK_AND_ASSIGN(v1::WorkBatch b, journal->Lease("b", 10, 1'800, 500));
  ASSERT_EQ(b.orders_size(), 1);
  EXPECT_EQ(b.orders(0).order_id(), lost.orders(0).order_id());
  ASSERT_OK_AND_ASSIGN(v1::WorkBatch b2, journal->Lease("b", 10, 1'800, 500));
  ASSERT_EQ(b2.orders_size(), 1);
  for (const v1::Order& order : {b.orders(0), b2.orders(0)}) {
    EXPECT_NE(order.order_id(), kept.orders(0).order_id());
    EXPECT_NE(order.order_id(), kept.orders(1).order_id());
  }
  // a goes silent: its renewed lease expires at 1'900; a late renewal does not revive it.
  ASSERT_OK_AND_ASSIGN(uint64_t late, journal->Renew("a", {kept.lease_id()}, 2'000, 500));
  EXPECT_EQ(late, 0u);
  ASSERT_OK_AND_ASSIGN(v1::WorkBatch c, journal->Lease("c", 10, 2'000, 500));
  EXPECT_EQ(c.orders_size(), 2);
}

TEST_F(JournalTest, AnExpiredLeaseIsLeasedAgainWholeBeforePendingOrdersIssue10) {
  auto journal = OpenWithBatchOf(10);
  ASSERT_NE(journal, nullptr);
  ASSERT_OK_AND_ASSIGN(v1::WorkBatch a, journal->Lease("a", 4, 1'000, 500));
  ASSERT_OK_AND_ASSIGN(v1::WorkBatch a2, journal->Lease("a", 3, 1'000, 500));
  ASSERT_EQ(a.orders_size(), 4);
  // a dies. Both its leases expire; the older comes back whole first, even to a worker
  // asking for fewer orders, then the other, then what was never leased.
  ASSERT_OK_AND_ASSIGN(v1::WorkBatch b, journal->Lease("b", 2, 2'000, 500));
  EXPECT_EQ(OrderIds(b), OrderIds(a));
  EXPECT_NE(b.lease_id(), a.lease_id());
  for (int i = 0; i < a.orders_size(); ++i) {
    EXPECT_EQ(b.orders(i).tracking_number(), a.orders(i).tracking_number());
  }
  ASSERT_OK_AND_ASSIGN(v1::WorkBatch c, journal->Lease("c", 10, 2'000, 500));
  EXPECT_EQ(OrderIds(c), OrderIds(a2));
  ASSERT_OK_AND_ASSIGN(v1::WorkBatch d, journal->Lease("c", 10, 2'000, 500));
  EXPECT_EQ(d.orders_size(), 3);
  // The redelivered lease expires again: the same orders once more.
  ASSERT_OK_AND_ASSIGN(v1::WorkBatch e, journal->Lease("e", 10, 3'000, 500));
  EXPECT_EQ(OrderIds(e), OrderIds(a));
}

TEST_F(JournalTest, LateFailureOfAnExpiredLeaseDoesNotOverrideTheNewLease) {
  auto journal = OpenWithBatchOf(1);
  ASSERT_NE(journal, nullptr);
  ASSERT_OK_AND_ASSIGN(v1::WorkBatch a, journal->Lease("a", 10, 1'000, 500));
  ASSERT_OK_AND_ASSIGN(v1::WorkBatch b, journal->Lease("b", 10, 2'000, 500));
  ASSERT_EQ(b.orders_size(), 1);
  ASSERT_OK(journal->Complete(Done(a.lease_id(), {{"O0", v1::OUTCOME_FAILED}})));
  EXPECT_EQ(Tally(*journal, "B1"), "0 done + 0 failed of 1, not complete");
  ASSERT_OK(journal->Complete(Done(b.lease_id(), {{"O0", v1::OUTCOME_NO_RULE}})));
  EXPECT_EQ(Tally(*journal, "B1"), "1 done + 0 failed of 1, complete");
}

TEST_F(JournalTest, PruneRemovesTheOrdersOfBatchesCompleteForTheRetentionTimeIssue10) {
  sortline::testing::FakeClock clock(0);
  JournalOptions options;
  options.clock = &clock;
  auto journal = Open(options);
  ASSERT_NE(journal, nullptr);
  clock.SetUnixMillis(1'000);
  ASSERT_OK(journal->Submit(NumberedBatch("B1", 0, 3), {}));
  ASSERT_OK(journal->Submit(NumberedBatch("B2", 3, 2), {}));
  ASSERT_OK_AND_ASSIGN(v1::WorkBatch b1, journal->Lease("a", 3, 1'000, kLeaseMs));
  ASSERT_EQ(b1.orders_size(), 3);
  clock.SetUnixMillis(5'000);  // B1 completes at 5'000; B2 never does
  ASSERT_OK(journal->Complete(
      Done(b1.lease_id(),
           {{"O0", v1::OUTCOME_SORTED}, {"O1", v1::OUTCOME_NO_RULE}, {"O2", v1::OUTCOME_FAILED}})));
  ASSERT_OK_AND_ASSIGN(JournalPruned early, journal->Prune(5'000, 10));
  EXPECT_EQ(early.batches, 0u) << "complete for less than the retention time";
  ASSERT_OK_AND_ASSIGN(JournalPruned pruned, journal->Prune(5'001, 10));
  EXPECT_EQ(pruned.batches, 1u);
  EXPECT_EQ(pruned.orders, 3u);
  ASSERT_OK_AND_ASSIGN(JournalPruned again, journal->Prune(100'000, 10));
  EXPECT_EQ(again.batches, 0u) << "B2 is not complete; B1 is gone already";

  // B1's totals and its stored reply remain; B2 is whole.
  EXPECT_EQ(Tally(*journal, "B1"), "2 done + 1 failed of 3, complete");
  ASSERT_OK_AND_ASSIGN(v1::SubmitReply resubmitted, journal->Submit(NumberedBatch("B1", 0, 3), {}));
  EXPECT_EQ(resubmitted.accepted(), 3u) << "the first reply, not a second journaling";
  ASSERT_OK_AND_ASSIGN(uint64_t outstanding, journal->Outstanding());
  EXPECT_EQ(outstanding, 2u);
  ASSERT_OK_AND_ASSIGN(v1::WorkBatch b2, journal->Lease("a", 10, 6'000, kLeaseMs));
  EXPECT_THAT(OrderIds(b2), ElementsAre("O3", "O4"));
}

TEST_F(JournalTest, PrunedPagesGoBackToTheFileSystemIssue10) {
  sortline::testing::FakeClock clock(0);
  JournalOptions options;
  options.clock = &clock;
  options.synchronous_full = false;
  auto journal = Open(options);
  ASSERT_NE(journal, nullptr);
  for (int b = 0; b < 20; ++b) {
    ASSERT_OK(journal->Submit(NumberedBatch("B" + std::to_string(b), b * 500, 500), {}));
  }
  while (true) {
    ASSERT_OK_AND_ASSIGN(v1::WorkBatch work, journal->Lease("a", 1000, 1'000, kLeaseMs));
    if (work.orders_size() == 0) break;
    ASSERT_OK(journal->Complete(AllSorted(work)));
  }
  const auto size = [&] { return std::filesystem::file_size(path()); };
  journal.reset();  // checkpoint the WAL into the file
  journal = Open(options);
  const uintmax_t before = size();
  clock.SetUnixMillis(10'000);
  uint64_t orders = 0;
  while (true) {
    ASSERT_OK_AND_ASSIGN(JournalPruned pruned, journal->Prune(10'000, 4));
    if (pruned.batches == 0) break;
    orders += pruned.orders;
  }
  EXPECT_EQ(orders, 10'000u);
  journal.reset();
  const uintmax_t after = size();
  EXPECT_LT(after * 4, before) << "before " << before << " bytes, after " << after;
}

TEST_F(JournalTest, CompleteIsIdempotentAndIgnoresUnknownOrders) {
  auto journal = OpenWithBatchOf(3);
  ASSERT_NE(journal, nullptr);
  ASSERT_OK_AND_ASSIGN(v1::WorkBatch work, journal->Lease("w1", 10, 1'000, kLeaseMs));
  v1::WorkDone done = Done(
      work.lease_id(),
      {{"O0", v1::OUTCOME_SORTED}, {"O1", v1::OUTCOME_FAILED}, {"nobody", v1::OUTCOME_SORTED}});
  ASSERT_OK(journal->Complete(done));
  ASSERT_OK(journal->Complete(done));
  // A different late verdict for a finished order changes nothing either.
  ASSERT_OK(journal->Complete(
      Done(work.lease_id(), {{"O0", v1::OUTCOME_FAILED}, {"O1", v1::OUTCOME_SORTED}})));
  ASSERT_OK_AND_ASSIGN(v1::BatchProgress progress, journal->Progress("B1"));
  EXPECT_EQ(Tally(progress), "1 done + 1 failed of 3, not complete");
  ASSERT_EQ(progress.failures_size(), 1);
  EXPECT_EQ(progress.failures(0).order_id(), "O1");
  ASSERT_OK_AND_ASSIGN(uint64_t outstanding, journal->Outstanding());
  EXPECT_EQ(outstanding, 1u);
}

TEST_F(JournalTest, ResultWithoutOutcomeIsInvalidAndRecordsNothing) {
  auto journal = OpenWithBatchOf(2);
  ASSERT_NE(journal, nullptr);
  ASSERT_OK_AND_ASSIGN(v1::WorkBatch work, journal->Lease("w1", 10, 1'000, kLeaseMs));
  Status status = journal->Complete(
      Done(work.lease_id(), {{"O0", v1::OUTCOME_SORTED}, {"O1", v1::OUTCOME_UNSPECIFIED}}));
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("O1"));
  EXPECT_EQ(Tally(*journal, "B1"), "0 done + 0 failed of 2, not complete");
}

TEST_F(JournalTest, ProgressCountsOutcomesAndListsFailures) {
  auto journal = Open();
  ASSERT_NE(journal, nullptr);
  ASSERT_OK(journal->Submit(NumberedBatch("B1", 0, 5), {Rejected(0, "bad")}));
  ASSERT_OK(journal->Submit(NumberedBatch("B2", 10, 1), {}));
  ASSERT_OK_AND_ASSIGN(v1::BatchProgress fresh, journal->Progress("B1"));
  EXPECT_EQ(fresh.batch_id(), "B1");
  EXPECT_EQ(Tally(fresh), "0 done + 0 failed of 4, not complete");

  ASSERT_OK_AND_ASSIGN(v1::WorkBatch work, journal->Lease("w1", 10, 1'000, kLeaseMs));
  ASSERT_EQ(work.orders_size(), 5);
  ASSERT_OK(journal->Complete(Done(work.lease_id(), {{"O1", v1::OUTCOME_SORTED},
                                                     {"O2", v1::OUTCOME_REJECTED},
                                                     {"O3", v1::OUTCOME_FAILED},
                                                     {"O10", v1::OUTCOME_SORTED}})));
  ASSERT_OK_AND_ASSIGN(v1::BatchProgress partial, journal->Progress("B1"));
  EXPECT_EQ(Tally(partial), "2 done + 1 failed of 4, not complete");
  ASSERT_EQ(partial.failures_size(), 1);
  EXPECT_EQ(partial.failures(0).order_id(), "O3");
  EXPECT_EQ(partial.failures(0).index(), 3u);
  EXPECT_EQ(partial.failures(0).reason(), "reason for O3");
  EXPECT_EQ(Tally(*journal, "B2"), "1 done + 0 failed of 1, complete");

  ASSERT_OK(journal->Complete(Done(work.lease_id(), {{"O4", v1::OUTCOME_SORTED}})));
  EXPECT_EQ(Tally(*journal, "B1"), "3 done + 1 failed of 4, complete");

  EXPECT_EQ(journal->Progress("nope").status().code(), StatusCode::kNotFound);
}

TEST_F(JournalTest, OutstandingCountsPendingAndLeasedOrders) {
  auto journal = Open();
  ASSERT_NE(journal, nullptr);
  ASSERT_OK_AND_ASSIGN(uint64_t empty, journal->Outstanding());
  EXPECT_EQ(empty, 0u);
  ASSERT_OK(journal->Submit(NumberedBatch("B1", 0, 5), {}));
  ASSERT_OK_AND_ASSIGN(v1::WorkBatch work, journal->Lease("w1", 2, 1'000, kLeaseMs));
  ASSERT_OK_AND_ASSIGN(uint64_t all, journal->Outstanding());
  EXPECT_EQ(all, 5u);
  ASSERT_OK(journal->Complete(
      Done(work.lease_id(), {{"O0", v1::OUTCOME_SORTED}, {"O1", v1::OUTCOME_FAILED}})));
  ASSERT_OK_AND_ASSIGN(uint64_t left, journal->Outstanding());
  EXPECT_EQ(left, 3u);
}

TEST_F(JournalTest, DatabaseIsInWalModeAndIntactAfterWork) {
  {
    auto journal = Open();
    ASSERT_NE(journal, nullptr);
    ASSERT_OK(journal->Submit(NumberedBatch("B1", 0, 200), {}));
    ASSERT_OK_AND_ASSIGN(v1::WorkBatch work, journal->Lease("w1", 150, 1'000, kLeaseMs));
    ASSERT_OK(journal->Complete(AllSorted(work)));
  }
  ASSERT_OK_AND_ASSIGN(auto db, internal::Db::Open(path(), {}));
  EXPECT_EQ(db->journal_mode(), "wal");
  ASSERT_OK_AND_ASSIGN(std::string integrity, db->QueryText("PRAGMA integrity_check"));
  EXPECT_EQ(integrity, "ok");
  ASSERT_OK_AND_ASSIGN(int64_t synchronous, db->QueryInt("PRAGMA synchronous"));
  EXPECT_EQ(synchronous, 2) << "FULL";
}

TEST_F(JournalTest, FileThatIsNotADatabaseIsDataLoss) {
  {
    std::ofstream out(path(), std::ios::binary);
    out << std::string(8192, 'x');
  }
  Result<std::unique_ptr<Journal>> journal = Journal::Open(path(), {});
  EXPECT_EQ(journal.status().code(), StatusCode::kDataLoss) << journal.status();
  EXPECT_THAT(journal.status().message(), HasSubstr(path()));
}

TEST_F(JournalTest, DockStoreFileIsRefusedAsAJournal) {
  {
    Result<std::unique_ptr<DockStore>> dock = DockStore::Open(path(), {});
    ASSERT_OK(dock);
  }
  Result<std::unique_ptr<Journal>> journal = Journal::Open(path(), {});
  EXPECT_EQ(journal.status().code(), StatusCode::kFailedPrecondition) << journal.status();
}

TEST_F(JournalTest, NewerSchemaVersionIsRefused) {
  { ASSERT_NE(Open(), nullptr); }
  {
    ASSERT_OK_AND_ASSIGN(auto db, internal::Db::Open(path(), {}));
    ASSERT_OK(db->Exec("PRAGMA user_version=99"));
  }
  Result<std::unique_ptr<Journal>> journal = Journal::Open(path(), {});
  EXPECT_EQ(journal.status().code(), StatusCode::kFailedPrecondition) << journal.status();
  EXPECT_THAT(journal.status().message(), HasSubstr("schema version 99 is newer"));
}

TEST_F(JournalTest, MalformedTrackingRangeIsRefusedAtOpen) {
  JournalOptions options;
  options.tracking_range.prefix = "e1";
  Result<std::unique_ptr<Journal>> journal = Journal::Open(path(), options);
  EXPECT_EQ(journal.status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace sortline::store
