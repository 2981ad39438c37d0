#include "pipeline/report/report.h"

#include <algorithm>
#include <filesystem>

#include <google/protobuf/util/json_util.h>

#include "pipeline/base/file.h"
#include "pipeline/report/html.h"
#include "pipeline/report/run_data.h"

namespace sortline::report {
namespace {

namespace fs = std::filesystem;

// `json` as `message`, every field known (a typo in a hand-written file is an error).
Status ParseStrict(const std::string& json, google::protobuf::Message& message) {
  const auto parsed = google::protobuf::util::JsonStringToMessage(json, &message);
  return parsed.ok() ? Status::Ok() : InvalidArgument(std::string(parsed.message()));
}

// <run dir>/report.d/*.json in name order; none when the folder is absent.
std::vector<std::string> ReportDirFiles(const std::string& run_dir) {
  std::vector<std::string> files;
  std::error_code ec;
  for (const fs::directory_entry& e : fs::directory_iterator(fs::path(run_dir) / "report.d", ec)) {
    if (e.path().extension() == ".json" && e.path().filename().string()[0] != '.') {
      files.push_back(e.path().string());
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

}  // namespace

Result<std::vector<v1::ReportSection>> ReadSectionFile(const std::string& path) {
  std::string json;
  Status read = DefaultFileSystem().ReadFile(path, &json);
  if (!read.ok()) return read.WithContext("report section file");
  v1::ReportSection section;
  Status as_section = ParseStrict(json, section);
  if (as_section.ok()) return std::vector<v1::ReportSection>{std::move(section)};
  v1::ReportPage page;
  if (ParseStrict(json, page).ok()) {
    return std::vector<v1::ReportSection>(page.sections().begin(), page.sections().end());
  }
  return InvalidArgument(
      path + ": not a sortline.v1.ReportSection (nor a ReportPage): " + as_section.message());
}

Result<std::string> WriteRunReport(const ReportOptions& options,
                                   const model::DivisionTable* divisions) {
  LoadOptions load;
  load.samples = options.samples;
  SORTLINE_ASSIGN_OR_RETURN(RunData run, LoadRun(options.run, load));
  SORTLINE_ASSIGN_OR_RETURN(v1::ReportPage page, BuildRunPage(run, divisions, options.page));
  std::vector<std::string> files;
  if (options.read_report_dir) files = ReportDirFiles(run.dir);
  files.insert(files.end(), options.section_files.begin(), options.section_files.end());
  for (const std::string& file : files) {
    SORTLINE_ASSIGN_OR_RETURN(std::vector<v1::ReportSection> sections, ReadSectionFile(file));
    for (v1::ReportSection& s : sections) *page.add_sections() = std::move(s);
  }
  SORTLINE_ASSIGN_OR_RETURN(std::unique_ptr<Plotter> plotter, Plotter::Open(options.plotter));
  SORTLINE_ASSIGN_OR_RETURN(std::string html, RenderHtml(page, *plotter));
  const std::string out =
      options.out.empty() ? (fs::path(run.dir) / "report.html").string() : options.out;
  SORTLINE_RETURN_IF_ERROR(DefaultFileSystem().WriteFileAtomically(out, html, Durability::kNone));
  return out;
}

Status WritePageReport(const std::string& page_json, const std::string& out,
                       const PlotterOptions& plotter_options) {
  std::string json;
  SORTLINE_RETURN_IF_ERROR(DefaultFileSystem().ReadFile(page_json, &json));
  v1::ReportPage page;
  Status parsed = ParseStrict(json, page);
  if (!parsed.ok())
    return InvalidArgument(page_json + ": not a sortline.v1.ReportPage: " + parsed.message());
  SORTLINE_ASSIGN_OR_RETURN(std::unique_ptr<Plotter> plotter, Plotter::Open(plotter_options));
  SORTLINE_ASSIGN_OR_RETURN(std::string html, RenderHtml(page, *plotter));
  return DefaultFileSystem().WriteFileAtomically(out, html, Durability::kNone);
}

}  // namespace sortline::report
