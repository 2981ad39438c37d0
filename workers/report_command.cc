// `sortline report`: the HTML report of a run (or any report page given as data).
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "pipeline/report/report.h"
#include "workers/commands.h"
#include "workers/common.h"

namespace sortline::cli {
namespace {

constexpr char kProgram[] = "sortline report";

struct ReportCliOptions {
  report::ReportOptions report;
  std::string page;  // a whole page as JSON instead of a run
  std::string divisions = kDefaultDivisions;
};

int Report(ReportCliOptions& options) {
  if (!options.page.empty()) {
    if (options.report.out.empty()) {
      return Fatal(kProgram, InvalidArgument("--page needs -o FILE"));
    }
    Status written = report::WritePageReport(options.page, options.report.out);
    if (!written.ok()) return Fatal(kProgram, written);
    std::printf("report: %s\n", options.report.out.c_str());
    return kExitOk;
  }
  if (options.report.run.empty()) {
    return Fatal(kProgram, InvalidArgument("give a run directory (or --page FILE)"));
  }
  // Province names only: the towns are not needed.
  Result<std::unique_ptr<model::DivisionTable>> divisions =
      model::DivisionTable::Load(options.divisions, /*with_towns=*/false);
  if (!divisions.ok()) return Fatal(kProgram, divisions.status());
  Result<std::string> out = report::WriteRunReport(options.report, divisions->get());
  if (!out.ok()) return Fatal(kProgram, out.status());
  std::printf("report: %s\n", out->c_str());
  return kExitOk;
}

}  // namespace

Command AddReportCommand(CLI::App& app) {
  auto options = std::make_shared<ReportCliOptions>();
  CLI::App* cmd = app.add_subcommand(
      "report",
      "Write one self-contained HTML report of a run: headline, charts (drawn with gnuplot), "
      "sample labels, failures. RUN is the output directory of `sortline run` or the file "
      "of `sortline submit --summary`; sections in RUN/report.d/*.json are added.");
  cmd->add_option("run", options->report.run, "Run directory or summary file");
  cmd->add_option("-o,--out", options->report.out, "Report file (default RUN/report.html)");
  cmd->add_option("--section", options->report.section_files,
                  "Also draw this section file (sortline.v1.ReportSection as JSON); repeatable");
  cmd->add_option("--samples", options->report.samples, "Sample labels shown")
      ->capture_default_str()
      ->check(CLI::Range(0, 50));
  cmd->add_option("--divisions", options->divisions, "Division table directory")
      ->capture_default_str();
  cmd->add_option("--page", options->page,
                  "Draw this page (sortline.v1.ReportPage as JSON) instead of a run")
      ->excludes("run");
  return {cmd, [options] { return Report(*options); }};
}

}  // namespace sortline::cli
