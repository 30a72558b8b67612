// Test support: builds packets byte by byte and computes checksums from
// scratch (RFC 1071 sums over the whole header/pseudo-header), independently
// of the code under test.
#pragma once

#include <arpa/inet.h>

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace sluice::test {

using Bytes = std::vector<uint8_t>;
using Mac = std::array<uint8_t, 6>;

inline void put16(Bytes& b, uint16_t v) {
  b.push_back(static_cast<uint8_t>(v >> 8));
  b.push_back(static_cast<uint8_t>(v));
}
inline void put32(Bytes& b, uint32_t v) {
  put16(b, static_cast<uint16_t>(v >> 16));
  put16(b, static_cast<uint16_t>(v));
}
inline uint16_t get16(const Bytes& b, size_t off) {
  return static_cast<uint16_t>(b[off] << 8 | b[off + 1]);
}
inline void set16(Bytes& b, size_t off, uint16_t v) {
  b[off] = static_cast<uint8_t>(v >> 8);
  b[off + 1] = static_cast<uint8_t>(v);
}

// One's-complement sum folded to 16 bits, not inverted.
inline uint32_t sum16(const uint8_t* p, size_t len, uint32_t acc = 0) {
  for (size_t i = 0; i + 1 < len; i += 2) acc += static_cast<uint32_t>(p[i] << 8 | p[i + 1]);
  if (len & 1) acc += static_cast<uint32_t>(p[len - 1] << 8);
  while (acc >> 16) acc = (acc & 0xffff) + (acc >> 16);
  return acc;
}
inline uint16_t checksum(const uint8_t* p, size_t len, uint32_t acc = 0) {
  return static_cast<uint16_t>(~sum16(p, len, acc) & 0xffff);
}

struct Ipv6Addr {
  std::array<uint8_t, 16> b{};
  static Ipv6Addr parse(const char* s) {
    Ipv6Addr a;
    inet_pton(AF_INET6, s, a.b.data());
    return a;
  }
};

inline uint32_t ip4(const char* s) {
  in_addr a{};
  inet_pton(AF_INET, s, &a);
  return ntohl(a.s_addr);
}

struct PacketSpec {
  Mac dst{0x02, 0, 0, 0, 0, 2}, src{0x02, 0, 0, 0, 0, 1};
  std::vector<uint16_t> vlan_tcis;  // outer first, TPID 0x8100
  uint16_t eth_type = 0x0800;
  // IPv4 / IPv6
  uint32_t ip_src = 0x0a000001, ip_dst = 0x0a000002;
  Ipv6Addr ip6_src = Ipv6Addr::parse("2001:db8::1"), ip6_dst = Ipv6Addr::parse("2001:db8::2");
  uint8_t proto = 6, ttl = 64, dscp = 0;
  uint16_t frag = 0;  // IPv4 flags+offset word
  // L4
  uint16_t sport = 1234, dport = 80;
  uint8_t tcp_flags = 0x02;
  uint8_t icmp_type = 8, icmp_code = 0;
  bool udp_zero_checksum = false;
  // ARP
  uint16_t arp_op = 1;
  size_t payload = 6;
};

// L4 header + payload, checksum filled in from the pseudo-header.
inline Bytes build_l4(const PacketSpec& s) {
  Bytes l4;
  switch (s.proto) {
    case 6:
      put16(l4, s.sport);
      put16(l4, s.dport);
      put32(l4, 1000);
      put32(l4, 0);
      put16(l4, static_cast<uint16_t>(5 << 12 | s.tcp_flags));
      put16(l4, 8192);
      put16(l4, 0);
      put16(l4, 0);
      break;
    case 17:
      put16(l4, s.sport);
      put16(l4, s.dport);
      put16(l4, static_cast<uint16_t>(8 + s.payload));
      put16(l4, 0);
      break;
    case 132:
      put16(l4, s.sport);
      put16(l4, s.dport);
      put32(l4, 0x11223344);
      put32(l4, 0);
      break;
    case 1:
    case 58:
      l4.push_back(s.icmp_type);
      l4.push_back(s.icmp_code);
      put16(l4, 0);
      put32(l4, 0x00010001);
      break;
    default:
      break;
  }
  for (size_t i = 0; i < s.payload; ++i) l4.push_back(static_cast<uint8_t>(0xa0 + i));
  return l4;
}

// Pseudo-header sum for the L4 checksum.
inline uint32_t pseudo_sum(const Bytes& pkt, size_t l3, bool v6, uint8_t proto, size_t l4_len) {
  Bytes ph;
  if (v6) {
    ph.insert(ph.end(), pkt.begin() + l3 + 8, pkt.begin() + l3 + 40);
    put32(ph, static_cast<uint32_t>(l4_len));
    put32(ph, proto);
  } else {
    ph.insert(ph.end(), pkt.begin() + l3 + 12, pkt.begin() + l3 + 20);
    ph.push_back(0);
    ph.push_back(proto);
    put16(ph, static_cast<uint16_t>(l4_len));
  }
  return sum16(ph.data(), ph.size());
}

// Offset of the L4 checksum inside the L4 header, or -1.
inline int l4_csum_offset(uint8_t proto) {
  switch (proto) {
    case 6:
      return 16;
    case 17:
      return 6;
    case 1:
    case 58:
      return 2;
    default:
      return -1;
  }
}

// Recomputes, from scratch, the checksum the L4 header should carry.
inline uint16_t expected_l4_checksum(const Bytes& pkt, size_t l3, size_t l4, size_t end, bool v6,
                                     uint8_t proto) {
  Bytes copy(pkt.begin() + l4, pkt.begin() + end);
  int co = l4_csum_offset(proto);
  if (co < 0 || copy.size() < static_cast<size_t>(co) + 2) return 0;
  copy[co] = copy[co + 1] = 0;
  uint32_t acc = proto == 1 ? 0 : pseudo_sum(pkt, l3, v6, proto, copy.size());
  uint16_t c = checksum(copy.data(), copy.size(), acc);
  if (proto == 17 && c == 0) c = 0xffff;
  return c;
}

inline uint16_t expected_ipv4_checksum(const Bytes& pkt, size_t l3) {
  Bytes h(pkt.begin() + l3, pkt.begin() + l3 + 20);
  h[10] = h[11] = 0;
  return checksum(h.data(), h.size());
}

inline size_t l2_len(const PacketSpec& s) {
  return 14 + 4 * s.vlan_tcis.size();
}

inline Bytes build_packet(const PacketSpec& s) {
  Bytes p(s.dst.begin(), s.dst.end());
  p.insert(p.end(), s.src.begin(), s.src.end());
  for (uint16_t tci : s.vlan_tcis) {
    put16(p, 0x8100);
    put16(p, tci);
  }
  put16(p, s.eth_type);
  size_t l3 = p.size();
  if (s.eth_type == 0x0800) {
    Bytes l4 = (s.frag & 0x1fff) ? Bytes(s.payload, 0x55) : build_l4(s);
    p.push_back(0x45);
    p.push_back(static_cast<uint8_t>(s.dscp << 2));
    put16(p, static_cast<uint16_t>(20 + l4.size()));
    put16(p, 0x1234);
    put16(p, s.frag);
    p.push_back(s.ttl);
    p.push_back(s.proto);
    put16(p, 0);
    put32(p, s.ip_src);
    put32(p, s.ip_dst);
    set16(p, l3 + 10, expected_ipv4_checksum(p, l3));
    size_t l4o = p.size();
    p.insert(p.end(), l4.begin(), l4.end());
    if (!(s.frag & 0x1fff) && l4_csum_offset(s.proto) >= 0 &&
        !(s.proto == 17 && s.udp_zero_checksum))
      set16(p, l4o + l4_csum_offset(s.proto),
            expected_l4_checksum(p, l3, l4o, p.size(), false, s.proto));
  } else if (s.eth_type == 0x86dd) {
    Bytes l4 = build_l4(s);
    put32(p, 0x60000000u | static_cast<uint32_t>(s.dscp) << 22);
    put16(p, static_cast<uint16_t>(l4.size()));
    p.push_back(s.proto);
    p.push_back(s.ttl);
    p.insert(p.end(), s.ip6_src.b.begin(), s.ip6_src.b.end());
    p.insert(p.end(), s.ip6_dst.b.begin(), s.ip6_dst.b.end());
    size_t l4o = p.size();
    p.insert(p.end(), l4.begin(), l4.end());
    if (l4_csum_offset(s.proto) >= 0)
      set16(p, l4o + l4_csum_offset(s.proto),
            expected_l4_checksum(p, l3, l4o, p.size(), true, s.proto));
  } else if (s.eth_type == 0x0806) {
    put16(p, 1);
    put16(p, 0x0800);
    p.push_back(6);
    p.push_back(4);
    put16(p, s.arp_op);
    p.insert(p.end(), s.src.begin(), s.src.end());
    put32(p, s.ip_src);
    p.insert(p.end(), 6, 0);
    put32(p, s.ip_dst);
  } else {
    p.insert(p.end(), s.payload, 0x77);
  }
  return p;
}

}  // namespace sluice::test
