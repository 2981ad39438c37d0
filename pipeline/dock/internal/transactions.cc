#include "pipeline/dock/internal/transactions.h"

#include <algorithm>
#include <functional>

namespace sortline::dock::internal {

size_t TransactionMemory::KeyHash::operator()(const Key& key) const {
  return std::hash<std::string_view>{}(key.scanner) ^ (key.transaction * 0x9e3779b97f4a7c15ULL);
}

TransactionMemory::TransactionMemory(size_t capacity) : capacity_(std::max<size_t>(1, capacity)) {
  ring_.reserve(capacity_);
}

Remembered* TransactionMemory::Find(std::string_view scanner, uint64_t transaction) {
  auto it = by_key_.find(Key{scanner, transaction});
  return it == by_key_.end() ? nullptr : &ring_[it->second];
}

void TransactionMemory::Remember(std::string_view scanner, uint64_t transaction,
                                 const v1::SortResponse& response, int32_t weight_g,
                                 int64_t volume_cm3) {
  auto previous = by_key_.find(Key{scanner, transaction});
  if (previous != by_key_.end()) {
    Remembered& old = ring_[previous->second];
    by_key_.erase(previous);
    old.live = false;
  }
  size_t slot;
  if (ring_.size() < capacity_) {
    slot = ring_.size();
    ring_.emplace_back();
  } else {
    slot = next_;
    Remembered& oldest = ring_[slot];
    if (oldest.live) {
      if (!oldest.confirmed) ++forgotten_;
      by_key_.erase(Key{oldest.scanner, oldest.transaction});
    }
  }
  next_ = (slot + 1) % capacity_;
  Remembered& entry = ring_[slot];
  entry.live = true;
  entry.scanner = scanner;
  entry.transaction = transaction;
  entry.response = response;
  entry.confirmed = false;
  entry.weight_g = weight_g;
  entry.volume_cm3 = volume_cm3;
  // The key views the entry's own scanner string, which lives as long as the entry
  // (erased above before the entry is reused).
  by_key_.emplace(Key{entry.scanner, entry.transaction}, static_cast<uint32_t>(slot));
}

}  // namespace sortline::dock::internal
