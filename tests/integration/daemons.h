// Starting the built executables for integration tests: their paths, loopback endpoints
// on free ports, and the dock + intake pair every multi-process test needs.
//
// Thread-safety: used from one test thread.
#ifndef TESTS_INTEGRATION_DAEMONS_H_
#define TESTS_INTEGRATION_DAEMONS_H_

#include <memory>
#include <string>
#include <vector>

#include "tests/testing/process.h"
#include "tests/testing/testing.h"

namespace sortline::testing {

// The path of a built executable (sortline, sortline-intake, ...).
inline std::string Bin(const std::string& name) {
  return std::string(SORTLINE_BIN_DIR) + "/" + name;
}

inline std::string Endpoint(int port) { return "tcp://127.0.0.1:" + std::to_string(port); }

// Free loopback ports for the submit, work, records and conveyor channels.
struct PipelinePorts {
  int submit = FreeLoopbackPort();
  int work = FreeLoopbackPort();
  int records = FreeLoopbackPort();
  int conveyor = FreeLoopbackPort();
};

// Starts sortline-dock and sortline-intake on `ports` with their databases in `dir` and
// their output appended to `log`; the dock's other endpoints get OS-chosen ports.
inline void StartDockAndIntake(const PipelinePorts& ports, const TempDir& dir,
                               const std::string& log,
                               std::vector<std::unique_ptr<Subprocess>>& daemons) {
  daemons.push_back(std::make_unique<Subprocess>(
      std::vector<std::string>{Bin("sortline-dock"), "--records", Endpoint(ports.records),
                               "--conveyor", Endpoint(ports.conveyor), "--db", dir.file("dock.db"),
                               "--events", "tcp://127.0.0.1:0", "--telegram-port", "0",
                               "--metrics-port", "0", "--manifests", dir.file("manifests")},
      log));
  daemons.push_back(std::make_unique<Subprocess>(
      std::vector<std::string>{Bin("sortline-intake"), "--submit", Endpoint(ports.submit), "--work",
                               Endpoint(ports.work), "--journal", dir.file("intake.db")},
      log));
}

}  // namespace sortline::testing

#endif  // TESTS_INTEGRATION_DAEMONS_H_
