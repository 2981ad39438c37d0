// Issue 14: the dock's event log does not grow with the weeks. Past days move into one
// archive file a day (or are deleted without an archive directory), old archives are
// deleted, and the export reads archives and store alike.
#include <filesystem>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "pipeline/store/dock_store.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/testing.h"

namespace sortline::store {
namespace {

constexpr int64_t kDayMs = 24LL * 3600 * 1000;
// 2026-11-28 00:00 hub time (UTC+08:00).
constexpr int64_t kDay0 = 1'795'795'200'000;  // 2026-11-27 16:00 UTC

std::vector<v1::DockEvent> EventsAt(int64_t unix_ms, int count) {
  std::vector<v1::DockEvent> events;
  for (int i = 0; i < count; ++i) {
    v1::DockEvent& event = events.emplace_back();
    event.set_unix_ms(unix_ms + i);
    event.mutable_decision()->set_transaction_id(static_cast<uint64_t>(unix_ms + i));
  }
  return events;
}

uint64_t Exported(const std::string& db, const std::string& archive, int64_t from, int64_t to) {
  uint64_t count = 0;
  EXPECT_TRUE(ForEachArchivedEvent(db, archive, from, to, [&](const v1::DockEvent&) {
                ++count;
                return true;
              }).ok());
  return count;
}

TEST(DockEventRetention, PastDaysMoveToDailyArchivesAndOldArchivesGoIssue14) {
  sortline::testing::TempDir dir;
  const std::string db = dir.file("dock.db");
  const std::string archive = dir.file("events");
  auto store = DockStore::Open(db, {}).value();
  ASSERT_OK(store->PersistEvents(EventsAt(kDay0 + 10 * 3600'000, 300)));
  ASSERT_OK(store->PersistEvents(EventsAt(kDay0 + kDayMs + 3600'000, 200)));
  ASSERT_OK(store->PersistEvents(EventsAt(kDay0 + 2 * kDayMs + 60'000, 50)));

  DockStore::Retention retention;
  retention.archive_dir = archive;
  retention.today_start_unix_ms = kDay0 + 2 * kDayMs;
  retention.keep_from_unix_ms = kDay0;
  ASSERT_EQ(store->RetainEvents(retention).value(), 500u);
  EXPECT_EQ(store->EventCount().value(), 50u) << "today's events stay in the store";
  EXPECT_TRUE(std::filesystem::exists(archive + "/events-2026-11-28.db"));
  EXPECT_TRUE(std::filesystem::exists(archive + "/events-2026-11-29.db"));
  EXPECT_EQ(Exported(db, archive, kDay0, kDay0 + 3 * kDayMs), 550u) << "archives and store";
  EXPECT_EQ(Exported(db, archive, kDay0 + kDayMs, kDay0 + 2 * kDayMs), 200u) << "one day";

  retention.keep_from_unix_ms = kDay0 + kDayMs;
  ASSERT_EQ(store->RetainEvents(retention).value(), 0u);
  EXPECT_FALSE(std::filesystem::exists(archive + "/events-2026-11-28.db")) << "past its time";
  EXPECT_TRUE(std::filesystem::exists(archive + "/events-2026-11-29.db"));
  EXPECT_EQ(Exported(db, archive, kDay0, kDay0 + 3 * kDayMs), 250u);

  // Without an archive directory, past days are deleted.
  ASSERT_OK(store->PersistEvents(EventsAt(kDay0 + 2 * kDayMs + 7200'000, 10)));
  DockStore::Retention deleting;
  deleting.today_start_unix_ms = kDay0 + 3 * kDayMs;
  ASSERT_EQ(store->RetainEvents(deleting).value(), 60u);
  EXPECT_EQ(store->EventCount().value(), 0u);
}

}  // namespace
}  // namespace sortline::store
