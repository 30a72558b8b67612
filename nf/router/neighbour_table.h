// One forwarding worker's neighbours (ARP / IPv6 ND cache): an rte_hash from
// (address, interface) to a slot in a fixed array, both sized at creation.
// A slot also holds the packets waiting for an unresolved neighbour (at most
// kMaxNeighbourQueue; the router's "queue" setting bounds them further).
//
// Each worker owns its table and takes no lock; what one worker learns it
// tells the others through their inboxes (router.h), so every table learns
// every answer.
//
// Thread-safety: find/insert/remove/slot only from the owner worker.
// size() and snapshot() from the control thread, concurrently: the owner
// writes each slot inside a sequence-count section (seqlock) and snapshot()
// retries or gives up on a slot that changes under it; it never touches the
// rte_hash. The destructor frees the packets still queued.
#pragma once

#include <rte_hash.h>
#include <rte_mbuf.h>

#include <array>
#include <atomic>
#include <cstdint>

#include "nf/router/router_config.h"

namespace sluice::nf {

// 20 bytes, no implicit padding (the hash reads all of it).
struct NeighbourKey {
  IpAddress addr{};
  uint16_t interface = 0;
  uint8_t family = 0;
  uint8_t pad = 0;
};
static_assert(sizeof(NeighbourKey) == 20);

enum class NeighbourState : uint8_t {
  free,
  incomplete,  // asked for, no answer yet: packets wait in the queue
  reachable,   // MAC known (confirmed_ns says since when)
};

struct Neighbour {
  std::atomic<uint32_t> seq{0};  // odd while the owner writes the slot
  NeighbourState state = NeighbourState::free;
  uint8_t probes = 0;  // requests sent since the last confirmation
  uint8_t queued = 0;
  bool pending = false;  // in the owner's list of unresolved neighbours (router.h)
  MacAddress mac{};
  uint64_t confirmed_ns = 0;  // last answer (reachable)
  uint64_t requested_ns = 0;  // last request sent
  NeighbourKey key;
  std::array<rte_mbuf*, kMaxNeighbourQueue> queue{};  // owner only; not in snapshots
};

struct NeighbourSnapshot {
  NeighbourState state;
  uint8_t probes, queued;
  MacAddress mac;
  uint64_t confirmed_ns;
  NeighbourKey key;
};

class NeighbourTable {
 public:
  // Room for `capacity` neighbours. `name` must be unique among rte_hash
  // tables of the process. Throws sluice::Error (ENOMEM, or rte_hash's errno).
  NeighbourTable(const char* name, uint32_t capacity, int socket_id);
  ~NeighbourTable();
  NeighbourTable(const NeighbourTable&) = delete;
  NeighbourTable& operator=(const NeighbourTable&) = delete;

  // Owner worker, data path.
  Neighbour* find(const NeighbourKey& key) noexcept;
  // A new slot for `key` (not in the table), state free: the caller fills it
  // inside begin_write/end_write. nullptr when the table is full.
  Neighbour* insert(const NeighbourKey& key) noexcept;
  // Forgets the entry; its queue must be empty.
  void remove(Neighbour& n) noexcept;
  Neighbour& slot(uint32_t i) noexcept { return slots_[i]; }
  uint32_t index_of(const Neighbour& n) const noexcept {
    return static_cast<uint32_t>(&n - slots_);
  }

  static void begin_write(Neighbour& n) noexcept {
    n.seq.store(n.seq.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
    std::atomic_thread_fence(std::memory_order_release);
  }
  static void end_write(Neighbour& n) noexcept {
    n.seq.store(n.seq.load(std::memory_order_relaxed) + 1, std::memory_order_release);
  }

  // Any thread.
  uint32_t capacity() const noexcept { return capacity_; }
  uint32_t slots() const noexcept { return slot_count_; }
  uint32_t size() const noexcept { return count_.load(std::memory_order_relaxed); }
  // Copies slot `slot` if it is in use and stable; false otherwise.
  bool snapshot(uint32_t slot, NeighbourSnapshot& out) const noexcept;

 private:
  rte_hash* hash_ = nullptr;
  Neighbour* slots_ = nullptr;  // rte_zmalloc'ed, slot_count_ of them
  uint32_t slot_count_ = 0;
  uint32_t capacity_;
  std::atomic<uint32_t> count_{0};
};

}  // namespace sluice::nf
