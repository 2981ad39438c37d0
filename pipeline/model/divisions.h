// The GB/T 2260 division table (National Bureau of Statistics 2023): provinces (2-digit
// codes), cities (4), counties (6) and towns/streets (9), read from the CSV files the
// project ships under deploy/data/china-divisions/.
//
// Thread-safety: immutable after Load; safe to share across threads.
#ifndef PIPELINE_MODEL_DIVISIONS_H_
#define PIPELINE_MODEL_DIVISIONS_H_

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "pipeline/base/result.h"

namespace sortline::model {

enum class DivisionLevel { kProvince = 2, kCity = 4, kCounty = 6, kTown = 9 };

struct Division {
  std::string code;  // 2, 4, 6 or 9 digits
  std::string name;  // e.g. "临渭区"
  DivisionLevel level;
};

// The names of a county or town code from province down, e.g.
// {"陕西省", "渭南市", "临渭区", ""} for 610502. The table's placeholder cities are
// replaced by what an address would say: the municipality for "市辖区" and "县"
// ({"北京市", "北京市", "东城区", ""} for 110101), and the county-level city itself
// for "省直辖县级行政区划" ({"湖北省", "仙桃市", "仙桃市", ""} for 429004). A printer
// may therefore skip a part equal to the one before it.
struct DivisionPath {
  std::string province;
  std::string city;
  std::string county;
  std::string town;
};

class DivisionTable {
 public:
  // Reads provinces.csv, cities.csv, areas.csv and (when `with_towns`) streets.csv from
  // `dir`. Errors name the file and line.
  static Result<std::unique_ptr<DivisionTable>> Load(const std::string& dir,
                                                     bool with_towns = true);

  virtual ~DivisionTable() = default;

  // nullptr when `code` is not in the table.
  virtual const Division* Find(std::string_view code) const = 0;
  // REQUIRES: Find(code) != nullptr for a 6- or 9-digit code.
  virtual DivisionPath PathOf(std::string_view code) const = 0;

  // All counties (6-digit), in code order. 2,978 in the shipped table.
  virtual const std::vector<const Division*>& Counties() const = 0;
  // The towns of a county, in code order; empty when not loaded.
  virtual std::vector<const Division*> TownsOf(std::string_view county_code) const = 0;

  virtual size_t size() const = 0;
};

}  // namespace sortline::model

#endif  // PIPELINE_MODEL_DIVISIONS_H_
