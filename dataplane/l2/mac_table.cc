#include "dataplane/l2/mac_table.h"

#include <bit>

namespace sluice {

MacTable::MacTable(std::size_t capacity, uint32_t aging_s)
    : bucket_count_(std::bit_ceil(std::max<std::size_t>(1, (capacity + kWays - 1) / kWays))),
      aging_s_(aging_s),
      buckets_(new Bucket[bucket_count_]) {
  for (std::size_t b = 0; b < bucket_count_; ++b) {
    for (unsigned i = 0; i < kWays; ++i) {
      buckets_[b].slot[i].store(0, std::memory_order_relaxed);
      buckets_[b].seen[i].store(0, std::memory_order_relaxed);
    }
  }
}

MacTable::Bucket& MacTable::bucket_of(MacAddress mac) const {
  uint64_t h = mac * 0x9e3779b97f4a7c15ull;
  return buckets_[(h >> 32) & (bucket_count_ - 1)];
}

void MacTable::learn(MacAddress mac, uint16_t port, uint32_t now) noexcept {
  if (mac == 0 || mac_is_group(mac)) return;
  Bucket& b = bucket_of(mac);
  const uint64_t wanted = pack(mac, port);
  int free_slot = -1;
  int oldest = 0;
  uint32_t oldest_age = 0;
  for (unsigned i = 0; i < kWays; ++i) {
    uint64_t current = b.slot[i].load(std::memory_order_acquire);
    uint32_t seen = b.seen[i].load(std::memory_order_relaxed);
    if (current != 0 && slot_mac(current) == mac) {
      if (seen != now) b.seen[i].store(now, std::memory_order_relaxed);
      if (current != wanted) b.slot[i].compare_exchange_strong(current, wanted);
      return;
    }
    if (current == 0 || expired(seen, now)) {
      if (free_slot < 0) free_slot = static_cast<int>(i);
    } else if (now - seen >= oldest_age) {
      oldest_age = now - seen;
      oldest = static_cast<int>(i);
    }
  }
  const int target = free_slot >= 0 ? free_slot : oldest;
  if (free_slot < 0) evictions_.fetch_add(1, std::memory_order_relaxed);
  uint64_t expected = b.slot[target].load(std::memory_order_relaxed);
  b.seen[target].store(now, std::memory_order_relaxed);
  b.slot[target].compare_exchange_strong(expected, wanted, std::memory_order_release);
}

uint16_t MacTable::lookup(MacAddress mac, uint32_t now) const noexcept {
  const Bucket& b = bucket_of(mac);
  for (unsigned i = 0; i < kWays; ++i) {
    uint64_t current = b.slot[i].load(std::memory_order_acquire);
    if (current != 0 && slot_mac(current) == mac) {
      if (expired(b.seen[i].load(std::memory_order_relaxed), now)) return kNoPort;
      return slot_port(current);
    }
  }
  return kNoPort;
}

template <class Stale>
std::size_t MacTable::clear_if(Stale stale) {
  std::size_t cleared = 0;
  for (std::size_t bi = 0; bi < bucket_count_; ++bi) {
    Bucket& b = buckets_[bi];
    for (unsigned i = 0; i < kWays; ++i) {
      uint64_t current = b.slot[i].load(std::memory_order_acquire);
      if (current != 0 && stale(current, b.seen[i].load(std::memory_order_relaxed)) &&
          b.slot[i].compare_exchange_strong(current, 0)) {
        ++cleared;
      }
    }
  }
  return cleared;
}

std::size_t MacTable::age(uint32_t now) {
  return clear_if([&](uint64_t, uint32_t seen) { return expired(seen, now); });
}

std::size_t MacTable::flush_port(uint16_t port) {
  return clear_if([&](uint64_t slot, uint32_t) { return slot_port(slot) == port; });
}

std::vector<MacTable::Entry> MacTable::dump(uint32_t now) const {
  std::vector<Entry> entries;
  for (std::size_t bi = 0; bi < bucket_count_; ++bi) {
    const Bucket& b = buckets_[bi];
    for (unsigned i = 0; i < kWays; ++i) {
      uint64_t current = b.slot[i].load(std::memory_order_acquire);
      uint32_t seen = b.seen[i].load(std::memory_order_relaxed);
      if (current != 0 && !expired(seen, now)) {
        entries.push_back({slot_mac(current), slot_port(current), now - seen});
      }
    }
  }
  return entries;
}

}  // namespace sluice
