// The match half of a rule: every field either absent (wildcard), exact,
// masked, or (L4 ports only) a native range lo-hi. Stored sparsely: a rule
// usually constrains a handful of the fields.
//
// Thread-safety: a plain value type; no shared state.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "common/rules/field.h"

namespace sluice {

struct FieldMatch {
  u128 value = 0;  // already ANDed with mask
  u128 mask = 0;   // nonzero when present and not a range
  uint16_t lo = 0, hi = 0;
  bool range = false;  // lo..hi inclusive, mask unused
  bool operator==(const FieldMatch&) const = default;
};

class Match {
 public:
  // Exact match. Throws sluice::Error (EINVAL) if `value` does not fit.
  void set_exact(Field f, u128 value) { set_masked(f, value, field_full_mask(f)); }
  // Masked match; a zero mask clears the field (wildcard). Throws
  // sluice::Error (EINVAL) if value or mask do not fit the field's width.
  void set_masked(Field f, u128 value, u128 mask);
  // Range lo..hi inclusive; only for fields with range_ok. lo == hi becomes an
  // exact match, 0..65535 a wildcard. Throws sluice::Error (EINVAL) if the
  // field takes no ranges or lo > hi.
  void set_range(Field f, uint16_t lo, uint16_t hi);
  void clear(Field f);

  bool has(Field f) const { return (present_ & bit(f)) != 0; }
  bool is_exact(Field f) const {
    return has(f) && !get(f).range && get(f).mask == field_full_mask(f);
  }
  // The field's constraint; an all-zero FieldMatch when absent.
  const FieldMatch& get(Field f) const;
  bool empty() const { return present_ == 0; }
  uint64_t present_bits() const { return present_; }

  // True when a packet with these field values (one per field, in Field
  // order) matches. Reference semantics for tests and tools; the data path
  // uses the classifier.
  bool matches(const std::array<u128, kFieldCount>& packet) const;

  bool operator==(const Match&) const = default;

 private:
  static unsigned idx(Field f) { return static_cast<unsigned>(f); }
  static uint64_t bit(Field f) { return uint64_t{1} << idx(f); }
  // Index into fields_ of field `f` (present or not): the number of present
  // fields before it.
  size_t slot(Field f) const {
    return static_cast<size_t>(__builtin_popcountll(present_ & (bit(f) - 1)));
  }
  void put(Field f, const FieldMatch& m);

  uint64_t present_ = 0;
  std::vector<FieldMatch> fields_;  // present fields only, in Field order
};

// OpenFlow non-strict selection: every packet `match` matches, `filter`
// matches too (each field `filter` constrains, `match` constrains at least as
// tightly; ranges included).
bool covers(const Match& filter, const Match& match);

}  // namespace sluice
