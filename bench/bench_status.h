// Skipping a benchmark on an error: when what a benchmark measures cannot be set up, or
// fails while it is timed, the benchmark is reported with the error instead of figures.
//
// Thread-safety: as benchmark::State (the benchmark's own thread).
#ifndef BENCH_BENCH_STATUS_H_
#define BENCH_BENCH_STATUS_H_

#include <memory>
#include <utility>

#include <benchmark/benchmark.h>

#include "pipeline/base/result.h"
#include "pipeline/base/status.h"

namespace sortline::bench {

// True when `status` is OK; otherwise skips the benchmark with it and returns false. The
// caller then returns (or leaves its timing loop): SkipWithError does not end the loop.
inline bool OkOrSkip(benchmark::State& state, const Status& status) {
  if (status.ok()) return true;
  state.SkipWithError(status.ToString().c_str());
  return false;
}

// As above, for the status of `result`.
template <typename T>
bool OkOrSkip(benchmark::State& state, const Result<T>& result) {
  return OkOrSkip(state, result.status());
}

// What `result` holds; null, and the benchmark skipped with the error, when it holds
// nothing.
template <typename T>
std::unique_ptr<T> ValueOrSkip(benchmark::State& state, Result<std::unique_ptr<T>> result) {
  if (!OkOrSkip(state, result)) return nullptr;
  return std::move(result).value();
}

}  // namespace sortline::bench

#endif  // BENCH_BENCH_STATUS_H_
