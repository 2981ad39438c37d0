#include "pipeline/report/run_data.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <unordered_set>

#include <google/protobuf/util/json_util.h>

#include "pipeline/base/file.h"

namespace sortline::report {
namespace {

namespace fs = std::filesystem;

Status ParseJson(const std::string& json, google::protobuf::Message& message,
                 const std::string& where) {
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = true;  // a newer writer's fields are not an error
  const auto parsed = google::protobuf::util::JsonStringToMessage(json, &message, options);
  if (!parsed.ok()) {
    return InvalidArgument(where + ": not a " + message.GetTypeName() + ": " +
                           std::string(parsed.message()));
  }
  return Status::Ok();
}

// Keeps up to `wanted` records: first one of each outcome, then one per dock door.
class SamplePicker {
 public:
  explicit SamplePicker(size_t wanted) : wanted_(wanted) {}

  void Offer(const v1::SortRecord& record) {
    if (record.label().path().empty() || samples_.size() >= wanted_) return;
    const bool new_outcome = outcomes_.insert(record.outcome()).second;
    const bool new_door = doors_.insert(record.dock_door()).second;
    if (new_outcome || (record.outcome() == v1::OUTCOME_SORTED && new_door)) {
      samples_.push_back(record);
    }
  }
  std::vector<v1::SortRecord> Take() { return std::move(samples_); }

 private:
  size_t wanted_;
  std::set<int> outcomes_;
  std::set<std::string> doors_;
  std::vector<v1::SortRecord> samples_;
};

Status CountRecords(const std::string& path, const LoadOptions& options, RecordCounts& counts) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFound("cannot open records file " + path);
  SamplePicker picker(options.samples);
  std::unordered_set<std::string> files;
  std::string line;
  uint64_t line_number = 0;
  v1::SortRecord record;
  while (std::getline(in, line)) {
    ++line_number;
    if (line.empty()) continue;
    record.Clear();
    SORTLINE_RETURN_IF_ERROR(ParseJson(line, record, path + ":" + std::to_string(line_number)));
    ++counts.records;
    ++counts.by_chute[record.chute()];
    ++counts.by_door[record.dock_door()];
    ++counts.by_province[record.division_code().substr(0, 2)];
    ++counts.by_outcome[v1::Outcome_Name(record.outcome())];
    ++counts.plan_versions[record.plan_version()];
    const v1::LabelRef& label = record.label();
    if (!label.path().empty()) {
      ++counts.label_bytes[label.bytes()];
      ++(label.page() > 0 ? counts.labels_in_batch_files : counts.labels_in_own_files);
      files.insert(label.path());
    }
    picker.Offer(record);
  }
  if (in.bad()) return IoError("error reading " + path);
  counts.label_files = files.size();
  counts.samples = picker.Take();
  return Status::Ok();
}

}  // namespace

Result<RunData> LoadRun(const std::string& path, const LoadOptions& options) {
  RunData run;
  std::error_code ec;
  if (fs::is_directory(path, ec)) {
    run.dir = path;
    run.summary_path = (fs::path(path) / "summary.json").string();
  } else {
    run.summary_path = path;
    run.dir = fs::path(path).parent_path().string();
    if (run.dir.empty()) run.dir = ".";
  }
  std::string json;
  Status read = DefaultFileSystem().ReadFile(run.summary_path, &json);
  if (read.code() == StatusCode::kNotFound) {
    return NotFound("no run summary at " + run.summary_path +
                    " (written by `sortline run` and `sortline submit --summary FILE`)");
  }
  SORTLINE_RETURN_IF_ERROR(read);
  SORTLINE_RETURN_IF_ERROR(ParseJson(json, run.summary, run.summary_path));

  // The run's own paths, when it ran here; else the files beside the summary.
  const std::string named = run.summary.records_path();
  const std::string beside = (fs::path(run.dir) / "records.jsonl").string();
  if (!named.empty() && fs::exists(named, ec)) {
    run.records_path = named;
  } else if (fs::exists(beside, ec)) {
    run.records_path = beside;
  }
  const std::string labels = run.summary.labels_dir();
  run.labels_dir = !labels.empty() && fs::is_directory(labels, ec)
                       ? labels
                       : (fs::path(run.dir) / "labels").string();
  if (!run.records_path.empty()) {
    SORTLINE_RETURN_IF_ERROR(CountRecords(run.records_path, options, run.records));
  }
  return run;
}

}  // namespace sortline::report
