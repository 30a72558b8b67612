// TupleSpaceClassifier: one flow table. One rte_hash per distinct mask
// ("subtable"), keyed by the masked FlowKey; the value is a bucket of the
// rules sharing that masked key, best first. L4 port ranges are not expanded
// into masks: the port field is wildcarded in the subtable mask and the range
// is checked on the bucket's candidates (see docs/design/flow-tables.md).
//
// Thread-safety: one writer, the control thread, calls every non-static
// method. Forwarding workers call only lookup(), on a SubtableRef array taken
// from a published PipelineVersion, between two quiescent states. The hashes
// are created with RTE_HASH_EXTRA_FLAGS_RW_CONCURRENCY_LF (lock-free readers);
// buckets are immutable and replaced whole (copy, then atomic data update).
#pragma once

#include <rte_hash.h>
#include <rte_prefetch.h>

#include <cstdint>
#include <cstring>
#include <functional>
#include <map>
#include <unordered_map>
#include <vector>

#include "dataplane/flow/flow_rule.h"
#include "dataplane/rcu/rcu.h"

namespace sluice {

// Rules with the same masked key, best first (FlowRule::beats). Immutable.
// A hash entry's data is the FlowRule itself when it is alone (the common
// case: one cache miss less), or a FlowBucket tagged with the low bit.
struct FlowBucket {
  std::vector<FlowRule*> rules;
};
inline bool is_bucket(const void* data) {
  return reinterpret_cast<uintptr_t>(data) & 1;
}
inline FlowBucket* as_bucket(void* data) {
  return reinterpret_cast<FlowBucket*>(reinterpret_cast<uintptr_t>(data) & ~uintptr_t{1});
}
inline void* tag_bucket(FlowBucket* b) {
  return reinterpret_cast<void*>(reinterpret_cast<uintptr_t>(b) | 1);
}

// A subtable's hash key: the 64-bit words of the key its mask touches,
// masked and packed in order, then zero words up to key_words (rte_hash
// has vector compares for multiples of 16 bytes). A 5-tuple mask touches 5 of
// FlowKey's 14 words, so its hash entries hold 48 bytes of key, not 112.
struct SubtableKey {
  uint64_t w[kFlowKeyWords];
};

struct Subtable {
  // Read per lookup (first cache lines).
  rte_hash* hash = nullptr;
  uint8_t n_words = 0;    // words of FlowKey the mask has bits in
  uint8_t key_words = 0;  // n_words rounded up to even, at least 2: the hash key length / 8
  uint8_t word[kFlowKeyWords] = {};  // their indexes in FlowKey, ascending
  uint64_t word_mask[kFlowKeyWords] = {};
  uint32_t capacity = 0;
  FlowKey mask{};
  // Control thread only:
  uint32_t n_rules = 0;
  std::map<uint16_t, uint32_t> priorities;  // priority -> rules with it

  // Sets the word layout from `mask`.
  void set_mask(const FlowKey& m);
  // `key` masked and packed as this subtable's hash key (key_words words set).
  void pack(const FlowKey& key, SubtableKey& out) const {
    uint64_t k[kFlowKeyWords];
    memcpy(k, &key, sizeof k);
    for (unsigned i = 0; i < n_words; ++i) out.w[i] = k[word[i]] & word_mask[i];
    for (unsigned i = n_words; i < key_words; ++i) out.w[i] = 0;
  }
};

// What a published version holds per subtable: the subtable and an upper
// bound of the priorities of its rules at that version.
struct SubtableRef {
  const Subtable* sub;
  uint16_t max_priority;
};

// Frees to run once no reader can reach the freed objects (after the version
// that no longer references them is published and a grace period has passed).
using Garbage = std::vector<std::function<void()>>;

class TupleSpaceClassifier {
 public:
  explicit TupleSpaceClassifier(uint8_t table) : table_(table) {}
  // Frees every subtable and bucket (not the rules). Only when no reader runs.
  ~TupleSpaceClassifier();
  TupleSpaceClassifier(const TupleSpaceClassifier&) = delete;
  TupleSpaceClassifier& operator=(const TupleSpaceClassifier&) = delete;

  // Control thread. Adds `r` (compiled; its visibility window already set).
  // Replaced buckets and subtables go to `garbage`. May call rcu.drain() when
  // a subtable's hash has to grow. Throws sluice::Error (ENOMEM) if DPDK
  // cannot allocate a hash; the classifier is then unchanged.
  void insert(FlowRule* r, Garbage& garbage, Rcu& rcu);
  // Control thread. Room for `more` rules with `mask` beyond those the table
  // has: the subtable is created or its hash grown once now, not step by step
  // by insert(). Replaced hashes go to `garbage`. May call rcu.drain().
  // Throws sluice::Error (ENOMEM) if DPDK cannot allocate; the classifier is
  // then unchanged.
  void reserve(const FlowKey& mask, uint32_t more, Garbage& garbage, Rcu& rcu);
  // Control thread. Unlinks `r` once no reader can see it any more (its
  // removal generation is published and a grace period has passed). The
  // frees of the old bucket and hash slot go to `after_grace`, to run a grace
  // period after this call, before any later insert() that grows a hash.
  void remove(FlowRule* r, Garbage& after_grace);
  // Control thread. Subtables with rules, by max priority, highest first.
  std::vector<SubtableRef> snapshot() const;
  // Control thread. Drops empty subtables from the table; their frees go to
  // `garbage`, to run after a version built without them is published.
  void take_empty(Garbage& garbage);
  size_t subtable_count() const { return subtables_.size(); }

  // Data path. The best rule of the table for `key` visible at `gen`, or
  // nullptr. Stops at the first subtable whose max priority is below the best
  // match so far.
  static inline const FlowRule* lookup(const SubtableRef* subs, size_t n, const FlowKey& key,
                                       uint64_t gen) {
    const FlowRule* best = nullptr;
    SubtableKey masked;
    for (size_t i = 0; i < n; ++i) {
      if (best != nullptr && subs[i].max_priority < best->priority) break;
      subs[i].sub->pack(key, masked);
      void* data = nullptr;
      if (rte_hash_lookup_data(subs[i].sub->hash, &masked, &data) < 0) continue;
      best = better_of(data, best, key, gen);
    }
    return best;
  }

  // Data path. lookup() for `count` keys (at most kBulk) at once: each
  // subtable is searched for every key still needing it with one
  // rte_hash_lookup_bulk_data call, which prefetches buckets and keys across
  // the batch. best[j] receives key j's result.
  static constexpr unsigned kBulk = 32;
  static inline void lookup_bulk(const SubtableRef* subs, size_t n, const FlowKey* const* keys,
                                 unsigned count, uint64_t gen, const FlowRule** best) {
    SubtableKey masked[kBulk];
    const void* masked_ptrs[kBulk];
    void* data[kBulk];
    uint8_t which[kBulk];
    for (unsigned j = 0; j < count; ++j) best[j] = nullptr;
    for (size_t i = 0; i < n; ++i) {
      unsigned m = 0;
      for (unsigned j = 0; j < count; ++j) {
        if (best[j] != nullptr && subs[i].max_priority < best[j]->priority) continue;
        subs[i].sub->pack(*keys[j], masked[m]);
        masked_ptrs[m] = &masked[m];
        which[m++] = static_cast<uint8_t>(j);
      }
      if (m == 0) break;
      uint64_t hits = 0;
      if (rte_hash_lookup_bulk_data(subs[i].sub->hash, masked_ptrs, m, &hits, data) <= 0) continue;
      // Start loading every hit's rule (or bucket) before the first is read.
      for (uint64_t left = hits; left != 0; left &= left - 1)
        rte_prefetch0(as_bucket(data[__builtin_ctzll(left)]));
      for (unsigned k = 0; k < m; ++k) {
        if (hits & (uint64_t{1} << k)) {
          best[which[k]] = better_of(data[k], best[which[k]], *keys[which[k]], gen);
        }
      }
    }
  }

 private:
  // The better of `best` and the rules a hash hit returned (`data`: a rule
  // or a tagged bucket) that are visible at `gen` and whose ranges hold.
  static inline const FlowRule* better_of(void* data, const FlowRule* best, const FlowKey& key,
                                          uint64_t gen) {
    if (!is_bucket(data)) {
      const FlowRule* r = static_cast<const FlowRule*>(data);
      return (best == nullptr || r->beats(*best)) && r->visible(gen) && r->ranges_match(key) ? r
                                                                                             : best;
    }
    for (const FlowRule* r : as_bucket(data)->rules) {
      if (best != nullptr && !r->beats(*best)) break;
      if (r->visible(gen) && r->ranges_match(key)) return r;
    }
    return best;
  }
  struct MaskHash {
    size_t operator()(const FlowKey& k) const;
  };
  Subtable* create_subtable(const FlowKey& mask, uint32_t capacity);
  // Replaces `old` by a copy with room for at least `capacity` entries
  // (at least four times the old room).
  Subtable* grow(Subtable* old, uint32_t capacity, Garbage& garbage, Rcu& rcu);
  static void free_subtable(Subtable* s);

  uint8_t table_;
  std::unordered_map<FlowKey, Subtable*, MaskHash> subtables_;
};

}  // namespace sluice
