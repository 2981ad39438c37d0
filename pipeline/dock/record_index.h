// The in-memory index of committed sort records by tracking number, from which the
// dock decides at scan time without touching disk.
//
// Thread-safety: thread-safe. Sharded reader-writer locks: the records thread adds
// while the decision thread looks up, and a lookup waits at most for one insert into
// one shard. Records are shared immutable; Find hands out a reference-counted pointer.
#ifndef PIPELINE_DOCK_RECORD_INDEX_H_
#define PIPELINE_DOCK_RECORD_INDEX_H_

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "proto/record.pb.h"

namespace sortline::dock {

class RecordIndex {
 public:
  // Reserves room for `expected` records, so inserts up to that many never rehash a
  // shard while a lookup waits for it.
  explicit RecordIndex(uint64_t expected = 0);
  RecordIndex(const RecordIndex&) = delete;
  RecordIndex& operator=(const RecordIndex&) = delete;

  // Indexes `record` under its tracking number (a record without one is ignored). The
  // label reference is not kept: the dock never needs it. An existing entry for the
  // same tracking number is kept (the store refuses conflicting records, so a second
  // one is the same record redelivered).
  void Add(const v1::SortRecord& record);
  // The record of `tracking`, or null.
  std::shared_ptr<const v1::SortRecord> Find(std::string_view tracking) const;
  uint64_t size() const { return size_.load(std::memory_order_relaxed); }

 private:
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  struct Shard {
    mutable std::shared_mutex mu;
    std::unordered_map<std::string, std::shared_ptr<const v1::SortRecord>, Hash, std::equal_to<>>
        records;
  };
  static constexpr size_t kShards = 64;
  Shard& ShardFor(std::string_view tracking) const;

  mutable std::array<Shard, kShards> shards_;
  std::atomic<uint64_t> size_{0};
};

}  // namespace sortline::dock

#endif  // PIPELINE_DOCK_RECORD_INDEX_H_
