// What the libFuzzer targets share: the shipped division table and plan (loaded once),
// splitting one input into several files at a marker line, and files on tmpfs for the
// parsers that read paths.
//
// Thread-safety: libFuzzer runs a target on one thread; these helpers assume it.
#ifndef TESTS_FUZZ_FUZZ_SUPPORT_H_
#define TESTS_FUZZ_FUZZ_SUPPORT_H_

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "pipeline/model/divisions.h"
#include "pipeline/sort/sort_plan.h"

namespace sortline::fuzz {

// Stops the fuzzer with a message: a property the target checks does not hold.
[[noreturn]] inline void Fail(const std::string& what) {
  std::fprintf(stderr, "fuzz property violated: %s\n", what.c_str());
  std::abort();
}
inline void Check(bool ok, const std::string& what) {
  if (!ok) Fail(what);
}

// The table and plan the project ships (deploy/), loaded on first use.
const model::DivisionTable& ShippedDivisions();
const sort::SortPlan& ShippedPlan();

// The parts of `data` between lines that are exactly kFileMarker ("=====" alone on a
// line); at most `max_parts`, the last taking the rest.
inline constexpr std::string_view kFileMarker = "\n=====\n";
std::vector<std::string_view> SplitFiles(std::string_view data, size_t max_parts);
// SplitFiles(data, 4) as the files of a plan directory, named `stem`0.csv, `stem`1.csv...
std::vector<sort::PlanFile> SplitPlanFiles(std::string_view data, std::string_view stem);

// A directory of this process under /dev/shm (or $TMPDIR), removed with its contents at
// exit.
const std::string& TempDirectory();
// TempDirectory()/`name`, rewritten with `content` on each call.
std::string WriteTempFile(const std::string& name, std::string_view content);

// Seed corpora. Each target defines WriteSeeds; run a target with the environment
// variable SORTLINE_FUZZ_WRITE_SEEDS=DIR and it writes its seeds (real generated data,
// the shipped plan and tables) into DIR and exits, before fuzzing starts. run.sh
// --seeds does this for every target into tests/fuzz/corpus/TARGET/.
using SeedWriter = std::function<void(const std::string& name, std::string_view bytes)>;
void WriteSeeds(const SeedWriter& write);

// The source tree's deploy/ (the shipped plan, dock tables) and test data.
std::string SourcePath(const std::string& relative);

}  // namespace sortline::fuzz

#endif  // TESTS_FUZZ_FUZZ_SUPPORT_H_
