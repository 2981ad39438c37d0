// The dock's compact decision index: tracking number -> what a scan-time decision needs
// (the record's chute, its door or route, the order's weight) and the parcel's state,
// in 24 bytes a parcel.
//
// Layout: open addressing with linear probing over 24-byte slots (the tracking number
// inline, zero-padded to 16 bytes, then an 8-byte Entry), at most 80 % full, so a
// parcel costs 24 / 0.8 = 30 to 24 / 0.4 = 60 bytes (just after the table doubled).
// Names (chutes, doors, routes) are 16-bit symbols of a table the index owns. Tracking
// numbers longer than 16 bytes (none of the UPU S10 form, 13) go to a side map that
// costs what a std::unordered_map costs; they are counted.
//
// Growth is incremental: when the table is full a table twice its size is allocated
// (zero pages from the kernel: no memset) and every Add moves a few slots of the old
// table over, so no call ever rehashes the whole table (that would stall the deciding
// thread for hundreds of milliseconds at ten million parcels). Lookups meanwhile look in
// both. The old table's memory is released on another thread.
//
// No Debian library offers this (absl::flat_hash_map and std::unordered_map rehash all
// at once), hence the hand-written table; it is specific to these 24-byte entries.
//
// Thread-safety: not thread-safe; one owner thread (the dock's decision thread). It may
// be built on another thread before it is handed over.
#ifndef PIPELINE_DOCK_RECORD_INDEX_H_
#define PIPELINE_DOCK_RECORD_INDEX_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "proto/record.pb.h"

namespace sortline::dock {

// What the index keeps of a parcel's state (v1::ParcelState without the details the
// store keeps).
enum class ParcelState : uint8_t {
  kKnown = 0,  // a record, not scanned since this dock started
  kDecided = 1,
  kSorted = 2,
  kLoaded = 3,
  kDeparted = 4,  // its truck left: nothing about it is kept in memory but this
  kLost = 5,
  kTimedOut = 6,
};

// Names of chutes, doors and routes as 16-bit numbers. Symbol 0 is "".
class Symbols {
 public:
  static constexpr uint32_t kCapacity = 65536;
  Symbols() { names_.emplace_back(); }
  // The symbol of `name`, made when new; 0 for "" and when the table is full.
  uint16_t Intern(std::string_view name);
  // The symbol of `name` if it has one, else 0.
  uint16_t Find(std::string_view name) const;
  const std::string& Name(uint16_t symbol) const { return names_[symbol]; }
  size_t size() const { return names_.size(); }
  bool full() const { return names_.size() >= kCapacity; }

 private:
  std::vector<std::string> names_;
  std::unordered_map<std::string, uint16_t> by_name_;
};

// 8 bytes: a record's chute, its door (or route, when the record names no door), the
// order's weight, and the parcel's state.
struct Entry {
  uint16_t chute = 0;
  uint16_t destination = 0;    // a door, or a route when destination_is_route
  uint32_t weight_g : 24 = 0;  // saturates at 16,777,215 g
  uint32_t state : 3 = 0;      // ParcelState
  uint32_t destination_is_route : 1 = 0;
  ParcelState parcel_state() const { return static_cast<ParcelState>(state); }
  void set_parcel_state(ParcelState s) { state = static_cast<uint32_t>(s); }
};
static_assert(sizeof(Entry) == 8);

// A record as the index takes it.
struct IndexedRecord {
  std::string tracking_number;
  std::string chute;
  std::string dock_door;
  std::string route;
  int32_t weight_g = 0;
};

// Sets `*out` to what the index takes of `record` (reusing its strings' memory).
void ToIndexed(const v1::SortRecord& record, IndexedRecord* out);

class RecordIndex {
 public:
  static constexpr size_t kInlineKey = 16;

  // Room for `expected` records is made when the first record arrives (0: grow from a
  // small table).
  explicit RecordIndex(uint64_t expected = 0);
  ~RecordIndex();
  RecordIndex(const RecordIndex&) = delete;
  RecordIndex& operator=(const RecordIndex&) = delete;

  // Indexes `record` under its tracking number; false when it has none, or when its
  // names did not fit the symbol table (counted in unindexed()). An existing entry for
  // the tracking number is kept (the store refuses conflicting records, so a second one
  // is the same record redelivered).
  bool Add(const IndexedRecord& record);
  // The entry of `tracking`, or null. Valid until the next Add.
  Entry* Find(std::string_view tracking);
  const Entry* Find(std::string_view tracking) const;

  Symbols& symbols() { return symbols_; }
  const Symbols& symbols() const { return symbols_; }
  uint64_t size() const { return size_; }
  // Tracking numbers kept in the side map (longer than kInlineKey bytes).
  uint64_t spilled() const { return spilled_.size(); }
  uint64_t unindexed() const { return unindexed_; }
  // Bytes of the slot tables now allocated (both while growing).
  uint64_t table_bytes() const;

 private:
  struct Slot {
    char key[kInlineKey];
    Entry entry;
  };
  static_assert(sizeof(Slot) == 24);
  struct Table {
    Slot* slots = nullptr;  // calloc'd; freed by Release
    size_t mask = 0;        // capacity - 1; capacity a power of two
    size_t used = 0;
    size_t capacity() const { return slots == nullptr ? 0 : mask + 1; }
  };

  static size_t Hash(const char (&key)[kInlineKey]);
  static bool Pack(std::string_view tracking, char (&key)[kInlineKey]);
  static Slot* Lookup(const Table& table, const char (&key)[kInlineKey], size_t hash);
  static Slot& Place(Table& table, const char (&key)[kInlineKey], size_t hash);
  static Table Allocate(size_t capacity);
  // Frees a table's memory on another thread: returning hundreds of megabytes to the
  // kernel takes milliseconds.
  static void Release(Table& table);
  void Grow();
  void MigrateSome();

  Table table_;
  Table old_;            // while growing: the table being moved into table_
  size_t migrated_ = 0;  // slots of old_ moved so far
  uint64_t expected_;
  uint64_t size_ = 0;
  uint64_t unindexed_ = 0;
  std::unordered_map<std::string, Entry> spilled_;
  Symbols symbols_;
};

}  // namespace sortline::dock

#endif  // PIPELINE_DOCK_RECORD_INDEX_H_
