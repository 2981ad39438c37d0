// pipeline/sort owns sorting: the sort plan (here; its tables are read and checked in
// internal/) and serving a plan that can be replaced while orders flow (plan_holder.h).
//
// A sort plan: which chute, sort code, dock door and route each parcel gets.
//
// A plan is a set of CSV tables an operations team edits in a spreadsheet (read with
// libcsv; '#' lines are comments), usually the files of one directory:
//
// chutes.csv   chute,kind,capacity,overflow,sort_code,dock_door,route[,exit]
//   C051,normal,400,C960,,,            kinds: normal, overflow, reject (also no-reads),
//   C960,overflow,800,,,,                     no-rule, manual (over-limit parcels)
//   C901,reject,300,,710-99-00,D12,R-HOLD      reject and no-rule chutes (exactly one
//   C900,no-rule,300,,710-99-99,D12,R-HOLD     each) carry the sort code, dock door and
//   C902,manual,100,,,,                        route of their parcels; at most one manual
// groups.csv   group,chute                     chute, required when a rule has a limit
//   G-WN,C051                          several normal chutes serving one destination
//   G-WN,C052
// rules.csv    prefix,services,max_weight_g,max_side_mm,precedence,sort_code,destination,
//              chute_group,dock_door,route
//   61,,,,0,710-08-00,陕西,C027,D08,R-SN
//   6105,fresh-produce|cold-chain,30000,1200,1,710-50-00,渭南生鲜,G-WN,D11,R-WN-01
// doors.csv    door,routes,truck_max_weight_kg,truck_max_volume_m3,departures
//   D11,R-WN-01|R-WN-02,12000,60,06:30|13:00|21:30
//
// The chutes table's optional exit column is the number the sorter's telegrams know the
// chute by (1..254, each used once); without the column a chute's exit is the number at
// the end of its name when that is 1..254. With the column every chute needs one, given
// or from its name. The doors table (optional) is the loading dock: each door's routes
// (for records without a door), what one truck there takes, and the times of day (hub
// time, China Standard Time, UTC+08:00) its trucks leave. When the plan has one, every
// door a rule or a special chute names must be in it, and a route it lists must not be
// given another door by a rule.
//
// A table is recognised by its header, so a plan may spread its rules over several
// files. Matching: among the rules whose prefix (2, 4, 6 or 9 digits) starts the
// recipient's division code and whose services (empty: every service) include the
// order's, the longest prefix wins, then the higher precedence, then a rule naming its
// services over one that does not. chute_group names a group or a single normal chute;
// a group's chutes are balanced by a hash of the tracking number (the order id when
// there is none), so the same plan and orders always give the same chutes. A parcel
// heavier than max_weight_g or with a side longer than max_side_mm goes to the manual
// chute. The plan version is a content hash over all its files.
//
// Thread-safety: a loaded SortPlan is immutable; every method may be called from any
// thread.
#ifndef PIPELINE_SORT_SORT_PLAN_H_
#define PIPELINE_SORT_SORT_PLAN_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "pipeline/base/result.h"
#include "pipeline/model/divisions.h"
#include "proto/dock.pb.h"
#include "proto/order.pb.h"
#include "proto/record.pb.h"

namespace sortline::sort {

// One plan table: `name` is what errors call it (a path), `text` its CSV content.
struct PlanFile {
  std::string name;
  std::string text;
};

// What a plan decides for one order, before anything is written to a record.
struct Decision {
  v1::Outcome outcome = v1::OUTCOME_UNSPECIFIED;
  int32_t rule = -1;  // index of the rule, counting in file and row order; -1: none
  const std::string* chute = nullptr;  // owned by the plan
};

// The telegram exit a chute's name gives when the plan gives none: the number at the end
// of the name when it is 1..254 ("C051" -> 51), else 0.
uint32_t ExitFromChuteName(std::string_view chute);

class SortPlan {
 public:
  // Parses and validates the tables in `files`. Every problem is reported, not only the
  // first, one per line of the message, each as "NAME:LINE:COLUMN: problem" (COLUMN is
  // the 1-based CSV field; whole-plan problems point at the chutes table's header).
  // `divisions` may be null; when given, a prefix must name a division in it and orders
  // without a division code are resolved from their province/city/district names.
  static Result<std::unique_ptr<SortPlan>> Parse(const std::vector<PlanFile>& files,
                                                 const model::DivisionTable* divisions);
  // Reads the plan from `paths`: CSV files, or directories whose *.csv files are read.
  // kNotFound / kIoError when a path cannot be read.
  static Result<std::unique_ptr<SortPlan>> LoadFiles(const std::vector<std::string>& paths,
                                                     const model::DivisionTable* divisions);
  static Result<std::unique_ptr<SortPlan>> Load(const std::string& path,
                                                const model::DivisionTable* divisions) {
    return LoadFiles({path}, divisions);
  }
  // The files LoadFiles reads for `paths`: each file as given, each directory's *.csv
  // files in name order. kNotFound when a path does not exist or a directory has none.
  static Result<std::vector<std::string>> ListFiles(const std::vector<std::string>& paths);

  virtual ~SortPlan() = default;

  // Fills chute, sort_code, dock_door, route, plan_version, outcome and reason of
  // `record` for `order`: OUTCOME_SORTED with the matching rule (its manual chute with a
  // reason when the parcel is over the rule's limit), or OUTCOME_NO_RULE with the
  // no-rule chute and a reason ("no rule for division code 659012", "no county named
  // X"). When the division code had to be resolved from names, division_code too.
  // Never fails; validation of the order is the caller's business. Allocates only when
  // a record string lacks room or names are resolved.
  virtual void Assign(const v1::Order& order, v1::SortRecord* record) const = 0;

  // The rule and chute `order` gets, without a record: what Assign writes, minus the
  // strings. Orders without a division code are not resolved here (OUTCOME_NO_RULE).
  virtual Decision Decide(const v1::Order& order) const = 0;

  // Fills `record` for an order that failed validation: the reject chute,
  // OUTCOME_REJECTED and `reason`.
  virtual void Reject(std::string_view reason, v1::SortRecord* record) const = 0;

  // Content hash of the plan files, 16 hex digits.
  virtual const std::string& version() const = 0;
  // The number of rules.
  virtual size_t rule_count() const = 0;
  // "NAME:LINE" of rule `index` (as Decision::rule), for reports and tests.
  virtual std::string RuleSource(int32_t index) const = 0;

  // The chutes in plan order as the dock serves them: kind (see v1::ChuteConfig for the
  // mapping), capacity, overflow, telegram exit number (0 when it has none) and, for
  // reject and no-rule chutes, their dock door.
  virtual const std::vector<v1::ChuteConfig>& chutes() const = 0;
  // The doors of the doors table in plan order; empty when the plan has none.
  virtual const std::vector<v1::DoorConfig>& doors() const = 0;

  // The counties of `divisions` that no rule reaches for at least one service class,
  // each as "610502 临渭区 (陕西省 渭南市): standard, express" listing the services left
  // without a rule; in code order.
  virtual std::vector<std::string> Unreached(const model::DivisionTable& divisions) const = 0;
};

}  // namespace sortline::sort

#endif  // PIPELINE_SORT_SORT_PLAN_H_
