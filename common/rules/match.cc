#include "common/rules/match.h"

#include <cerrno>

#include "common/error.h"

namespace sluice {

void Match::set_masked(Field f, u128 value, u128 mask) {
  u128 full = field_full_mask(f);
  if ((value & ~full) != 0 || (mask & ~full) != 0)
    throw Error(std::string(field_info(f).name) + ": value or mask wider than the field", EINVAL,
                std::string("/match/") + field_info(f).name);
  if (mask == 0) {
    clear(f);
    return;
  }
  put(f, FieldMatch{value & mask, mask, 0, 0, false});
}

void Match::set_range(Field f, uint16_t lo, uint16_t hi) {
  std::string path = std::string("/match/") + field_info(f).name;
  if (!field_info(f).range_ok)
    throw Error(std::string(field_info(f).name) + " does not take a range", EINVAL, path);
  if (lo > hi)
    throw Error(std::string(field_info(f).name) + ": range " + std::to_string(lo) + "-" +
                    std::to_string(hi) + " is empty (low end above high end)",
                EINVAL, path);
  if (lo == hi) return set_exact(f, lo);
  if (lo == 0 && hi == 0xffff) return clear(f);
  put(f, FieldMatch{0, 0, lo, hi, true});
}

void Match::put(Field f, const FieldMatch& m) {
  size_t i = slot(f);
  if (has(f)) {
    fields_[i] = m;
    return;
  }
  fields_.insert(fields_.begin() + static_cast<long>(i), m);
  present_ |= bit(f);
}

void Match::clear(Field f) {
  if (!has(f)) return;
  fields_.erase(fields_.begin() + static_cast<long>(slot(f)));
  present_ &= ~bit(f);
}

const FieldMatch& Match::get(Field f) const {
  static const FieldMatch kAbsent{};
  return has(f) ? fields_[slot(f)] : kAbsent;
}

bool Match::matches(const std::array<u128, kFieldCount>& packet) const {
  size_t k = 0;
  for (unsigned i = 0; i < kFieldCount; ++i) {
    if (!(present_ & (uint64_t{1} << i))) continue;
    const FieldMatch& m = fields_[k++];
    if (m.range) {
      if (packet[i] < m.lo || packet[i] > m.hi) return false;
    } else if ((packet[i] & m.mask) != m.value) {
      return false;
    }
  }
  return true;
}

namespace {

// R's constraint on one field is within F's.
bool field_within(const FieldMatch& r, const FieldMatch& f) {
  if (!f.range) {
    if (!r.range) return (r.mask & f.mask) == f.mask && (r.value & f.mask) == f.value;
    for (uint32_t v = r.lo; v <= r.hi; ++v)
      if ((v & f.mask) != f.value) return false;
    return true;
  }
  if (r.range) return r.lo >= f.lo && r.hi <= f.hi;
  const u128 lo = r.value, hi = r.value | (~r.mask & 0xffff);
  return lo >= f.lo && hi <= f.hi;
}

}  // namespace

bool covers(const Match& filter, const Match& match) {
  for (unsigned i = 0; i < kFieldCount; ++i) {
    const Field f = static_cast<Field>(i);
    if (!filter.has(f)) continue;
    if (!match.has(f) || !field_within(match.get(f), filter.get(f))) return false;
  }
  return true;
}

}  // namespace sluice
