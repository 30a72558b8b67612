// FlowKey: the compact, fixed-size, hashable summary of a packet that the
// classifier and the exact-match cache work on, and the mapping of rule-model
// fields (common/rules/field.h) onto it.
//
// Layout rules: multi-byte scalars are host order; addresses are network-order
// bytes. Fields that can never be present together share storage, like OVS:
// nw_src/nw_dst hold IPv4 (first 4 bytes), IPv6 or ARP spa/tpa; tp_src/tp_dst
// hold TCP/UDP/SCTP ports or ICMP type/code; ip_proto holds the ARP opcode.
// Prerequisite validation of rules makes the sharing unambiguous. Padding is
// always zero so that the key can be hashed and compared as bytes.
//
// Thread-safety: a value type; the helpers are pure.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "common/rules/field.h"

namespace sluice {

struct alignas(8) FlowKey {
  uint64_t metadata;
  uint32_t regs[8];
  uint8_t nw_src[16];
  uint8_t nw_dst[16];
  uint8_t eth_dst[6];
  uint8_t eth_src[6];
  uint16_t in_port;
  uint16_t eth_type;  // innermost, after VLAN tags
  uint16_t vlan_tci;  // outer tag: pcp << 13 | 0x1000 (present) | vid
  uint16_t tp_src;
  uint16_t tp_dst;
  uint16_t tcp_flags;  // low 12 bits of the TCP offset/flags word
  uint8_t ip_proto;
  uint8_t ip_dscp;
  uint8_t pad[14];  // to 112 bytes: rte_hash has a vector compare for that length

  // Zeroes every byte. Per packet, so with vector stores where there are
  // some: a 112-byte memset becomes `rep stos`, ~30 cycles to start up.
  void clear() {
#if defined(__SSE2__)
    auto* p = reinterpret_cast<__m128i*>(this);
    const __m128i zero = _mm_setzero_si128();
    _mm_storeu_si128(p + 0, zero);
    _mm_storeu_si128(p + 1, zero);
    _mm_storeu_si128(p + 2, zero);
    _mm_storeu_si128(p + 3, zero);
    _mm_storeu_si128(p + 4, zero);
    _mm_storeu_si128(p + 5, zero);
    _mm_storeu_si128(p + 6, zero);
    static_assert(sizeof(FlowKey) == 7 * 16);
#else
    memset(this, 0, sizeof *this);
#endif
  }
  bool operator==(const FlowKey& o) const {
    return memcmp(this, &o, sizeof *this) == 0;
  }
};
static_assert(sizeof(FlowKey) == 112, "FlowKey layout changed: update the hash key length");
inline constexpr unsigned kFlowKeyWords = sizeof(FlowKey) / 8;

// Where a field lives in FlowKey.
struct KeySlot {
  uint8_t offset;
  uint8_t size;   // bytes
  uint8_t shift;  // scalars: bit position inside the host-order word
  bool bytes;     // true: big-endian byte string (addresses)
};

inline KeySlot key_slot(Field f) {
  switch (f) {
    case Field::in_port:
      return {offsetof(FlowKey, in_port), 2, 0, false};
    case Field::eth_src:
      return {offsetof(FlowKey, eth_src), 6, 0, true};
    case Field::eth_dst:
      return {offsetof(FlowKey, eth_dst), 6, 0, true};
    case Field::eth_type:
      return {offsetof(FlowKey, eth_type), 2, 0, false};
    case Field::vlan_vid:
      return {offsetof(FlowKey, vlan_tci), 2, 0, false};
    case Field::vlan_pcp:
      return {offsetof(FlowKey, vlan_tci), 2, 13, false};
    case Field::ip_proto:
    case Field::arp_op:
      return {offsetof(FlowKey, ip_proto), 1, 0, false};
    case Field::ip_dscp:
      return {offsetof(FlowKey, ip_dscp), 1, 0, false};
    case Field::ipv4_src:
    case Field::arp_spa:
      return {offsetof(FlowKey, nw_src), 4, 0, true};
    case Field::ipv4_dst:
    case Field::arp_tpa:
      return {offsetof(FlowKey, nw_dst), 4, 0, true};
    case Field::ipv6_src:
      return {offsetof(FlowKey, nw_src), 16, 0, true};
    case Field::ipv6_dst:
      return {offsetof(FlowKey, nw_dst), 16, 0, true};
    case Field::tcp_src:
    case Field::udp_src:
    case Field::sctp_src:
    case Field::icmpv4_type:
    case Field::icmpv6_type:
      return {offsetof(FlowKey, tp_src), 2, 0, false};
    case Field::tcp_dst:
    case Field::udp_dst:
    case Field::sctp_dst:
    case Field::icmpv4_code:
    case Field::icmpv6_code:
      return {offsetof(FlowKey, tp_dst), 2, 0, false};
    case Field::tcp_flags:
      return {offsetof(FlowKey, tcp_flags), 2, 0, false};
    case Field::metadata:
      return {offsetof(FlowKey, metadata), 8, 0, false};
    default:
      return {
          static_cast<uint8_t>(offsetof(FlowKey, regs) +
                               4 * (static_cast<unsigned>(f) - static_cast<unsigned>(Field::reg0))),
          4, 0, false};
  }
}

namespace detail {

// A scalar slot of 1, 2, 4 or 8 bytes, host order (little-endian), widened;
// fixed-size copies, so the compiler emits plain loads and stores.
inline uint64_t load_scalar(const uint8_t* p, unsigned size) {
  switch (size) {
    case 1:
      return *p;
    case 2: {
      uint16_t v;
      memcpy(&v, p, 2);
      return v;
    }
    case 4: {
      uint32_t v;
      memcpy(&v, p, 4);
      return v;
    }
    default: {
      uint64_t v;
      memcpy(&v, p, 8);
      return v;
    }
  }
}
inline void store_scalar(uint8_t* p, unsigned size, uint64_t w) {
  switch (size) {
    case 1:
      *p = static_cast<uint8_t>(w);
      return;
    case 2: {
      const auto v = static_cast<uint16_t>(w);
      memcpy(p, &v, 2);
      return;
    }
    case 4: {
      const auto v = static_cast<uint32_t>(w);
      memcpy(p, &v, 4);
      return;
    }
    default:
      memcpy(p, &w, 8);
  }
}

}  // namespace detail

// Reads field `f` of `key` as a rule-model value.
inline u128 key_get(const FlowKey& key, Field f) {
  KeySlot s = key_slot(f);
  const uint8_t* p = reinterpret_cast<const uint8_t*>(&key) + s.offset;
  if (s.bytes) {
    u128 v = 0;
    for (unsigned i = 0; i < s.size; ++i) v = (v << 8) | p[i];
    return v;
  }
  return (detail::load_scalar(p, s.size) >> s.shift) & static_cast<uint64_t>(field_full_mask(f));
}

// Sets field `f` of `key` to `v` (bits outside the field are kept).
inline void key_set(FlowKey& key, Field f, u128 v) {
  KeySlot s = key_slot(f);
  uint8_t* p = reinterpret_cast<uint8_t*>(&key) + s.offset;
  if (s.bytes) {
    for (unsigned i = 0; i < s.size; ++i) p[i] = static_cast<uint8_t>(v >> (8 * (s.size - 1 - i)));
    return;
  }
  const uint64_t m = static_cast<uint64_t>(field_full_mask(f)) << s.shift;
  const uint64_t w =
      (detail::load_scalar(p, s.size) & ~m) | ((static_cast<uint64_t>(v) << s.shift) & m);
  detail::store_scalar(p, s.size, w);
}

// ORs `v` into the bits of `f` (used to build masks and masked values).
inline void key_or(FlowKey& key, Field f, u128 v) {
  u128 cur = key_get(key, f);
  key_set(key, f, cur | v);
}

inline void key_and(FlowKey& out, const FlowKey& a, const FlowKey& mask) {
  auto* o = reinterpret_cast<unsigned char*>(&out);
  auto* x = reinterpret_cast<const unsigned char*>(&a);
  auto* m = reinterpret_cast<const unsigned char*>(&mask);
  for (unsigned i = 0; i < kFlowKeyWords; ++i) {
    uint64_t xv, mv;
    memcpy(&xv, x + 8 * i, 8);
    memcpy(&mv, m + 8 * i, 8);
    xv &= mv;
    memcpy(o + 8 * i, &xv, 8);
  }
}

}  // namespace sluice
