// One forwarding worker's tracked connections: an rte_hash from the
// connection's canonical 5-tuple to a slot in a fixed array, both sized at
// creation. RSS keeps a flow on one worker, so each worker owns its table and
// takes no lock.
//
// Thread-safety: find/insert/remove/expire/set_now only from the owner
// worker. size(), now() and snapshot() from the control thread, concurrently:
// the owner writes each slot inside a sequence-count section (seqlock), and
// snapshot() retries or gives up on a slot that changes under it; it never
// touches the rte_hash.
#pragma once

#include <rte_hash.h>

#include <array>
#include <atomic>
#include <cstdint>

#include "nf/firewall/conn_state.h"
#include "nf/firewall/packet_parser.h"

namespace sluice::nf {

// A connection's two endpoints in canonical order (lower address/port first),
// so both directions of a connection give the same key. 40 bytes, no
// implicit padding (the hash reads all of it).
struct ConnKey {
  std::array<uint8_t, 16> addr_lo{}, addr_hi{};
  uint16_t port_lo = 0, port_hi = 0;  // ICMP echo: the identifier on both
  uint8_t proto = 0;
  uint8_t family = 0;
  uint16_t pad = 0;
};
static_assert(sizeof(ConnKey) == 40);

// The key of a parsed packet's connection, and whether the packet's source
// is the key's lo endpoint. Returns false for packets that are not tracked
// (ICMP other than echo request/reply).
bool make_conn_key(const FirewallPacket& fp, ConnKey& key, bool& src_is_lo) noexcept;

struct Connection {
  std::atomic<uint32_t> seq{0};  // odd while the owner writes the slot
  ConnState state = ConnState::free;
  Dir closer = Dir::original;    // TCP: see conn_state.h
  bool initiator_is_lo = false;  // which endpoint opened the connection
  uint16_t rule = 0;             // index of the rule that admitted it
  uint64_t expires_ns = 0;
  std::array<uint64_t, 2> packets{};  // by Dir
  ConnKey key;

  Dir direction(bool src_is_lo) const {
    return src_is_lo == initiator_is_lo ? Dir::original : Dir::reply;
  }
};

// A consistent copy of one slot, for listings.
struct ConnectionSnapshot {
  ConnState state;
  bool initiator_is_lo;
  uint16_t rule;
  uint64_t expires_ns;
  std::array<uint64_t, 2> packets;
  ConnKey key;
};

class ConnectionTable {
 public:
  // Room for `capacity` connections. `name` must be unique among rte_hash
  // tables of the process. Throws sluice::Error.
  ConnectionTable(const char* name, uint32_t capacity, int socket_id);
  ~ConnectionTable();
  ConnectionTable(const ConnectionTable&) = delete;
  ConnectionTable& operator=(const ConnectionTable&) = delete;

  // Owner worker, data path.
  hash_sig_t hash(const ConnKey& key) const noexcept { return rte_hash_hash(hash_, &key); }
  // The live connection with `key`, or nullptr. An expired one is removed.
  Connection* find(const ConnKey& key, hash_sig_t sig, uint64_t now_ns) noexcept;
  // Looks up `n` (<= 64) keys at once, overlapping their cache misses, and
  // prefetches the slots found: found[i] is a candidate for keys[i], or
  // nullptr when the key is not in the table. Candidates must go through
  // confirm() before use, since packets settled in between may remove or
  // reuse slots.
  void find_bulk(const ConnKey** keys, hash_sig_t* sigs, uint32_t n, Connection** found) noexcept;
  // The live connection for a find_bulk() candidate, or nullptr. Valid only
  // while nothing was inserted since find_bulk(); removals are fine.
  Connection* confirm(Connection* candidate, const ConnKey& key, hash_sig_t sig,
                      uint64_t now_ns) noexcept;
  // A new slot for `key` (not in the table), state free: the caller fills it
  // inside begin_write/end_write. nullptr when the table is full.
  Connection* insert(const ConnKey& key, hash_sig_t sig) noexcept;
  void remove(Connection& c) noexcept;
  // Looks at up to `budget` slots from where the last call stopped and
  // removes the expired ones; returns how many it removed.
  unsigned expire(uint64_t now_ns, unsigned budget) noexcept;
  void set_now(uint64_t now_ns) noexcept { now_.store(now_ns, std::memory_order_relaxed); }

  static void begin_write(Connection& c) noexcept {
    c.seq.store(c.seq.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
    std::atomic_thread_fence(std::memory_order_release);
  }
  static void end_write(Connection& c) noexcept {
    c.seq.store(c.seq.load(std::memory_order_relaxed) + 1, std::memory_order_release);
  }

  // Any thread.
  uint32_t capacity() const noexcept { return capacity_; }
  uint32_t slots() const noexcept { return slot_count_; }
  uint32_t size() const noexcept { return count_.load(std::memory_order_relaxed); }
  uint64_t now() const noexcept { return now_.load(std::memory_order_relaxed); }
  // Copies slot `slot` if it is in use and stable; false otherwise.
  bool snapshot(uint32_t slot, ConnectionSnapshot& out) const noexcept;

 private:
  rte_hash* hash_ = nullptr;
  Connection* slots_ = nullptr;  // rte_zmalloc'ed, slot_count_ of them
  uint32_t slot_count_ = 0;
  uint32_t capacity_;
  uint32_t scan_ = 0;
  std::atomic<uint32_t> count_{0};
  std::atomic<uint64_t> now_{0};
};

}  // namespace sluice::nf
