// The division-name resolver: orders without a division code are routed by their
// province, city and district names (full or short forms) against the shipped table.
// Properties: nothing crashes; a resolved code is a county of the table; a failure says
// why in valid UTF-8 of bounded length (it reaches records and the report); ShortName
// returns a suffix-free prefix of valid UTF-8 input.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include <fuzzer/FuzzedDataProvider.h>

#include "pipeline/base/text.h"
#include "pipeline/model/address_resolver.h"
#include "pipeline/model/orders.h"
#include "tests/fuzz/fuzz_support.h"

namespace sortline::fuzz {

// The names of generated recipients, full and short, as FuzzedDataProvider reads three
// strings ("\\ " ends one).
void WriteSeeds(const SeedWriter& write) {
  model::OrderGenerator generator(ShippedDivisions(), model::GeneratorOptions{});
  for (uint64_t i = 0; i < 16; ++i) {
    const v1::Address to = generator.Generate(i).recipient();
    write("full-" + std::to_string(i), to.province() + "\\ " + to.city() + "\\ " + to.district());
    write("short-" + std::to_string(i), model::AddressResolver::ShortName(to.province()) +
                                            "\\ \\ " +
                                            model::AddressResolver::ShortName(to.district()));
  }
  write("ambiguous", "\\ \\ 朝阳区");
}

}  // namespace sortline::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace sortline;
  static const model::AddressResolver* resolver =
      model::AddressResolver::Create(fuzz::ShippedDivisions()).release();
  FuzzedDataProvider provider(data, size);
  const std::string province = provider.ConsumeRandomLengthString(64);
  const std::string city = provider.ConsumeRandomLengthString(64);
  const std::string district = provider.ConsumeRemainingBytesAsString();
  Result<std::string> code = resolver->Resolve(province, city, district);
  if (code.ok()) {
    fuzz::Check(fuzz::ShippedDivisions().Find(*code) != nullptr,
                "resolved to a code the table lacks: " + *code);
  } else {
    const std::string& message = code.status().message();
    fuzz::Check(IsValidUtf8(message), "a resolver error is not UTF-8");
    fuzz::Check(message.find('\0') == std::string::npos, "a resolver error holds a NUL");
    fuzz::Check(message.size() < 4096, "a resolver error of " + std::to_string(message.size()));
  }
  for (const std::string* name : {&province, &city, &district}) {
    const std::string shorter = model::AddressResolver::ShortName(*name);
    fuzz::Check(shorter.size() <= name->size(), "ShortName grew a name");
    fuzz::Check(name->compare(0, shorter.size(), shorter) == 0, "ShortName is not a prefix");
    if (IsValidUtf8(*name)) fuzz::Check(IsValidUtf8(shorter), "ShortName cut a character");
  }
  return 0;
}
