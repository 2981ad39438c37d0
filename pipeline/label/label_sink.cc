#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <string>
#include <system_error>

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pipeline/base/hash.h"
#include "pipeline/label/label.h"

namespace sortline::label {
namespace {

constexpr size_t kTrackingLength = 13;

// The only names the sink builds paths from: exactly 13 of [A-Z0-9] (the S10 alphabet),
// so no separator, dot or NUL can reach a path.
bool IsSafeTrackingNumber(std::string_view s) {
  if (s.size() != kTrackingLength) return false;
  for (char c : s) {
    if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))) return false;
  }
  return true;
}

// Names for WriteFile: a stem of [A-Za-z0-9_-] (no dot, separator or NUL) and one
// known extension, so the name stays inside the directory and never starts with a dot.
bool IsSafeFileName(std::string_view s) {
  constexpr size_t kMaxLength = 100;
  if (s.size() > kMaxLength) return false;
  const size_t dot = s.rfind('.');
  if (dot == std::string_view::npos || dot == 0) return false;
  const std::string_view ext = s.substr(dot);
  if (ext != ".pdf" && ext != ".zpl" && ext != ".png") return false;
  for (char c : s.substr(0, dot)) {
    if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
          c == '-')) {
      return false;
    }
  }
  return true;
}

Status ErrnoStatus(int err, const std::string& what) {
  std::string message = what + ": " + std::strerror(err);
  if (err == ENOSPC || err == EDQUOT) return ResourceExhausted(std::move(message));
  return IoError(std::move(message));
}

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  // Closes now and reports the result (a deferred write error can surface here).
  int Close() {
    const int rc = ::close(fd_);
    fd_ = -1;
    return rc;
  }

 private:
  int fd_;
};

// Files are created with openat/renameat relative to a descriptor of the directory,
// so the names never combine with the directory path and the directory can be fsynced.
// Thread-safety: thread-safe; concurrent writers get distinct temporary names from
// the atomic counter, and rename makes the last writer of a name win whole.
class DirectorySink final : public LabelSink {
 public:
  DirectorySink(int dir_fd, const SinkOptions& options) : dir_(dir_fd), options_(options) {}

  Result<v1::LabelRef> Write(std::string_view tracking_number, std::string_view pdf) override {
    if (!IsSafeTrackingNumber(tracking_number)) {
      return InvalidArgument("label file name must be a tracking number of 13 [A-Z0-9], got " +
                             std::to_string(tracking_number.size()) + " bytes");
    }
    return WriteAtomically(std::string(tracking_number) + ".pdf", pdf);
  }

  Result<v1::LabelRef> WriteFile(std::string_view file_name, std::string_view bytes) override {
    if (!IsSafeFileName(file_name)) {
      return InvalidArgument("label file name must be [A-Za-z0-9_-] with .pdf, .zpl or .png");
    }
    return WriteAtomically(std::string(file_name), bytes);
  }

 private:
  Result<v1::LabelRef> WriteAtomically(const std::string& final_name, std::string_view bytes) {
    const std::string temp_name = "." + final_name + ".tmp." + std::to_string(::getpid()) + "." +
                                  std::to_string(counter_.fetch_add(1));
    Status status = WriteTemp(temp_name, bytes);
    if (status.ok() &&
        ::renameat(dir_.get(), temp_name.c_str(), dir_.get(), final_name.c_str()) != 0) {
      status = ErrnoStatus(errno, "renaming label " + final_name);
    }
    if (!status.ok()) {
      ::unlinkat(dir_.get(), temp_name.c_str(), 0);
      return status;
    }
    if (options_.fsync && ::fsync(dir_.get()) != 0) {
      return DataLoss("fsync of the label directory failed: " + std::string(std::strerror(errno)));
    }
    v1::LabelRef ref;
    ref.set_path(final_name);
    ref.set_page(0);
    ref.set_content_hash(HashHex(Fnv1a64(bytes)));
    ref.set_bytes(static_cast<uint32_t>(bytes.size()));
    return ref;
  }

  Status WriteTemp(const std::string& name, std::string_view data) {
    Fd fd(::openat(dir_.get(), name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
    if (fd.get() < 0) return ErrnoStatus(errno, "creating " + name);
    size_t done = 0;
    while (done < data.size()) {
      const ssize_t n = ::write(fd.get(), data.data() + done, data.size() - done);
      if (n < 0) {
        if (errno == EINTR) continue;
        return ErrnoStatus(errno, "writing " + name);
      }
      done += static_cast<size_t>(n);
    }
    if (options_.fsync && ::fsync(fd.get()) != 0) {
      return DataLoss("fsync of " + name + " failed: " + std::strerror(errno));
    }
    if (fd.Close() != 0) return ErrnoStatus(errno, "closing " + name);
    return Status::Ok();
  }

  Fd dir_;
  const SinkOptions options_;
  std::atomic<uint64_t> counter_{0};
};

// The pid in a temporary name ".<name>.tmp.<pid>.<n>", or 0 when `name` is not one.
pid_t TempFileOwner(std::string_view name) {
  if (!name.starts_with('.')) return 0;
  const size_t tmp = name.rfind(".tmp.");
  if (tmp == std::string_view::npos) return 0;
  std::string_view rest = name.substr(tmp + 5);
  const size_t dot = rest.find('.');
  if (dot == std::string_view::npos || dot == 0) return 0;
  pid_t pid = 0;
  for (char c : rest.substr(0, dot)) {
    if (c < '0' || c > '9' || pid > 100'000'000) return 0;
    pid = pid * 10 + (c - '0');
  }
  return pid;
}

// Removes the temporary files of writers that died before their rename. A file of this
// process's pid is a predecessor's too: this sink has written nothing yet.
void RemoveOrphanedTempFiles(const std::string& dir) {
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    const pid_t owner = TempFileOwner(name);
    if (owner <= 0) continue;
    const bool gone = owner == ::getpid() || (::kill(owner, 0) != 0 && errno == ESRCH);
    if (gone) std::filesystem::remove(entry.path(), ec);
  }
}

}  // namespace

Result<std::unique_ptr<LabelSink>> OpenDirectorySink(const std::string& dir,
                                                     const SinkOptions& options) {
  if (dir.empty()) return InvalidArgument("label directory is empty");
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return IoError("creating label directory " + dir + ": " + ec.message());
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus(errno, "opening label directory " + dir);
  RemoveOrphanedTempFiles(dir);
  return std::unique_ptr<LabelSink>(new DirectorySink(fd, options));
}

}  // namespace sortline::label
