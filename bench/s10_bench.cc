// UPU S10 tracking numbers: check digit, formatting, validation and issuing.
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "bench/bench_status.h"
#include "pipeline/model/s10.h"

namespace sortline::model {
namespace {

void BM_S10CheckDigit(benchmark::State& state) {
  uint32_t serial = 47312482;
  for (auto _ : state) {
    benchmark::DoNotOptimize(S10CheckDigit(serial));
    serial = (serial + 7'919) % 100'000'000;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_S10CheckDigit);

void BM_FormatS10(benchmark::State& state) {
  uint32_t serial = 47312482;
  for (auto _ : state) {
    std::string number = FormatS10("EA", serial, "CN");
    benchmark::DoNotOptimize(number);
    serial = (serial + 7'919) % 100'000'000;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_FormatS10);

void BM_ValidateS10(benchmark::State& state) {
  std::vector<std::string> numbers;
  for (uint32_t i = 0; i < 1024; ++i) numbers.push_back(FormatS10("EA", i * 97'651, "CN"));
  size_t i = 0;
  for (auto _ : state) {
    Status status = ValidateS10(numbers[i++ & 1023]);
    benchmark::DoNotOptimize(status);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ValidateS10);

void BM_S10IssuerNext(benchmark::State& state) {
  Result<S10Issuer> issuer = S10Issuer::Create(S10Range{}, 1);
  if (!bench::OkOrSkip(state, issuer)) return;
  for (auto _ : state) {
    Result<std::string> number = issuer->Next();
    benchmark::DoNotOptimize(number);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_S10IssuerNext);

}  // namespace
}  // namespace sortline::model
