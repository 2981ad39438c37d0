#include "pipeline/sort/sort_plan.h"

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <new>
#include <ostream>
#include <random>
#include <set>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "pipeline/base/file.h"
#include "pipeline/model/orders.h"
#include "tests/testing/status_matchers.h"
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

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::MatchesRegex;

const model::DivisionTable& Table() {
  static const model::DivisionTable* table = [] {
    auto loaded = model::DivisionTable::Load(testing::DivisionsDir());
    EXPECT_OK(loaded);
    return std::move(loaded).value().release();
  }();
  return *table;
}

constexpr std::string_view kChutes =
    "chute,kind,capacity,overflow,sort_code,dock_door,route\n"
    "C027,normal,400,C950,,,\n"
    "C051,normal,400,C950,,,\n"
    "C052,normal,300,,,,\n"
    "C053,normal,300,,,,\n"
    "C060,normal,300,,,,\n"
    "C061,normal,300,,,,\n"
    "C062,normal,300,,,,\n"
    "C950,overflow,800,,,,\n"
    "C900,no-rule,300,,710-99-99,D12,R-HOLD\n"
    "C901,reject,300,,710-99-00,D12,R-HOLD\n"
    "C902,manual,100,,,,\n";

constexpr std::string_view kGroups =
    "group,chute\n"
    "G-WN,C060\n"
    "G-WN,C061\n"
    "G-WN,C062\n";

constexpr std::string_view kRulesHeader =
    "prefix,services,max_weight_g,max_side_mm,precedence,sort_code,destination,chute_group,"
    "dock_door,route\n";

std::string Rules(std::string_view rows) { return std::string(kRulesHeader) + std::string(rows); }

const std::string kRules = Rules(
    "61,,,,0,710-00-27,陕西,C027,D07,R-SN\n"
    "6105,,,,0,710-05-00,渭南,C051,D11,R-WN-01\n"
    "610502,,20000,800,0,710-50-01,临渭,C052,D11,R-WN-01\n"
    "610502002,,,,0,710-50-02,人民街道,C053,D11,R-WN-02\n"
    "6105,fresh-produce|cold-chain,,,0,710-80-00,渭南生鲜,G-WN,D13,R-COLD\n");

std::vector<PlanFile> Files(std::string rules, std::string chutes = std::string(kChutes),
                            std::string groups = std::string(kGroups)) {
  return {{"rules.csv", std::move(rules)},
          {"chutes.csv", std::move(chutes)},
          {"groups.csv", std::move(groups)}};
}

std::unique_ptr<SortPlan> MustParse(const std::vector<PlanFile>& files,
                                    const model::DivisionTable* divisions = &Table()) {
  auto plan = SortPlan::Parse(files, divisions);
  EXPECT_OK(plan);
  return plan.ok() ? std::move(plan).value() : nullptr;
}

v1::Order OrderTo(const std::string& division_code,
                  v1::ServiceClass service = v1::SERVICE_STANDARD) {
  v1::Order order = testing::SampleOrder();
  order.mutable_recipient()->set_division_code(division_code);
  order.set_service(service);
  return order;
}

// Where a record sends its parcel and why: the fields a plan decides for it, in the
// order a test lists them.
struct Routing {
  v1::Outcome outcome = v1::OUTCOME_UNSPECIFIED;
  std::string chute;
  std::string sort_code;
  std::string dock_door;
  std::string route;
  std::string reason;

  bool operator==(const Routing&) const = default;
};

Routing RoutingOf(const v1::SortRecord& record) {
  return {record.outcome(),   record.chute(), record.sort_code(),
          record.dock_door(), record.route(), record.reason()};
}

std::ostream& operator<<(std::ostream& out, const Routing& routing) {
  return out << v1::Outcome_Name(routing.outcome) << " chute " << routing.chute << " sort_code "
             << routing.sort_code << " dock_door " << routing.dock_door << " route "
             << routing.route << " reason \"" << routing.reason << "\"";
}

v1::SortRecord AssignTo(const SortPlan& plan, const std::string& division_code,
                        v1::ServiceClass service = v1::SERVICE_STANDARD) {
  v1::SortRecord record;
  plan.Assign(OrderTo(division_code, service), &record);
  return record;
}

// The problems of a plan that failed to parse, one per line.
std::vector<std::string> Problems(const std::vector<PlanFile>& files,
                                  const model::DivisionTable* divisions = &Table()) {
  auto plan = SortPlan::Parse(files, divisions);
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
  auto plan = MustParse(Files(kRules));
  ASSERT_NE(plan, nullptr);
  EXPECT_EQ(plan->rule_count(), 5u);
  v1::SortRecord county = AssignTo(*plan, "610502");
  EXPECT_EQ(RoutingOf(county),
            (Routing{v1::OUTCOME_SORTED, "C052", "710-50-01", "D11", "R-WN-01", ""}));
  EXPECT_EQ(county.plan_version(), plan->version());
  EXPECT_EQ(AssignTo(*plan, "610503").chute(), "C051");     // city rule
  EXPECT_EQ(AssignTo(*plan, "610102").chute(), "C027");     // province rule
  EXPECT_EQ(AssignTo(*plan, "610502001").chute(), "C052");  // town without a rule: county
}

TEST(SortPlan, RuleOrderInTheFileDoesNotMatter) {
  auto plan =
      MustParse(Files(Rules("610502,,,,0,710-50-01,临渭,C052,D11,R\n"
                            "6105,,,,0,710-05-00,渭南,C051,D11,R\n"
                            "61,,,,0,710-00-27,陕西,C027,D07,R\n")));
  ASSERT_NE(plan, nullptr);
  EXPECT_EQ(AssignTo(*plan, "610502").chute(), "C052");
  EXPECT_EQ(AssignTo(*plan, "610503").chute(), "C051");
}

TEST(SortPlan, NineDigitPrefixWinsForItsTown) {
  auto plan = MustParse(Files(kRules));
  ASSERT_NE(plan, nullptr);
  v1::SortRecord town = AssignTo(*plan, "610502002");
  EXPECT_EQ(town.outcome(), v1::OUTCOME_SORTED);
  EXPECT_EQ(town.chute(), "C053");
  EXPECT_EQ(town.sort_code(), "710-50-02");
}

TEST(SortPlan, AServiceRuleWinsForItsServiceButNotOverALongerPrefix) {
  auto plan = MustParse(Files(kRules));
  ASSERT_NE(plan, nullptr);
  EXPECT_EQ(AssignTo(*plan, "610503", v1::SERVICE_FRESH_PRODUCE).sort_code(), "710-80-00");
  EXPECT_EQ(AssignTo(*plan, "610503", v1::SERVICE_COLD_CHAIN).sort_code(), "710-80-00");
  EXPECT_EQ(AssignTo(*plan, "610503", v1::SERVICE_EXPRESS).sort_code(), "710-05-00");
  EXPECT_EQ(AssignTo(*plan, "610503", v1::SERVICE_CLASS_UNSPECIFIED).sort_code(), "710-05-00");
  EXPECT_EQ(AssignTo(*plan, "610502", v1::SERVICE_FRESH_PRODUCE).sort_code(), "710-50-01");
  EXPECT_EQ(AssignTo(*plan, "610102", v1::SERVICE_FRESH_PRODUCE).sort_code(), "710-00-27");
}

TEST(SortPlan, HigherPrecedenceWinsAtTheSamePrefixBeforeServices) {
  auto plan =
      MustParse(Files(Rules("6105,express,,,1,710-05-01,渭南快递,C051,D11,R\n"
                            "6105,,,,2,710-05-02,渭南,C052,D11,R\n"
                            "6105,economy,,,3,710-05-03,渭南经济,C053,D11,R\n")));
  ASSERT_NE(plan, nullptr);
  EXPECT_EQ(AssignTo(*plan, "610503", v1::SERVICE_EXPRESS).sort_code(), "710-05-02");
  EXPECT_EQ(AssignTo(*plan, "610503", v1::SERVICE_ECONOMY).sort_code(), "710-05-03");
  EXPECT_EQ(AssignTo(*plan, "610503", v1::SERVICE_STANDARD).sort_code(), "710-05-02");
}

TEST(SortPlan, ParcelsOverTheRuleLimitsGoToTheManualChute) {
  auto plan = MustParse(Files(kRules));
  ASSERT_NE(plan, nullptr);
  v1::Order order = OrderTo("610502");
  order.mutable_parcel()->set_weight_g(20000);
  order.mutable_parcel()->set_length_mm(800);
  v1::SortRecord record;
  plan->Assign(order, &record);
  EXPECT_EQ(record.chute(), "C052") << "at the limit is within it";

  order.mutable_parcel()->set_weight_g(20001);
  plan->Assign(order, &record);
  EXPECT_EQ(record.chute(), "C902");
  EXPECT_EQ(record.outcome(), v1::OUTCOME_SORTED);
  EXPECT_EQ(record.sort_code(), "710-50-01") << "the parcel still goes to its destination";
  EXPECT_EQ(record.reason(), "weight 20001 g is over the rule's limit of 20000 g");

  order.mutable_parcel()->set_weight_g(1000);
  order.mutable_parcel()->set_height_mm(801);
  plan->Assign(order, &record);
  EXPECT_EQ(record.chute(), "C902");
  EXPECT_EQ(record.reason(), "side 801 mm is over the rule's limit of 800 mm");
  EXPECT_EQ(*plan->Decide(order).chute, "C902");

  order.mutable_parcel()->set_weight_g(90000);  // the city rule has no limit
  order.mutable_recipient()->set_division_code("610503");
  plan->Assign(order, &record);
  EXPECT_EQ(record.chute(), "C051");
}

TEST(SortPlan, AGroupIsBalancedByTrackingNumberTheSameWayEveryTime) {
  auto plan = MustParse(Files(kRules));
  auto again = MustParse(Files(kRules));
  ASSERT_TRUE(plan && again);
  std::map<std::string, int> counts;
  std::vector<std::string> first_pass;
  const int n = 3000;
  for (int i = 0; i < n; ++i) {
    v1::Order order = OrderTo("610503", v1::SERVICE_FRESH_PRODUCE);
    order.set_tracking_number("EA" + std::to_string(100'000'000 + i * 7) + "CN");
    v1::SortRecord record;
    plan->Assign(order, &record);
    ++counts[record.chute()];
    first_pass.push_back(record.chute());
  }
  EXPECT_EQ(counts.size(), 3u);
  for (const auto& [chute, count] : counts) {
    EXPECT_THAT(chute, MatchesRegex("C06[012]"));
    EXPECT_GT(count, n / 4) << chute;
    EXPECT_LT(count, n * 5 / 12) << chute;
  }
  // Another plan object, orders in reverse: the same chutes.
  for (int i = n - 1; i >= 0; --i) {
    v1::Order order = OrderTo("610503", v1::SERVICE_FRESH_PRODUCE);
    order.set_tracking_number("EA" + std::to_string(100'000'000 + i * 7) + "CN");
    v1::SortRecord record;
    again->Assign(order, &record);
    ASSERT_EQ(record.chute(), first_pass[static_cast<size_t>(i)]);
  }
  // Without a tracking number the order id is the key.
  v1::Order a = OrderTo("610503", v1::SERVICE_FRESH_PRODUCE);
  a.clear_tracking_number();
  std::set<std::string> by_order_id;
  for (int i = 0; i < 60; ++i) {
    a.set_order_id("O" + std::to_string(i));
    by_order_id.insert(*plan->Decide(a).chute);
    EXPECT_EQ(*plan->Decide(a).chute, *again->Decide(a).chute);
  }
  EXPECT_EQ(by_order_id.size(), 3u);
}

TEST(SortPlan, UnreachedDivisionGoesToTheNoRuleChute) {
  auto plan = MustParse(Files(kRules));
  ASSERT_NE(plan, nullptr);
  v1::SortRecord record = AssignTo(*plan, "110101");
  EXPECT_EQ(RoutingOf(record), (Routing{v1::OUTCOME_NO_RULE, "C900", "710-99-99", "D12", "R-HOLD",
                                        "no rule for division code 110101"}));
  EXPECT_EQ(record.plan_version(), plan->version());
  EXPECT_EQ(AssignTo(*plan, "61x502").outcome(), v1::OUTCOME_NO_RULE);
  EXPECT_EQ(AssignTo(*plan, "6105").outcome(), v1::OUTCOME_NO_RULE);
}

TEST(SortPlan, AnOrderWithoutDivisionCodeIsResolvedFromItsNames) {
  auto plan = MustParse(Files(kRules));
  ASSERT_NE(plan, nullptr);
  for (auto [province, city, district] :
       {std::tuple{"陕西省", "渭南市", "临渭区"}, std::tuple{"陕西", "渭南", "临渭"},
        std::tuple{"", "渭南", "临渭区"}}) {
    v1::Order order = OrderTo("");
    order.mutable_recipient()->set_province(province);
    order.mutable_recipient()->set_city(city);
    order.mutable_recipient()->set_district(district);
    v1::SortRecord record;
    plan->Assign(order, &record);
    EXPECT_EQ(record.outcome(), v1::OUTCOME_SORTED) << record.reason();
    EXPECT_EQ(record.chute(), "C052") << province << city << district;
    EXPECT_EQ(record.division_code(), "610502");
  }
}

TEST(SortPlan, AnUnresolvableOrAmbiguousAddressGoesToTheNoRuleChuteWithTheReason) {
  auto plan = MustParse(Files(kRules));
  ASSERT_NE(plan, nullptr);
  v1::Order order = OrderTo("");
  order.mutable_recipient()->set_province("");
  order.mutable_recipient()->set_city("");
  order.mutable_recipient()->set_district("朝阳区");
  v1::SortRecord record;
  plan->Assign(order, &record);
  EXPECT_EQ(record.outcome(), v1::OUTCOME_NO_RULE);
  EXPECT_EQ(record.chute(), "C900");
  EXPECT_THAT(record.reason(),
              AllOf(HasSubstr("ambiguous"), HasSubstr("110105"), HasSubstr("220104")));
  order.mutable_recipient()->set_province("广东省");
  order.mutable_recipient()->set_district("临渭区");
  plan->Assign(order, &record);
  EXPECT_EQ(record.chute(), "C900");
  EXPECT_THAT(record.reason(), HasSubstr("no county named 临渭区 in 广东省"));

  auto without_table = MustParse(Files(kRules), nullptr);
  ASSERT_NE(without_table, nullptr);
  order.mutable_recipient()->set_province("陕西省");
  without_table->Assign(order, &record);
  EXPECT_EQ(record.reason(), "no division code");
}

TEST(SortPlan, RejectUsesTheRejectChuteAndKeepsTheReason) {
  auto plan = MustParse(Files(kRules));
  ASSERT_NE(plan, nullptr);
  v1::SortRecord record;
  plan->Reject("weight must be positive", &record);
  EXPECT_EQ(RoutingOf(record), (Routing{v1::OUTCOME_REJECTED, "C901", "710-99-00", "D12", "R-HOLD",
                                        "weight must be positive"}));
  EXPECT_EQ(record.plan_version(), plan->version());
}

TEST(SortPlan, AReusedRecordIsFullyOverwritten) {
  auto plan = MustParse(Files(kRules));
  ASSERT_NE(plan, nullptr);
  v1::SortRecord record;
  plan->Reject("bad", &record);
  plan->Assign(OrderTo("610502"), &record);
  EXPECT_EQ(record.outcome(), v1::OUTCOME_SORTED);
  EXPECT_EQ(record.reason(), "");
  EXPECT_EQ(record.chute(), "C052");
}

TEST(SortPlan, VersionIsTheContentHashOfEveryFile) {
  auto a = MustParse(Files(kRules));
  auto b = MustParse(Files(kRules));
  std::vector<PlanFile> reordered = Files(kRules);
  std::swap(reordered[0], reordered[2]);
  auto same = MustParse(reordered);
  std::string groups(kGroups);
  groups.replace(groups.find("C062"), 4, "C053");
  auto c = MustParse(Files(kRules, std::string(kChutes), groups));
  std::string chutes(kChutes);
  chutes.replace(chutes.find("C027,normal,400"), 15, "C027,normal,401");
  auto d = MustParse(Files(kRules, chutes));
  ASSERT_TRUE(a && b && same && c && d);
  EXPECT_THAT(a->version(), MatchesRegex("[0-9a-f]{16}"));
  EXPECT_EQ(a->version(), b->version());
  EXPECT_EQ(a->version(), same->version());
  EXPECT_NE(a->version(), c->version());
  EXPECT_NE(a->version(), d->version());
  EXPECT_NE(c->version(), d->version());
}

TEST(SortPlan, TablesAreKnownByTheirHeaderAndMaySpanSeveralFiles) {
  auto plan =
      MustParse({{"b.csv", std::string(kGroups)},
                 {"a.csv", "\xEF\xBB\xBF# comment, with \"quotes\n\n" + std::string(kChutes)},
                 {"national.csv", Rules("61,,,,,710-00-27,陕西,C027,D07,R\n")},
                 {"weinan.csv", Rules("  # indented comment\n"
                                      "6105,,,,,710-05-00,渭南,G-WN,D11,R\r\n")}});
  ASSERT_NE(plan, nullptr);
  EXPECT_EQ(plan->rule_count(), 2u);
  EXPECT_EQ(AssignTo(*plan, "610102").chute(), "C027");
  EXPECT_THAT(AssignTo(*plan, "610502").chute(), MatchesRegex("C06[012]"));
  EXPECT_EQ(plan->RuleSource(plan->Decide(OrderTo("610502")).rule), "weinan.csv:3");
}

TEST(SortPlan, EveryProblemIsReportedWithFileLineAndColumn) {
  std::vector<std::string> problems = Problems({
      {"rules.csv", Rules("61,,,,0,710-00-27,陕西,C027,D07,R-SN\n"             // 2
                          "610,,,,0,710-00-29,x,C027,D07,R\n"                  // 3 prefix length
                          "6199,,,,0,710-01-00,x,C027,D08,R\n"                 // 4 not in table
                          "62,,,,0,710-00,x,C027,D07,R\n"                      // 5 sort code
                          "63,,,,0,710-00-31,x,C999,D07,R\n"                   // 6 unknown chute
                          "64,,,,0,710-00-32,x,C900,D07,R\n"                   // 7 kind
                          "61,,,,0,710-00-33,x,C051,D07,R\n"                   // 8 duplicate
                          "65,frozen,,,0,710-00-34,x,C027,D07,R\n"             // 9 service
                          "65,,heavy,,0,710-00-34,x,C027,D07,R\n"              // 10 limit
                          "65,,,,first,710-00-34,x,C027,D07,R\n"               // 11 precedence
                          "6105,express|economy,,,0,710-05-00,x,C051,D11,R\n"  // 12
                          "6105,economy,,,0,710-05-01,x,C051,D11,R\n"          // 13 overlap
                          "6106,,,,0,710-06-00,x,C051,,\n")},  // 14 dock door, route
      {"chutes.csv",
       "chute,kind,capacity,overflow,sort_code,dock_door,route\n"  // 1
       "C027,normal,400,C950,,,\n"                                 // 2
       "C051,normal,0,C052,,,\n"                                   // 3 capacity, kind
       "C052,normal,400,,710-00-01,,\n"                            // 4 normal with a code
       "C053,chute,400,,,,\n"                                      // 5 unknown kind
       "C027,normal,400,,,,\n"                                     // 6 duplicate
       "C950,overflow,800,C951,,,\n"                               // 7 cycle
       "C951,overflow,800,C950,,,\n"                               // 8
       "C952,overflow,800,C404,,,\n"                               // 9 unknown overflow
       "C900,no-rule,300,,710-99,D12,R\n"                          // 10 special's code
       "C903,no-rule,300,,710-99-98,D12,R\n"},                     // 11 second no-rule
      {"groups.csv",
       "group,chute\n"  // 1
       "G-WN,C051\n"    // 2
       "G-WN,C900\n"    // 3 kind
       "G-WN,C404\n"    // 4 unknown
       "G-WN,C051\n"    // 5 twice
       "C052,C051\n"},  // 6 a chute's name
  });
  EXPECT_THAT(
      problems,
      ::testing::UnorderedElementsAre(
          HasSubstr("rules.csv:3:1: prefix \"610\" is not 2, 4, 6 or 9 digits"),
          HasSubstr("rules.csv:4:1: prefix 6199 is not in the division table"),
          HasSubstr("rules.csv:5:6: sort code \"710-00\" is not three dash-separated"),
          HasSubstr("rules.csv:6:8: unknown chute or group C999"),
          HasSubstr("rules.csv:7:8: chute C900 is a no-rule chute; a rule sends parcels to a "
                    "normal chute"),
          HasSubstr("rules.csv:8:1: rule conflicts with rules.csv:2: same prefix 61, services "
                    "and precedence 0"),
          HasSubstr("rules.csv:9:2: unknown service \"frozen\""),
          HasSubstr("rules.csv:10:3: max_weight_g \"heavy\" is not a positive number"),
          HasSubstr("rules.csv:11:5: precedence \"first\" is not a whole number"),
          HasSubstr("rules.csv:13:1: rule conflicts with rules.csv:12: same prefix 6105 and "
                    "precedence 0 both apply to economy"),
          HasSubstr("rules.csv:14:9: dock door is empty"),
          HasSubstr("rules.csv:14:10: route is empty"),
          HasSubstr("chutes.csv:3:3: capacity \"0\" is not a positive number"),
          HasSubstr("chutes.csv:3:4: overflow C052 of chute C051 is a normal chute"),
          HasSubstr("chutes.csv:4:5: a normal chute takes no sort code"),
          HasSubstr("chutes.csv:5:2: unknown chute kind \"chute\""),
          HasSubstr("chutes.csv:6:1: duplicate chute C027 (first at chutes.csv:2)"),
          HasSubstr("chutes.csv:7:4: overflow chain C950 -> C951 -> C950 is a cycle"),
          HasSubstr("chutes.csv:9:4: unknown overflow chute C404"),
          HasSubstr("chutes.csv:10:5: a no-rule chute needs a sort code"),
          HasSubstr("chutes.csv:11:2: a second no-rule chute C903 (the first is C900"),
          HasSubstr("chutes.csv:1:1: the plan has no reject chute"),
          HasSubstr("groups.csv:3:2: chute C900 is a no-rule chute; a group takes normal "
                    "chutes only"),
          HasSubstr("groups.csv:4:2: unknown chute C404 in group G-WN"),
          HasSubstr("groups.csv:5:2: chute C051 is twice in group G-WN"),
          HasSubstr("groups.csv:6:1: group C052 has the name of a chute")));
}

TEST(SortPlan, MissingRejectAndNoRuleChutesAreBothReported) {
  std::vector<std::string> problems =
      Problems(Files(kRules,
                     "chute,kind,capacity\n"
                     "C027,normal,1\nC051,normal,1\nC052,normal,1\nC053,normal,1\n"
                     "C060,normal,1\nC061,normal,1\nC062,normal,1\nC902,manual,1\n"));
  EXPECT_THAT(problems,
              ::testing::ElementsAre(HasSubstr("chutes.csv:1:1: the plan has no reject chute"),
                                     HasSubstr("chutes.csv:1:1: the plan has no no-rule chute")));
}

TEST(SortPlan, ALimitNeedsAManualChute) {
  std::string chutes(kChutes);
  chutes.erase(chutes.find("C902,manual"));
  EXPECT_THAT(Problems(Files(kRules, chutes)),
              ::testing::ElementsAre(HasSubstr("rules.csv:4:1: the rule has a weight or size "
                                               "limit but the plan has no manual chute")));
}

TEST(SortPlan, PrefixesAreCheckedAgainstTheTableOnlyWhenOneIsGiven) {
  std::string rules = kRules + "99,,,,,710-00-99,x,C027,D01,R\n";
  EXPECT_THAT(Problems(Files(rules)),
              ::testing::ElementsAre(HasSubstr("prefix 99 is not in the division table")));
  auto plan = MustParse(Files(rules), nullptr);
  ASSERT_NE(plan, nullptr);
  EXPECT_EQ(AssignTo(*plan, "990101").sort_code(), "710-00-99");
}

TEST(SortPlan, BadHeadersAndFilesAreReported) {
  EXPECT_THAT(Problems(Files(kRules, "chute,kind,capacity,colour\nC1,reject,1,red\n")),
              ::testing::Contains(HasSubstr("chutes.csv:1:4: unknown column \"colour\"")));
  EXPECT_THAT(Problems(Files("prefix,sort_code,dock_door,route\n61,1-2-3,D,R\n")),
              ::testing::Contains(
                  HasSubstr("rules.csv:1:1: the rules table needs a column \"chute_group\"")));
  EXPECT_THAT(Problems({{"x.csv", "a,b\n1,2\n"}}),
              ::testing::Contains(HasSubstr("x.csv:1:1: not a plan table")));
  EXPECT_THAT(Problems({{"rules.csv", kRules}, {"empty.csv", "# nothing\n"}}),
              ::testing::IsSupersetOf({HasSubstr("empty.csv:1:1: the file is empty"),
                                       HasSubstr("rules.csv:1:1: the plan has no chutes "
                                                 "table")}));
  std::vector<std::string> quoting = Problems(Files(kRules + "62,,,,,\"710-00-28,C027,D07,R\n"));
  EXPECT_THAT(quoting, ::testing::Contains(HasSubstr("rules.csv:7")));
}

TEST(SortPlan, LoadReadsADirectoryOrFilesAndNamesThemInMessages) {
  testing::TempDir dir;
  std::ofstream(dir.file("rules.csv")) << kRules;
  std::ofstream(dir.file("chutes.csv")) << kChutes;
  std::ofstream(dir.file("groups.csv")) << kGroups;
  std::ofstream(dir.file("notes.txt")) << "not a table";
  auto from_dir = SortPlan::Load(dir.path().string(), &Table());
  ASSERT_OK(from_dir);
  auto from_files = SortPlan::LoadFiles(
      {dir.file("rules.csv"), dir.file("groups.csv"), dir.file("chutes.csv")}, &Table());
  ASSERT_OK(from_files);
  EXPECT_EQ((*from_dir)->version(), (*from_files)->version());
  EXPECT_EQ((*from_dir)->version(), MustParse(Files(kRules))->version());

  EXPECT_EQ(SortPlan::Load(dir.file("absent"), &Table()).status().code(), StatusCode::kNotFound);
  std::ofstream(dir.file("rules.csv")) << kRulesHeader << "1,,,,,a-b-c,x,C027,D,R\n";
  auto bad = SortPlan::Load(dir.path().string(), &Table());
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.status().message(), HasSubstr(dir.file("rules.csv") + ":2:1: prefix \"1\""));
}

TEST(SortPlan, CoverageListsTheCountiesAndServicesNoRuleReaches) {
  auto plan =
      MustParse(Files(Rules("61,,,,0,710-00-27,陕西,C027,D07,R-SN\n"
                            "1101,fresh-produce,,,0,710-80-00,北京生鲜,C051,D07,R\n")));
  ASSERT_NE(plan, nullptr);
  std::vector<std::string> unreached = plan->Unreached(Table());
  EXPECT_EQ(unreached.size(), Table().Counties().size() - 107u);  // Shaanxi has 107
  EXPECT_THAT(unreached, ::testing::Contains("110101 东城区 (北京市 北京市): standard, "
                                             "express, economy, cold-chain"));
  EXPECT_THAT(unreached, ::testing::Contains(HasSubstr("450802 港北区 (广西壮族自治区 贵港市): "
                                                       "standard, express, economy, "
                                                       "fresh-produce, cold-chain")));
  for (const std::string& line : unreached) ASSERT_EQ(line.rfind("61", 0), std::string::npos);
}

// Brute force: the rule a scan of every rule picks, with the documented order.
struct TestRule {
  std::string prefix;
  uint32_t services;  // bit per v1::ServiceClass
  bool specific;
  int precedence;
};

int BruteForce(const std::vector<TestRule>& rules, const std::string& code, int service) {
  int best = -1;
  for (size_t i = 0; i < rules.size(); ++i) {
    const TestRule& r = rules[i];
    if (code.compare(0, r.prefix.size(), r.prefix) != 0) continue;
    if (((r.services >> service) & 1u) == 0) continue;
    if (best < 0) {
      best = static_cast<int>(i);
      continue;
    }
    const TestRule& b = rules[static_cast<size_t>(best)];
    if (std::tuple(r.prefix.size(), r.precedence, r.specific) >
        std::tuple(b.prefix.size(), b.precedence, b.specific)) {
      best = static_cast<int>(i);
    }
  }
  return best;
}

TEST(SortPlanProperty, TheChosenRuleIsTheOneABruteForceScanPicks) {
  std::mt19937_64 rng(919);
  const std::vector<const model::Division*>& counties = Table().Counties();
  constexpr std::array<std::string_view, 6> kNames = {"",        "standard",      "express",
                                                      "economy", "fresh-produce", "cold-chain"};
  std::vector<std::string> towns;
  for (size_t i = 0; i < counties.size(); i += 7) {
    for (const model::Division* town : Table().TownsOf(counties[i]->code)) {
      towns.push_back(town->code);
    }
  }
  ASSERT_FALSE(towns.empty());
  // Prefixes at every level, each with one to three rules of distinct precedence or
  // specificity, so that no two rules conflict.
  std::vector<TestRule> rules;
  std::string rows;
  std::set<std::string> used;
  for (int p = 0; p < 900; ++p) {
    const std::string& county = counties[rng() % counties.size()]->code;
    std::string prefix;
    switch (rng() % 4) {
      case 0:
        prefix = county.substr(0, 2);
        break;
      case 1:
        prefix = county.substr(0, 4);
        break;
      case 2:
        prefix = county;
        break;
      default:
        prefix = towns[rng() % towns.size()];
        break;
    }
    if (!used.insert(prefix).second) continue;
    const int count = 1 + static_cast<int>(rng() % 3);
    std::set<int> precedences;
    for (int k = 0; k < count; ++k) {
      TestRule rule{prefix, (1u << 6) - 1, false, static_cast<int>(rng() % 5) - 2};
      if (rng() % 2 == 0) {
        rule.specific = true;
        rule.services = static_cast<uint32_t>(rng() % 63) + 1;
      }
      if (!precedences.insert(rule.precedence * 2 + (rule.specific ? 1 : 0)).second) continue;
      std::string services;
      for (int s = 0; s < 6 && rule.specific; ++s) {
        if (((rule.services >> s) & 1u) == 0) continue;
        if (s == 0) {
          rule.services &= ~1u;  // "unspecified" cannot be named
          continue;
        }
        services += (services.empty() ? "" : "|") + std::string(kNames[static_cast<size_t>(s)]);
      }
      if (rule.specific && services.empty()) continue;
      rows += prefix + "," + services + ",,," + std::to_string(rule.precedence) + ",710-" +
              std::to_string(rules.size() % 100) + "-01,x,C027,D01,R\n";
      rules.push_back(rule);
    }
  }
  auto plan = MustParse(Files(Rules(rows)));
  ASSERT_NE(plan, nullptr);
  ASSERT_EQ(plan->rule_count(), rules.size());
  int sorted = 0;
  for (int i = 0; i < 100'000; ++i) {
    std::string code =
        rng() % 3 == 0 ? towns[rng() % towns.size()] : counties[rng() % counties.size()]->code;
    const int service = static_cast<int>(rng() % 6);
    v1::Order order = OrderTo(code, static_cast<v1::ServiceClass>(service));
    const int expected = BruteForce(rules, code, service);
    Decision decision = plan->Decide(order);
    ASSERT_EQ(decision.rule, expected) << code << " service " << service;
    ASSERT_EQ(decision.outcome, expected < 0 ? v1::OUTCOME_NO_RULE : v1::OUTCOME_SORTED);
    sorted += expected >= 0;
  }
  EXPECT_GT(sorted, 10'000);
}

TEST(ExamplePlan, ReachesEveryCountyForEveryService) {
  auto plan = SortPlan::Load(testing::DefaultPlanPath(), &Table());
  ASSERT_OK(plan);
  EXPECT_EQ(Table().Counties().size(), 2978u);
  EXPECT_THAT((*plan)->Unreached(Table()), ::testing::IsEmpty());
  for (const model::Division* county : Table().Counties()) {
    v1::SortRecord record = AssignTo(**plan, county->code);
    ASSERT_EQ(record.outcome(), v1::OUTCOME_SORTED) << county->code << " " << record.reason();
    ASSERT_THAT(record.sort_code(), MatchesRegex("710-[0-9]{2}-[0-9]{2}"));
    ASSERT_THAT(record.chute(), MatchesRegex("C[0-9]{3}"));
    ASSERT_THAT(record.dock_door(), MatchesRegex("D(0[1-9]|1[0-3])"));
  }
}

TEST(ExamplePlan, WeinanAndGuigangCountiesHaveStationsOfTheirOwn) {
  auto plan = SortPlan::Load(testing::DefaultPlanPath(), &Table());
  ASSERT_OK(plan);
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

TEST(ExamplePlan, HasAFreshProduceRuleAndEveryChuteKind) {
  auto plan = SortPlan::Load(testing::DefaultPlanPath(), &Table());
  ASSERT_OK(plan);
  const SortPlan& p = **plan;
  EXPECT_NE(AssignTo(p, "610102", v1::SERVICE_FRESH_PRODUCE).sort_code(),
            AssignTo(p, "610102", v1::SERVICE_STANDARD).sort_code());
  v1::SortRecord record;
  p.Reject("no read", &record);
  const std::string reject = record.chute();
  const std::string no_rule = AssignTo(p, "").chute();
  v1::Order heavy = OrderTo("610502");
  heavy.mutable_parcel()->set_weight_g(40'000);
  p.Assign(heavy, &record);
  std::set<std::string> specials = {reject, no_rule, record.chute()};
  EXPECT_EQ(specials.size(), 3u);
  std::string chutes;
  ASSERT_OK(DefaultFileSystem().ReadFile(testing::DefaultPlanPath() + "/chutes.csv", &chutes));
  for (const char* kind : {",normal,", ",overflow,", ",reject,", ",no-rule,", ",manual,"}) {
    EXPECT_THAT(chutes, HasSubstr(kind));
  }
}

TEST(ExamplePlan, AssignDoesNotAllocateOnceTheRecordHasRoom) {
  auto plan = SortPlan::Load(testing::DefaultPlanPath(), &Table());
  ASSERT_OK(plan);
  model::OrderGenerator generator(Table(), model::GeneratorOptions{});
  std::vector<v1::Order> orders;
  for (uint64_t i = 0; i < 500; ++i) {
    orders.push_back(generator.Generate(i));
    orders.back().set_tracking_number("EA" + std::to_string(100'000'000 + i) + "CN");
  }
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
  ASSERT_OK(plan);
  model::OrderGenerator generator(Table(), model::GeneratorOptions{});
  v1::SortRecord record;
  for (uint64_t i = 0; i < 2000; ++i) {
    (*plan)->Assign(generator.Generate(i), &record);
    ASSERT_EQ(record.outcome(), v1::OUTCOME_SORTED) << record.reason();
  }
}

}  // namespace
}  // namespace sortline::sort
