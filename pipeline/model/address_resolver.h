// Resolving an address's province / city / district names to its GB/T 2260 county code,
// for orders that arrive without a division code. Accepts the names as the division
// table writes them ("渭南市", "广西壮族自治区") and the usual short forms ("渭南",
// "广西", "延边" for 延边朝鲜族自治州, "临渭" for 临渭区). A municipality's city may be
// given as the municipality itself ("北京市") and a county-level city administered by its
// province as the city ("仙桃市", with or without the district).
//
// Thread-safety: immutable after Create; Resolve may be called from any thread.
#ifndef PIPELINE_MODEL_ADDRESS_RESOLVER_H_
#define PIPELINE_MODEL_ADDRESS_RESOLVER_H_

#include <memory>
#include <string>
#include <string_view>

#include "pipeline/base/result.h"
#include "pipeline/model/divisions.h"

namespace sortline::model {

class AddressResolver {
 public:
  // Indexes the counties of `divisions`; the table is only read during Create.
  static std::unique_ptr<AddressResolver> Create(const DivisionTable& divisions);

  virtual ~AddressResolver() = default;

  // The 6-digit county code the names designate. Empty names are wildcards, but the
  // district (or, for a county-level city, the city) must be given. kNotFound when no
  // county matches ("no county named 临渭区 in 广东省"), kInvalidArgument when several do
  // ("ambiguous address: 朝阳区 is 110105 (北京市), 220104 (长春市)").
  virtual Result<std::string> Resolve(std::string_view province, std::string_view city,
                                      std::string_view district) const = 0;

  // The short form of a division name: "渭南市" -> "渭南", "广西壮族自治区" -> "广西",
  // "延边朝鲜族自治州" -> "延边", "临渭区" -> "临渭". The name itself when no suffix
  // can be dropped (or dropping it would leave a single character, as for "城区").
  static std::string ShortName(std::string_view name);
};

}  // namespace sortline::model

#endif  // PIPELINE_MODEL_ADDRESS_RESOLVER_H_
