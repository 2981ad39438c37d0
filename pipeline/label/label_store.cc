#include "pipeline/label/label_store.h"

#include <charconv>
#include <chrono>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include <unistd.h>

#include "pipeline/base/hash.h"
#include "pipeline/base/thread_annotations.h"

namespace sortline::label {
namespace {

constexpr size_t kTrackingLength = 13;
constexpr std::string_view kBatchPrefix = "batch-";
constexpr std::string_view kIndexDir = "index";
constexpr std::string_view kIndexSuffix = ".idx";
// The comments a batch file carries before "startxref": a header with the page count,
// the tracking numbers in page order (at most kNumbersPerLine a line, so lines stay
// under the 255 characters PDF recommends), and an end line.
constexpr std::string_view kPagesHeader = "%sortline-labels 1 ";
constexpr std::string_view kPagesEnd = "%sortline-labels-end";
constexpr size_t kNumbersPerLine = 16;

Status CheckTrackingNumber(std::string_view s) {
  if (IsSafeTrackingNumber(s)) return Status::Ok();
  return InvalidArgument("label file name must be a tracking number of 13 [A-Z0-9], got " +
                         std::to_string(s.size()) + " bytes");
}

bool IsBatchFile(std::string_view name) {
  return name.starts_with(kBatchPrefix) && name.ends_with(".pdf");
}

// "<tracking>.pdf"
bool IsParcelFile(std::string_view name) {
  return name.size() == kTrackingLength + 4 && name.ends_with(".pdf") &&
         IsSafeTrackingNumber(name.substr(0, kTrackingLength));
}

std::string BatchFileName(std::span<const std::string> numbers) {
  uint64_t hash = Fnv1a64("");
  for (const std::string& number : numbers) {
    hash = Fnv1a64(number, hash);
    hash = Fnv1a64("\n", hash);
  }
  return std::string(kBatchPrefix) + HashHex(hash) + ".pdf";
}

// `pdf` with the page list comments inserted before its last "startxref": nothing that
// a byte offset points at moves, so the cross-reference data stays valid.
Result<std::string> WithPageList(std::string_view pdf, std::span<const std::string> numbers) {
  const size_t at = pdf.rfind("startxref");
  if (at == std::string_view::npos) return InvalidArgument("batch PDF has no startxref");
  std::string block;
  block.reserve(numbers.size() * (kTrackingLength + 1) + 64);
  if (at > 0 && pdf[at - 1] != '\n' && pdf[at - 1] != '\r') block += '\n';
  block += kPagesHeader;
  block += std::to_string(numbers.size());
  for (size_t i = 0; i < numbers.size(); ++i) {
    block += i % kNumbersPerLine == 0 ? "\n%" : " ";
    block += numbers[i];
  }
  block += '\n';
  block += kPagesEnd;
  block += '\n';
  std::string out;
  out.reserve(pdf.size() + block.size());
  out.append(pdf.substr(0, at));
  out += block;
  out.append(pdf.substr(at));
  return out;
}

// More pages than any batch file has: bounds what a damaged log line can make us allocate.
constexpr uint32_t kMaxPages = 1'000'000;

bool ParseNumber(std::string_view text, uint32_t* value) {
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), *value);
  return ec == std::errc() && end == text.data() + text.size();
}

int64_t NowUnixMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The index in memory: tracking number -> (file, page), file names interned.
class Index {
 public:
  struct Entry {
    uint32_t file = 0;
    uint32_t page = 0;
  };

  void Clear() {
    entries_.clear();
    files_.clear();
    file_ids_.clear();
    seen_.clear();
  }

  // Page `page` of the `pages` of `file` is the label of `tracking`.
  void Add(std::string_view tracking, std::string_view file, uint32_t page, uint32_t pages) {
    auto [it, fresh] =
        file_ids_.try_emplace(std::string(file), static_cast<uint32_t>(files_.size()));
    if (fresh) {
      files_.push_back(it->first);
      seen_.push_back({});
    }
    entries_[std::string(tracking)] = Entry{it->second, page};
    FileSeen& seen = seen_[it->second];
    seen.pages = pages;
    if (seen.counted.size() < pages) seen.counted.resize(pages, false);
    if (page <= seen.counted.size() && !seen.counted[page - 1]) {
      seen.counted[page - 1] = true;
      ++seen.entries;
    }
  }

  // Parses a log, skipping lines that are not whole (a torn last line).
  void AddLog(std::string_view text) {
    size_t pos = 0;
    while (pos < text.size()) {
      size_t end = text.find('\n', pos);
      if (end == std::string_view::npos) break;  // torn: no end of line
      std::string_view line = text.substr(pos, end - pos);
      pos = end + 1;
      // "<tracking> <file> <page>/<pages>"
      const size_t a = line.find(' ');
      const size_t b = a == std::string_view::npos ? a : line.find(' ', a + 1);
      const size_t c = b == std::string_view::npos ? b : line.find('/', b + 1);
      if (c == std::string_view::npos) continue;
      const std::string_view tracking = line.substr(0, a);
      const std::string_view file = line.substr(a + 1, b - a - 1);
      uint32_t page = 0;
      uint32_t pages = 0;
      if (!ParseNumber(line.substr(b + 1, c - b - 1), &page) ||
          !ParseNumber(line.substr(c + 1), &pages) || page == 0 || page > pages ||
          pages > kMaxPages) {
        continue;
      }
      if (!IsSafeTrackingNumber(tracking) || !IsBatchFile(file)) continue;
      Add(tracking, file, page, pages);
    }
  }

  const Entry* Find(std::string_view tracking) const {
    auto it = entries_.find(std::string(tracking));
    return it == entries_.end() ? nullptr : &it->second;
  }
  const std::string& File(uint32_t id) const { return files_[id]; }
  // Whether the logs name every page of `file` (a torn log may name only some).
  bool NamesAllPages(const std::string& file) const {
    auto it = file_ids_.find(file);
    return it != file_ids_.end() && seen_[it->second].entries == seen_[it->second].pages;
  }
  size_t size() const { return entries_.size(); }

 private:
  std::unordered_map<std::string, Entry> entries_;
  std::vector<std::string> files_;
  std::unordered_map<std::string, uint32_t> file_ids_;
  struct FileSeen {
    uint32_t pages = 0;    // as the lines say
    uint32_t entries = 0;  // distinct pages named
    std::vector<bool> counted;
  };
  std::vector<FileSeen> seen_;  // by file id
};

std::string IndexLines(std::span<const std::string> numbers, const std::string& file) {
  std::string lines;
  lines.reserve(numbers.size() * (kTrackingLength + file.size() + 8));
  for (size_t i = 0; i < numbers.size(); ++i) {
    lines += numbers[i];
    lines += ' ';
    lines += file;
    lines += ' ';
    lines += std::to_string(i + 1);
    lines += '/';
    lines += std::to_string(numbers.size());
    lines += '\n';
  }
  return lines;
}

// Thread-safety: thread-safe. Writes of label files need no lock (the seam makes each
// atomic and names are content-derived); the index log and the in-memory index are
// GUARDED_BY mu_.
class DirectoryLabelStore final : public LabelStore {
 public:
  DirectoryLabelStore(std::unique_ptr<Directory> dir, std::unique_ptr<Directory> index_dir,
                      LabelStoreOptions options)
      : dir_(std::move(dir)), index_dir_(std::move(index_dir)), options_(std::move(options)) {}

  const std::string& dir() const override { return dir_->path(); }

  Result<std::vector<v1::LabelRef>> PutBatch(std::span<const std::string> numbers,
                                             std::string_view pdf, std::string_view zpl) override {
    if (numbers.empty()) return InvalidArgument("a batch file needs at least one label");
    for (const std::string& number : numbers) SORTLINE_RETURN_IF_ERROR(CheckTrackingNumber(number));
    SORTLINE_ASSIGN_OR_RETURN(std::string file, WithPageList(pdf, numbers));
    const std::string name = BatchFileName(numbers);
    const Durability durability = options_.durable ? Durability::kDurable : Durability::kNone;
    if (!zpl.empty()) {
      const std::string zpl_name = name.substr(0, name.size() - 4) + ".zpl";
      SORTLINE_RETURN_IF_ERROR(dir_->WriteAtomically(zpl_name, zpl, durability));
    }
    {
      SORTLINE_ASSIGN_OR_RETURN(std::unique_ptr<PendingFile> pending, dir_->CreatePending(name));
      const std::string_view bytes = file;
      const size_t half = bytes.size() / 2;
      SORTLINE_RETURN_IF_ERROR(pending->Append(bytes.substr(0, half)));
      if (options_.probe) options_.probe("mid-label-write");
      SORTLINE_RETURN_IF_ERROR(pending->Append(bytes.substr(half)));
      SORTLINE_RETURN_IF_ERROR(pending->Commit(durability));
    }
    AppendToIndex(IndexLines(numbers, name));
    const std::string hash = HashHex(Fnv1a64(file));
    std::vector<v1::LabelRef> refs(numbers.size());
    for (size_t i = 0; i < refs.size(); ++i) {
      refs[i].set_path(name);
      refs[i].set_page(static_cast<uint32_t>(i + 1));
      refs[i].set_content_hash(hash);
      refs[i].set_bytes(static_cast<uint32_t>(file.size()));
    }
    return refs;
  }

  Result<std::vector<v1::LabelRef>> PutParcels(std::span<const ParcelLabel> labels) override {
    std::vector<std::string> names;
    names.reserve(labels.size());
    for (const ParcelLabel& label : labels) {
      SORTLINE_RETURN_IF_ERROR(CheckTrackingNumber(label.tracking_number));
      names.push_back(std::string(label.tracking_number) + ".pdf");
    }
    std::vector<FileContents> files;
    files.reserve(labels.size());
    for (size_t i = 0; i < labels.size(); ++i) files.push_back({names[i], labels[i].pdf});
    if (!files.empty()) {
      SORTLINE_RETURN_IF_ERROR(dir_->WriteAtomically(
          files, options_.durable ? Durability::kDurable : Durability::kNone));
    }
    std::vector<v1::LabelRef> refs(labels.size());
    for (size_t i = 0; i < refs.size(); ++i) {
      refs[i].set_path(names[i]);
      refs[i].set_page(0);
      refs[i].set_content_hash(HashHex(Fnv1a64(labels[i].pdf)));
      refs[i].set_bytes(static_cast<uint32_t>(labels[i].pdf.size()));
    }
    return refs;
  }

  Result<v1::LabelRef> Find(std::string_view tracking) override {
    SORTLINE_RETURN_IF_ERROR(CheckTrackingNumber(tracking));
    const std::string parcel_file = std::string(tracking) + ".pdf";
    if (Result<FileInfo> info = dir_->Stat(parcel_file); info.ok()) {
      v1::LabelRef ref;
      ref.set_path(parcel_file);
      ref.set_bytes(static_cast<uint32_t>(info->size));
      return ref;
    }
    MutexLock lock(mu_);
    if (!loaded_ && scans_left_ > 0) {
      --scans_left_;
      Result<v1::LabelRef> scanned = ScanLogsLocked(tracking);
      if (scanned.ok() || scanned.status().code() != StatusCode::kNotFound) return scanned;
    }
    const Index::Entry* entry = loaded_ ? index_.Find(tracking) : nullptr;
    if (entry == nullptr || !dir_->Stat(index_.File(entry->file)).ok()) {
      // Not known, or its file is gone: the index may be behind the files. Read again.
      SORTLINE_RETURN_IF_ERROR(LoadIndexLocked());
      entry = index_.Find(tracking);
    }
    if (entry == nullptr) return NotFound("no label for " + std::string(tracking) + " in " + dir());
    const std::string& file = index_.File(entry->file);
    Result<FileInfo> info = dir_->Stat(file);
    if (!info.ok()) {
      return NotFound("the label of " + std::string(tracking) + " was in " + file +
                      ", which is gone (pruned?)");
    }
    v1::LabelRef ref;
    ref.set_path(file);
    ref.set_page(entry->page);
    ref.set_bytes(static_cast<uint32_t>(info->size));
    return ref;
  }

  Result<std::string> Extract(std::string_view tracking, v1::LabelRef* found) override {
    SORTLINE_ASSIGN_OR_RETURN(v1::LabelRef ref, Find(tracking));
    if (found != nullptr) *found = ref;
    std::string bytes;
    SORTLINE_RETURN_IF_ERROR(dir_->ReadFile(ref.path(), &bytes));
    if (ref.page() == 0) return bytes;
    // The page must still be this parcel's: the file names its pages.
    Result<std::vector<std::string>> pages = BatchPages(bytes);
    if (!pages.ok()) return pages.status().WithContext(ref.path());
    if (ref.page() > pages->size() || (*pages)[ref.page() - 1] != tracking) {
      return DataLoss(ref.path() + " page " + std::to_string(ref.page()) + " is not the label of " +
                      std::string(tracking));
    }
    return ExtractPage(bytes, ref.page());
  }

  Result<uint64_t> RebuildIndex() override {
    MutexLock lock(mu_);
    index_.Clear();
    loaded_ = true;
    SORTLINE_ASSIGN_OR_RETURN(std::vector<std::string> names, dir_->List());
    std::string lines;
    for (const std::string& name : names) {
      if (!IsBatchFile(name)) continue;
      SORTLINE_RETURN_IF_ERROR(IndexBatchFileLocked(name, &lines));
    }
    if (!lines.empty()) {
      const std::string log = "rebuilt-" + LogName();
      SORTLINE_RETURN_IF_ERROR(index_dir_->WriteAtomically(log, lines, Durability::kNone));
    }
    return static_cast<uint64_t>(index_.size());
  }

  Result<PruneStats> Prune(int64_t before_unix_ms) override {
    PruneStats stats;
    SORTLINE_ASSIGN_OR_RETURN(std::vector<std::string> names, dir_->List());
    for (const std::string& name : names) {
      const bool label = IsBatchFile(name) || IsParcelFile(name) ||
                         (name.starts_with(kBatchPrefix) && name.ends_with(".zpl"));
      if (!label) continue;
      Result<FileInfo> info = dir_->Stat(name);
      if (!info.ok() || info->modified_unix_ms >= before_unix_ms) continue;
      if (dir_->Remove(name).ok()) ++stats.label_files;
    }
    MutexLock lock(mu_);
    SORTLINE_ASSIGN_OR_RETURN(std::vector<std::string> logs, index_dir_->List());
    for (const std::string& name : logs) {
      if (!name.ends_with(kIndexSuffix) || name.starts_with('.')) continue;
      Result<FileInfo> info = index_dir_->Stat(name);
      if (!info.ok() || info->modified_unix_ms >= before_unix_ms) continue;
      if (!index_dir_->Remove(name).ok()) continue;
      ++stats.index_logs;
      if (name == log_name_) log_.reset();  // the next batch starts a new log
    }
    return stats;
  }

 private:
  std::string LogName() const {
    return TemporaryHostTag() + "-" + std::to_string(::getpid()) + "-" +
           std::to_string(NowUnixMs()) + std::string(kIndexSuffix);
  }

  // Appends to this writer's log, starting a new one when it is older than the roll
  // interval. The log is a cache of what the files say: a refusal is dropped (Find reads
  // the files the logs miss).
  void AppendToIndex(const std::string& lines) EXCLUDES(mu_) {
    MutexLock lock(mu_);
    AppendToIndexLocked(lines);
  }
  void AppendToIndexLocked(const std::string& lines) REQUIRES(mu_) {
    const int64_t now = NowUnixMs();
    if (log_ == nullptr || now - log_opened_ms_ > options_.index_roll_ms) {
      log_name_ = LogName();
      Result<std::unique_ptr<AppendFile>> log = index_dir_->OpenAppend(log_name_);
      if (!log.ok()) {
        log_.reset();
        return;
      }
      log_ = std::move(log).value();
      log_opened_ms_ = now;
    }
    log_->Append(lines).IgnoreError();
  }

  // Reads `name`'s page list into the index and appends its lines to `lines`.
  Status IndexBatchFileLocked(const std::string& name, std::string* lines) REQUIRES(mu_) {
    std::string bytes;
    Status read = dir_->ReadFile(name, &bytes);
    if (read.code() == StatusCode::kNotFound) return Status::Ok();  // pruned meanwhile
    SORTLINE_RETURN_IF_ERROR(read);
    Result<std::vector<std::string>> pages = BatchPages(bytes);
    if (!pages.ok()) return Status::Ok();  // not a batch file of this store
    for (size_t i = 0; i < pages->size(); ++i) {
      index_.Add((*pages)[i], name, static_cast<uint32_t>(i + 1),
                 static_cast<uint32_t>(pages->size()));
    }
    *lines += IndexLines(*pages, name);
    return Status::Ok();
  }

  // The label of `tracking` as the index logs name it, found without loading them: the
  // last line of any log that starts with the number, if its file exists. kNotFound
  // otherwise (the caller then loads the index, which also reads unindexed files).
  Result<v1::LabelRef> ScanLogsLocked(std::string_view tracking) REQUIRES(mu_) {
    SORTLINE_ASSIGN_OR_RETURN(std::vector<std::string> logs, index_dir_->List());
    const std::string needle = "\n" + std::string(tracking) + " ";
    std::string text = "\n";  // so that a match on the first line starts with "\n" too
    std::string buffer;
    Index found;
    for (const std::string& name : logs) {
      if (!name.ends_with(kIndexSuffix) || name.starts_with('.')) continue;
      if (!index_dir_->ReadFile(name, &buffer).ok()) continue;
      text.resize(1);
      text += buffer;
      const size_t at = text.rfind(needle);
      if (at == std::string::npos) continue;
      const size_t end = text.find('\n', at + 1);
      if (end == std::string::npos) continue;  // torn
      found.AddLog(std::string_view(text).substr(at + 1, end - at));
    }
    const Index::Entry* entry = found.Find(tracking);
    if (entry == nullptr) return NotFound("not in the index logs");
    const std::string& file = found.File(entry->file);
    Result<FileInfo> info = dir_->Stat(file);
    if (!info.ok()) return NotFound(file + " is gone");
    v1::LabelRef ref;
    ref.set_path(file);
    ref.set_page(entry->page);
    ref.set_bytes(static_cast<uint32_t>(info->size));
    return ref;
  }

  // Reads every index log, then the batch files no log names (logging what they hold).
  Status LoadIndexLocked() REQUIRES(mu_) {
    index_.Clear();
    loaded_ = true;
    SORTLINE_ASSIGN_OR_RETURN(std::vector<std::string> logs, index_dir_->List());
    std::string text;
    for (const std::string& name : logs) {
      if (!name.ends_with(kIndexSuffix) || name.starts_with('.')) continue;
      Status read = index_dir_->ReadFile(name, &text);
      if (read.code() == StatusCode::kNotFound) continue;
      SORTLINE_RETURN_IF_ERROR(read);
      index_.AddLog(text);
    }
    SORTLINE_ASSIGN_OR_RETURN(std::vector<std::string> names, dir_->List());
    std::string found;
    for (const std::string& name : names) {
      if (IsBatchFile(name) && !index_.NamesAllPages(name)) {
        SORTLINE_RETURN_IF_ERROR(IndexBatchFileLocked(name, &found));
      }
    }
    if (!found.empty()) AppendToIndexLocked(found);
    return Status::Ok();
  }

  const std::unique_ptr<Directory> dir_;
  const std::unique_ptr<Directory> index_dir_;
  const LabelStoreOptions options_;
  Mutex mu_;
  Index index_ GUARDED_BY(mu_);
  bool loaded_ GUARDED_BY(mu_) = false;              // index_ holds the logs and files
  int scans_left_ GUARDED_BY(mu_) = 4;               // lookups by scanning before loading
  std::unique_ptr<AppendFile> log_ GUARDED_BY(mu_);  // this writer's current log
  std::string log_name_ GUARDED_BY(mu_);
  int64_t log_opened_ms_ GUARDED_BY(mu_) = 0;
};

}  // namespace

bool IsSafeTrackingNumber(std::string_view s) {
  if (s.size() != kTrackingLength) return false;
  for (char c : s) {
    if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))) return false;
  }
  return true;
}

std::string_view LabelFilesName(LabelFiles files) {
  return files == LabelFiles::kBatch ? "batch" : "per-parcel";
}

Result<LabelFiles> ParseLabelFiles(std::string_view name) {
  if (name == "batch") return LabelFiles::kBatch;
  if (name == "per-parcel") return LabelFiles::kPerParcel;
  return InvalidArgument("label files are \"batch\" or \"per-parcel\", not \"" + std::string(name) +
                         "\"");
}

Result<std::vector<std::string>> BatchPages(std::string_view pdf) {
  const size_t header = pdf.rfind(kPagesHeader);
  if (header == std::string_view::npos) return NotFound("no page list in the file");
  size_t pos = header + kPagesHeader.size();
  const size_t eol = pdf.find('\n', pos);
  if (eol == std::string_view::npos) return DataLoss("page list header is cut");
  uint32_t count = 0;
  const auto [p, ec] = std::from_chars(pdf.data() + pos, pdf.data() + eol, count);
  if (ec != std::errc() || p != pdf.data() + eol || count == 0) {
    return DataLoss("page list header is damaged");
  }
  pos = eol + 1;
  std::vector<std::string> numbers;
  numbers.reserve(count);
  while (true) {
    const size_t end = pdf.find('\n', pos);
    if (end == std::string_view::npos) return DataLoss("page list is cut");
    std::string_view line = pdf.substr(pos, end - pos);
    pos = end + 1;
    if (line == kPagesEnd) break;
    if (!line.starts_with('%')) return DataLoss("page list line is not a comment");
    line.remove_prefix(1);
    while (!line.empty()) {
      const size_t space = line.find(' ');
      const std::string_view number = line.substr(0, space);
      if (!IsSafeTrackingNumber(number)) return DataLoss("page list names a bad tracking number");
      numbers.emplace_back(number);
      if (space == std::string_view::npos) break;
      line.remove_prefix(space + 1);
    }
  }
  if (numbers.size() != count) {
    return DataLoss("page list names " + std::to_string(numbers.size()) + " pages, not " +
                    std::to_string(count));
  }
  return numbers;
}

Result<std::unique_ptr<LabelStore>> LabelStore::Open(const std::string& dir,
                                                     const LabelStoreOptions& options) {
  if (dir.empty()) return InvalidArgument("label directory is empty");
  FileSystem& fs = options.file_system != nullptr ? *options.file_system : DefaultFileSystem();
  SORTLINE_ASSIGN_OR_RETURN(std::unique_ptr<Directory> labels, fs.OpenDirectory(dir));
  SORTLINE_ASSIGN_OR_RETURN(std::unique_ptr<Directory> index,
                            fs.OpenDirectory(dir + "/" + std::string(kIndexDir)));
  SORTLINE_RETURN_IF_ERROR(labels->RemoveOrphanedTemporaries().status());
  SORTLINE_RETURN_IF_ERROR(index->RemoveOrphanedTemporaries().status());
  return std::unique_ptr<LabelStore>(
      new DirectoryLabelStore(std::move(labels), std::move(index), options));
}

}  // namespace sortline::label
