// The top block of an address family: IPv4 224.0.0.0/3 (multicast and
// reserved), IPv6 ff00::/8 (multicast). The router never routes a
// destination in it (router.h, step 3), so the route table does not keep
// its routes in the FIBs, and no prefix there reaches the family's last
// address. That is deliberate: DPDK 22.11's DIR-24-8 (and, built the same
// way, its IPv6 trie) rewrites the whole table when a prefix that ends at
// the last address changes while longer prefixes that end there exist (its
// range walk wraps to 0, which it reads as "all addresses").
//
// A prefix that holds the top block, T(k) for 1 <= k < bits (IPv4 128/1,
// 192/2; IPv6 8000::/1 ... fe00::/7), is kept as the left halves beneath
// it, L(l) for k < l <= bits: L(l) is T(l-1) with bit l-1 clear (IPv4
// 128/2, 192/3). The FIB entry of L(l) answers for the longest present of
// L(l), T(l-1), ..., T(1). /0 is kept beside the FIBs, not in them.
#pragma once

#include <cstdint>

#include "nf/router/router_config.h"

namespace sluice::nf::top_block {

// The top block's prefix length: 3 (IPv4) or 8 (IPv6).
inline unsigned bits(uint8_t family) {
  return family == 4 ? 3 : 8;
}

// The first `len` bits of `a` are all ones.
inline bool ones(const IpAddress& a, unsigned len) {
  for (unsigned bit = 0; bit < len; ++bit)
    if ((a[bit / 8] & (0x80u >> (bit % 8))) == 0) return false;
  return true;
}

// p lies inside the top block.
inline bool inside(const IpPrefix& p) {
  return p.len >= bits(p.family) && ones(p.addr, bits(p.family));
}

// T(k), 0 <= k <= bits: the first k bits ones.
inline IpPrefix top(uint8_t family, unsigned k) {
  IpPrefix p{family, static_cast<uint8_t>(k), {}};
  for (unsigned bit = 0; bit < k; ++bit) p.addr[bit / 8] |= static_cast<uint8_t>(0x80u >> (bit % 8));
  return p;
}

// L(l), 2 <= l <= bits: T(l-1) with bit l-1 clear.
inline IpPrefix left_half(uint8_t family, unsigned l) {
  IpPrefix p = top(family, l - 1);
  p.len = static_cast<uint8_t>(l);
  return p;
}

// p is one of the T(k) (1 <= k < bits) or L(l) (2 <= l <= bits), whose
// FIB entries are the L(l), answered as this header says.
inline bool clipped(const IpPrefix& p) {
  const unsigned b = bits(p.family);
  if (p.len == 0 || p.len > b) return false;
  if (p.len < b && ones(p.addr, p.len)) return true;  // T(k)
  return p.len >= 2 && p == left_half(p.family, p.len);
}

}  // namespace sluice::nf::top_block
