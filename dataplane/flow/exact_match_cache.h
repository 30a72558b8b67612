// ExactMatchCache: a per-worker, fixed-size cache from what a packet looked
// like on arrival to the FlowPath the pipeline gave it. A key may sit in two
// slots that its hash picks (two-choice hashing), no heap after
// construction. Every entry carries the pipeline generation it was computed
// at: an entry of another generation is a miss, so a cached rule pointer is
// only followed while the version that holds it is the one the worker is
// reading (and therefore not freed).
//
// Two key types: HeaderSignature (header_signature.h), read straight from
// the bytes of the common frame, and ArrivalKey, the FlowKey of any other.
// A Key has operator== and hash(); equal keys must mean equal FlowKeys.
//
// A lookup compares the key with the entry in its first slot and, when that
// is not it, with the one in its second; the data path prefetches the first
// slot with the hash, and the second only for the packets the first missed,
// all together (one line per slot for HeaderSignature). Inserts prefer the
// first slot, so with few flows nearly every hit is there. There is no
// separate tag array to read first: at 1k flows that pass cost more
// instructions than it saved loads, and with 100k flows in 2^18 slots the
// hit rate stays above 99 %. An entry is the key, its generation and, for
// the usual path of one rule and no table miss, what the data path needs of
// that rule (SoleRule), so a hit does not read the rule. Other paths (up to
// kMaxPath rules) live in a side array that is only touched for them.
//
// Thread-safety: owned and used by one forwarding worker only.
#pragma once

#include <rte_common.h>
#include <rte_prefetch.h>

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

  // `entries` is rounded down to a power of two (at least 2). Control thread,
  // before the worker runs; throws std::bad_alloc. The side array of long
  // paths comes zeroed from calloc, so its pages cost memory only once used.
  explicit ExactMatchCache(unsigned entries = 8192)
      : slot_mask_(std::bit_floor(std::max(entries, 2u)) - 1),
        entries_(size_t{slot_mask_} + 1),
        long_paths_(static_cast<LongPath*>(std::calloc(size_t{slot_mask_} + 1, sizeof(LongPath)))) {
    if (long_paths_ == nullptr) throw std::bad_alloc();
  }

  // The two slots a key of hash h may be in: its low bits, and those bits
  // XOR an odd offset from its high 16 bits, so never the same slot, and
  // hashes that share a first slot have up to 2^16 different second ones.
  unsigned first_slot(uint32_t h) const { return h & slot_mask_; }
  unsigned second_slot(uint32_t h) const { return (h ^ (h >> 15 | 1)) & slot_mask_; }

  // Starts loading what holds() reads of `slot`.
  void prefetch(unsigned slot) const {
    static constexpr size_t kRead = offsetof(Entry, generation) + sizeof(uint64_t);
    const auto* e = reinterpret_cast<const char*>(&entries_[slot]);
    for (size_t line = 0; line < kRead; line += RTE_CACHE_LINE_SIZE) rte_prefetch0(e + line);
  }
  // Whether `slot` holds `key` at `generation`.
  bool holds(unsigned slot, const Key& key, uint64_t generation) const {
    const Entry& e = entries_[slot];
    return e.generation == generation && e.key == key;
  }
  // The slot holding `key` (of hash h) at `generation`, or kMiss (absent
  // or stale).
  int find(const Key& key, uint32_t h, uint64_t generation) const {
    if (holds(first_slot(h), key, generation)) return static_cast<int>(first_slot(h));
    if (holds(second_slot(h), key, generation)) return static_cast<int>(second_slot(h));
    return kMiss;
  }
  // The path in slot `e` when it is one rule without a table miss;
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

  // Into the key's first slot when it is stale or empty, else its second
  // when that is, else either in turn. `key` must not be cached at
  // `generation` (find() missed).
  void insert(const Key& key, uint32_t h, uint64_t generation, const FlowPath& path) {
    if (path.n > kMaxPath) return;
    const unsigned a = first_slot(h), b = second_slot(h);
    const unsigned e = entries_[a].generation != generation   ? a
                       : entries_[b].generation != generation ? b
                       : (victim_++ & 1) != 0                 ? b
                                                              : a;
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

  unsigned slot_mask_;  // slots - 1; slots is a power of two
  unsigned window_lookups_ = 0, window_hits_ = 0, throttled_ = 0, victim_ = 0;
  bool thrashing_ = false;
  HugePageArray<Entry> entries_;
  std::unique_ptr<LongPath, Free> long_paths_;
};

using SignatureCache = ExactMatchCache<HeaderSignature>;
using KeyCache = ExactMatchCache<ArrivalKey>;

}  // namespace sluice
