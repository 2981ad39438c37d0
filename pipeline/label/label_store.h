// The label store: where finished labels live, how one label is found again for a
// reprint, and how long labels are kept. docs/label-store.md has the design and figures.
//
// Two layouts share one directory:
//   - batch (the default): the labels of a work batch are one multi-page PDF,
//     "batch-<16 hex digits>.pdf", written to a temporary name, flushed once, renamed and
//     the directory flushed once. The name is a hash of the batch's tracking numbers in
//     page order, so a redelivered batch (the same orders) gives the same file, byte for
//     byte, under the same name, and a record never names a second file for its parcel.
//     Which page carries which tracking number is written into the file itself, as PDF
//     comments before "startxref" (every reader skips them), so the file is the durable
//     truth and the index below can always be rebuilt from the files.
//   - per parcel: "<tracking>.pdf", one single-page PDF per parcel; the files of a batch
//     are flushed together (one flush for the group, one directory sync), never two
//     fsyncs per parcel.
//
// The index, "index/<host>-<pid>-<ms>.idx" below the directory, is one append-only log
// per writer process (several workers on one host, or hosts sharing a volume, never write
// the same log): a line "<tracking> <file> <page>/<pages>" per label, appended after its batch
// file is durable, never flushed itself. A lost or torn log costs nothing but speed:
// Find reads every batch file that no log names (and logs what it found).
//
// Reprints: Extract cuts the label's page out of its batch file with qpdf into a
// single-page PDF, copying the page's objects unchanged (the content stream keeps its
// bytes); a per-parcel file is returned as it is.
//
// Errors of writes: kInvalidArgument for a tracking number that is not 13 of [A-Z0-9]
// (they name files), kResourceExhausted when the disk is full, kDataLoss when a flush
// failed (end the process), kIoError for other refusals. Nothing is written under a final
// name unless it is whole.
//
// Thread-safety: a LabelStore is thread-safe.
#ifndef PIPELINE_LABEL_LABEL_STORE_H_
#define PIPELINE_LABEL_LABEL_STORE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "pipeline/base/file.h"
#include "pipeline/base/result.h"
#include "proto/record.pb.h"

namespace sortline::label {

enum class LabelFiles {
  kBatch,      // one multi-page PDF per work batch
  kPerParcel,  // one single-page PDF per parcel
};

// "batch" or "per-parcel".
std::string_view LabelFilesName(LabelFiles files);
// kInvalidArgument for anything but "batch" and "per-parcel".
Result<LabelFiles> ParseLabelFiles(std::string_view name);

struct LabelStoreOptions {
  bool durable = true;                // files flushed to disk before a Put returns
  FileSystem* file_system = nullptr;  // nullptr: DefaultFileSystem(); borrowed
  // A writer starts a new index log when its current one is older than this, so that
  // pruning can drop whole logs.
  int64_t index_roll_ms = 3'600'000;
  // Fault injection for tests; null: none. Called with "mid-label-write" when part of a
  // batch file is in its temporary file and the rest is not yet written.
  std::function<void(std::string_view point)> probe;
};

// One label of a per-parcel Put.
struct ParcelLabel {
  std::string_view tracking_number;
  std::string_view pdf;
};

struct PruneStats {
  uint64_t label_files = 0;  // batch, ZPL and per-parcel files removed
  uint64_t index_logs = 0;   // index logs removed
};

class LabelStore {
 public:
  // Opens the store in `dir`, creating it, and removes the temporaries of this host's
  // writers that died (a torn batch file is only ever such a temporary).
  static Result<std::unique_ptr<LabelStore>> Open(const std::string& dir,
                                                  const LabelStoreOptions& options);
  virtual ~LabelStore() = default;

  virtual const std::string& dir() const = 0;

  // Stores `pdf`, whose page i is the label of tracking_numbers[i], as one batch file,
  // and, when `zpl` is not empty, the same labels as one ZPL print job under the same
  // name with ".zpl" (flushed before the PDF). Returns one reference per page, in page
  // order: the file, its 1-based page, the file's content hash and size.
  // kInvalidArgument for an empty batch or a PDF without "startxref".
  virtual Result<std::vector<v1::LabelRef>> PutBatch(std::span<const std::string> tracking_numbers,
                                                     std::string_view pdf,
                                                     std::string_view zpl = {}) = 0;

  // Stores each label as "<tracking>.pdf", all made durable together. Returns one
  // reference per label (page 0), in order.
  virtual Result<std::vector<v1::LabelRef>> PutParcels(std::span<const ParcelLabel> labels) = 0;

  // Where the label of `tracking_number` is (file and page; page 0 for a per-parcel
  // file), with the file's current size. kNotFound when the store has no such label
  // (never stored, or pruned). The first few lookups scan the index logs for the number
  // (a reprint at the chute asks for one); later ones load the index into memory. A
  // number the logs do not have is looked for in the batch files they do not name.
  virtual Result<v1::LabelRef> Find(std::string_view tracking_number) = 0;

  // The label of `tracking_number` as a single-page PDF (kNotFound as Find; kDataLoss
  // when its batch file does not parse or its page is not this label). `ref`, when not
  // null, is set to where it was found.
  virtual Result<std::string> Extract(std::string_view tracking_number,
                                      v1::LabelRef* ref = nullptr) = 0;

  // Reads every batch file and writes one index log naming all their pages. Returns the
  // number of labels indexed.
  virtual Result<uint64_t> RebuildIndex() = 0;

  // Removes label files and index logs last modified before `before_unix_ms`.
  virtual Result<PruneStats> Prune(int64_t before_unix_ms) = 0;
};

// Whether `s` may name a label file: exactly 13 of [A-Z0-9] (the S10 alphabet), so no
// separator, dot or NUL can reach a path.
bool IsSafeTrackingNumber(std::string_view s);

// The tracking numbers of a batch file's pages, from the comments PutBatch wrote into
// it (page i+1 is element i). kNotFound when the file carries none; kDataLoss when they
// are damaged.
Result<std::vector<std::string>> BatchPages(std::string_view pdf);

// Page `page` (1-based) of `pdf` as a PDF of its own, its objects copied unchanged.
// kInvalidArgument for a page outside the document; kDataLoss when `pdf` does not parse.
Result<std::string> ExtractPage(std::string_view pdf, uint32_t page);

// The content stream of page `page` (1-based) of `pdf`, decoded (for checking that a
// reprint draws exactly what the batch page drew). Errors as ExtractPage.
Result<std::string> PageContent(std::string_view pdf, uint32_t page);

}  // namespace sortline::label

#endif  // PIPELINE_LABEL_LABEL_STORE_H_
