// Header rewrites used by the flow actions, with incremental checksum
// fix-up (RFC 1624) for IPv4 header, TCP, UDP and ICMP checksums and a
// recomputed CRC32c for SCTP. Data path: inline, no heap, no exceptions.
//
// Contract: the mbuf is writable (direct, refcnt 1: an RX mbuf or a deep copy)
// and the layout describes it (extract_flow_key output, refreshed after a VLAN
// push/pop). A header that is not entirely in the first segment is not
// edited: the helper returns false and the caller drops the packet as
// DropReason::unsupported. An edit of a header the packet does not have
// (e.g. set tcp_dst on a UDP packet) is a no-op that returns true.
//
// Thread-safety: reentrant; each worker edits its own packets.
#pragma once

#include <rte_hash_crc.h>
#include <rte_mbuf.h>

#include <cstdint>
#include <cstring>

#include "dataplane/flow/flow_extract.h"

namespace sluice::packet_edit {

// Writable pointer to [off, off+len) when it lies in the first segment.
inline uint8_t* header(rte_mbuf* m, uint32_t off, uint32_t len) {
  if (off + len > rte_pktmbuf_data_len(m)) return nullptr;
  return rte_pktmbuf_mtod_offset(m, uint8_t*, off);
}

inline uint16_t load16(const uint8_t* p) {
  return static_cast<uint16_t>(p[0] << 8 | p[1]);
}
inline void store16(uint8_t* p, uint16_t v) {
  p[0] = static_cast<uint8_t>(v >> 8);
  p[1] = static_cast<uint8_t>(v);
}

// Checksum at `csum` after `len` bytes (even) changed from `old` to `neu`.
inline void csum_replace(uint8_t* csum, const uint8_t* old, const uint8_t* neu, size_t len) {
  uint32_t sum = static_cast<uint16_t>(~load16(csum));
  for (size_t i = 0; i < len; i += 2) {
    sum += static_cast<uint16_t>(~load16(old + i));
    sum += load16(neu + i);
  }
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  store16(csum, static_cast<uint16_t>(~sum));
}

// What the packet carries, as re-parsed (VLAN edits move headers).
struct Headers {
  FlowKey key;
  PacketLayout lay;
  bool ok;
};
inline Headers parse(const rte_mbuf* m) {
  Headers h;
  h.ok = extract_flow_key(m, 0, h.key, &h.lay) == ParseStatus::ok;
  return h;
}

inline bool l4_is(const Headers& h, uint8_t proto) {
  return h.lay.l4 != 0 && (h.key.eth_type == 0x0800 || h.key.eth_type == 0x86dd) &&
         h.key.ip_proto == proto;
}

// SCTP checksum: CRC32c over the whole SCTP packet with the field zeroed.
inline bool sctp_fix(rte_mbuf* m, const Headers& h) {
  uint32_t len = h.lay.l3_end - h.lay.l4;
  uint8_t* p = header(m, h.lay.l4, len);
  if (p == nullptr) return false;
  memset(p + 8, 0, 4);
  uint32_t crc = ~rte_hash_crc(p, len, 0xffffffff);
  memcpy(p + 8, &crc, 4);  // little-endian on the wire (RFC 4960 appendix B)
  return true;
}

// Fixes the L4 checksum after pseudo-header bytes `old` -> `neu` changed.
inline bool l4_pseudo_fix(rte_mbuf* m, const Headers& h, const uint8_t* old, const uint8_t* neu,
                          size_t len) {
  if (h.lay.l4 == 0) return true;
  uint8_t proto = h.key.ip_proto;
  uint32_t off = proto == IPPROTO_TCP ? 16 : proto == IPPROTO_UDP ? 6 : 2;
  if (proto == IPPROTO_SCTP) return sctp_fix(m, h);
  if (proto != IPPROTO_TCP && proto != IPPROTO_UDP && proto != IPPROTO_ICMPV6) return true;
  uint8_t* c = header(m, h.lay.l4 + off, 2);
  if (c == nullptr) return false;
  if (proto == IPPROTO_UDP && load16(c) == 0) {
    if (h.key.eth_type == 0x0800) return true;  // IPv4 UDP without checksum
  }
  csum_replace(c, old, neu, len);
  if (proto == IPPROTO_UDP && load16(c) == 0) store16(c, 0xffff);
  return true;
}

inline bool set_eth(rte_mbuf* m, bool dst, uint64_t mac) {
  uint8_t* p = header(m, dst ? 0 : 6, 6);
  if (p == nullptr) return false;
  for (int i = 0; i < 6; ++i) p[i] = static_cast<uint8_t>(mac >> (8 * (5 - i)));
  return true;
}

inline bool set_ipv4(rte_mbuf* m, bool dst, uint32_t addr) {
  Headers h = parse(m);
  if (!h.ok || h.key.eth_type != 0x0800) return h.ok;
  uint8_t* p = header(m, h.lay.l3, 20);
  if (p == nullptr) return false;
  uint8_t* a = p + (dst ? 16 : 12);
  uint8_t old[4], neu[4] = {static_cast<uint8_t>(addr >> 24), static_cast<uint8_t>(addr >> 16),
                            static_cast<uint8_t>(addr >> 8), static_cast<uint8_t>(addr)};
  memcpy(old, a, 4);
  memcpy(a, neu, 4);
  csum_replace(p + 10, old, neu, 4);
  if (h.key.ip_proto == IPPROTO_ICMP) return true;  // no pseudo-header
  return l4_pseudo_fix(m, h, old, neu, 4);
}

inline bool set_ipv6(rte_mbuf* m, bool dst, const uint8_t addr[16]) {
  Headers h = parse(m);
  if (!h.ok || h.key.eth_type != 0x86dd) return h.ok;
  uint8_t* p = header(m, h.lay.l3, 40);
  if (p == nullptr) return false;
  uint8_t* a = p + (dst ? 24 : 8);
  uint8_t old[16];
  memcpy(old, a, 16);
  memcpy(a, addr, 16);
  return l4_pseudo_fix(m, h, old, addr, 16);
}

inline bool set_dscp(rte_mbuf* m, uint8_t dscp) {
  Headers h = parse(m);
  if (!h.ok || h.lay.l3 == 0) return h.ok;
  if (h.key.eth_type == 0x0800) {
    uint8_t* p = header(m, h.lay.l3, 20);
    if (p == nullptr) return false;
    uint8_t old[2] = {p[0], p[1]};
    p[1] = static_cast<uint8_t>((dscp << 2) | (p[1] & 0x03));
    csum_replace(p + 10, old, p, 2);
  } else if (h.key.eth_type == 0x86dd) {
    uint8_t* p = header(m, h.lay.l3, 2);
    if (p == nullptr) return false;
    p[0] = static_cast<uint8_t>((p[0] & 0xf0) | (dscp >> 2));
    p[1] = static_cast<uint8_t>(((dscp & 0x03) << 6) | (p[1] & 0x3f));
  }
  return true;
}

inline bool set_port(rte_mbuf* m, uint8_t proto, bool dst, uint16_t port) {
  Headers h = parse(m);
  if (!h.ok || !l4_is(h, proto)) return h.ok;
  uint8_t* p = header(m, h.lay.l4 + (dst ? 2 : 0), 2);
  if (p == nullptr) return false;
  uint8_t old[2] = {p[0], p[1]}, neu[2];
  store16(neu, port);
  memcpy(p, neu, 2);
  if (proto == IPPROTO_SCTP) return sctp_fix(m, h);
  uint8_t* c = header(m, h.lay.l4 + (proto == IPPROTO_TCP ? 16 : 6), 2);
  if (c == nullptr) return false;
  if (proto == IPPROTO_UDP && load16(c) == 0 && h.key.eth_type == 0x0800) return true;
  csum_replace(c, old, neu, 2);
  if (proto == IPPROTO_UDP && load16(c) == 0) store16(c, 0xffff);
  return true;
}

// Outer VLAN tag's TCI: keep bits outside `mask`, set `bits`.
inline bool set_tci(rte_mbuf* m, uint16_t mask, uint16_t bits) {
  uint8_t* p = header(m, 12, 4);
  if (p == nullptr) return false;
  uint16_t tpid = load16(p);
  if (tpid != 0x8100 && tpid != 0x88a8) return true;  // no tag: nothing to set
  store16(p + 2, static_cast<uint16_t>((load16(p + 2) & ~mask) | (bits & mask)));
  return true;
}

// Pushes an outer tag with `tpid`; VID/PCP copied from the current outer tag
// if any, else zero. False when there is no headroom.
inline bool push_vlan(rte_mbuf* m, uint16_t tpid) {
  uint8_t* old = header(m, 0, 18);
  if (old == nullptr) return false;
  uint16_t tci = 0;
  uint16_t cur = load16(old + 12);
  if (cur == 0x8100 || cur == 0x88a8) tci = load16(old + 14);
  uint8_t* p = reinterpret_cast<uint8_t*>(rte_pktmbuf_prepend(m, 4));
  if (p == nullptr) return false;
  memmove(p, p + 4, 12);
  store16(p + 12, tpid);
  store16(p + 14, tci);
  return true;
}

inline bool pop_vlan(rte_mbuf* m) {
  uint8_t* p = header(m, 0, 18);
  if (p == nullptr) return false;
  uint16_t tpid = load16(p + 12);
  if (tpid != 0x8100 && tpid != 0x88a8) return true;
  memmove(p + 4, p, 12);
  rte_pktmbuf_adj(m, 4);
  return true;
}

enum class TtlResult : uint8_t { ok, expired, unsupported };

inline TtlResult dec_ttl(rte_mbuf* m) {
  Headers h = parse(m);
  if (!h.ok || h.lay.l3 == 0) return TtlResult::ok;
  if (h.key.eth_type == 0x0800) {
    uint8_t* p = header(m, h.lay.l3, 20);
    if (p == nullptr) return TtlResult::unsupported;
    if (p[8] <= 1) return TtlResult::expired;
    uint8_t old[2] = {p[8], p[9]};
    --p[8];
    csum_replace(p + 10, old, p + 8, 2);
  } else if (h.key.eth_type == 0x86dd) {
    uint8_t* p = header(m, h.lay.l3, 40);
    if (p == nullptr) return TtlResult::unsupported;
    if (p[7] <= 1) return TtlResult::expired;
    --p[7];
  }
  return TtlResult::ok;
}

}  // namespace sluice::packet_edit
