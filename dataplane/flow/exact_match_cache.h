// ExactMatchCache: a per-worker, fixed-size cache from what a packet looked
// like on arrival to the FlowPath the pipeline gave it. Eight-way set
// associative, no heap after construction. Every entry carries the pipeline
// generation it was computed at: an entry of another generation is a miss, so
// a cached rule pointer is only followed while the version that holds it is
// the one the worker is reading (and therefore not freed).
//
// Two key types: HeaderSignature (header_signature.h), read straight from
// the bytes of the common frame, and ArrivalKey, the FlowKey of any other.
// A Key has operator== and hash(); equal keys must mean equal FlowKeys.
//
// A lookup reads 16 bytes of tags (16 bits of the key's hash per way; the
// tags of the whole cache are at most 1/32 of its size, so they mostly stay
// in the CPU cache) and then only the entries whose tag matches: one line
// for a HeaderSignature hit. An entry is the key, its generation and, for the usual
// path of one rule and no table miss, what the data path needs of that rule
// (SoleRule), so a hit does not read the rule. Other paths (up to kMaxPath
// rules) live in a side array that is only touched for them.
//
// Thread-safety: owned and used by one forwarding worker only.
#pragma once

#include <rte_common.h>
#include <rte_prefetch.h>
#include <smmintrin.h>

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>

#include "dataplane/flow/crc32c.h"
#include "dataplane/flow/header_signature.h"
#include "dataplane/flow/huge_page_array.h"
#include "dataplane/flow/pipeline_version.h"

namespace sluice {

// The cached part of an arrival FlowKey: everything from nw_src on. Keys on
// arrival have zero metadata and registers, so those are left out.
struct ArrivalKey {
  static constexpr size_t kOffset = offsetof(FlowKey, nw_src);
  static constexpr unsigned kWords = (sizeof(FlowKey) - kOffset) / 8;
  static_assert(offsetof(FlowKey, metadata) == 0 && offsetof(FlowKey, regs) + 32 == kOffset,
                "only metadata and registers may precede the cached part of FlowKey");

  uint64_t w[kWords];

  ArrivalKey() = default;
  explicit ArrivalKey(const FlowKey& key) {
    memcpy(w, reinterpret_cast<const uint8_t*>(&key) + kOffset, sizeof w);
  }
  bool operator==(const ArrivalKey& o) const {
    uint64_t diff = 0;
    for (unsigned i = 0; i < kWords; ++i) diff |= w[i] ^ o.w[i];
    return diff == 0;
  }
  // Two independent CRC32-C chains (half the latency of one), mixed.
  uint32_t hash() const {
    uint32_t a = 0, b = 0x9e3779b9u;
    for (unsigned i = 0; i + 1 < kWords; i += 2) {
      a = crc32c_8byte(w[i], a);
      b = crc32c_8byte(w[i + 1], b);
    }
    if constexpr (kWords % 2 == 1) a = crc32c_8byte(w[kWords - 1], a);
    return a ^ std::rotl(b, 16);
  }
};

// A path of one rule and no table miss, as the data path acts on it: the
// rule, its counter slot and, when its actions are just output:N, N.
struct SoleRule {
  const FlowRule* rule = nullptr;  // nullptr: the path is not one rule
  uint32_t id = 0;
  int32_t output = -1;  // FlowRule::sole_output

  static SoleRule of(const FlowPath& path) {
    if (path.n != 1 || path.missed) return {};
    return {path.rules[0], path.rules[0]->id, path.rules[0]->sole_output};
  }
};

template <class Key>
class ExactMatchCache {
 public:
  static constexpr unsigned kMaxPath = 8;  // longer paths are not cached
  static constexpr int kMiss = -1;
  static constexpr unsigned kWays = 8;

  // `entries` is rounded down to a power of two (at least kWays). Control thread,
  // before the worker runs; throws std::bad_alloc. The side array of long
  // paths comes zeroed from calloc, so its pages cost memory only once used.
  explicit ExactMatchCache(unsigned entries = 8192)
      : sets_(std::bit_floor(std::max(entries, kWays)) / kWays),
        tags_(sets_),
        entries_(kWays * size_t{sets_}),
        long_paths_(static_cast<LongPath*>(std::calloc(kWays * sets_, sizeof(LongPath)))) {
    if (long_paths_ == nullptr) throw std::bad_alloc();
  }

  // Starts loading the tags of the set `h` maps to; candidates() reads them.
  void prefetch(uint32_t h) const { rte_prefetch0(&tags_[set_of(h)]); }
  // The ways of h's set whose tag is h's (bit w: way w), and starts loading
  // the first of their entries; find() a little later reads them.
  uint32_t candidates(uint32_t h) const {
    const unsigned set = set_of(h);
    const __m128i tags = _mm_load_si128(reinterpret_cast<const __m128i*>(&tags_[set]));
    const __m128i eq = _mm_cmpeq_epi16(tags, _mm_set1_epi16(static_cast<short>(tag_of(h))));
    const auto ways = static_cast<uint32_t>(_mm_movemask_epi8(_mm_packs_epi16(eq, eq)) & 0xff);
    if (ways != 0) rte_prefetch0(&entries_[kWays * set + std::countr_zero(ways)]);
    return ways;
  }
  // The entry holding `key` at `generation` among the `ways` candidates()
  // gave for h, or kMiss (absent or stale).
  int find(const Key& key, uint32_t h, uint32_t ways, uint64_t generation) const {
    const unsigned first = kWays * set_of(h);
    for (; ways != 0; ways &= ways - 1) {
      const unsigned e = first + std::countr_zero(ways);
      if (entries_[e].generation == generation && entries_[e].key == key)
        return static_cast<int>(e);
    }
    return kMiss;
  }
  int find(const Key& key, uint32_t h, uint64_t generation) const {
    return find(key, h, candidates(h), generation);
  }
  // The path of entry `e` when it is one rule without a table miss;
  // otherwise sole(e).rule is nullptr and path() has it.
  const SoleRule& sole(int e) const { return entries_[e].sole; }
  void path(int e, FlowPath& out) const {
    if (const FlowRule* r = entries_[e].sole.rule) {
      out.n = 1;
      out.missed = false;
      out.rules[0] = r;
      return;
    }
    const LongPath& p = long_paths_.get()[e];
    out.n = p.n;
    out.missed = p.missed;
    out.miss_table = p.miss_table;
    out.miss = p.miss;
    std::copy_n(p.rules, p.n, out.rules);
  }
  // find() and path() at once; false on a miss.
  bool lookup(const Key& key, uint32_t h, uint64_t generation, FlowPath& out) const {
    const int e = find(key, h, generation);
    if (e == kMiss) return false;
    path(e, out);
    return true;
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

  void insert(const Key& key, uint32_t h, uint64_t generation, const FlowPath& path) {
    if (path.n > kMaxPath) return;
    // A stale or empty way, else the next in turn.
    const unsigned set = set_of(h), first = kWays * set;
    unsigned e = first + victim_++ % kWays;
    for (unsigned way = first; way < first + kWays; ++way) {
      if (entries_[way].generation != generation) {
        e = way;
        break;
      }
    }
    tags_[set].tag[e - first] = tag_of(h);
    Entry& entry = entries_[e];
    entry.key = key;
    entry.generation = generation;
    entry.sole = SoleRule::of(path);
    if (entry.sole.rule != nullptr) return;
    LongPath& p = long_paths_.get()[e];
    p.n = path.n;
    p.missed = path.missed;
    p.miss_table = path.miss_table;
    p.miss = path.miss;
    std::copy_n(path.rules, path.n, p.rules);
  }

 private:
  struct alignas(16) SetTags {
    uint16_t tag[kWays];
  };
  static_assert(sizeof(SetTags) == 16, "one SSE compare per set");
  struct alignas(RTE_CACHE_LINE_SIZE) Entry {
    Key key;
    uint64_t generation;  // 0: empty (generations start at 1)
    SoleRule sole;
  };
  struct LongPath {
    uint8_t n;
    bool missed;
    uint8_t miss_table;
    TableMiss miss;
    const FlowRule* rules[kMaxPath];
  };
  struct Free {
    void operator()(LongPath* p) const { std::free(p); }
  };

  uint32_t set_of(uint32_t h) const { return h & (sets_ - 1); }
  static uint16_t tag_of(uint32_t h) { return static_cast<uint16_t>(h >> 16); }

  unsigned sets_;  // power of two
  unsigned window_lookups_ = 0, window_hits_ = 0, throttled_ = 0, victim_ = 0;
  bool thrashing_ = false;
  HugePageArray<SetTags> tags_;
  HugePageArray<Entry> entries_;
  std::unique_ptr<LongPath, Free> long_paths_;
};

using SignatureCache = ExactMatchCache<HeaderSignature>;
using KeyCache = ExactMatchCache<ArrivalKey>;

}  // namespace sluice
