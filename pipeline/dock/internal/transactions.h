// The dock engine's memory of scan transactions: the answer given to each (scanner,
// transaction), so that a repeated request gets the same answer and a divert
// confirmation finds the parcel it confirms. A fixed ring: once full, the oldest
// transaction is forgotten (counted when it was never confirmed), and remembering
// allocates nothing more.
//
// Thread-safety: not thread-safe; owned by one Engine.
#ifndef PIPELINE_DOCK_INTERNAL_TRANSACTIONS_H_
#define PIPELINE_DOCK_INTERNAL_TRANSACTIONS_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "proto/dock.pb.h"

namespace sortline::dock::internal {

// A scan transaction, remembered for repeats and for its divert confirmation.
struct Remembered {
  bool live = false;  // findable
  std::string scanner;
  uint64_t transaction = 0;
  v1::SortResponse response;
  bool confirmed = false;
  int32_t weight_g = 0;
  int64_t volume_cm3 = 0;
};

class TransactionMemory {
 public:
  // Remembers the last `capacity` transactions (at least 1). The ring's memory is
  // reserved here (address space only until entries are used).
  explicit TransactionMemory(size_t capacity);
  TransactionMemory(const TransactionMemory&) = delete;
  TransactionMemory& operator=(const TransactionMemory&) = delete;

  // The live entry of (scanner, transaction), or null. Valid until the next Remember.
  Remembered* Find(std::string_view scanner, uint64_t transaction);

  // Remembers `response` for (scanner, transaction), unconfirmed, replacing an earlier
  // entry of the same transaction (a repeat after its confirmation is a new one).
  void Remember(std::string_view scanner, uint64_t transaction, const v1::SortResponse& response,
                int32_t weight_g, int64_t volume_cm3);

  // Transactions pushed out of the ring before their confirmation came.
  uint64_t forgotten_unconfirmed() const { return forgotten_; }

 private:
  struct Key {
    std::string_view scanner;  // views its ring entry's scanner
    uint64_t transaction;
    bool operator==(const Key&) const = default;
  };
  struct KeyHash {
    size_t operator()(const Key& key) const;
  };

  const size_t capacity_;
  std::vector<Remembered> ring_;  // never reallocated: the keys view its strings
  size_t next_ = 0;
  std::unordered_map<Key, uint32_t, KeyHash> by_key_;
  uint64_t forgotten_ = 0;
};

}  // namespace sortline::dock::internal

#endif  // PIPELINE_DOCK_INTERNAL_TRANSACTIONS_H_
