// The firewall's view of a packet: Ethernet (up to two VLAN tags), IPv4 or
// IPv6 (with its extension headers), and the L4 fields rules and connection
// tracking need. Data path: inline, no heap, no exceptions; every read goes
// through rte_pktmbuf_read after a length check against the packet and the IP
// datagram, so nothing past either is ever read (segmented mbufs included).
//
// Thread-safety: reentrant.
#pragma once

#include <netinet/in.h>
#include <rte_mbuf.h>

#include <array>
#include <cstdint>
#include <cstring>

namespace sluice::nf {

enum class ParseResult : uint8_t {
  ok,          // an IP packet with its L4 header (if its protocol has one we read)
  non_ip,      // neither IPv4 nor IPv6
  truncated,   // a header runs past the packet or the datagram
  bad_header,  // an inconsistent header
  fragment,    // a non-first fragment: no L4 header; family, addresses, proto set
};

inline constexpr uint8_t kTcpFin = 0x01, kTcpSyn = 0x02, kTcpRst = 0x04, kTcpAck = 0x10;

struct FirewallPacket {
  uint8_t family = 0;  // 4 or 6
  uint8_t proto = 0;   // L4 protocol (after IPv6 extension headers)
  uint8_t tcp_flags = 0;
  bool has_l4 = false;                   // TCP, UDP, SCTP or ICMP(v6) header present and complete
  uint16_t sport = 0;                    // TCP/UDP/SCTP source port; ICMP: type
  uint16_t dport = 0;                    // TCP/UDP/SCTP destination port; ICMP: code
  uint16_t icmp_id = 0;                  // ICMP(v6) echo identifier
  uint16_t l3 = 0;                       // offset of the IP header
  uint16_t l4 = 0;                       // offset of the L4 header
  uint16_t l3_end = 0;                   // end of the IP datagram
  std::array<uint8_t, 16> src{}, dst{};  // IPv4 in the first four bytes

  bool is_icmp() const { return has_l4 && (proto == IPPROTO_ICMP || proto == IPPROTO_ICMPV6); }
  uint8_t icmp_type() const { return static_cast<uint8_t>(sport); }
};

namespace parse {

inline const uint8_t* read(const rte_mbuf* m, uint32_t off, uint32_t len, uint8_t* buf) {
  if (off + len > m->pkt_len) return nullptr;
  return static_cast<const uint8_t*>(rte_pktmbuf_read(m, off, len, buf));
}
inline uint16_t be16(const uint8_t* p) {
  return static_cast<uint16_t>(p[0] << 8 | p[1]);
}
inline uint32_t be32(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) << 24 | static_cast<uint32_t>(p[1]) << 16 |
         static_cast<uint32_t>(p[2]) << 8 | p[3];
}

// L4 header at `off`, inside a datagram ending at `end`.
inline ParseResult l4(const rte_mbuf* m, uint32_t off, uint32_t end, FirewallPacket& fp) {
  uint32_t need;
  const bool icmp = (fp.family == 4 && fp.proto == IPPROTO_ICMP) ||
                    (fp.family == 6 && fp.proto == IPPROTO_ICMPV6);
  if (fp.proto == IPPROTO_TCP)
    need = 20;
  else if (fp.proto == IPPROTO_UDP)
    need = 8;
  else if (fp.proto == IPPROTO_SCTP)
    need = 12;
  else if (icmp)
    need = 8;
  else
    return ParseResult::ok;
  uint8_t buf[20];
  const uint8_t* p = off + need <= end ? read(m, off, need, buf) : nullptr;
  if (p == nullptr) return ParseResult::truncated;
  fp.l4 = static_cast<uint16_t>(off);
  if (icmp) {
    fp.sport = p[0];
    fp.dport = p[1];
    fp.icmp_id = be16(p + 4);
  } else {
    fp.sport = be16(p);
    fp.dport = be16(p + 2);
  }
  if (fp.proto == IPPROTO_TCP) {
    const uint32_t data_offset = static_cast<uint32_t>(p[12] >> 4) * 4;
    if (data_offset < 20) return ParseResult::bad_header;
    if (off + data_offset > end) return ParseResult::truncated;
    fp.tcp_flags = p[13] & 0x3f;
  }
  fp.has_l4 = true;
  return ParseResult::ok;
}

inline ParseResult ipv4(const rte_mbuf* m, uint32_t off, FirewallPacket& fp) {
  uint8_t buf[20];
  const uint8_t* p = read(m, off, 20, buf);
  if (p == nullptr) return ParseResult::truncated;
  const uint32_t ihl = static_cast<uint32_t>(p[0] & 0x0f) * 4;
  const uint32_t total = be16(p + 2);
  if ((p[0] >> 4) != 4 || ihl < 20 || total < ihl) return ParseResult::bad_header;
  if (off + total > m->pkt_len) return ParseResult::truncated;
  fp.family = 4;
  fp.proto = p[9];
  std::memcpy(fp.src.data(), p + 12, 4);
  std::memcpy(fp.dst.data(), p + 16, 4);
  fp.l3 = static_cast<uint16_t>(off);
  fp.l3_end = static_cast<uint16_t>(off + total);
  if ((be16(p + 6) & 0x1fff) != 0) return ParseResult::fragment;
  return l4(m, off + ihl, off + total, fp);
}

// IPv6 extension headers walked to find the L4 protocol; more is bad_header.
inline constexpr unsigned kMaxExtensionHeaders = 8;

inline ParseResult ipv6(const rte_mbuf* m, uint32_t off, FirewallPacket& fp) {
  uint8_t buf[40];
  const uint8_t* p = read(m, off, 40, buf);
  if (p == nullptr) return ParseResult::truncated;
  if ((p[0] >> 4) != 6) return ParseResult::bad_header;
  const uint32_t end = off + 40 + be16(p + 4);
  if (end > m->pkt_len) return ParseResult::truncated;
  fp.family = 6;
  std::memcpy(fp.src.data(), p + 8, 16);
  std::memcpy(fp.dst.data(), p + 24, 16);
  fp.l3 = static_cast<uint16_t>(off);
  fp.l3_end = static_cast<uint16_t>(end);
  uint8_t next = p[6];
  uint32_t cur = off + 40;
  for (unsigned n = 0;; ++n) {
    if (next != IPPROTO_HOPOPTS && next != IPPROTO_ROUTING && next != IPPROTO_DSTOPTS &&
        next != IPPROTO_FRAGMENT && next != IPPROTO_AH)
      break;
    if (n == kMaxExtensionHeaders) return ParseResult::bad_header;
    const uint8_t* h = cur + 8 <= end ? read(m, cur, 8, buf) : nullptr;
    if (h == nullptr) return ParseResult::truncated;
    uint32_t len = (static_cast<uint32_t>(h[1]) + 1) * 8;
    if (next == IPPROTO_FRAGMENT) len = 8;
    if (next == IPPROTO_AH) len = (static_cast<uint32_t>(h[1]) + 2) * 4;
    const bool later_fragment = next == IPPROTO_FRAGMENT && (be16(h + 2) & 0xfff8) != 0;
    next = h[0];
    cur += len;
    if (later_fragment) {
      fp.proto = next;
      return ParseResult::fragment;
    }
    if (cur > end) return ParseResult::truncated;
  }
  fp.proto = next;
  return l4(m, cur, end, fp);
}

}  // namespace parse

inline ParseResult parse_packet(const rte_mbuf* m, FirewallPacket& fp) {
  uint8_t buf[14];
  const uint8_t* eth = parse::read(m, 0, 14, buf);
  if (eth == nullptr) return ParseResult::truncated;
  uint16_t type = parse::be16(eth + 12);
  uint32_t off = 14;
  for (int tags = 0; tags < 2 && (type == 0x8100 || type == 0x88a8); ++tags) {
    const uint8_t* tag = parse::read(m, off, 4, buf);
    if (tag == nullptr) return ParseResult::truncated;
    type = parse::be16(tag + 2);
    off += 4;
  }
  if (type == 0x0800) return parse::ipv4(m, off, fp);
  if (type == 0x86dd) return parse::ipv6(m, off, fp);
  return ParseResult::non_ip;
}

}  // namespace sluice::nf
