#include "pipeline/dock/record_index.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <thread>

namespace sortline::dock {
namespace {

constexpr size_t kMinCapacity = 1024;
// Slots of the old table moved per Add while growing. The new table has twice the
// room, so the move is done long before it fills: after capacity/kMovesPerAdd adds.
constexpr size_t kMovesPerAdd = 8;
// Tables above this size are freed on a thread of their own.
constexpr size_t kReleaseInBackground = 8 << 20;

// A table is grown past 80 % full.
bool OverLoaded(size_t used, size_t capacity) { return used * 5 >= capacity * 4; }

size_t CapacityFor(uint64_t records) {
  size_t capacity = kMinCapacity;
  while (OverLoaded(records, capacity)) capacity *= 2;
  return capacity;
}

}  // namespace

uint16_t Symbols::Intern(std::string_view name) {
  if (name.empty()) return 0;
  auto it = by_name_.find(std::string(name));
  if (it != by_name_.end()) return it->second;
  if (full()) return 0;
  const auto symbol = static_cast<uint16_t>(names_.size());
  names_.emplace_back(name);
  by_name_.emplace(names_.back(), symbol);
  return symbol;
}

uint16_t Symbols::Find(std::string_view name) const {
  if (name.empty()) return 0;
  auto it = by_name_.find(std::string(name));
  return it == by_name_.end() ? 0 : it->second;
}

void ToIndexed(const v1::SortRecord& record, IndexedRecord* out) {
  out->tracking_number = record.tracking_number();
  out->chute = record.chute();
  out->dock_door = record.dock_door();
  out->route = record.route();
  out->weight_g = record.weight_g();
}

RecordIndex::RecordIndex(uint64_t expected) : expected_(expected) {}

RecordIndex::~RecordIndex() {
  std::free(table_.slots);
  std::free(old_.slots);
}

size_t RecordIndex::Hash(const char (&key)[kInlineKey]) {
  uint64_t a;
  uint64_t b;
  std::memcpy(&a, key, 8);
  std::memcpy(&b, key + 8, 8);
  // Two multiply-xorshift rounds (MurmurHash3's fmix64 constants) over both words.
  uint64_t h = a * 0xff51afd7ed558ccdULL ^ (b + 0x9e3779b97f4a7c15ULL);
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ULL;
  h ^= h >> 29;
  h *= 0xff51afd7ed558ccdULL;
  h ^= h >> 32;
  return static_cast<size_t>(h);
}

bool RecordIndex::Pack(std::string_view tracking, char (&key)[kInlineKey]) {
  if (tracking.empty() || tracking.size() > kInlineKey ||
      tracking.find('\0') != std::string_view::npos) {
    return false;
  }
  std::memset(key, 0, kInlineKey);
  std::memcpy(key, tracking.data(), tracking.size());
  return true;
}

RecordIndex::Slot* RecordIndex::Lookup(const Table& table, const char (&key)[kInlineKey],
                                       size_t hash) {
  if (table.slots == nullptr) return nullptr;
  for (size_t i = hash & table.mask;; i = (i + 1) & table.mask) {
    Slot& slot = table.slots[i];
    if (slot.key[0] == '\0') return nullptr;
    if (std::memcmp(slot.key, key, kInlineKey) == 0) return &slot;
  }
}

RecordIndex::Slot& RecordIndex::Place(Table& table, const char (&key)[kInlineKey], size_t hash) {
  size_t i = hash & table.mask;
  while (table.slots[i].key[0] != '\0') i = (i + 1) & table.mask;
  Slot& slot = table.slots[i];
  std::memcpy(slot.key, key, kInlineKey);
  ++table.used;
  return slot;
}

RecordIndex::Table RecordIndex::Allocate(size_t capacity) {
  Table table;
  // calloc of this size maps fresh zero pages: no memset, the pages are touched as the
  // slots fill.
  table.slots = static_cast<Slot*>(std::calloc(capacity, sizeof(Slot)));
  if (table.slots == nullptr) std::abort();  // out of memory: nothing sensible to do
  table.mask = capacity - 1;
  return table;
}

void RecordIndex::Release(Table& table) {
  Slot* slots = table.slots;
  const size_t bytes = table.capacity() * sizeof(Slot);
  table = Table{};
  if (slots == nullptr) return;
  if (bytes < kReleaseInBackground) {
    std::free(slots);
    return;
  }
  std::thread([slots] { std::free(slots); }).detach();
}

void RecordIndex::Grow() {
  old_ = table_;
  migrated_ = 0;
  table_ = Allocate(old_.capacity() * 2);
}

void RecordIndex::MigrateSome() {
  if (old_.slots == nullptr) return;
  const size_t end = std::min(old_.capacity(), migrated_ + kMovesPerAdd);
  for (; migrated_ < end; ++migrated_) {
    // A moved slot stays in old_ (clearing it would cut the probe chains of entries not
    // yet moved); lookups find the moved copy in table_ first.
    const Slot& slot = old_.slots[migrated_];
    if (slot.key[0] == '\0') continue;
    Place(table_, slot.key, Hash(slot.key)).entry = slot.entry;
  }
  if (migrated_ == old_.capacity()) Release(old_);
}

bool RecordIndex::Add(const IndexedRecord& record) {
  if (record.tracking_number.empty()) return false;
  if (Find(record.tracking_number) != nullptr) return true;
  const uint16_t chute = symbols_.Intern(record.chute);
  const bool by_route = record.dock_door.empty();
  const uint16_t destination = symbols_.Intern(by_route ? record.route : record.dock_door);
  if ((chute == 0 && !record.chute.empty()) ||
      (destination == 0 && !(by_route ? record.route : record.dock_door).empty())) {
    ++unindexed_;
    return false;
  }
  Entry entry;
  entry.chute = chute;
  entry.destination = destination;
  entry.destination_is_route = by_route ? 1 : 0;
  entry.weight_g = static_cast<uint32_t>(std::clamp(record.weight_g, 0, (1 << 24) - 1));
  char key[kInlineKey];
  if (!Pack(record.tracking_number, key)) {
    spilled_.emplace(record.tracking_number, entry);
    ++size_;
    return true;
  }
  if (table_.slots == nullptr) table_ = Allocate(CapacityFor(expected_));
  MigrateSome();
  if (old_.slots == nullptr && OverLoaded(table_.used + 1, table_.capacity())) {
    Grow();
    MigrateSome();
  }
  Place(table_, key, Hash(key)).entry = entry;
  ++size_;
  return true;
}

Entry* RecordIndex::Find(std::string_view tracking) {
  char key[kInlineKey];
  if (!Pack(tracking, key)) {
    if (tracking.size() <= kInlineKey) return nullptr;
    auto it = spilled_.find(std::string(tracking));
    return it == spilled_.end() ? nullptr : &it->second;
  }
  const size_t hash = Hash(key);
  if (Slot* slot = Lookup(table_, key, hash)) return &slot->entry;
  if (Slot* slot = Lookup(old_, key, hash)) return &slot->entry;
  return nullptr;
}

const Entry* RecordIndex::Find(std::string_view tracking) const {
  return const_cast<RecordIndex*>(this)->Find(tracking);
}

uint64_t RecordIndex::table_bytes() const {
  return (table_.capacity() + old_.capacity()) * sizeof(Slot);
}

}  // namespace sortline::dock
