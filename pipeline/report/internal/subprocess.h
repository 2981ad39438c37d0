// Runs a helper program (gnuplot, pdftoppm, pdfinfo) with bytes on its standard input
// and collects its standard output, for the report's charts and sample pictures.
//
// Thread-safety: RunProgram is reentrant; each call owns its pipes and child.
#ifndef PIPELINE_REPORT_INTERNAL_SUBPROCESS_H_
#define PIPELINE_REPORT_INTERNAL_SUBPROCESS_H_

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "pipeline/base/result.h"

namespace sortline::report::internal {

struct ProgramOutput {
  int exit_code = -1;  // 128 + signal when a signal ended it
  std::string out;     // standard output
  std::string err;     // standard error, for the error message
};

// Starts argv[0] (looked up on PATH), writes `input` to its standard input, closes it,
// and reads standard output and error until the program exits. A program still running
// after `timeout` is killed (SIGKILL) and the result is kUnavailable; a program that
// cannot be started is kNotFound naming it. A nonzero exit is not an error here: the
// caller reads exit_code.
Result<ProgramOutput> RunProgram(const std::vector<std::string>& argv, std::string_view input,
                                 std::chrono::milliseconds timeout);

}  // namespace sortline::report::internal

#endif  // PIPELINE_REPORT_INTERNAL_SUBPROCESS_H_
