#include "pipeline/sort/sort_plan.h"

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <new>
#include <set>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "pipeline/model/csv.h"
#include "pipeline/model/orders.h"
#include "tests/testing/testing.h"

// Counts heap allocations made while `counting` is set, to check Assign's promise.
namespace {
std::atomic<bool> counting{false};
std::atomic<int> allocations{0};
}  // namespace

// GCC cannot see that these operators are a matched malloc/free pair. Every
// non-aligned form is replaced so that no block crosses allocators.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
namespace {
void* CountedMalloc(size_t size) noexcept {
  if (counting.load(std::memory_order_relaxed)) allocations.fetch_add(1);
  return std::malloc(size == 0 ? 1 : size);
}
}  // namespace

void* operator new(size_t size) {
  if (void* p = CountedMalloc(size)) return p;
  throw std::bad_alloc();
}
void* operator new[](size_t size) {
  if (void* p = CountedMalloc(size)) return p;
  throw std::bad_alloc();
}
void* operator new(size_t size, const std::nothrow_t&) noexcept { return CountedMalloc(size); }
void* operator new[](size_t size, const std::nothrow_t&) noexcept { return CountedMalloc(size); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, size_t) noexcept { std::free(p); }
void operator delete[](void* p, size_t) noexcept { std::free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }
#pragma GCC diagnostic pop

namespace sortline::sort {
namespace {

using ::testing::HasSubstr;
using ::testing::MatchesRegex;

const model::DivisionTable& Table() {
  static const model::DivisionTable* table = [] {
    auto loaded = model::DivisionTable::Load(testing::DivisionsDir());
    EXPECT_TRUE(loaded.ok()) << loaded.status();
    return std::move(loaded).value().release();
  }();
  return *table;
}

constexpr std::string_view kPlan =
    "# test plan\n"
    "kind,prefix,sort_code,chute,dock_door,route\n"
    "rule,61,710-00-27,C027,D07,R-SN\n"
    "rule,6105,710-05-00,C051,D11,R-WN-01\n"
    "rule,610502,710-50-01,C052,D11,R-WN-01\n"
    "rule,610502002,710-50-02,C053,D11,R-WN-02\n"
    "no-rule,,710-99-99,C900,D12,R-HOLD\n"
    "reject,,710-99-00,C901,D12,R-HOLD\n";

std::unique_ptr<SortPlan> MustParse(std::string_view text,
                                    const model::DivisionTable* divisions = &Table()) {
  auto plan = SortPlan::Parse(text, "plan.csv", divisions);
  EXPECT_TRUE(plan.ok()) << plan.status();
  return plan.ok() ? std::move(plan).value() : nullptr;
}

v1::SortRecord AssignTo(const SortPlan& plan, const std::string& division_code) {
  v1::Order order = testing::SampleOrder();
  order.mutable_recipient()->set_division_code(division_code);
  v1::SortRecord record;
  plan.Assign(order, &record);
  return record;
}

// The problems of a plan that failed to parse, one per line.
std::vector<std::string> Problems(std::string_view text,
                                  const model::DivisionTable* divisions = &Table()) {
  auto plan = SortPlan::Parse(text, "plan.csv", divisions);
  EXPECT_FALSE(plan.ok());
  std::vector<std::string> lines;
  if (plan.ok()) return lines;
  EXPECT_EQ(plan.status().code(), StatusCode::kInvalidArgument);
  std::string_view message = plan.status().message();
  while (!message.empty()) {
    size_t end = message.find('\n');
    lines.emplace_back(message.substr(0, end));
    message.remove_prefix(end == std::string_view::npos ? message.size() : end + 1);
  }
  return lines;
}

TEST(SortPlan, LongestDivisionPrefixWins) {
  auto plan = MustParse(kPlan);
  ASSERT_NE(plan, nullptr);
  EXPECT_EQ(plan->rule_count(), 4u);
  v1::SortRecord county = AssignTo(*plan, "610502");
  EXPECT_EQ(county.outcome(), v1::OUTCOME_SORTED);
  EXPECT_EQ(county.chute(), "C052");
  EXPECT_EQ(county.sort_code(), "710-50-01");
  EXPECT_EQ(county.dock_door(), "D11");
  EXPECT_EQ(county.route(), "R-WN-01");
  EXPECT_EQ(county.reason(), "");
  EXPECT_EQ(AssignTo(*plan, "610503").chute(), "C051");     // city rule
  EXPECT_EQ(AssignTo(*plan, "610102").chute(), "C027");     // province rule
  EXPECT_EQ(AssignTo(*plan, "610502001").chute(), "C052");  // town without a rule: county
}

TEST(SortPlan, RuleOrderInTheFileDoesNotMatter) {
  auto plan = MustParse(
      "kind,prefix,sort_code,chute,dock_door,route\n"
      "rule,610502,710-50-01,C052,D11,R\n"
      "rule,6105,710-05-00,C051,D11,R\n"
      "rule,61,710-00-27,C027,D07,R\n"
      "no-rule,,710-99-99,C900,D12,R\n"
      "reject,,710-99-00,C901,D12,R\n");
  ASSERT_NE(plan, nullptr);
  EXPECT_EQ(AssignTo(*plan, "610502").chute(), "C052");
  EXPECT_EQ(AssignTo(*plan, "610503").chute(), "C051");
}

TEST(SortPlan, NineDigitPrefixWinsForItsTown) {
  auto plan = MustParse(kPlan);
  ASSERT_NE(plan, nullptr);
  v1::SortRecord town = AssignTo(*plan, "610502002");
  EXPECT_EQ(town.outcome(), v1::OUTCOME_SORTED);
  EXPECT_EQ(town.chute(), "C053");
  EXPECT_EQ(town.sort_code(), "710-50-02");
}

TEST(SortPlan, UnreachedDivisionGoesToTheNoRuleChute) {
  auto plan = MustParse(kPlan);
  ASSERT_NE(plan, nullptr);
  v1::SortRecord record = AssignTo(*plan, "110101");
  EXPECT_EQ(record.outcome(), v1::OUTCOME_NO_RULE);
  EXPECT_EQ(record.chute(), "C900");
  EXPECT_EQ(record.sort_code(), "710-99-99");
  EXPECT_EQ(record.reason(), "no rule for division code 110101");
  EXPECT_EQ(record.plan_version(), plan->version());
}

TEST(SortPlan, OrderWithoutDivisionCodeGoesToTheNoRuleChute) {
  auto plan = MustParse(kPlan);
  ASSERT_NE(plan, nullptr);
  v1::SortRecord record = AssignTo(*plan, "");
  EXPECT_EQ(record.outcome(), v1::OUTCOME_NO_RULE);
  EXPECT_EQ(record.chute(), "C900");
  EXPECT_EQ(record.reason(), "no division code");
  EXPECT_EQ(AssignTo(*plan, "61x502").outcome(), v1::OUTCOME_NO_RULE);
  EXPECT_EQ(AssignTo(*plan, "6105").outcome(), v1::OUTCOME_NO_RULE);
}

TEST(SortPlan, RejectUsesTheRejectChuteAndKeepsTheReason) {
  auto plan = MustParse(kPlan);
  ASSERT_NE(plan, nullptr);
  v1::SortRecord record;
  plan->Reject("weight must be positive", &record);
  EXPECT_EQ(record.outcome(), v1::OUTCOME_REJECTED);
  EXPECT_EQ(record.chute(), "C901");
  EXPECT_EQ(record.sort_code(), "710-99-00");
  EXPECT_EQ(record.dock_door(), "D12");
  EXPECT_EQ(record.reason(), "weight must be positive");
  EXPECT_EQ(record.plan_version(), plan->version());
}

TEST(SortPlan, AReusedRecordIsFullyOverwritten) {
  auto plan = MustParse(kPlan);
  ASSERT_NE(plan, nullptr);
  v1::Order order = testing::SampleOrder();
  v1::SortRecord record;
  plan->Reject("bad", &record);
  plan->Assign(order, &record);
  EXPECT_EQ(record.outcome(), v1::OUTCOME_SORTED);
  EXPECT_EQ(record.reason(), "");
  EXPECT_EQ(record.chute(), "C052");
}

TEST(SortPlan, VersionIsTheContentHashOfTheText) {
  auto a = MustParse(kPlan);
  auto b = MustParse(kPlan);
  std::string changed(kPlan);
  changed.replace(changed.find("C051"), 4, "C050");
  auto c = MustParse(changed);
  ASSERT_TRUE(a && b && c);
  EXPECT_THAT(a->version(), MatchesRegex("[0-9a-f]{16}"));
  EXPECT_EQ(a->version(), b->version());
  EXPECT_NE(a->version(), c->version());
  EXPECT_EQ(AssignTo(*c, "610503").plan_version(), c->version());
}

TEST(SortPlan, CommentsAndBlankLinesAreIgnored) {
  auto plan = MustParse(
      "\xEF\xBB\xBF# header comment, with \"quotes\n"
      "\n"
      "kind,prefix,sort_code,chute,dock_door,route\n"
      "  # indented comment\n"
      "rule,61,710-00-27,C027,D07,R-SN\n"
      "\n"
      "no-rule,,710-99-99,C900,D12,R-HOLD\r\n"
      "reject,,710-99-00,C901,D12,R-HOLD\r\n");
  ASSERT_NE(plan, nullptr);
  EXPECT_EQ(plan->rule_count(), 1u);
  EXPECT_EQ(AssignTo(*plan, "610502").chute(), "C027");
}

TEST(SortPlan, EveryProblemIsReportedWithItsLine) {
  std::vector<std::string> problems = Problems(
      "# a plan with a mistake on most lines\n"        // 1
      "kind,prefix,sort_code,chute,dock_door,route\n"  // 2
      "rule,61,710-00-27,C027,D07,R-SN\n"              // 3
      "rulez,62,710-00-28,C028,D07,R-GS\n"             // 4 unknown kind
      "rule,610,710-00-29,C029,D07,R\n"                // 5 prefix length
      "rule,61,710-00-30,C030,D07,R\n"                 // 6 duplicate prefix
      "rule,63,710-00-31,,D07,R\n"                     // 7 empty chute
      "rule,64,710-00,C032,D07,R\n"                    // 8 sort code
      "no-rule,,710-99-99,C900,D12,R-HOLD\n"           // 9
      "no-rule,,710-99-98,C902,D12,R-HOLD\n"           // 10 duplicate no-rule
      "rule,6199,710-01-00,C033,D08,R\n"               // 11 not in the table
      "rule,65,710-00-31\n");                          // 12 too few fields; no reject row
  EXPECT_THAT(problems,
              ::testing::UnorderedElementsAre(
                  HasSubstr("plan.csv:4: unknown kind \"rulez\""),
                  HasSubstr("plan.csv:5: prefix \"610\" is not 2, 4, 6 or 9 digits"),
                  HasSubstr("plan.csv:6: duplicate prefix 61 (first on line 3)"),
                  HasSubstr("plan.csv:7: chute is empty"),
                  HasSubstr("plan.csv:8: sort code \"710-00\" is not three dash-separated"),
                  HasSubstr("plan.csv:10: duplicate no-rule row (first on line 9)"),
                  HasSubstr("plan.csv:11: prefix 6199 is not in the division table"),
                  HasSubstr("plan.csv:12: expected 6 fields, got 3"),
                  HasSubstr("plan.csv:12: missing reject row")));
}

TEST(SortPlan, MissingNoRuleAndRejectRowsAreBothReported) {
  std::vector<std::string> problems = Problems(
      "kind,prefix,sort_code,chute,dock_door,route\n"
      "rule,61,710-00-27,C027,D07,R-SN\n");
  EXPECT_THAT(problems, ::testing::ElementsAre(HasSubstr("plan.csv:2: missing no-rule row"),
                                               HasSubstr("plan.csv:2: missing reject row")));
}

TEST(SortPlan, PrefixesAreCheckedAgainstTheTableOnlyWhenOneIsGiven) {
  std::string text(kPlan);
  text += "rule,99,710-00-99,C099,D01,R\n";
  EXPECT_THAT(Problems(text),
              ::testing::ElementsAre(HasSubstr("prefix 99 is not in the division table")));
  auto plan = MustParse(text, nullptr);
  ASSERT_NE(plan, nullptr);
  EXPECT_EQ(AssignTo(*plan, "990101").chute(), "C099");
}

TEST(SortPlan, SpecialRowsTakeNoPrefix) {
  std::vector<std::string> problems = Problems(
      "kind,prefix,sort_code,chute,dock_door,route\n"
      "no-rule,61,710-99-99,C900,D12,R\n"
      "reject,,710-99-00,C901,D12,R\n");
  EXPECT_THAT(problems,
              ::testing::ElementsAre(HasSubstr("plan.csv:2: a no-rule row takes no prefix")));
}

TEST(SortPlan, MalformedQuotingIsReportedWithItsLine) {
  std::string text(kPlan);
  text += "rule,62,\"710-00-28,C028,D07,R\n";
  std::vector<std::string> problems = Problems(text);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_THAT(problems[0], HasSubstr("plan.csv:9: malformed CSV quoting"));
}

TEST(SortPlan, AWrongHeaderIsReported) {
  EXPECT_THAT(Problems("kind,prefix,code,chute\nno-rule,,1-2-3,C1\n"),
              ::testing::ElementsAre(HasSubstr("plan.csv:1: the header must be")));
  EXPECT_THAT(Problems("# only a comment\n"),
              ::testing::ElementsAre(HasSubstr("plan.csv:1: the plan is empty")));
}

TEST(SortPlan, MissingFileIsNotFound) {
  testing::TempDir dir;
  auto plan = SortPlan::Load(dir.file("absent.csv"), &Table());
  EXPECT_EQ(plan.status().code(), StatusCode::kNotFound);
}

TEST(SortPlan, LoadNamesTheFileInItsMessages) {
  testing::TempDir dir;
  std::ofstream(dir.file("bad.csv"))
      << "kind,prefix,sort_code,chute,dock_door,route\nrule,1,a-b-c,C,D,R\n";
  auto plan = SortPlan::Load(dir.file("bad.csv"), &Table());
  ASSERT_FALSE(plan.ok());
  EXPECT_THAT(plan.status().message(), HasSubstr(dir.file("bad.csv") + ":2: prefix \"1\""));
}

TEST(ExamplePlan, LoadsWithTheRealTableAndReachesEveryCounty) {
  auto plan = SortPlan::Load(testing::DefaultPlanPath(), &Table());
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_GE((*plan)->rule_count(), 31u + 10u + 11u + 5u);
  for (const model::Division* county : Table().Counties()) {
    v1::SortRecord record = AssignTo(**plan, county->code);
    ASSERT_EQ(record.outcome(), v1::OUTCOME_SORTED) << county->code << " " << record.reason();
    ASSERT_THAT(record.sort_code(), MatchesRegex("710-[0-9]{2}-[0-9]{2}"));
    ASSERT_THAT(record.chute(), MatchesRegex("C[0-9]{3}"));
    ASSERT_THAT(record.dock_door(), MatchesRegex("D(0[1-9]|1[0-2])"));
  }
}

TEST(ExamplePlan, WeinanAndGuigangCountiesHaveStationsOfTheirOwn) {
  auto plan = SortPlan::Load(testing::DefaultPlanPath(), &Table());
  ASSERT_TRUE(plan.ok()) << plan.status();
  std::set<std::string> stations;
  int counties = 0;
  for (const model::Division* county : Table().Counties()) {
    if (county->code.compare(0, 4, "6105") != 0 && county->code.compare(0, 4, "4508") != 0) {
      continue;
    }
    ++counties;
    stations.insert(AssignTo(**plan, county->code).sort_code().substr(0, 6));
  }
  EXPECT_EQ(counties, 16);
  EXPECT_EQ(stations.size(), 16u);
  EXPECT_NE(AssignTo(**plan, "610502").sort_code(), AssignTo(**plan, "610102").sort_code());
}

TEST(ExamplePlan, AssignDoesNotAllocateOnceTheRecordHasRoom) {
  auto plan = SortPlan::Load(testing::DefaultPlanPath(), &Table());
  ASSERT_TRUE(plan.ok()) << plan.status();
  model::OrderGenerator generator(Table(), model::GeneratorOptions{});
  std::vector<v1::Order> orders;
  for (uint64_t i = 0; i < 500; ++i) orders.push_back(generator.Generate(i));
  v1::SortRecord record;
  for (const v1::Order& order : orders) (*plan)->Assign(order, &record);
  allocations = 0;
  counting = true;
  for (const v1::Order& order : orders) (*plan)->Assign(order, &record);
  counting = false;
  EXPECT_EQ(allocations.load(), 0);
}

TEST(ExamplePlan, SortsEveryGeneratedOrder) {
  auto plan = SortPlan::Load(testing::DefaultPlanPath(), &Table());
  ASSERT_TRUE(plan.ok()) << plan.status();
  model::OrderGenerator generator(Table(), model::GeneratorOptions{});
  v1::SortRecord record;
  for (uint64_t i = 0; i < 2000; ++i) {
    (*plan)->Assign(generator.Generate(i), &record);
    ASSERT_EQ(record.outcome(), v1::OUTCOME_SORTED);
  }
}

}  // namespace
}  // namespace sortline::sort
