// Files, the one seam every durable write goes through (in the spirit of LevelDB's
// Env): write a file atomically with the durability asked for, read a file whole, make
// a directory's entries durable, and own a file descriptor. A test hands a component a
// FileSystem that refuses writes or fsyncs (tests/testing/fault_file_system.h) to show
// what happens on a full disk or a failing one, in-process.
//
// Atomic means a reader sees either the old file or the whole new one, never a part:
// bytes go to a temporary name in the same directory, ".<name>.tmp.<host>.<pid>.<n>",
// which is renamed over the final name. Durable means the new file survives a power cut
// once the call returns: the data is flushed before the rename and the directory after
// it. A group of files is made durable together, so the cost is one data barrier and
// one directory sync per group, not two fsyncs per file.
//
// Errors: kResourceExhausted when the disk or quota is full (worth retrying once space
// returns), kDataLoss when a flush to disk failed (the page cache may have dropped the
// data: never retry an fsync, end the process), kIoError for other refusals, kNotFound
// when a file to read is missing. A failed write leaves no temporary file behind.
//
// Thread-safety: FileSystem and Directory implementations are thread-safe; concurrent
// writers of one name get distinct temporary names and the last rename wins whole.
#ifndef PIPELINE_BASE_FILE_H_
#define PIPELINE_BASE_FILE_H_

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <sys/types.h>

#include "pipeline/base/result.h"

namespace sortline {

// Owns a POSIX file descriptor (-1: none) and closes it on destruction.
class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  ~UniqueFd();
  UniqueFd(UniqueFd&& other) noexcept : fd_(other.release()) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept;
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  // Gives up ownership; the caller closes the returned descriptor.
  int release();
  // Closes now and reports the result: a deferred write error can surface at close.
  Status Close(std::string_view what);

 private:
  int fd_ = -1;
};

enum class Durability {
  kNone,     // renamed into place; the page cache decides when it reaches the disk
  kDurable,  // on disk when the call returns (data flushed, then the directory)
};

// One file of a group: its final name in the directory and its bytes.
struct FileContents {
  std::string_view name;
  std::string_view bytes;
};

// A file being written under its temporary name, for outputs too large to hold in
// memory (an orders file, a records export). Commit renames it over its final name;
// destroying it uncommitted removes the temporary. Not thread-safe: one writer.
class PendingFile {
 public:
  virtual ~PendingFile() = default;
  // Buffered; errors of earlier buffered writes may surface here or at Commit.
  virtual Status Append(std::string_view bytes) = 0;
  // Flushes (kDurable: to disk), renames, and with kDurable syncs the directory. Once
  // only; after an error the temporary is gone and the final name untouched.
  virtual Status Commit(Durability durability) = 0;
};

// A file that only grows at its end: a log of records that a crash may cut short (a
// reader skips a torn last record) and that can be rebuilt from elsewhere. Each Append
// is one write(2) with O_APPEND, so appends of several writers to one file on a local
// file system never interleave within one call's bytes. Thread-safe.
class AppendFile {
 public:
  virtual ~AppendFile() = default;
  virtual Status Append(std::string_view bytes) = 0;
  // Flushes what was appended to disk: kDataLoss when the flush fails.
  virtual Status Sync() = 0;
};

// What Directory::Stat tells about a file.
struct FileInfo {
  uint64_t size = 0;
  int64_t modified_unix_ms = 0;  // last modification of the data (a rename keeps it)
};

// A directory that files are written into atomically. Names are plain file names:
// no '/', not empty, not "." or "..", no NUL, not starting with '.' (those are the
// temporaries); anything else is kInvalidArgument and nothing is written.
class Directory {
 public:
  virtual ~Directory() = default;
  virtual const std::string& path() const = 0;

  // Writes every file of `files` under its temporary name; with kDurable flushes them
  // together (one barrier for the group); renames each over its final name; with
  // kDurable syncs the directory once. On error, the temporaries are removed and files
  // already renamed stay whole; a caller redoes the group.
  virtual Status WriteAtomically(std::span<const FileContents> files, Durability durability) = 0;
  Status WriteAtomically(std::string_view name, std::string_view bytes, Durability durability) {
    const FileContents one{name, bytes};
    return WriteAtomically(std::span<const FileContents>(&one, 1), durability);
  }

  // Starts writing `name`; nothing appears under it before Commit.
  virtual Result<std::unique_ptr<PendingFile>> CreatePending(std::string_view name) = 0;

  // Creates `name`, which must not exist (kAlreadyExists otherwise), with permission
  // bits exactly `mode`, and writes `bytes` (for secrets: never replaces a file and
  // never exposes it with wider permissions).
  virtual Status CreateNew(std::string_view name, std::string_view bytes, mode_t mode,
                           Durability durability) = 0;

  virtual Status ReadFile(std::string_view name, std::string* out) const = 0;
  // Opens `name` for appending, creating it (empty, not yet durable) when missing.
  virtual Result<std::unique_ptr<AppendFile>> OpenAppend(std::string_view name) = 0;
  // kNotFound when `name` does not exist.
  virtual Result<FileInfo> Stat(std::string_view name) const = 0;
  // kNotFound when `name` does not exist. Not durable until Sync().
  virtual Status Remove(std::string_view name) = 0;
  // Makes the directory's entries (creations, renames, removals) durable.
  virtual Status Sync() = 0;
  // The names in the directory, temporaries included, unsorted.
  virtual Result<std::vector<std::string>> List() const = 0;

  // Removes the temporary files of writers on this host that no longer run (a
  // temporary of this process's own pid counts as a predecessor's: call this before
  // writing). Temporaries of other hosts sharing the directory are never touched.
  // Returns how many were removed.
  virtual Result<size_t> RemoveOrphanedTemporaries() = 0;
};

class FileSystem {
 public:
  virtual ~FileSystem() = default;

  // Creates `path` and its parents when missing (kIoError when it cannot) and opens it.
  virtual Result<std::unique_ptr<Directory>> OpenDirectory(const std::string& path) = 0;

  // Reads `path` whole. kNotFound when it does not exist.
  virtual Status ReadFile(const std::string& path, std::string* out) = 0;

  // Atomically replaces `path` with `bytes`; its directory is created when missing.
  Status WriteFileAtomically(const std::string& path, std::string_view bytes,
                             Durability durability);
  // Directory::CreatePending for `path`; its directory is created when missing.
  Result<std::unique_ptr<PendingFile>> CreatePending(const std::string& path);
};

// The operating system's files. Never destroyed.
FileSystem& DefaultFileSystem();

// This host's name as it appears in temporary file names: the characters of
// gethostname() that are [A-Za-z0-9-], "localhost" when there are none.
const std::string& TemporaryHostTag();

// Parses a temporary name ".<name>.tmp.<host>.<pid>.<n>"; false when `name` is not one.
bool ParseTemporaryName(std::string_view name, std::string* host, pid_t* pid);

// Maps an errno of a failed write to a Status: ENOSPC/EDQUOT to kResourceExhausted, the
// rest to kIoError; "what: strerror". (Reads report a missing file as kNotFound.)
Status ErrnoToStatus(int err, std::string_view what);

}  // namespace sortline

#endif  // PIPELINE_BASE_FILE_H_
