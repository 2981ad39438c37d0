// A sort plan: which chute, sort code, dock door and route each parcel gets.
//
// File format (CSV with a header row, read with libcsv; '#' lines are comments):
//   kind,prefix,sort_code,chute,dock_door,route
//   rule,61,710-00-00,C010,D01,R-SN        a division-code prefix (2, 4, 6 or 9 digits)
//   rule,6105,710-05-00,C051,D05,R-WN
//   no-rule,,999-99-99,C900,D09,R-HOLD     exactly one: orders no rule reaches
//   reject,,000-00-00,C901,D09,R-HOLD      exactly one: invalid orders
// The longest matching prefix wins. The plan version is the content hash of the file.
//
// Thread-safety: a loaded SortPlan is immutable; Assign may be called from any thread.
#ifndef PIPELINE_SORT_SORT_PLAN_H_
#define PIPELINE_SORT_SORT_PLAN_H_

#include <memory>
#include <string>
#include <string_view>

#include "pipeline/base/result.h"
#include "pipeline/model/divisions.h"
#include "proto/order.pb.h"
#include "proto/record.pb.h"

namespace sortline::sort {

class SortPlan {
 public:
  // Parses and validates `text`. Every problem is reported (not only the first), one per
  // line of the message, each as "SOURCE:LINE: problem"; a missing no-rule or reject row
  // is reported on the last line. `divisions` may be null; when given, a prefix must
  // name a division in it. Malformed CSV quoting ends the parse at that line.
  static Result<std::unique_ptr<SortPlan>> Parse(std::string_view text, std::string_view source,
                                                 const model::DivisionTable* divisions);
  static Result<std::unique_ptr<SortPlan>> Load(const std::string& path,
                                                const model::DivisionTable* divisions);

  virtual ~SortPlan() = default;

  // Fills chute, sort_code, dock_door, route, plan_version, outcome and reason of
  // `record` for `order`, from the recipient's division code: OUTCOME_SORTED with the
  // longest-prefix rule, or OUTCOME_NO_RULE with the no-rule chute and a reason ("no
  // division code", "no rule for division code 659012"). Never fails; validation of the
  // order is the caller's business. Allocates only when a record string lacks room.
  virtual void Assign(const v1::Order& order, v1::SortRecord* record) const = 0;

  // Fills `record` for an order that failed validation: the reject chute,
  // OUTCOME_REJECTED and `reason`.
  virtual void Reject(std::string_view reason, v1::SortRecord* record) const = 0;

  // Content hash of the plan text, 16 hex digits.
  virtual const std::string& version() const = 0;
  // The number of `rule` rows; the no-rule and reject rows are not counted.
  virtual size_t rule_count() const = 0;
};

}  // namespace sortline::sort

#endif  // PIPELINE_SORT_SORT_PLAN_H_
