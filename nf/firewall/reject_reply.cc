#include "nf/firewall/reject_reply.h"

#include <netinet/in.h>
#include <rte_byteorder.h>
#include <rte_ip.h>

#include <algorithm>
#include <cstring>

#include "nf/common/wire.h"

namespace sluice::nf {

namespace {

constexpr uint32_t kMaxL2 = 14 + 2 * 4;
constexpr uint32_t kIcmpQuote4 = 576 - 20 - 8;   // reply datagram <= 576 bytes
constexpr uint32_t kIcmpQuote6 = 1280 - 40 - 8;  // reply datagram <= IPv6 minimum MTU
constexpr uint32_t kMaxReply = kMaxL2 + 1280;
constexpr uint8_t kReplyTtl = 64;

using wire::put16;
using wire::put32;

bool icmp_error(const FirewallPacket& fp) {
  if (!fp.is_icmp()) return false;
  const uint8_t t = fp.icmp_type();
  return fp.family == 4 ? (t == 3 || t == 4 || t == 5 || t == 11 || t == 12) : t < 128;
}

bool group_or_unspecified_source(const FirewallPacket& fp) {
  if (fp.family == 4) {
    const bool unspecified = fp.src[0] == 0 && fp.src[1] == 0 && fp.src[2] == 0 && fp.src[3] == 0;
    return unspecified || fp.src[0] >= 224;
  }
  static constexpr std::array<uint8_t, 16> kZero{};
  return fp.src == kZero || fp.src[0] == 0xff;
}

bool group_destination(const FirewallPacket& fp) {
  if (fp.family == 4) return fp.dst[0] >= 224;  // multicast, reserved, broadcast
  return fp.dst[0] == 0xff;
}

// Writes the IP header of the reply at `p` (addresses swapped); returns its size.
uint32_t ip_header(uint8_t* p, const FirewallPacket& fp, uint8_t proto, uint32_t l4_len) {
  if (fp.family == 4) {
    std::memset(p, 0, 20);
    p[0] = 0x45;
    put16(p + 2, static_cast<uint16_t>(20 + l4_len));
    put16(p + 6, 0x4000);  // DF
    p[8] = kReplyTtl;
    p[9] = proto;
    std::memcpy(p + 12, fp.dst.data(), 4);
    std::memcpy(p + 16, fp.src.data(), 4);
    auto* ip = reinterpret_cast<rte_ipv4_hdr*>(p);
    ip->hdr_checksum = rte_ipv4_cksum(ip);
    return 20;
  }
  put32(p, 0x60000000);
  put16(p + 4, static_cast<uint16_t>(l4_len));
  p[6] = proto;
  p[7] = kReplyTtl;
  std::memcpy(p + 8, fp.dst.data(), 16);
  std::memcpy(p + 24, fp.src.data(), 16);
  return 40;
}

uint16_t l4_checksum(const uint8_t* ip, const FirewallPacket& fp, const uint8_t* l4,
                     uint32_t l4_len, bool pseudo_header) {
  if (fp.family == 6) return rte_ipv6_udptcp_cksum(reinterpret_cast<const rte_ipv6_hdr*>(ip), l4);
  if (pseudo_header) return rte_ipv4_udptcp_cksum(reinterpret_cast<const rte_ipv4_hdr*>(ip), l4);
  return static_cast<uint16_t>(~rte_raw_cksum(l4, l4_len));
}

// TCP RST: seq = their ACK if they sent one, else seq 0 and ACK of what they sent.
uint32_t tcp_rst(const rte_mbuf* m, const FirewallPacket& fp, uint8_t* ip) {
  uint8_t buf[20];
  const uint8_t* t = parse::read(m, fp.l4, 20, buf);
  const uint32_t data_offset = static_cast<uint32_t>(t[12] >> 4) * 4;
  const uint32_t seg_len = fp.l3_end - fp.l4 - data_offset + ((fp.tcp_flags & kTcpSyn) ? 1 : 0) +
                           ((fp.tcp_flags & kTcpFin) ? 1 : 0);
  uint8_t* l4 = ip + ip_header(ip, fp, IPPROTO_TCP, 20);
  std::memset(l4, 0, 20);
  std::memcpy(l4, t + 2, 2);  // source port: their destination
  std::memcpy(l4 + 2, t, 2);  // destination port: their source
  if (fp.tcp_flags & kTcpAck) {
    std::memcpy(l4 + 4, t + 8, 4);  // seq = SEG.ACK
    l4[13] = kTcpRst;
  } else {
    put32(l4 + 8, parse::be32(t + 4) + seg_len);
    l4[13] = kTcpRst | kTcpAck;
  }
  l4[12] = 5 << 4;
  const uint16_t sum = l4_checksum(ip, fp, l4, 20, true);
  std::memcpy(l4 + 16, &sum, 2);  // already in network order
  return static_cast<uint32_t>(l4 - ip) + 20;
}

// ICMP(v6) destination unreachable quoting as much of the datagram as fits.
uint32_t icmp_unreachable(const rte_mbuf* m, const FirewallPacket& fp, uint8_t* ip) {
  const bool v4 = fp.family == 4;
  const bool udp = fp.proto == IPPROTO_UDP;
  const uint32_t quote = std::min<uint32_t>(fp.l3_end - fp.l3, v4 ? kIcmpQuote4 : kIcmpQuote6);
  const uint8_t proto = v4 ? uint8_t{IPPROTO_ICMP} : uint8_t{IPPROTO_ICMPV6};
  uint8_t* l4 = ip + ip_header(ip, fp, proto, 8 + quote);
  std::memset(l4, 0, 8);
  l4[0] = v4 ? 3 : 1;                           // destination unreachable
  l4[1] = v4 ? (udp ? 3 : 13) : (udp ? 4 : 1);  // port unreachable / prohibited
  const uint8_t* q = static_cast<const uint8_t*>(rte_pktmbuf_read(m, fp.l3, quote, l4 + 8));
  if (q != l4 + 8) std::memcpy(l4 + 8, q, quote);
  const uint16_t sum = l4_checksum(ip, fp, l4, 8 + quote, !v4);
  std::memcpy(l4 + 2, &sum, 2);
  return static_cast<uint32_t>(l4 - ip) + 8 + quote;
}

rte_mbuf* write_reply(rte_mbuf* m, const uint8_t* bytes, uint32_t len) noexcept {
  const bool reusable =
      RTE_MBUF_DIRECT(m) && rte_mbuf_refcnt_read(m) == 1 && m->nb_segs == 1 && m->buf_len >= len;
  rte_mbuf* out = m;
  if (reusable) {
    m->data_off = static_cast<uint16_t>(std::min<uint32_t>(RTE_PKTMBUF_HEADROOM, m->buf_len - len));
    m->data_len = static_cast<uint16_t>(len);
    m->pkt_len = len;
    m->ol_flags &= ~RTE_MBUF_F_TX_OFFLOAD_MASK;
    m->packet_type = 0;
  } else {
    out = rte_pktmbuf_alloc(m->pool);
    if (out == nullptr || rte_pktmbuf_append(out, static_cast<uint16_t>(len)) == nullptr) {
      rte_pktmbuf_free(out);
      return nullptr;
    }
    out->port = m->port;
  }
  std::memcpy(rte_pktmbuf_mtod(out, uint8_t*), bytes, len);
  if (out != m) rte_pktmbuf_free(m);
  return out;
}

}  // namespace

bool may_reply(const rte_mbuf* m, const FirewallPacket& fp) noexcept {
  uint8_t buf[1];
  const uint8_t* dst_mac = parse::read(m, 0, 1, buf);
  if (dst_mac == nullptr || (dst_mac[0] & 1) || fp.l3 > kMaxL2) return false;
  if (!fp.has_l4 && (fp.proto == IPPROTO_TCP || fp.proto == IPPROTO_UDP)) return false;
  if (fp.proto == IPPROTO_TCP && (fp.tcp_flags & kTcpRst)) return false;
  return !icmp_error(fp) && !group_destination(fp) && !group_or_unspecified_source(fp);
}

rte_mbuf* make_reject_reply(rte_mbuf* m, const FirewallPacket& fp) noexcept {
  if (!may_reply(m, fp)) return nullptr;
  uint8_t reply[kMaxReply];
  // Ethernet and VLAN tags as they came, MAC addresses swapped.
  const uint8_t* l2 = static_cast<const uint8_t*>(rte_pktmbuf_read(m, 0, fp.l3, reply));
  if (l2 != reply) std::memcpy(reply, l2, fp.l3);
  uint8_t mac[6];
  std::memcpy(mac, reply, 6);
  std::memcpy(reply, reply + 6, 6);
  std::memcpy(reply + 6, mac, 6);
  uint8_t* ip = reply + fp.l3;
  const bool rst = fp.proto == IPPROTO_TCP && fp.has_l4;
  const uint32_t l3_len = rst ? tcp_rst(m, fp, ip) : icmp_unreachable(m, fp, ip);
  return write_reply(m, reply, fp.l3 + l3_len);
}

}  // namespace sluice::nf
