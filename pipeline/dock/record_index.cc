#include "pipeline/dock/record_index.h"

#include <mutex>

namespace sortline::dock {

RecordIndex::RecordIndex(uint64_t expected) {
  for (Shard& shard : shards_) shard.records.reserve(expected / kShards + 1);
}

RecordIndex::Shard& RecordIndex::ShardFor(std::string_view tracking) const {
  return shards_[Hash{}(tracking) % kShards];
}

void RecordIndex::Add(const v1::SortRecord& record) {
  if (record.tracking_number().empty()) return;
  auto copy = std::make_shared<v1::SortRecord>(record);
  copy->clear_label();
  Shard& shard = ShardFor(record.tracking_number());
  std::unique_lock lock(shard.mu);
  if (shard.records.emplace(record.tracking_number(), std::move(copy)).second) {
    size_.fetch_add(1, std::memory_order_relaxed);
  }
}

std::shared_ptr<const v1::SortRecord> RecordIndex::Find(std::string_view tracking) const {
  Shard& shard = ShardFor(tracking);
  std::shared_lock lock(shard.mu);
  auto it = shard.records.find(tracking);
  return it == shard.records.end() ? nullptr : it->second;
}

}  // namespace sortline::dock
