#include "nf/router/router_packets.h"

#include <netinet/in.h>
#include <rte_byteorder.h>
#include <rte_ip.h>

#include <algorithm>
#include <cstring>

#include "nf/common/wire.h"

namespace sluice::nf {

namespace {

using wire::put16;
using wire::put32;

uint8_t* ethernet(uint8_t* out, const MacAddress& dst, const MacAddress& src, uint16_t type) {
  std::memcpy(out, dst.data(), 6);
  std::memcpy(out + 6, src.data(), 6);
  put16(out + 12, type);
  return out + kEthHeader;
}

uint8_t* ipv6_header(uint8_t* ip, const IpAddress& src, const IpAddress& dst, uint16_t payload,
                     uint8_t hop_limit) {
  put32(ip, 0x60000000);
  put16(ip + 4, payload);
  ip[6] = IPPROTO_ICMPV6;
  ip[7] = hop_limit;
  std::memcpy(ip + 8, src.data(), 16);
  std::memcpy(ip + 24, dst.data(), 16);
  return ip + 40;
}

void icmp6_checksum(uint8_t* ip, uint8_t* icmp) {
  icmp[2] = icmp[3] = 0;
  const uint16_t sum = rte_ipv6_udptcp_cksum(reinterpret_cast<const rte_ipv6_hdr*>(ip), icmp);
  std::memcpy(icmp + 2, &sum, 2);  // already in network order
}

// ND message: type, code 0, the flags word, the target, one link-layer
// address option.
uint32_t nd_message(uint8_t* out, const MacAddress& eth_dst, const MacAddress& src_mac,
                    const IpAddress& src_ip, const IpAddress& dst_ip, uint8_t type, uint32_t flags,
                    const IpAddress& target, uint8_t option) {
  uint8_t* ip = ethernet(out, eth_dst, src_mac, 0x86dd);
  uint8_t* icmp = ipv6_header(ip, src_ip, dst_ip, 32, 255);
  icmp[0] = type;
  icmp[1] = 0;
  put32(icmp + 4, flags);
  std::memcpy(icmp + 8, target.data(), 16);
  icmp[24] = option;
  icmp[25] = 1;  // 8 bytes
  std::memcpy(icmp + 26, src_mac.data(), 6);
  icmp6_checksum(ip, icmp);
  return kEthHeader + 40 + 32;
}

}  // namespace

uint32_t build_arp(uint8_t* out, uint16_t op, const MacAddress& eth_dst, const MacAddress& sha,
                   const uint8_t* spa, const MacAddress& tha, const uint8_t* tpa) noexcept {
  uint8_t* a = ethernet(out, eth_dst, sha, 0x0806);
  put16(a, 1);
  put16(a + 2, 0x0800);
  a[4] = 6;
  a[5] = 4;
  put16(a + 6, op);
  std::memcpy(a + 8, sha.data(), 6);
  std::memcpy(a + 14, spa, 4);
  std::memcpy(a + 18, tha.data(), 6);
  std::memcpy(a + 24, tpa, 4);
  return kEthHeader + 28;
}

uint32_t build_neighbour_solicitation(uint8_t* out, const MacAddress& src_mac,
                                      const IpAddress& src_ip, const IpAddress& target) noexcept {
  IpAddress group = {0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0xff, target[13], target[14],
                     target[15]};
  const MacAddress mac = {0x33, 0x33, 0xff, target[13], target[14], target[15]};
  return nd_message(out, mac, src_mac, src_ip, group, 135, 0, target, 1);
}

uint32_t build_neighbour_advertisement(uint8_t* out, const MacAddress& dst_mac,
                                       const MacAddress& src_mac, const IpAddress& dst_ip,
                                       const IpAddress& target) noexcept {
  return nd_message(out, dst_mac, src_mac, target, dst_ip, 136, 0xe0000000, target, 2);
}

uint32_t build_icmp_error(uint8_t* out, uint8_t family, const MacAddress& dst_mac,
                          const MacAddress& src_mac, const IpAddress& src_ip,
                          const IpAddress& dst_ip, uint8_t type, uint8_t code, uint32_t rest,
                          const rte_mbuf* m, uint32_t l3, uint32_t datagram_len) noexcept {
  const bool v4 = family == 4;
  const uint32_t quote = std::min(datagram_len, v4 ? kIcmp4Quote : kIcmp6Quote);
  uint8_t* ip = ethernet(out, dst_mac, src_mac, v4 ? 0x0800 : 0x86dd);
  uint8_t* icmp;
  if (v4) {
    std::memset(ip, 0, 20);
    ip[0] = 0x45;
    put16(ip + 2, static_cast<uint16_t>(20 + 8 + quote));
    ip[8] = kIcmpTtl;
    ip[9] = IPPROTO_ICMP;
    std::memcpy(ip + 12, src_ip.data(), 4);
    std::memcpy(ip + 16, dst_ip.data(), 4);
    const uint16_t sum = rte_ipv4_cksum(reinterpret_cast<const rte_ipv4_hdr*>(ip));
    std::memcpy(ip + 10, &sum, 2);
    icmp = ip + 20;
  } else {
    icmp = ipv6_header(ip, src_ip, dst_ip, static_cast<uint16_t>(8 + quote), kIcmpTtl);
  }
  icmp[0] = type;
  icmp[1] = code;
  put32(icmp + 4, rest);
  const void* q = rte_pktmbuf_read(m, l3, quote, icmp + 8);
  if (q != icmp + 8) std::memcpy(icmp + 8, q, quote);
  if (v4) {
    icmp[2] = icmp[3] = 0;
    const uint16_t sum = static_cast<uint16_t>(~rte_raw_cksum(icmp, 8 + quote));
    std::memcpy(icmp + 2, &sum, 2);
  } else {
    icmp6_checksum(ip, icmp);
  }
  return static_cast<uint32_t>(icmp - out) + 8 + quote;
}

rte_mbuf* new_frame(rte_mempool* pool, const uint8_t* bytes, uint32_t len) noexcept {
  rte_mbuf* m = pool != nullptr ? rte_pktmbuf_alloc(pool) : nullptr;
  char* p = m != nullptr ? rte_pktmbuf_append(m, static_cast<uint16_t>(len)) : nullptr;
  if (p == nullptr) {
    rte_pktmbuf_free(m);
    return nullptr;
  }
  std::memcpy(p, bytes, len);
  return m;
}

rte_mbuf* replace_frame(rte_mbuf* m, const uint8_t* bytes, uint32_t len) noexcept {
  const bool reusable = RTE_MBUF_DIRECT(m) && rte_mbuf_refcnt_read(m) == 1 && m->nb_segs == 1 &&
                        m->buf_len >= len + RTE_PKTMBUF_HEADROOM;
  if (!reusable) {
    rte_mbuf* fresh = new_frame(m->pool, bytes, len);
    if (fresh != nullptr) {
      fresh->port = m->port;
      rte_pktmbuf_free(m);
    }
    return fresh;
  }
  m->data_off = RTE_PKTMBUF_HEADROOM;
  m->data_len = static_cast<uint16_t>(len);
  m->pkt_len = len;
  m->ol_flags &= ~RTE_MBUF_F_TX_OFFLOAD_MASK;
  m->packet_type = 0;
  std::memcpy(rte_pktmbuf_mtod(m, uint8_t*), bytes, len);
  return m;
}

}  // namespace sluice::nf
