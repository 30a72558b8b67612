// Packet parsing into a FlowKey. Data path: inline, no heap, no exceptions,
// never reads past the packet (every header read goes through
// rte_pktmbuf_read with its length checked against pkt_len, so segmented
// mbufs are handled too).
//
// Thread-safety: reentrant; called by forwarding workers on their own mbufs.
#pragma once

#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_mbuf.h>

#include <cstdint>

#include "dataplane/flow/flow_key.h"

namespace sluice {

enum class ParseStatus : uint8_t {
  ok,
  truncated,   // a header claimed more bytes than the packet has
  bad_header,  // a header is inconsistent (IP version, IHL < 5, TCP offset < 5, ...)
};

// Where the headers are, for actions that rewrite them. Offsets from the start
// of the packet; 0 when the layer is absent.
struct PacketLayout {
  uint16_t l3 = 0;        // IPv4/IPv6/ARP header
  uint16_t l4 = 0;        // TCP/UDP/SCTP/ICMP header (first fragments only)
  uint16_t l3_end = 0;    // end of the IP datagram (IPv4 total length / IPv6 payload)
  uint8_t vlan_tags = 0;  // VLAN tags between Ethernet and L3 (0..2)
};

namespace detail {

inline constexpr uint16_t kEthIpv4 = 0x0800, kEthIpv6 = 0x86dd, kEthArp = 0x0806, kEthVlan = 0x8100,
                          kEthQinQ = 0x88a8;

// Pointer to `len` bytes at `off`, or nullptr when the packet is shorter.
inline const uint8_t* read(const rte_mbuf* m, uint32_t off, uint32_t len, uint8_t* buf) {
  if (off + len > m->pkt_len) return nullptr;
  return static_cast<const uint8_t*>(rte_pktmbuf_read(m, off, len, buf));
}
inline uint16_t be16(const uint8_t* p) {
  return static_cast<uint16_t>(p[0] << 8 | p[1]);
}

inline ParseStatus parse_l4(const rte_mbuf* m, uint32_t off, uint32_t end, FlowKey& k,
                            PacketLayout& lay) {
  uint8_t buf[20];
  uint32_t need = 0;
  switch (k.ip_proto) {
    case IPPROTO_TCP:
      need = 20;
      break;
    case IPPROTO_UDP:
      need = 8;
      break;
    case IPPROTO_SCTP:
      need = 12;
      break;
    case IPPROTO_ICMP:
    case IPPROTO_ICMPV6:
      need = 4;
      break;
    default:
      return ParseStatus::ok;
  }
  if (off + need > end) return ParseStatus::truncated;
  const uint8_t* p = read(m, off, need, buf);
  if (p == nullptr) return ParseStatus::truncated;
  lay.l4 = static_cast<uint16_t>(off);
  if (k.ip_proto == IPPROTO_ICMP || k.ip_proto == IPPROTO_ICMPV6) {
    k.tp_src = p[0];
    k.tp_dst = p[1];
    return ParseStatus::ok;
  }
  k.tp_src = be16(p);
  k.tp_dst = be16(p + 2);
  if (k.ip_proto == IPPROTO_TCP) {
    uint16_t off_flags = be16(p + 12);
    if ((off_flags >> 12) < 5) return ParseStatus::bad_header;
    if (off + (off_flags >> 12) * 4u > end) return ParseStatus::truncated;
    k.tcp_flags = off_flags & 0x0fff;
  }
  return ParseStatus::ok;
}

inline ParseStatus parse_ipv4(const rte_mbuf* m, uint32_t off, FlowKey& k, PacketLayout& lay) {
  uint8_t buf[20];
  const uint8_t* p = read(m, off, 20, buf);
  if (p == nullptr) return ParseStatus::truncated;
  lay.l3 = static_cast<uint16_t>(off);
  if ((p[0] >> 4) != 4) return ParseStatus::bad_header;
  uint32_t ihl = (p[0] & 0x0f) * 4u, total = be16(p + 2);
  if (ihl < 20 || total < ihl) return ParseStatus::bad_header;
  if (off + total > m->pkt_len) return ParseStatus::truncated;
  lay.l3_end = static_cast<uint16_t>(off + total);
  k.ip_dscp = p[1] >> 2;
  k.ip_proto = p[9];
  memcpy(k.nw_src, p + 12, 4);
  memcpy(k.nw_dst, p + 16, 4);
  uint16_t frag = be16(p + 6);
  if ((frag & 0x1fff) != 0) return ParseStatus::ok;  // later fragment: no L4 header
  return parse_l4(m, off + ihl, off + total, k, lay);
}

inline ParseStatus parse_ipv6(const rte_mbuf* m, uint32_t off, FlowKey& k, PacketLayout& lay) {
  uint8_t buf[40];
  const uint8_t* p = read(m, off, 40, buf);
  if (p == nullptr) return ParseStatus::truncated;
  lay.l3 = static_cast<uint16_t>(off);
  if ((p[0] >> 4) != 6) return ParseStatus::bad_header;
  uint32_t end = off + 40 + be16(p + 4);
  if (end > m->pkt_len) return ParseStatus::truncated;
  lay.l3_end = static_cast<uint16_t>(end);
  k.ip_dscp = static_cast<uint8_t>(((p[0] & 0x0f) << 2) | (p[1] >> 6));
  memcpy(k.nw_src, p + 8, 16);
  memcpy(k.nw_dst, p + 24, 16);
  uint8_t next = p[6];
  off += 40;
  // Hop-by-hop, routing, destination options and fragment headers, bounded.
  for (int i = 0; i < 4; ++i) {
    if (next != 0 && next != 43 && next != 60 && next != 44) break;
    const uint8_t* e = read(m, off, 8, buf);
    if (e == nullptr || off + 8 > end) return ParseStatus::truncated;
    if (next == 44) {
      k.ip_proto = e[0];
      if ((be16(e + 2) & 0xfff8) != 0) return ParseStatus::ok;  // later fragment
      next = e[0];
      off += 8;
      continue;
    }
    next = e[0];
    off += (e[1] + 1u) * 8;
  }
  k.ip_proto = next;
  return parse_l4(m, off, end, k, lay);
}

inline ParseStatus parse_arp(const rte_mbuf* m, uint32_t off, FlowKey& k, PacketLayout& lay) {
  uint8_t buf[28];
  const uint8_t* p = read(m, off, 28, buf);
  if (p == nullptr) return ParseStatus::truncated;
  lay.l3 = static_cast<uint16_t>(off);
  if (be16(p) != 1 || be16(p + 2) != kEthIpv4 || p[4] != 6 || p[5] != 4)
    return ParseStatus::ok;  // not Ethernet/IPv4 ARP: L2 fields only
  uint16_t op = be16(p + 6);
  k.ip_proto = op <= 0xff ? static_cast<uint8_t>(op) : 0;
  memcpy(k.nw_src, p + 14, 4);
  memcpy(k.nw_dst, p + 24, 4);
  return ParseStatus::ok;
}

}  // namespace detail

// Fills `key` (cleared first; metadata and registers zero) from packet `m`
// received on `in_port_no`; `layout`, if given, receives header offsets.
// Returns ok, or truncated / bad_header: then the key holds the layers parsed
// before the problem and the caller should count and drop the packet.
inline ParseStatus extract_flow_key(const rte_mbuf* m, uint16_t in_port_no, FlowKey& key,
                                    PacketLayout* layout = nullptr) {
  using namespace detail;
  PacketLayout local;
  PacketLayout& lay = layout ? *layout : local;
  lay = {};
  key.clear();
  key.in_port = in_port_no;
  uint8_t buf[14];
  const uint8_t* eth = read(m, 0, 14, buf);
  if (eth == nullptr) return ParseStatus::truncated;
  memcpy(key.eth_dst, eth, 6);
  memcpy(key.eth_src, eth + 6, 6);
  uint16_t type = be16(eth + 12);
  uint32_t off = 14;
  while ((type == kEthVlan || type == kEthQinQ) && lay.vlan_tags < 2) {
    const uint8_t* tag = read(m, off, 4, buf);
    if (tag == nullptr) return ParseStatus::truncated;
    if (lay.vlan_tags == 0) {
      uint16_t tci = be16(tag);
      key.vlan_tci = static_cast<uint16_t>((tci & 0xe000) | kVlanPresent | (tci & 0x0fff));
    }
    type = be16(tag + 2);
    off += 4;
    ++lay.vlan_tags;
  }
  key.eth_type = type;
  switch (type) {
    case kEthIpv4:
      return parse_ipv4(m, off, key, lay);
    case kEthIpv6:
      return parse_ipv6(m, off, key, lay);
    case kEthArp:
      return parse_arp(m, off, key, lay);
    default:
      return ParseStatus::ok;
  }
}

}  // namespace sluice
