// RuleIdentityMap: values by RuleIdentity in one open-addressed array
// (linear probing, erased slots left as tombstones). A lookup reads one slot
// run and compares matches only where the precomputed hashes agree, so the
// control path's per-rule lookups in tables of 100k+ rules cost about one
// cache miss each.
//
// Positions: find() and insert() return a slot position, valid for at() and
// erase() until the next rehash. Only insert() rehashes, and not while the
// inserts since the last reserve(n) number at most n.
//
// Thread-safety: none; one thread (the control thread) uses it.
#pragma once

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

#include "dataplane/flow/rule_identity.h"

namespace sluice {

template <class T>
class RuleIdentityMap {
 public:
  static constexpr size_t npos = SIZE_MAX;
  struct Entry {
    RuleIdentity key;  // key.match == nullptr: free (key.hash: kEmpty or kErased)
    T value{};
  };

  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }

  // The position of `key`, or npos.
  size_t find(const RuleIdentity& key) const {
    if (slots_.empty()) return npos;
    for (size_t i = key.hash & mask();; i = (i + 1) & mask()) {
      const Entry& e = slots_[i];
      if (e.key.match == nullptr) {
        if (e.key.hash == kEmpty) return npos;
        continue;
      }
      if (e.key == key) return i;
    }
  }
  bool contains(const RuleIdentity& key) const { return find(key) != npos; }
  // Starts loading the slot where a probe for `key` begins.
  void prefetch(const RuleIdentity& key) const {
    if (!slots_.empty()) __builtin_prefetch(&slots_[key.hash & mask()]);
  }

  // Adds `key` (which must be absent) with `value`; returns its position.
  size_t insert(const RuleIdentity& key, T value) {
    if (too_full(used_ + 1)) rehash(size_ + 1);
    size_t i = key.hash & mask();
    while (slots_[i].key.match != nullptr) i = (i + 1) & mask();
    // Reuse the first tombstone of the run when the run has one.
    if (slots_[i].key.hash == kEmpty) ++used_;
    slots_[i] = Entry{key, std::move(value)};
    ++size_;
    return i;
  }

  // Removes the entry at `pos` (a position of a present key).
  void erase(size_t pos) {
    slots_[pos] = Entry{};
    slots_[pos].key.hash = kErased;
    --size_;
  }

  // Room for `n` more inserts without a rehash. Returns true when it had to
  // rehash (positions changed).
  bool reserve(size_t n) {
    if (!too_full(used_ + n)) return false;
    rehash(size_ + n);
    return true;
  }

  Entry& at(size_t pos) { return slots_[pos]; }
  const Entry& at(size_t pos) const { return slots_[pos]; }

  // Calls f(key, value) for every entry, in no particular order.
  template <class F>
  void for_each(F&& f) const {
    for (const Entry& e : slots_)
      if (e.key.match != nullptr) f(e.key, e.value);
  }

 private:
  static constexpr uint64_t kEmpty = 0, kErased = 1;

  size_t mask() const { return slots_.size() - 1; }
  // Keeps at most 5/8 of the slots used (entries and tombstones).
  bool too_full(size_t used) const { return used * 8 > slots_.size() * 5; }
  void rehash(size_t entries) {
    std::vector<Entry> old;
    old.swap(slots_);
    slots_.resize(std::max<size_t>(16, std::bit_ceil(entries * 2)));
    size_ = used_ = 0;
    for (Entry& e : old)
      if (e.key.match != nullptr) insert(e.key, std::move(e.value));
  }

  std::vector<Entry> slots_;  // power-of-two size
  size_t size_ = 0;           // entries
  size_t used_ = 0;           // entries and tombstones
};

}  // namespace sluice
