// ExactMatchCache: a per-worker, fixed-size cache from the FlowKey a packet
// had on arrival to the FlowPath the pipeline gave it. Two-way set
// associative, no heap after construction. Every entry carries the pipeline
// generation it was computed at: an entry of another generation is a miss, so
// a cached pointer is only followed while the version that holds it is the
// one the worker is reading (and therefore not freed).
//
// Thread-safety: owned and used by one forwarding worker only.
#pragma once

#include <rte_hash_crc.h>

#include <algorithm>
#include <bit>
#include <cstdint>
#include <cstring>
#include <memory>

#include "dataplane/flow/pipeline_version.h"

namespace sluice {

class ExactMatchCache {
 public:
  static constexpr unsigned kMaxPath = 8;  // longer paths are not cached

  // `entries` is rounded down to a power of two (at least 2). Control thread,
  // before the worker runs; throws std::bad_alloc.
  explicit ExactMatchCache(unsigned entries = 8192)
      : sets_(std::bit_floor(std::max(entries, 2u)) / 2), entries_(new Entry[sets_ * 2]) {
    memset(static_cast<void*>(entries_.get()), 0, sizeof(Entry) * sets_ * 2);
  }

  static uint32_t hash(const FlowKey& key) { return rte_hash_crc(&key, sizeof key, 0); }

  // Copies the cached path for `key` at `generation` into `path`; false on a
  // miss (absent or stale).
  bool lookup(const FlowKey& key, uint32_t h, uint64_t generation, FlowPath& path) const {
    const Entry* set = &entries_[(h & (sets_ - 1)) * 2];
    for (int w = 0; w < 2; ++w) {
      const Entry& e = set[w];
      if (e.generation != generation || e.hash != h || !(e.key == key)) continue;
      path.n = e.n;
      path.missed = e.missed;
      path.miss_table = e.miss_table;
      path.miss = e.miss;
      for (unsigned i = 0; i < e.n; ++i) path.rules[i] = e.rules[i];
      return true;
    }
    return false;
  }

  void insert(const FlowKey& key, uint32_t h, uint64_t generation, const FlowPath& path) {
    if (path.n > kMaxPath) return;
    Entry* set = &entries_[(h & (sets_ - 1)) * 2];
    Entry& e = set[0].generation != generation   ? set[0]
               : set[1].generation != generation ? set[1]
                                                 : set[(h >> 31) & 1];
    e.key = key;
    e.hash = h;
    e.generation = generation;
    e.n = path.n;
    e.missed = path.missed;
    e.miss_table = path.miss_table;
    e.miss = path.miss;
    for (unsigned i = 0; i < path.n; ++i) e.rules[i] = path.rules[i];
  }

 private:
  struct Entry {
    FlowKey key;
    uint64_t generation;
    uint32_t hash;
    uint8_t n;
    bool missed;
    uint8_t miss_table;
    TableMiss miss;
    const FlowRule* rules[kMaxPath];
  };
  unsigned sets_;  // power of two
  std::unique_ptr<Entry[]> entries_;
};

}  // namespace sluice
