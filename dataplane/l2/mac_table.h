// MAC learning table of the L2 switch ("normal" forwarding).
//
// Thread-safety: learn() and lookup() are lock-free and may run on every
// forwarding worker at once; age(), flush_port(), dump() run on the control
// thread, concurrently with them. Each slot is one 64-bit word holding
// MAC (48 bits) and port (16 bits), so a reader sees an old or a new binding,
// never a mix. Two workers learning the same new MAC at the same instant may
// both insert it; lookups return the first copy and the second ages out.
//
// Capacity is fixed at construction (no allocation afterwards). A bucket has
// kWays slots; when all are live, learning replaces the least recently seen
// entry of that bucket (counted in evictions()).
//
// Time is in whole seconds from any monotonic source, passed in by the caller
// so tests can drive aging.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

namespace sluice {

using MacAddress = uint64_t;  // 48-bit MAC in the low bits, network order as read

// Reads the 6 bytes at `bytes` as a MacAddress.
inline MacAddress mac_from_bytes(const uint8_t* bytes) {
  return (uint64_t{bytes[0]} << 40) | (uint64_t{bytes[1]} << 32) | (uint64_t{bytes[2]} << 24) |
         (uint64_t{bytes[3]} << 16) | (uint64_t{bytes[4]} << 8) | uint64_t{bytes[5]};
}

// Group bit: broadcast and multicast destinations are flooded, never learned.
inline bool mac_is_group(MacAddress mac) { return (mac >> 40) & 0x01; }

class MacTable {
 public:
  static constexpr unsigned kWays = 8;
  static constexpr uint16_t kNoPort = 0xffff;

  struct Entry {
    MacAddress mac;
    uint16_t port;
    uint32_t age_s;  // seconds since last seen
  };

  // Room for at least `capacity` entries; entries live `aging_s` seconds after
  // they were last seen.
  MacTable(std::size_t capacity, uint32_t aging_s);

  // Data path. Records that `mac` was seen on `port` at `now`. Group and zero
  // MACs are ignored.
  void learn(MacAddress mac, uint16_t port, uint32_t now) noexcept;
  // Data path. The port `mac` was last seen on, or kNoPort if unknown or aged.
  uint16_t lookup(MacAddress mac, uint32_t now) const noexcept;

  // Control thread. Clears entries older than the aging time; returns how many.
  std::size_t age(uint32_t now);
  // Control thread. Forgets every entry on `port` (the port is going away).
  std::size_t flush_port(uint16_t port);
  // Control thread. Live entries.
  std::vector<Entry> dump(uint32_t now) const;

  uint32_t aging_s() const { return aging_s_; }
  std::size_t capacity() const { return bucket_count_ * kWays; }
  uint64_t evictions() const { return evictions_.load(std::memory_order_relaxed); }

 private:
  struct alignas(64) Bucket {
    std::atomic<uint64_t> slot[kWays];  // (mac << 16) | port; 0 = empty
    std::atomic<uint32_t> seen[kWays];
  };

  static uint64_t pack(MacAddress mac, uint16_t port) { return (mac << 16) | port; }
  static MacAddress slot_mac(uint64_t slot) { return slot >> 16; }
  static uint16_t slot_port(uint64_t slot) { return static_cast<uint16_t>(slot); }
  bool expired(uint32_t seen, uint32_t now) const { return now - seen > aging_s_; }
  Bucket& bucket_of(MacAddress mac) const;
  // Empties every live slot for which stale(slot, seen) holds; returns how many.
  template <class Stale>
  std::size_t clear_if(Stale stale);

  std::size_t bucket_count_;
  uint32_t aging_s_;
  std::unique_ptr<Bucket[]> buckets_;
  std::atomic<uint64_t> evictions_{0};
};

}  // namespace sluice
