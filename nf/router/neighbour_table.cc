#include "nf/router/neighbour_table.h"

#include <rte_errno.h>
#include <rte_malloc.h>

#include <cstring>
#include <new>
#include <string>

#include "common/error.h"

namespace sluice::nf {

NeighbourTable::NeighbourTable(const char* name, uint32_t capacity, int socket_id)
    : capacity_(capacity) {
  rte_hash_parameters params{};
  params.name = name;
  params.entries = capacity;
  params.key_len = sizeof(NeighbourKey);
  params.hash_func = nullptr;  // rte_hash's default; rte_hash_crc.h would add a
                               // static constructor to the plugin
  params.socket_id = socket_id;
  params.extra_flag = RTE_HASH_EXTRA_FLAGS_EXT_TABLE;  // insert fails only when full
  hash_ = rte_hash_create(&params);
  if (hash_ == nullptr)
    throw Error(std::string("router: cannot create neighbour table ") + name + ": " +
                    rte_strerror(rte_errno),
                rte_errno);
  slot_count_ = static_cast<uint32_t>(rte_hash_max_key_id(hash_)) + 1;
  void* mem =
      rte_zmalloc_socket(name, sizeof(Neighbour) * slot_count_, RTE_CACHE_LINE_SIZE, socket_id);
  if (mem == nullptr) {
    rte_hash_free(hash_);
    throw Error("router: no memory for " + std::to_string(capacity) +
                    " neighbours (neighbour.size)",
                ENOMEM, "/neighbour/size");
  }
  slots_ = static_cast<Neighbour*>(mem);
  for (uint32_t i = 0; i < slot_count_; ++i) new (&slots_[i]) Neighbour;
}

NeighbourTable::~NeighbourTable() {
  for (uint32_t i = 0; i < slot_count_; ++i) {
    for (uint8_t q = 0; q < slots_[i].queued; ++q) rte_pktmbuf_free(slots_[i].queue[q]);
    slots_[i].~Neighbour();
  }
  rte_free(slots_);
  rte_hash_free(hash_);
}

Neighbour* NeighbourTable::find(const NeighbourKey& key) noexcept {
  const int32_t pos = rte_hash_lookup(hash_, &key);
  return pos < 0 ? nullptr : &slots_[pos];
}

Neighbour* NeighbourTable::insert(const NeighbourKey& key) noexcept {
  const int32_t pos = rte_hash_add_key(hash_, &key);
  if (pos < 0) return nullptr;
  count_.store(count_.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
  Neighbour& n = slots_[pos];
  begin_write(n);
  n.state = NeighbourState::free;
  n.probes = n.queued = 0;
  n.key = key;
  end_write(n);
  return &n;
}

void NeighbourTable::remove(Neighbour& n) noexcept {
  rte_hash_del_key(hash_, &n.key);
  begin_write(n);
  n.state = NeighbourState::free;
  n.queued = 0;
  end_write(n);
  count_.store(count_.load(std::memory_order_relaxed) - 1, std::memory_order_relaxed);
}

bool NeighbourTable::snapshot(uint32_t slot, NeighbourSnapshot& out) const noexcept {
  const Neighbour& n = slots_[slot];
  for (int attempt = 0; attempt < 4; ++attempt) {
    const uint32_t before = n.seq.load(std::memory_order_acquire);
    if (before & 1) continue;
    // A racy copy, validated by the sequence count below (the seqlock idiom).
    out.state = n.state;
    out.probes = n.probes;
    out.queued = n.queued;
    out.mac = n.mac;
    out.confirmed_ns = n.confirmed_ns;
    std::memcpy(&out.key, &n.key, sizeof out.key);
    std::atomic_thread_fence(std::memory_order_acquire);
    if (n.seq.load(std::memory_order_relaxed) == before) return out.state != NeighbourState::free;
  }
  return false;
}

}  // namespace sluice::nf
