#include "pipeline/base/file.h"

#include <atomic>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <system_error>
#include <utility>

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

namespace sortline {
namespace {

constexpr std::string_view kTempMarker = ".tmp.";

Status CheckName(std::string_view name) {
  constexpr size_t kMaxName = 255;
  if (name.empty() || name.size() > kMaxName || name.front() == '.' ||
      name.find_first_of(std::string_view("/\0", 2)) != std::string_view::npos) {
    return InvalidArgument("not a plain file name (" + std::to_string(name.size()) + " bytes)");
  }
  return Status::Ok();
}

Status WriteAll(int fd, std::string_view bytes, std::string_view what) {
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoToStatus(errno, what);
    }
    done += static_cast<size_t>(n);
  }
  return Status::Ok();
}

Status FlushFailed(int err, std::string_view what) {
  return DataLoss(std::string(what) + ": flush to disk failed: " + std::strerror(err));
}

// For opening a file to read: a missing file is kNotFound, not an I/O refusal.
Status OpenForReadFailed(int err, std::string_view what) {
  if (err == ENOENT) return NotFound(std::string(what) + ": " + std::strerror(err));
  return ErrnoToStatus(err, what);
}

Status ReadAll(int fd, std::string_view what, std::string* out) {
  out->clear();
  struct stat st {};
  if (::fstat(fd, &st) == 0 && st.st_size > 0) out->reserve(static_cast<size_t>(st.st_size));
  char buffer[1 << 16];
  while (true) {
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoToStatus(errno, what);
    }
    if (n == 0) return Status::Ok();
    out->append(buffer, static_cast<size_t>(n));
  }
}

class PosixDirectory;

// Thread-safety: thread-safe; each Append is one write(2) on an O_APPEND descriptor.
class PosixAppendFile final : public AppendFile {
 public:
  PosixAppendFile(std::string path, UniqueFd fd) : path_(std::move(path)), fd_(std::move(fd)) {}
  Status Append(std::string_view bytes) override {
    return WriteAll(fd_.get(), bytes, "appending to " + path_);
  }
  Status Sync() override {
    if (::fdatasync(fd_.get()) != 0) return FlushFailed(errno, path_);
    return Status::Ok();
  }

 private:
  const std::string path_;
  const UniqueFd fd_;
};

// Thread-safety: one writer (see PendingFile).
class PosixPendingFile final : public PendingFile {
 public:
  PosixPendingFile(PosixDirectory& dir, std::string final_name, std::string temp_name, UniqueFd fd)
      : dir_(dir),
        final_name_(std::move(final_name)),
        temp_name_(std::move(temp_name)),
        fd_(std::move(fd)) {
    buffer_.reserve(kBufferSize);
  }
  ~PosixPendingFile() override;

  Status Append(std::string_view bytes) override {
    if (!fd_.valid()) return FailedPrecondition("appending to a committed file");
    if (buffer_.size() + bytes.size() > kBufferSize) {
      SORTLINE_RETURN_IF_ERROR(Flush());
      if (bytes.size() >= kBufferSize) return WriteAll(fd_.get(), bytes, "writing " + final_name_);
    }
    buffer_.append(bytes);
    return Status::Ok();
  }

  Status Commit(Durability durability) override;

 private:
  static constexpr size_t kBufferSize = 1 << 16;

  Status Flush() {
    Status status = WriteAll(fd_.get(), buffer_, "writing " + final_name_);
    buffer_.clear();
    return status;
  }

  PosixDirectory& dir_;
  const std::string final_name_;
  const std::string temp_name_;
  UniqueFd fd_;
  std::string buffer_;
};

// Thread-safety: thread-safe; the descriptor is only read after construction and the
// temporary counter is atomic.
class PosixDirectory final : public Directory {
 public:
  PosixDirectory(std::string path, UniqueFd fd) : path_(std::move(path)), fd_(std::move(fd)) {}

  const std::string& path() const override { return path_; }

  Status WriteAtomically(std::span<const FileContents> files, Durability durability) override {
    for (const FileContents& file : files) SORTLINE_RETURN_IF_ERROR(CheckName(file.name));
    std::vector<std::string> temps;
    temps.reserve(files.size());
    Status status = WriteTemporaries(files, durability, temps);
    for (size_t i = 0; status.ok() && i < files.size(); ++i) {
      const std::string final_name(files[i].name);
      if (::renameat(fd_.get(), temps[i].c_str(), fd_.get(), final_name.c_str()) != 0) {
        status = ErrnoToStatus(errno, "renaming " + Where(final_name));
        break;
      }
      temps[i].clear();
    }
    for (const std::string& temp : temps) {
      if (!temp.empty()) ::unlinkat(fd_.get(), temp.c_str(), 0);
    }
    if (!status.ok()) return status;
    return durability == Durability::kDurable ? Sync() : Status::Ok();
  }

  Result<std::unique_ptr<PendingFile>> CreatePending(std::string_view name) override {
    SORTLINE_RETURN_IF_ERROR(CheckName(name));
    std::string temp = TemporaryName(name);
    UniqueFd fd(::openat(fd_.get(), temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
    if (!fd.valid()) return ErrnoToStatus(errno, "creating " + Where(temp));
    return std::unique_ptr<PendingFile>(
        new PosixPendingFile(*this, std::string(name), std::move(temp), std::move(fd)));
  }

  // For PosixPendingFile: renames its temporary into place, or removes it.
  Status Rename(const std::string& temp, const std::string& final_name) {
    if (::renameat(fd_.get(), temp.c_str(), fd_.get(), final_name.c_str()) != 0) {
      const int err = errno;
      ::unlinkat(fd_.get(), temp.c_str(), 0);
      return ErrnoToStatus(err, "renaming " + Where(final_name));
    }
    return Status::Ok();
  }
  void Discard(const std::string& temp) { ::unlinkat(fd_.get(), temp.c_str(), 0); }

  Status CreateNew(std::string_view name, std::string_view bytes, mode_t mode,
                   Durability durability) override {
    SORTLINE_RETURN_IF_ERROR(CheckName(name));
    const std::string file(name);
    UniqueFd fd(::openat(fd_.get(), file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode));
    if (!fd.valid()) {
      if (errno == EEXIST) return AlreadyExists(Where(file) + ": exists, not overwritten");
      return ErrnoToStatus(errno, "creating " + Where(file));
    }
    // The umask may only have narrowed the mode; set it exactly.
    Status status =
        ::fchmod(fd.get(), mode) == 0 ? Status::Ok() : ErrnoToStatus(errno, "chmod " + Where(file));
    if (status.ok()) status = WriteAll(fd.get(), bytes, "writing " + Where(file));
    if (status.ok() && durability == Durability::kDurable && ::fdatasync(fd.get()) != 0) {
      status = FlushFailed(errno, Where(file));
    }
    if (status.ok()) status = fd.Close(Where(file));
    if (!status.ok()) {
      ::unlinkat(fd_.get(), file.c_str(), 0);
      return status;
    }
    return durability == Durability::kDurable ? Sync() : Status::Ok();
  }

  Status ReadFile(std::string_view name, std::string* out) const override {
    SORTLINE_RETURN_IF_ERROR(CheckName(name));
    const std::string file(name);
    UniqueFd fd(::openat(fd_.get(), file.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd.valid()) return OpenForReadFailed(errno, "opening " + Where(file));
    return ReadAll(fd.get(), "reading " + Where(file), out);
  }

  Result<std::unique_ptr<AppendFile>> OpenAppend(std::string_view name) override {
    SORTLINE_RETURN_IF_ERROR(CheckName(name));
    const std::string file(name);
    UniqueFd fd(::openat(fd_.get(), file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644));
    if (!fd.valid()) return ErrnoToStatus(errno, "opening " + Where(file));
    return std::unique_ptr<AppendFile>(new PosixAppendFile(Where(file), std::move(fd)));
  }

  Result<FileInfo> Stat(std::string_view name) const override {
    SORTLINE_RETURN_IF_ERROR(CheckName(name));
    const std::string file(name);
    struct stat st {};
    if (::fstatat(fd_.get(), file.c_str(), &st, 0) != 0) {
      return OpenForReadFailed(errno, "stat " + Where(file));
    }
    FileInfo info;
    info.size = static_cast<uint64_t>(st.st_size);
    info.modified_unix_ms = int64_t{st.st_mtim.tv_sec} * 1000 + st.st_mtim.tv_nsec / 1'000'000;
    return info;
  }

  Status Remove(std::string_view name) override {
    SORTLINE_RETURN_IF_ERROR(CheckName(name));
    const std::string file(name);
    if (::unlinkat(fd_.get(), file.c_str(), 0) != 0) {
      return OpenForReadFailed(errno, "removing " + Where(file));
    }
    return Status::Ok();
  }

  Status Sync() override {
    if (::fsync(fd_.get()) != 0) return FlushFailed(errno, "directory " + path_);
    return Status::Ok();
  }

  Result<std::vector<std::string>> List() const override {
    // A second descriptor: readdir moves the position of the one it reads.
    const int fd = ::openat(fd_.get(), ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return ErrnoToStatus(errno, "listing " + path_);
    std::unique_ptr<DIR, int (*)(DIR*)> dir(::fdopendir(fd), &::closedir);
    if (dir == nullptr) {
      const int err = errno;
      ::close(fd);
      return ErrnoToStatus(err, "listing " + path_);
    }
    std::vector<std::string> names;
    while (const dirent* entry = ::readdir(dir.get())) {
      const std::string_view name = entry->d_name;
      if (name != "." && name != "..") names.emplace_back(name);
    }
    return names;
  }

  Result<size_t> RemoveOrphanedTemporaries() override {
    SORTLINE_ASSIGN_OR_RETURN(std::vector<std::string> names, List());
    size_t removed = 0;
    for (const std::string& name : names) {
      std::string host;
      pid_t pid = 0;
      if (!ParseTemporaryName(name, &host, &pid) || host != TemporaryHostTag()) continue;
      const bool gone = pid == ::getpid() || (::kill(pid, 0) != 0 && errno == ESRCH);
      if (gone && ::unlinkat(fd_.get(), name.c_str(), 0) == 0) ++removed;
    }
    return removed;
  }

 private:
  std::string Where(std::string_view name) const { return path_ + "/" + std::string(name); }

  std::string TemporaryName(std::string_view name) {
    return "." + std::string(name) + std::string(kTempMarker) + TemporaryHostTag() + "." +
           std::to_string(::getpid()) + "." + std::to_string(counter_.fetch_add(1));
  }

  // Creates and fills one temporary per file (names appended to `temps`), then flushes
  // them: one fdatasync for a single file, one syncfs for a group (one journal commit
  // instead of one per file).
  Status WriteTemporaries(std::span<const FileContents> files, Durability durability,
                          std::vector<std::string>& temps) {
    for (const FileContents& file : files) {
      temps.push_back(TemporaryName(file.name));
      UniqueFd fd(
          ::openat(fd_.get(), temps.back().c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
      if (!fd.valid()) return ErrnoToStatus(errno, "creating " + Where(temps.back()));
      SORTLINE_RETURN_IF_ERROR(WriteAll(fd.get(), file.bytes, "writing " + Where(file.name)));
      if (durability == Durability::kDurable && files.size() == 1 && ::fdatasync(fd.get()) != 0) {
        return FlushFailed(errno, Where(file.name));
      }
      SORTLINE_RETURN_IF_ERROR(fd.Close(Where(file.name)));
    }
    if (durability == Durability::kDurable && files.size() > 1 && ::syncfs(fd_.get()) != 0) {
      return FlushFailed(errno, "file system of " + path_);
    }
    return Status::Ok();
  }

  const std::string path_;
  const UniqueFd fd_;
  std::atomic<uint64_t> counter_{0};
};

PosixPendingFile::~PosixPendingFile() {
  if (fd_.valid()) {
    fd_.Close(final_name_).IgnoreError();
    dir_.Discard(temp_name_);
  }
}

Status PosixPendingFile::Commit(Durability durability) {
  if (!fd_.valid()) return FailedPrecondition("committing " + final_name_ + " twice");
  Status status = Flush();
  if (status.ok() && durability == Durability::kDurable && ::fdatasync(fd_.get()) != 0) {
    status = FlushFailed(errno, dir_.path() + "/" + final_name_);
  }
  Status closed = fd_.Close(final_name_);
  if (status.ok()) status = closed;
  if (!status.ok()) {
    dir_.Discard(temp_name_);
    return status;
  }
  SORTLINE_RETURN_IF_ERROR(dir_.Rename(temp_name_, final_name_));
  return durability == Durability::kDurable ? dir_.Sync() : Status::Ok();
}

// A pending file together with the directory it lives in.
class DirectoryOwningFile final : public PendingFile {
 public:
  DirectoryOwningFile(std::unique_ptr<Directory> dir, std::unique_ptr<PendingFile> file)
      : dir_(std::move(dir)), file_(std::move(file)) {}
  Status Append(std::string_view bytes) override { return file_->Append(bytes); }
  Status Commit(Durability durability) override { return file_->Commit(durability); }

 private:
  std::unique_ptr<Directory> dir_;  // outlives file_: members die in reverse order
  std::unique_ptr<PendingFile> file_;
};

class PosixFileSystem final : public FileSystem {
 public:
  Result<std::unique_ptr<Directory>> OpenDirectory(const std::string& path) override {
    if (path.empty()) return InvalidArgument("directory path is empty");
    std::error_code ec;
    std::filesystem::create_directories(path, ec);
    if (ec) return IoError("creating directory " + path + ": " + ec.message());
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!fd.valid()) return ErrnoToStatus(errno, "opening directory " + path);
    return std::unique_ptr<Directory>(new PosixDirectory(path, std::move(fd)));
  }

  Status ReadFile(const std::string& path, std::string* out) override {
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd.valid()) return OpenForReadFailed(errno, "opening " + path);
    return ReadAll(fd.get(), "reading " + path, out);
  }
};

}  // namespace

UniqueFd::~UniqueFd() {
  if (fd_ >= 0) ::close(fd_);
}

UniqueFd& UniqueFd::operator=(UniqueFd&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = other.release();
  }
  return *this;
}

int UniqueFd::release() { return std::exchange(fd_, -1); }

Status UniqueFd::Close(std::string_view what) {
  const int rc = ::close(release());
  if (rc != 0) return ErrnoToStatus(errno, "closing " + std::string(what));
  return Status::Ok();
}

Status FileSystem::WriteFileAtomically(const std::string& path, std::string_view bytes,
                                       Durability durability) {
  const std::filesystem::path p(path);
  SORTLINE_ASSIGN_OR_RETURN(std::unique_ptr<Directory> dir,
                            OpenDirectory(p.has_parent_path() ? p.parent_path().string() : "."));
  return dir->WriteAtomically(p.filename().string(), bytes, durability);
}

Result<std::unique_ptr<PendingFile>> FileSystem::CreatePending(const std::string& path) {
  const std::filesystem::path p(path);
  SORTLINE_ASSIGN_OR_RETURN(std::unique_ptr<Directory> dir,
                            OpenDirectory(p.has_parent_path() ? p.parent_path().string() : "."));
  SORTLINE_ASSIGN_OR_RETURN(std::unique_ptr<PendingFile> file,
                            dir->CreatePending(p.filename().string()));
  // The pending file refers to its directory: keep the directory alive with it.
  return std::unique_ptr<PendingFile>(new DirectoryOwningFile(std::move(dir), std::move(file)));
}

FileSystem& DefaultFileSystem() {
  static PosixFileSystem* const fs = new PosixFileSystem();
  return *fs;
}

const std::string& TemporaryHostTag() {
  static const std::string* const tag = [] {
    char name[256] = {};
    std::string clean;
    if (::gethostname(name, sizeof name - 1) == 0) {
      for (const char* c = name; *c != '\0'; ++c) {
        const bool ok = (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
                        (*c >= '0' && *c <= '9') || *c == '-';
        if (ok) clean += *c;
      }
    }
    return new std::string(clean.empty() ? "localhost" : clean);
  }();
  return *tag;
}

bool ParseTemporaryName(std::string_view name, std::string* host, pid_t* pid) {
  if (!name.starts_with('.')) return false;
  const size_t marker = name.rfind(kTempMarker);
  if (marker == std::string_view::npos || marker == 0) return false;
  // "<host>.<pid>.<n>": the host has no dots.
  const std::string_view rest = name.substr(marker + kTempMarker.size());
  const size_t first = rest.find('.');
  if (first == std::string_view::npos || first == 0) return false;
  const size_t second = rest.find('.', first + 1);
  if (second == std::string_view::npos) return false;
  const std::string_view pid_text = rest.substr(first + 1, second - first - 1);
  pid_t parsed = 0;
  const auto [end, ec] =
      std::from_chars(pid_text.data(), pid_text.data() + pid_text.size(), parsed);
  if (ec != std::errc() || end != pid_text.data() + pid_text.size() || parsed <= 0) return false;
  *host = std::string(rest.substr(0, first));
  *pid = parsed;
  return true;
}

Status ErrnoToStatus(int err, std::string_view what) {
  std::string message = std::string(what) + ": " + std::strerror(err);
  if (err == ENOSPC || err == EDQUOT) return ResourceExhausted(std::move(message));
  return IoError(std::move(message));
}

}  // namespace sortline
