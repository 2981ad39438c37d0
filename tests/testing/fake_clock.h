// FakeClock: the one Clock tests drive by hand. Both readings start at `unix_ms` (the
// steady reading as that many milliseconds after the steady clock's epoch) and Advance
// moves both; SetUnixMillis steps the wall clock alone, as an NTP correction would, so a
// test can show that durations do not follow it.
//
// Thread-safety: thread-safe; the service under test may read it while the test moves it.
#ifndef TESTS_TESTING_FAKE_CLOCK_H_
#define TESTS_TESTING_FAKE_CLOCK_H_

#include <atomic>
#include <chrono>
#include <cstdint>

#include "pipeline/base/clock.h"

namespace sortline::testing {

class FakeClock final : public Clock {
 public:
  // A fixed moment (2026-09-21 UTC), so records stamped by it are the same in every run.
  static constexpr int64_t kDefaultUnixMillis = 1'790'000'000'000;

  explicit FakeClock(int64_t unix_ms = kDefaultUnixMillis)
      : steady_ms_(unix_ms), unix_ms_(unix_ms) {}

  std::chrono::steady_clock::time_point Now() const override {
    return std::chrono::steady_clock::time_point(std::chrono::milliseconds(steady_ms_.load()));
  }
  int64_t UnixMillis() const override { return unix_ms_.load(); }

  // Moves both readings forward by `by`.
  void Advance(std::chrono::milliseconds by) {
    steady_ms_ += by.count();
    unix_ms_ += by.count();
  }
  // Sets the wall clock alone (either direction); the steady reading stays.
  void SetUnixMillis(int64_t unix_ms) { unix_ms_ = unix_ms; }

 private:
  std::atomic<int64_t> steady_ms_;
  std::atomic<int64_t> unix_ms_;
};

}  // namespace sortline::testing

#endif  // TESTS_TESTING_FAKE_CLOCK_H_
