// HeaderSignature: the exact-match cache key of the common frame, read
// straight from the packet bytes instead of through a FlowKey.
//
// The common frame is untagged Ethernet / IPv4 without options, not a later
// fragment, carrying UDP, TCP or ICMP, whose headers are consistent (they fit
// the IP total length, the IP datagram fits the frame, the TCP data offset is
// at least 5 words and fits too) and whose first segment holds the headers
// up to the L4 ports (48 bytes for TCP, up to its flags). Its signature packs
// into 32 bytes what of those headers reaches the FlowKey:
//
//   lane 0: Ethernet destination and source (frame bytes 0..11), input port
//           (2 bytes), IP protocol (23), DSCP (15, ECN bits zeroed)
//   lane 1: IP source and destination (26..33), L4 ports (34..37; for ICMP
//           type and code, then two zero bytes), TCP flags (46..47, data
//           offset bits zeroed; zero for UDP and ICMP), two zero bytes
//
// Contract: for two common frames, equal signatures <=> equal FlowKeys
// (extract_flow_key), and extract_flow_key returns ok for every common frame.
// No signature is all zero (its IP protocol byte is 1, 6 or 17).
// A frame that is not common gets no signature and takes the FlowKey path,
// which also judges whether it is malformed.
//
// Thread-safety: value type and pure functions.
#pragma once

#include <emmintrin.h>
#include <netinet/in.h>
#include <rte_mbuf.h>
#include <smmintrin.h>

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "dataplane/flow/crc32c.h"
#include "dataplane/flow/flow_extract.h"

namespace sluice {

struct alignas(16) HeaderSignature {
  // Not __m128i: that type may alias anything, so storing a signature would
  // make the compiler reload every pointer and size it holds in registers.
  using Lane = int64_t __attribute__((vector_size(16)));
  Lane lane[2];

  bool operator==(const HeaderSignature& o) const {
    const __m128i eq = _mm_and_si128(_mm_cmpeq_epi8(__m128i(lane[0]), __m128i(o.lane[0])),
                                     _mm_cmpeq_epi8(__m128i(lane[1]), __m128i(o.lane[1])));
    return _mm_movemask_epi8(eq) == 0xffff;
  }

  // Two CRC32-C chains (half the latency of one), mixed.
  uint32_t hash() const {
    uint64_t w[4];
    memcpy(w, lane, sizeof w);
    uint32_t a = crc32c_8byte(w[0], 0), b = crc32c_8byte(w[1], 0x9e3779b9u);
    a = crc32c_8byte(w[2], a);
    b = crc32c_8byte(w[3], b);
    return a ^ (b << 16 | b >> 16);
  }
};
static_assert(sizeof(HeaderSignature) == 32);

namespace detail {

// Lane 1's bytes kept from frame bytes 26..41: addresses and the L4 ports
// (ICMP: type and code).
inline __m128i signature_l4_mask(uint8_t ip_proto) {
  return ip_proto == IPPROTO_ICMP ? _mm_set_epi32(0, 0x0000ffff, -1, -1)
                                  : _mm_set_epi32(0, -1, -1, -1);
}

}  // namespace detail

// Fills `sig` and returns true when `m` is a common frame (see above);
// false otherwise (`sig` is then unspecified).
inline bool header_signature(const rte_mbuf* m, uint16_t in_port, HeaderSignature& sig) {
  using detail::be16;
  if (m->data_len < 42) return false;  // Ethernet, IPv4, UDP
  const auto* p = rte_pktmbuf_mtod(m, const uint8_t*);
  uint32_t ether_ihl;
  memcpy(&ether_ihl, p + 12, 4);
  if ((ether_ihl & 0x00ffffff) != 0x00450008) return false;  // 08 00 45: IPv4, IHL 5
  const uint32_t total = be16(p + 16);
  if ((be16(p + 20) & 0x1fff) != 0 || 14 + total > m->pkt_len) return false;
  const uint8_t proto = p[23];
  uint16_t tcp_flags = 0;
  switch (proto) {
    case IPPROTO_TCP: {
      if (m->data_len < 48) return false;
      const uint32_t header = (p[46] >> 4) * 4u;
      if (header < 20 || 20 + header > total) return false;
      tcp_flags = be16(p + 46) & 0x0fff;
      break;
    }
    case IPPROTO_UDP:
      if (total < 28) return false;
      break;
    case IPPROTO_ICMP:
      if (total < 24) return false;
      break;
    default:
      return false;
  }
  const __m128i macs_dscp = _mm_set_epi8(static_cast<char>(0xfc), 0, 0, 0, -1, -1, -1, -1, -1, -1,
                                         -1, -1, -1, -1, -1, -1);
  __m128i lane0 = _mm_and_si128(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)), macs_dscp);
  lane0 = _mm_insert_epi16(lane0, in_port, 6);
  sig.lane[0] = HeaderSignature::Lane(_mm_insert_epi8(lane0, proto, 14));
  const __m128i l3l4 = _mm_and_si128(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 26)),
                                     detail::signature_l4_mask(proto));
  sig.lane[1] = HeaderSignature::Lane(_mm_insert_epi16(l3l4, tcp_flags, 6));
  return true;
}

// What header_signature() depends on in a common frame: its first-segment
// and packet lengths and its bytes wherever header_signature() reads
// (Ethernet, the IPv4 header but its id, TTL and checksum, the L4 ports or
// ICMP type and code, TCP's offset and flags). A frame that matches() the
// image of a common frame is common too and, on the same input port, has its
// signature; matches() is cheaper than header_signature(): three vector
// compares, no parse.
class CommonFrameImage {
 public:
  CommonFrameImage() = default;  // matches nothing
  // `m` must be common (header_signature() returned true for it).
  explicit CommonFrameImage(const rte_mbuf* m) {
    if (m->data_len < 48) return;  // its image would be read beyond its data
    lengths_ = lengths_of(m);
    const auto* p = rte_pktmbuf_mtod(m, const __m128i*);
    // Bytes 32..47: the rest of the addresses (32, 33), then the ports
    // (34..37) and TCP's offset and flags (46, 47), or ICMP's type and code.
    const uint8_t proto = rte_pktmbuf_mtod(m, const uint8_t*)[23];
    l4_mask_ = proto == IPPROTO_TCP   ? _mm_set_epi32(static_cast<int>(0xffff0000u), 0, 0xffff, -1)
               : proto == IPPROTO_UDP ? _mm_set_epi32(0, 0, 0xffff, -1)
                                      : _mm_set_epi32(0, 0, 0, -1);
    bytes_[0] = _mm_loadu_si128(p);
    bytes_[1] = _mm_and_si128(_mm_loadu_si128(p + 1), ip_mask());
    bytes_[2] = _mm_and_si128(_mm_loadu_si128(p + 2), l4_mask_);
  }

  // The pkt_len of every frame that matches().
  uint32_t pkt_len() const { return static_cast<uint32_t>(lengths_ >> 16); }

  // The first of batch[from, count) that does not match (count if all do).
  unsigned first_mismatch(rte_mbuf* const* batch, unsigned from, unsigned count) const {
    while (from < count && matches(batch[from])) ++from;
    return from;
  }

  bool matches(const rte_mbuf* m) const {
    if (lengths_of(m) != lengths_) return false;
    const auto* p = rte_pktmbuf_mtod(m, const __m128i*);
    const __m128i diff = _mm_or_si128(
        _mm_xor_si128(_mm_loadu_si128(p), bytes_[0]),
        _mm_or_si128(_mm_xor_si128(_mm_and_si128(_mm_loadu_si128(p + 1), ip_mask()), bytes_[1]),
                     _mm_xor_si128(_mm_and_si128(_mm_loadu_si128(p + 2), l4_mask_), bytes_[2])));
    return _mm_testz_si128(diff, diff);
  }

 private:
  // Bytes 16..31: all but the IP id (18, 19), TTL (22) and checksum (24, 25).
  static __m128i ip_mask() {
    return _mm_set_epi8(-1, -1, -1, -1, -1, -1, 0, 0, -1, 0, -1, -1, 0, 0, -1, -1);
  }

  // pkt_len and data_len in one load, shifted up 16 bits (out goes the
  // vlan_tci that follows them).
  static_assert(offsetof(rte_mbuf, data_len) == offsetof(rte_mbuf, pkt_len) + 4);
  static uint64_t lengths_of(const rte_mbuf* m) {
    uint64_t v;
    memcpy(&v, &m->pkt_len, sizeof v);
    return v << 16;
  }
  // data_len 0xffff with pkt_len 0: no mbuf has it (pkt_len >= data_len).
  static constexpr uint64_t kNever = uint64_t{0xffff} << 48;

  __m128i bytes_[3]{};  // frame bytes 0..47, masked
  __m128i l4_mask_{};   // for bytes 32..47, by protocol
  uint64_t lengths_ = kNever;
};

}  // namespace sluice
