// ExactMatchCache: a per-worker, fixed-size cache from the FlowKey a packet
// had on arrival to the FlowPath the pipeline gave it. Two-way set
// associative, no heap after construction. Every entry carries the pipeline
// generation it was computed at: an entry of another generation is a miss, so
// a cached pointer is only followed while the version that holds it is the
// one the worker is reading (and therefore not freed).
//
// Keys are arrival keys (extract_flow_key's output): their metadata and
// registers are zero, so only the packet fields from nw_src on (kKeyWords
// 64-bit words) are hashed, stored and compared. Passing a key with non-zero
// metadata or registers is a contract violation (it would alias another key).
//
// Thread-safety: owned and used by one forwarding worker only.
#pragma once

#include <rte_common.h>
#include <rte_hash_crc.h>
#include <rte_prefetch.h>

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>

#include "dataplane/flow/pipeline_version.h"

namespace sluice {

class ExactMatchCache {
 public:
  static constexpr unsigned kMaxPath = 8;  // longer paths are not cached
  static constexpr size_t kKeyOffset = offsetof(FlowKey, nw_src);
  static constexpr unsigned kKeyWords = (sizeof(FlowKey) - kKeyOffset) / 8;
  static_assert(offsetof(FlowKey, metadata) == 0 && offsetof(FlowKey, regs) + 32 == kKeyOffset,
                "only metadata and registers may precede the cached part of FlowKey");

  // `entries` is rounded down to a power of two (at least 2). Control thread,
  // before the worker runs; throws std::bad_alloc.
  explicit ExactMatchCache(unsigned entries = 8192)
      : sets_(std::bit_floor(std::max(entries, 2u)) / 2),
        tags_(new Tag[2 * sets_]()),
        entries_(new Entry[2 * sets_]) {}

  // Two independent CRC32-C chains over the cached words (half the latency
  // of one chain), mixed.
  static uint32_t hash(const FlowKey& key) {
    uint64_t w[kKeyWords];
    memcpy(w, reinterpret_cast<const uint8_t*>(&key) + kKeyOffset, sizeof w);
    uint32_t a = 0, b = 0x9e3779b9u;
    for (unsigned i = 0; i + 1 < kKeyWords; i += 2) {
      a = rte_hash_crc_8byte(w[i], a);
      b = rte_hash_crc_8byte(w[i + 1], b);
    }
    if constexpr (kKeyWords % 2 == 1) a = rte_hash_crc_8byte(w[kKeyWords - 1], a);
    return a ^ std::rotl(b, 16);
  }

  // A lookup in three steps, each over a whole batch of packets before the
  // next, so that memory loads overlap: prefetch(h) starts loading the tags
  // of the set `h` maps to; probe() reads them and starts loading the
  // entries whose tag matches; fetch() compares keys and copies the path.
  // lookup() does all three at once.
  void prefetch(uint32_t h) const { rte_prefetch0(&tags_[2 * set_of(h)]); }
  // The ways (bit 0, bit 1) of h's set whose tag is (generation, h).
  unsigned probe(uint32_t h, uint64_t generation) const {
    const uint32_t set = set_of(h);
    unsigned ways = 0;
    for (unsigned way = 0; way < 2; ++way) {
      const Tag& t = tags_[2 * set + way];
      if (t.generation != generation || t.hash != h) continue;
      ways |= 1u << way;
      const auto* e = reinterpret_cast<const char*>(&entries_[2 * set + way]);
      rte_prefetch0(e);  // the key and the first rules
      rte_prefetch0(e + RTE_CACHE_LINE_SIZE);
    }
    return ways;
  }
  // Copies the cached path for `key` into `path` if one of `ways` (probe's
  // answer) holds it; false on a miss.
  bool fetch(const FlowKey& key, uint32_t h, unsigned ways, FlowPath& path) const {
    for (unsigned way = 0; ways != 0; ++way, ways >>= 1) {
      if (!(ways & 1)) continue;
      const Entry& e = entries_[2 * set_of(h) + way];
      if (!same_key(e, key)) continue;
      path.n = e.n;
      path.missed = e.missed;
      path.miss_table = e.miss_table;
      path.miss = e.miss;
      for (unsigned i = 0; i < e.n; ++i) path.rules[i] = e.rules[i];
      return true;
    }
    return false;
  }
  // Copies the cached path for `key` at `generation` into `path`; false on a
  // miss (absent or stale).
  bool lookup(const FlowKey& key, uint32_t h, uint64_t generation, FlowPath& path) const {
    return fetch(key, h, probe(h, generation), path);
  }

  // Insertion throttling, like OVS's emc-insert-inv-prob but only while the
  // cache thrashes (far more flows than entries: each insert would evict an
  // entry that could still hit, for one evicted in turn before it hits).
  // Judged per window of kWindow lookups: with fewer than 1 hit in 4, only
  // one miss in kThrottle is inserted during the next window.
  static constexpr unsigned kWindow = 8192, kThrottle = 32;
  void account(unsigned lookups, unsigned hits) {
    window_lookups_ += lookups;
    window_hits_ += hits;
    if (window_lookups_ < kWindow) return;
    thrashing_ = window_hits_ * 4 < window_lookups_;
    window_lookups_ = window_hits_ = 0;
  }
  // Whether a miss should be inserted now.
  bool admit() { return !thrashing_ || ++throttled_ % kThrottle == 0; }

  void insert(const FlowKey& key, uint32_t h, uint64_t generation, const FlowPath& path) {
    if (path.n > kMaxPath) return;
    Tag* tags = &tags_[2 * set_of(h)];
    const unsigned way = tags[0].generation != generation   ? 0
                         : tags[1].generation != generation ? 1
                                                            : (h >> 31) & 1;
    tags[way] = {generation, h};
    Entry& e = entries_[2 * set_of(h) + way];
    memcpy(e.key, reinterpret_cast<const uint8_t*>(&key) + kKeyOffset, sizeof e.key);
    e.n = path.n;
    e.missed = path.missed;
    e.miss_table = path.miss_table;
    e.miss = path.miss;
    for (unsigned i = 0; i < path.n; ++i) e.rules[i] = path.rules[i];
  }

 private:
  // Tags are apart from the entries, two sets to a cache line: a miss
  // usually reads only a tag line, a hit one tag line and two entry lines.
  struct Tag {
    uint64_t generation;  // 0: empty (generations start at 1)
    uint32_t hash;
  };
  struct alignas(RTE_CACHE_LINE_SIZE) Entry {
    uint64_t key[kKeyWords];
    uint8_t n;
    bool missed;
    uint8_t miss_table;
    TableMiss miss;
    const FlowRule* rules[kMaxPath];
  };

  uint32_t set_of(uint32_t h) const { return h & (sets_ - 1); }
  static bool same_key(const Entry& e, const FlowKey& key) {
    uint64_t w[kKeyWords];
    memcpy(w, reinterpret_cast<const uint8_t*>(&key) + kKeyOffset, sizeof w);
    uint64_t diff = 0;
    for (unsigned i = 0; i < kKeyWords; ++i) diff |= w[i] ^ e.key[i];
    return diff == 0;
  }

  unsigned sets_;  // power of two
  unsigned window_lookups_ = 0, window_hits_ = 0, throttled_ = 0;
  bool thrashing_ = false;
  std::unique_ptr<Tag[]> tags_;
  std::unique_ptr<Entry[]> entries_;
};

}  // namespace sluice
