#include "tests/testing/fault_file_system.h"

#include <utility>

namespace sortline::testing {
namespace {

// Thread-safety: one writer, like the wrapped file.
class FaultPendingFile final : public PendingFile {
 public:
  FaultPendingFile(FaultInjectingFileSystem& fs, std::unique_ptr<PendingFile> base)
      : fs_(fs), base_(std::move(base)) {}
  Status Append(std::string_view bytes) override {
    SORTLINE_RETURN_IF_ERROR(fs_.Admit(Durability::kNone));
    return base_->Append(bytes);
  }
  Status Commit(Durability durability) override {
    SORTLINE_RETURN_IF_ERROR(fs_.Admit(durability));
    Status status = base_->Commit(durability);
    if (status.ok()) fs_.CountWritten();
    return status;
  }

 private:
  FaultInjectingFileSystem& fs_;
  std::unique_ptr<PendingFile> base_;
};

// Thread-safety: as the wrapped file.
class FaultAppendFile final : public AppendFile {
 public:
  FaultAppendFile(FaultInjectingFileSystem& fs, std::unique_ptr<AppendFile> base)
      : fs_(fs), base_(std::move(base)) {}
  Status Append(std::string_view bytes) override {
    SORTLINE_RETURN_IF_ERROR(fs_.Admit(Durability::kNone));
    return base_->Append(bytes);
  }
  Status Sync() override {
    SORTLINE_RETURN_IF_ERROR(fs_.Admit(Durability::kDurable));
    return base_->Sync();
  }

 private:
  FaultInjectingFileSystem& fs_;
  std::unique_ptr<AppendFile> base_;
};

// Thread-safety: as the wrapped directory.
class FaultDirectory final : public Directory {
 public:
  FaultDirectory(FaultInjectingFileSystem& fs, std::unique_ptr<Directory> base)
      : fs_(fs), base_(std::move(base)) {}

  const std::string& path() const override { return base_->path(); }

  Status WriteAtomically(std::span<const FileContents> files, Durability durability) override {
    SORTLINE_RETURN_IF_ERROR(fs_.Admit(durability));
    Status status = base_->WriteAtomically(files, durability);
    if (status.ok()) fs_.CountWritten();
    return status;
  }
  Result<std::unique_ptr<PendingFile>> CreatePending(std::string_view name) override {
    SORTLINE_ASSIGN_OR_RETURN(std::unique_ptr<PendingFile> base, base_->CreatePending(name));
    return std::unique_ptr<PendingFile>(new FaultPendingFile(fs_, std::move(base)));
  }
  Status CreateNew(std::string_view name, std::string_view bytes, mode_t mode,
                   Durability durability) override {
    SORTLINE_RETURN_IF_ERROR(fs_.Admit(durability));
    Status status = base_->CreateNew(name, bytes, mode, durability);
    if (status.ok()) fs_.CountWritten();
    return status;
  }
  Status ReadFile(std::string_view name, std::string* out) const override {
    return base_->ReadFile(name, out);
  }
  Result<std::unique_ptr<AppendFile>> OpenAppend(std::string_view name) override {
    SORTLINE_ASSIGN_OR_RETURN(std::unique_ptr<AppendFile> base, base_->OpenAppend(name));
    return std::unique_ptr<AppendFile>(new FaultAppendFile(fs_, std::move(base)));
  }
  Result<FileInfo> Stat(std::string_view name) const override { return base_->Stat(name); }
  Status Remove(std::string_view name) override { return base_->Remove(name); }
  Status Sync() override { return base_->Sync(); }
  Result<std::vector<std::string>> List() const override { return base_->List(); }
  Result<size_t> RemoveOrphanedTemporaries() override { return base_->RemoveOrphanedTemporaries(); }

 private:
  FaultInjectingFileSystem& fs_;
  std::unique_ptr<Directory> base_;
};

}  // namespace

Result<std::unique_ptr<Directory>> FaultInjectingFileSystem::OpenDirectory(
    const std::string& path) {
  SORTLINE_ASSIGN_OR_RETURN(std::unique_ptr<Directory> base, base_.OpenDirectory(path));
  return std::unique_ptr<Directory>(new FaultDirectory(*this, std::move(base)));
}

Status FaultInjectingFileSystem::Admit(Durability durability) {
  if (disk_full_.load()) {
    refused_.fetch_add(1);
    return ResourceExhausted("writing: No space left on device (injected)");
  }
  if (durability == Durability::kDurable) {
    int left = flushes_to_fail_.load();
    while (left > 0 && !flushes_to_fail_.compare_exchange_weak(left, left - 1)) {
    }
    if (left > 0) {
      refused_.fetch_add(1);
      return DataLoss("flush to disk failed: Input/output error (injected)");
    }
  }
  return Status::Ok();
}

}  // namespace sortline::testing
