#include <memory>
#include <string>

#include "pipeline/base/file.h"
#include "pipeline/base/hash.h"
#include "pipeline/label/label.h"
#include "pipeline/label/label_store.h"

namespace sortline::label {
namespace {

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

// Every write goes through the file seam (pipeline/base/file.h), which names the
// temporaries, flushes and renames.
// Thread-safety: thread-safe, as Directory.
class DirectorySink final : public LabelSink {
 public:
  DirectorySink(std::unique_ptr<Directory> dir, const SinkOptions& options)
      : dir_(std::move(dir)), options_(options) {}

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
  Result<v1::LabelRef> WriteAtomically(const std::string& name, std::string_view bytes) {
    SORTLINE_RETURN_IF_ERROR(dir_->WriteAtomically(
        name, bytes, options_.fsync ? Durability::kDurable : Durability::kNone));
    v1::LabelRef ref;
    ref.set_path(name);
    ref.set_page(0);
    ref.set_content_hash(HashHex(Fnv1a64(bytes)));
    ref.set_bytes(static_cast<uint32_t>(bytes.size()));
    return ref;
  }

  const std::unique_ptr<Directory> dir_;
  const SinkOptions options_;
};

}  // namespace

Result<std::unique_ptr<LabelSink>> OpenDirectorySink(const std::string& dir,
                                                     const SinkOptions& options) {
  SORTLINE_ASSIGN_OR_RETURN(std::unique_ptr<Directory> opened,
                            DefaultFileSystem().OpenDirectory(dir));
  SORTLINE_RETURN_IF_ERROR(opened->RemoveOrphanedTemporaries().status());
  return std::unique_ptr<LabelSink>(new DirectorySink(std::move(opened), options));
}

}  // namespace sortline::label
