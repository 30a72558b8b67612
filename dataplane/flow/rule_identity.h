// RuleIdentity: what names a rule in OpenFlow (table, priority, match), as a
// hash-table key that refers to a Match stored elsewhere instead of copying
// it. The hash is computed once, when the key is made.
//
// Thread-safety: a plain value; the Match it points to must outlive every use
// of the key (control thread only).
#pragma once

#include <cstddef>
#include <cstdint>

#include "common/rules/match.h"

namespace sluice {

struct RuleIdentity {
  uint8_t table = 0;
  uint16_t priority = 0;
  uint64_t hash = 0;
  const Match* match = nullptr;  // not owned

  static RuleIdentity of(uint8_t table, uint16_t priority, const Match& match) {
    uint64_t h = 1469598103934665603ull ^ (uint64_t{table} << 16 | priority);
    auto mix = [&h](uint64_t v) { h = (h ^ v) * 1099511628211ull; };
    mix(match.present_bits());
    for (uint64_t bits = match.present_bits(); bits != 0; bits &= bits - 1) {
      const FieldMatch& m = match.get(static_cast<Field>(__builtin_ctzll(bits)));
      mix(static_cast<uint64_t>(m.value));
      mix(static_cast<uint64_t>(m.value >> 64));
      mix(static_cast<uint64_t>(m.mask) ^ (uint64_t{m.lo} << 32 | m.hi));
    }
    h ^= h >> 33;  // fold the high bits down: the table takes the hash modulo its size
    h *= 0xff51afd7ed558ccdull;
    return {table, priority, h ^ (h >> 33), &match};
  }
  // The same identity, naming the copy of the match at `m` (equal to *match).
  RuleIdentity at(const Match& m) const { return {table, priority, hash, &m}; }

  bool operator==(const RuleIdentity& o) const {
    return hash == o.hash && table == o.table && priority == o.priority &&
           (match == o.match || *match == *o.match);
  }
};

struct RuleIdentityHash {
  size_t operator()(const RuleIdentity& i) const { return i.hash; }
};

}  // namespace sluice
