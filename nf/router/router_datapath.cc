// The router's data path: the routes of the batch's destinations looked up
// at once, then one pass over the batch, packet by packet (see router.h for
// the per-packet semantics), then a few neighbour slots aged.
// Headers are read and rewritten in the frame's first (only) segment: a
// packet in several segments, or shared, is first copied into one.
#include <netinet/in.h>
#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_ip.h>

#include <array>
#include <cstring>
#include <span>

#include "nf/common/wire.h"
#include "nf/router/router.h"
#include "nf/router/router_packets.h"

namespace sluice::nf {

namespace {

constexpr uint16_t kEthIpv4 = 0x0800, kEthIpv6 = 0x86dd, kEthArp = 0x0806, kEthVlan = 0x8100;
constexpr uint8_t kIcmpEchoReply = 0, kIcmpUnreachable = 3, kIcmpEcho = 8, kIcmpTimeExceeded = 11;
constexpr uint8_t kIcmp6Unreachable = 1, kIcmp6TooBig = 2, kIcmp6TimeExceeded = 3,
                  kIcmp6Echo = 128, kIcmp6EchoReply = 129, kIcmp6Solicitation = 135,
                  kIcmp6Advertisement = 136;
constexpr uint16_t kIpv4DontFragment = 0x4000, kIpv4MoreFragments = 0x2000,
                   kIpv4Offset = 0x1fff;

using wire::be16;
using wire::be32;
using wire::put16;

// RFC 1624 eqn. 3: the checksum at `sum` after a 16-bit word went from `from` to `to`.
void update_checksum(uint8_t* sum, uint16_t from, uint16_t to) {
  uint32_t s = (~be16(sum) & 0xffffu) + (~from & 0xffffu) + to;
  s = (s & 0xffff) + (s >> 16);
  s = (s & 0xffff) + (s >> 16);
  put16(sum, static_cast<uint16_t>(~s));
}

IpAddress ip4_address(const uint8_t* p) {
  IpAddress a{};
  std::memcpy(a.data(), p, 4);
  return a;
}
IpAddress ip6_address(const uint8_t* p) {
  IpAddress a;
  std::memcpy(a.data(), p, 16);
  return a;
}
MacAddress mac_at(const uint8_t* p) {
  MacAddress m;
  std::memcpy(m.data(), p, 6);
  return m;
}

bool has_ports(uint8_t proto) {
  return proto == IPPROTO_TCP || proto == IPPROTO_UDP || proto == IPPROTO_SCTP;
}

uint32_t mix(uint64_t h) {
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdULL;
  h ^= h >> 33;
  return static_cast<uint32_t>(h);
}

// The router's address on `itf` to speak from to `peer`: one in the same
// network, else the first of the family; nullptr when it has none.
const InterfaceAddress* source_for(const RouterInterface& itf, uint8_t family,
                                   const IpAddress& peer) {
  const InterfaceAddress* first = nullptr;
  for (const InterfaceAddress& a : itf.addresses) {
    if (a.prefix.family != family) continue;
    if (a.prefix.contains(family, peer)) return &a;
    if (first == nullptr) first = &a;
  }
  return first;
}

bool is_own_address(const RouterInterface& itf, uint8_t family, const uint8_t* addr) {
  const size_t n = family == 4 ? 4 : 16;
  for (const InterfaceAddress& a : itf.addresses)
    if (a.prefix.family == family && std::memcmp(a.addr.data(), addr, n) == 0) return true;
  return false;
}

// One batch through one router version on one worker.
class BatchPass {
 public:
  BatchPass(const RouterVersion& v, std::span<const std::unique_ptr<RouterWorker>> workers,
            const BatchContext& ctx, GateOutput& out)
      : v_(v),
        s_(v.config.neighbour),
        workers_(workers),
        w_(*workers[ctx.worker]),
        ctx_(ctx),
        out_(out) {}

  void run(const PacketBatch& batch) noexcept {
    if (batch.count != 0) pool_ = batch.pkts[0]->pool;
    take_inbox();
    look_up_routes(batch);
    for (current_ = 0; current_ < batch.count; ++current_) packet(batch.pkts[current_]);
    if (pool_ != nullptr) age_neighbours();
  }

 private:
  void drop(rte_mbuf* m, RtDrop why) noexcept { out_.drop(m, reason(why)); }

  // The route of each IPv4 / IPv6 packet's destination, for the whole batch
  // in one bulk lookup per family (the FIB prefetches, so its cache misses
  // overlap). Reads the frame's first segment, before any check: route4 /
  // route6 use a result only for the destination it was looked up for.
  void look_up_routes(const PacketBatch& batch) noexcept {
    static_assert(kBurst <= RouteTable::kMaxBulk);
    uint32_t dst4[kBurst], groups[kBurst];
    uint8_t dst6[kBurst][16];
    uint16_t at4[kBurst], at6[kBurst];
    unsigned n4 = 0, n6 = 0;
    for (uint16_t i = 0; i < batch.count; ++i) {
      family_[i] = 0;
      const rte_mbuf* m = batch.pkts[i];
      const uint8_t* p = rte_pktmbuf_mtod(m, const uint8_t*);
      if (m->data_len < kEthHeader + 4) continue;
      uint32_t l3 = kEthHeader;
      uint16_t type = be16(p + 12);
      if (type == kEthVlan) {
        type = be16(p + 16);
        l3 += 4;
      }
      if (type == kEthIpv4 && m->data_len >= l3 + 20) {
        family_[i] = 4;
        dst4_[i] = dst4[n4] = be32(p + l3 + 16);
        at4[n4++] = i;
      } else if (type == kEthIpv6 && m->data_len >= l3 + 40) {
        family_[i] = 6;
        std::memcpy(dst6[n6], p + l3 + 24, 16);
        at6[n6++] = i;
      }
    }
    if (n4 != 0) {
      v_.routes->lookup4(dst4, groups, n4);
      for (unsigned k = 0; k < n4; ++k) group_[at4[k]] = groups[k];
    }
    if (n6 != 0) {
      v_.routes->lookup6(dst6, groups, n6);
      for (unsigned k = 0; k < n6; ++k) {
        group_[at6[k]] = groups[k];
        std::memcpy(dst6_[at6[k]], dst6[k], 16);
      }
    }
  }
  uint32_t route4(uint32_t dst) const noexcept {
    return family_[current_] == 4 && dst4_[current_] == dst ? group_[current_]
                                                           : v_.routes->lookup4(dst);
  }
  uint32_t route6(const uint8_t* dst) const noexcept {
    return family_[current_] == 6 && std::memcmp(dst6_[current_], dst, 16) == 0
               ? group_[current_]
               : v_.routes->lookup6(dst);
  }

  const RouterInterface& itf(unsigned i) const noexcept { return v_.config.interfaces[i]; }

  // Step 1 of router.h: the interface, the L2 destination, the VLAN tag.
  void packet(rte_mbuf* m) noexcept {
    if (!RTE_MBUF_DIRECT(m) || rte_mbuf_refcnt_read(m) != 1 || m->nb_segs != 1) {
      rte_mbuf* copy = rte_pktmbuf_copy(m, m->pool, 0, UINT32_MAX);
      if (copy == nullptr || (copy->nb_segs != 1 && rte_pktmbuf_linearize(copy) != 0)) {
        rte_pktmbuf_free(copy);
        return drop(m, RtDrop::no_buffer);
      }
      rte_pktmbuf_free(m);
      m = copy;
    }
    const uint8_t* p = rte_pktmbuf_mtod(m, const uint8_t*);
    if (m->data_len < kEthHeader) return drop(m, RtDrop::truncated);
    uint16_t type = be16(p + 12), vlan = 0;
    const bool tagged = type == kEthVlan;
    if (tagged) {
      if (m->data_len < kEthHeader + 4) return drop(m, RtDrop::truncated);
      vlan = be16(p + 14) & 0x0fff;
      type = be16(p + 16);
    }
    const int i = v_.interface_of(ctx_.in_port, vlan);
    if (i < 0) return drop(m, RtDrop::not_for_us);
    const bool group = (p[0] & 1) != 0;
    if (!group && std::memcmp(p, itf(static_cast<unsigned>(i)).mac.data(), 6) != 0)
      return drop(m, RtDrop::not_for_us);
    if (tagged && rte_vlan_strip(m) != 0) return drop(m, RtDrop::bad_header);
    const unsigned in = static_cast<unsigned>(i);
    switch (type) {
      case kEthArp:
        return arp(m, in);
      case kEthIpv4:
        return group ? drop(m, RtDrop::local) : ipv4(m, in);
      case kEthIpv6:
        return ipv6(m, in, group);
      default:
        return drop(m, RtDrop::non_ip);
    }
  }

  // Step 2, ARP: answer requests for our addresses; learn the sender.
  void arp(rte_mbuf* m, unsigned in) noexcept {
    if (m->data_len < kEthHeader + 28) return drop(m, RtDrop::truncated);
    uint8_t* p = rte_pktmbuf_mtod(m, uint8_t*);
    const uint8_t* a = p + kEthHeader;
    if (be16(a) != 1 || be16(a + 2) != kEthIpv4 || a[4] != 6 || a[5] != 4)
      return drop(m, RtDrop::bad_header);
    const uint16_t op = be16(a + 6);
    const MacAddress sha = mac_at(a + 8);
    const IpAddress spa = ip4_address(a + 14), tpa = ip4_address(a + 24);
    if ((op != 1 && op != 2) || !is_own_address(itf(in), 4, tpa.data()))
      return drop(m, RtDrop::neighbour_ignored);
    if (be32(spa.data()) != 0 && (sha[0] & 1) == 0) learn(neighbour_key(4, in, spa), sha, false);
    if (op == 2) return drop(m, RtDrop::neighbour_answer);
    uint8_t frame[kEthHeader + 28];
    const uint32_t len = build_arp(frame, 2, sha, itf(in).mac, tpa.data(), sha, spa.data());
    rte_mbuf* reply = replace_frame(m, frame, len);
    if (reply == nullptr) return drop(m, RtDrop::no_buffer);
    w_.neighbour_replies.add();
    transmit(reply, in);
  }

  // Step 3, IPv4.
  void ipv4(rte_mbuf* m, unsigned in) noexcept {
    if (m->data_len < kEthHeader + 20) return drop(m, RtDrop::truncated);
    uint8_t* ip = rte_pktmbuf_mtod_offset(m, uint8_t*, kEthHeader);
    const uint32_t ihl = (ip[0] & 0x0fu) * 4, total = be16(ip + 2);
    if ((ip[0] >> 4) != 4 || ihl < 20 || total < ihl) return drop(m, RtDrop::bad_header);
    if (kEthHeader + total > m->data_len) return drop(m, RtDrop::truncated);
    if (rte_raw_cksum(ip, ihl) != 0xffff) return drop(m, RtDrop::bad_checksum);
    rte_pktmbuf_trim(m, static_cast<uint16_t>(m->data_len - kEthHeader - total));  // padding
    const uint32_t dst = be32(ip + 16);
    if (dst >= 0xe0000000u || dst == 0) return drop(m, RtDrop::local);
    const uint32_t g = route4(dst);
    if (g == RouteTable::kLocal) return local4(m, in, ip, ihl, total);
    if (ip[8] <= 1) return icmp_error(m, in, 4, kIcmpTimeExceeded, 0, 0, RtDrop::ttl_exceeded);
    if (g == RouteTable::kNoRoute)
      return icmp_error(m, in, 4, kIcmpUnreachable, 0, 0, RtDrop::no_route);
    const ResolvedHop& hop = pick(v_.routes->group(g), hash4(ip, ihl, total));
    const RouterInterface& out = itf(hop.interface);
    if (total > out.mtu) {
      if ((be16(ip + 6) & kIpv4DontFragment) == 0) return drop(m, RtDrop::too_big);
      return icmp_error(m, in, 4, kIcmpUnreachable, 4, out.mtu, RtDrop::too_big);
    }
    const uint16_t before = be16(ip + 8);
    --ip[8];
    update_checksum(ip + 10, before, be16(ip + 8));
    resolve(m, neighbour_key(4, hop.interface, hop.gateway ? hop.addr : ip4_address(ip + 16)));
  }

  // To one of our IPv4 addresses: echo requests are answered.
  void local4(rte_mbuf* m, unsigned in, uint8_t* ip, uint32_t ihl, uint32_t total) noexcept {
    const bool fragment = (be16(ip + 6) & (kIpv4MoreFragments | kIpv4Offset)) != 0;
    if (ip[9] != IPPROTO_ICMP || fragment) return drop(m, RtDrop::local);
    uint8_t* icmp = ip + ihl;
    const uint32_t len = total - ihl;
    if (len < 8) return drop(m, RtDrop::truncated);
    if (icmp[0] != kIcmpEcho) return drop(m, RtDrop::local);
    if (rte_raw_cksum(icmp, len) != 0xffff) return drop(m, RtDrop::bad_checksum);
    icmp[0] = kIcmpEchoReply;
    update_checksum(icmp + 2, static_cast<uint16_t>(kIcmpEcho << 8 | icmp[1]),
                    static_cast<uint16_t>(kIcmpEchoReply << 8 | icmp[1]));
    uint8_t src[4];
    std::memcpy(src, ip + 12, 4);
    std::memcpy(ip + 12, ip + 16, 4);
    std::memcpy(ip + 16, src, 4);
    ip[8] = kIcmpTtl;
    ip[10] = ip[11] = 0;
    const uint16_t sum = rte_ipv4_cksum(reinterpret_cast<const rte_ipv4_hdr*>(ip));
    std::memcpy(ip + 10, &sum, 2);
    w_.echo_replies.add();
    reply_to_sender(m, in);
  }

  // Step 3, IPv6. `group`: the frame went to a multicast MAC.
  void ipv6(rte_mbuf* m, unsigned in, bool group) noexcept {
    if (m->data_len < kEthHeader + 40) return drop(m, RtDrop::truncated);
    uint8_t* ip = rte_pktmbuf_mtod_offset(m, uint8_t*, kEthHeader);
    if ((ip[0] >> 4) != 6) return drop(m, RtDrop::bad_header);
    const uint32_t payload = be16(ip + 4);
    if (kEthHeader + 40 + payload > m->data_len) return drop(m, RtDrop::truncated);
    rte_pktmbuf_trim(m, static_cast<uint16_t>(m->data_len - kEthHeader - 40 - payload));
    const uint8_t* src = ip + 8;
    const uint8_t* dst = ip + 24;
    if (src[0] == 0xff) return drop(m, RtDrop::bad_header);
    if (dst[0] == 0xff) return local6(m, in, ip, payload);
    if (group) return drop(m, RtDrop::not_for_us);
    const uint32_t g = route6(dst);
    if (g == RouteTable::kLocal) return local6(m, in, ip, payload);
    const auto link_local = [](const uint8_t* a) { return a[0] == 0xfe && (a[1] & 0xc0) == 0x80; };
    if (link_local(src) || link_local(dst)) return drop(m, RtDrop::local);
    if (ip[7] <= 1) return icmp_error(m, in, 6, kIcmp6TimeExceeded, 0, 0, RtDrop::ttl_exceeded);
    if (g == RouteTable::kNoRoute)
      return icmp_error(m, in, 6, kIcmp6Unreachable, 0, 0, RtDrop::no_route);
    const ResolvedHop& hop = pick(v_.routes->group(g), hash6(ip, payload));
    const RouterInterface& out = itf(hop.interface);
    if (40 + payload > out.mtu) return icmp_error(m, in, 6, kIcmp6TooBig, 0, out.mtu, RtDrop::too_big);
    --ip[7];
    resolve(m, neighbour_key(6, hop.interface, hop.gateway ? hop.addr : ip6_address(dst)));
  }

  // To us or to a multicast group: ICMPv6 echo (unicast only) and neighbour
  // discovery; nothing else.
  void local6(rte_mbuf* m, unsigned in, uint8_t* ip, uint32_t payload) noexcept {
    if (ip[6] != IPPROTO_ICMPV6) return drop(m, RtDrop::local);
    if (payload < 8) return drop(m, RtDrop::truncated);
    uint8_t* icmp = ip + 40;
    const uint8_t type = icmp[0];
    const bool multicast = ip[24] == 0xff;
    if (type != kIcmp6Solicitation && (multicast || (type != kIcmp6Echo && type != kIcmp6Advertisement)))
      return drop(m, RtDrop::local);
    uint32_t sum = rte_ipv6_phdr_cksum(reinterpret_cast<const rte_ipv6_hdr*>(ip), 0);
    sum += rte_raw_cksum(icmp, payload);
    sum = (sum & 0xffff) + (sum >> 16);
    if (((sum & 0xffff) + (sum >> 16)) != 0xffff) return drop(m, RtDrop::bad_checksum);
    if (type == kIcmp6Echo) {
      icmp[0] = kIcmp6EchoReply;
      update_checksum(icmp + 2, static_cast<uint16_t>(kIcmp6Echo << 8 | icmp[1]),
                      static_cast<uint16_t>(kIcmp6EchoReply << 8 | icmp[1]));
      uint8_t src[16];
      std::memcpy(src, ip + 8, 16);
      std::memcpy(ip + 8, ip + 24, 16);
      std::memcpy(ip + 24, src, 16);
      ip[7] = kIcmpTtl;
      w_.echo_replies.add();
      return reply_to_sender(m, in);
    }
    // Neighbour discovery (RFC 4861 7.1.1/7.1.2): hop limit 255, code 0, a target.
    if (ip[7] != 255 || icmp[1] != 0 || payload < 24) return drop(m, RtDrop::bad_header);
    const IpAddress target = ip6_address(icmp + 8);
    MacAddress option_mac{};
    bool has_option = false;
    for (uint32_t off = 24; off + 8 <= payload;) {
      const uint32_t len = icmp[off + 1] * 8u;
      if (len == 0 || off + len > payload) return drop(m, RtDrop::bad_header);
      if (icmp[off] == (type == kIcmp6Solicitation ? 1 : 2) && len == 8) {
        option_mac = mac_at(icmp + off + 2);
        has_option = true;
      }
      off += len;
    }
    if (type == kIcmp6Advertisement) {
      if (!has_option) option_mac = mac_at(rte_pktmbuf_mtod(m, uint8_t*) + 6);
      if ((option_mac[0] & 1) == 0) learn(neighbour_key(6, in, target), option_mac, false);
      return drop(m, RtDrop::neighbour_answer);
    }
    static constexpr IpAddress kUnspecified{};
    const IpAddress from = ip6_address(ip + 8);
    if (!is_own_address(itf(in), 6, target.data()) || from == kUnspecified)
      return drop(m, RtDrop::neighbour_ignored);  // not ours, or duplicate address detection
    const MacAddress eth_src = mac_at(rte_pktmbuf_mtod(m, uint8_t*) + 6);
    if (has_option && (option_mac[0] & 1) == 0) learn(neighbour_key(6, in, from), option_mac, false);
    uint8_t frame[kEthHeader + 40 + 32];
    const uint32_t len = build_neighbour_advertisement(frame, has_option ? option_mac : eth_src,
                                                       itf(in).mac, from, target);
    rte_mbuf* reply = replace_frame(m, frame, len);
    if (reply == nullptr) return drop(m, RtDrop::no_buffer);
    w_.neighbour_replies.add();
    transmit(reply, in);
  }

  // An ICMP error about `m` back to its sender, or a drop for `why` when
  // none may be sent (router.h).
  void icmp_error(rte_mbuf* m, unsigned in, uint8_t family, uint8_t type, uint8_t code,
                  uint32_t rest, RtDrop why) noexcept {
    const uint8_t* p = rte_pktmbuf_mtod(m, const uint8_t*);
    const uint8_t* ip = p + kEthHeader;
    const uint32_t len = m->data_len - kEthHeader;
    IpAddress sender;
    if (family == 4) {
      const uint32_t ihl = (ip[0] & 0x0fu) * 4;
      const bool later_fragment = (be16(ip + 6) & kIpv4Offset) != 0;
      const uint32_t src = be32(ip + 12);
      const bool error = ip[9] == IPPROTO_ICMP && len >= ihl + 1 &&
                         ip[ihl] != kIcmpEchoReply && ip[ihl] != kIcmpEcho &&
                         ip[ihl] != 13 && ip[ihl] != 14;  // not a query (echo, timestamp)
      if (later_fragment || error || src == 0 || src >= 0xe0000000u || (src >> 24) == 127)
        return drop(m, why);
      sender = ip4_address(ip + 12);
    } else {
      const bool error = ip[6] == IPPROTO_ICMPV6 && len >= 41 && ip[40] < 128;
      sender = ip6_address(ip + 8);
      static constexpr IpAddress kUnspecified{};
      if (error || sender == kUnspecified || sender[0] == 0xff) return drop(m, why);
    }
    if ((p[6] & 1) != 0) return drop(m, why);
    const InterfaceAddress* own = source_for(itf(in), family, sender);
    if (own == nullptr) return drop(m, why);
    uint8_t frame[kMaxBuiltFrame];
    const uint32_t n = build_icmp_error(frame, family, mac_at(p + 6), itf(in).mac, own->addr,
                                        sender, type, code, rest, m, kEthHeader, len);
    rte_mbuf* reply = replace_frame(m, frame, n);
    if (reply == nullptr) return drop(m, RtDrop::no_buffer);
    w_.icmp_errors.add();
    transmit(reply, in);
  }

  // ECMP: one hop of the group, the same for every packet of a flow.
  static const ResolvedHop& pick(const HopGroup& g, uint32_t hash) noexcept {
    if (g.count == 1) return g.hops[0];
    return g.hops[(static_cast<uint64_t>(hash) * g.count) >> 32];
  }
  static uint32_t hash4(const uint8_t* ip, uint32_t ihl, uint32_t total) noexcept {
    uint64_t h = (static_cast<uint64_t>(be32(ip + 12)) << 32 | be32(ip + 16)) ^ ip[9];
    const bool whole = (be16(ip + 6) & (kIpv4MoreFragments | kIpv4Offset)) == 0;
    if (whole && has_ports(ip[9]) && total >= ihl + 4) h ^= static_cast<uint64_t>(be32(ip + ihl)) << 16;
    return mix(h);
  }
  static uint32_t hash6(const uint8_t* ip, uint32_t payload) noexcept {
    uint64_t h = ip[6];
    for (unsigned i = 8; i < 40; i += 4) h = (h ^ be32(ip + i)) * 0x9e3779b97f4a7c15ULL;
    if (has_ports(ip[6]) && payload >= 4) h ^= static_cast<uint64_t>(be32(ip + 40)) << 16;
    return mix(h);
  }

  static NeighbourKey neighbour_key(uint8_t family, unsigned interface, const IpAddress& addr) {
    NeighbourKey k;
    k.addr = addr;
    k.interface = static_cast<uint16_t>(interface);
    k.family = family;
    return k;
  }

  // Step 4: to the next hop's MAC, asking for it first if it is not known.
  void resolve(rte_mbuf* m, const NeighbourKey& k) noexcept {
    if (const MacAddress* mac = v_.static_neighbour(k)) return transmit_to(m, k.interface, *mac);
    Neighbour* n = w_.neighbours.find(k);
    if (n != nullptr && n->state == NeighbourState::reachable) {
      if (ctx_.now_ns - n->confirmed_ns >= s_.reachable_ns &&
          ctx_.now_ns - n->requested_ns >= s_.retry_ns)
        request(*n);  // still used: ask again, keep sending meanwhile
      return transmit_to(m, k.interface, n->mac);
    }
    if (n == nullptr) {
      if (w_.pending_count == w_.pending.size()) return drop(m, RtDrop::neighbour_full);
      n = w_.neighbours.insert(k);
      if (n == nullptr) return drop(m, RtDrop::neighbour_full);
      NeighbourTable::begin_write(*n);
      n->state = NeighbourState::incomplete;
      n->pending = true;
      NeighbourTable::end_write(*n);
      w_.pending[w_.pending_count++] = w_.neighbours.index_of(*n);
      request(*n);
    } else if (ctx_.now_ns - n->requested_ns >= s_.retry_ns && n->probes < s_.retries) {
      request(*n);
    }
    if (n->queued >= s_.queue) return drop(m, RtDrop::queue_full);
    NeighbourTable::begin_write(*n);
    n->queue[n->queued++] = m;
    NeighbourTable::end_write(*n);
    out_.hold(m);
  }

  // An ARP request or neighbour solicitation for `n`, out of its interface.
  void request(Neighbour& n) noexcept {
    NeighbourTable::begin_write(n);
    n.requested_ns = ctx_.now_ns;
    ++n.probes;
    NeighbourTable::end_write(n);
    const NeighbourKey& k = n.key;
    if (k.interface >= v_.config.interfaces.size()) return;
    const RouterInterface& out = itf(k.interface);
    const InterfaceAddress* own = source_for(out, k.family, k.addr);
    if (own == nullptr) return;  // nothing to ask from: the neighbour stays unresolved
    uint8_t frame[kEthHeader + 40 + 32];
    static constexpr MacAddress kBroadcast = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    const uint32_t len =
        k.family == 4
            ? build_arp(frame, 1, kBroadcast, out.mac, own->addr.data(), MacAddress{}, k.addr.data())
            : build_neighbour_solicitation(frame, out.mac, own->addr, k.addr);
    rte_mbuf* m = new_frame(pool_, frame, len);
    if (m == nullptr) return;
    w_.neighbour_requests.add();
    transmit(m, k.interface);
  }

  // What this or another worker learned: the neighbour is reachable; its
  // waiting packets go out.
  void learn(const NeighbourKey& k, const MacAddress& mac, bool from_peer) noexcept {
    Neighbour* n = w_.neighbours.find(k);
    if (n == nullptr) n = w_.neighbours.insert(k);
    if (n != nullptr) {
      const uint8_t queued = n->queued;
      NeighbourTable::begin_write(*n);
      n->state = NeighbourState::reachable;
      n->mac = mac;
      n->confirmed_ns = ctx_.now_ns;
      n->probes = 0;
      n->queued = 0;
      NeighbourTable::end_write(*n);
      for (uint8_t q = 0; q < queued; ++q) {
        if (k.interface >= v_.config.interfaces.size()) {
          drop(n->queue[q], RtDrop::unresolved);
          continue;
        }
        w_.released.add();
        transmit_to(n->queue[q], k.interface, mac);
      }
      w_.learned.add();
    }
    if (from_peer) return;
    LearnedNeighbour msg{k, mac, 0};
    for (unsigned i = 0; i < workers_.size(); ++i)
      if (i != ctx_.worker) rte_ring_mp_enqueue_elem(workers_[i]->inbox, &msg, sizeof msg);
  }

  void take_inbox() noexcept {
    LearnedNeighbour msgs[Router::kInboxBurst];
    const unsigned n = rte_ring_sc_dequeue_burst_elem(w_.inbox, msgs, sizeof msgs[0],
                                                      Router::kInboxBurst, nullptr);
    for (unsigned i = 0; i < n; ++i) learn(msgs[i].key, msgs[i].mac, true);
  }

  // Unanswered neighbours are asked again or given up (their packets
  // dropped); a few reachable ones are looked at and forgotten when
  // unconfirmed for too long.
  void age_neighbours() noexcept {
    NeighbourTable& t = w_.neighbours;
    for (unsigned i = 0; i < w_.pending_count;) {
      Neighbour& n = t.slot(w_.pending[i]);
      const bool give_up = n.state == NeighbourState::incomplete &&
                           ctx_.now_ns - n.requested_ns >= s_.retry_ns && n.probes >= s_.retries;
      if (n.state == NeighbourState::incomplete && !give_up) {
        if (ctx_.now_ns - n.requested_ns >= s_.retry_ns) request(n);
        ++i;
        continue;
      }
      if (give_up) {
        for (uint8_t q = 0; q < n.queued; ++q) drop(n.queue[q], RtDrop::unresolved);
        t.remove(n);
        w_.expired.add();
      }
      n.pending = false;
      w_.pending[i] = w_.pending[--w_.pending_count];
    }
    for (unsigned i = 0; i < Router::kSweepBudget && t.size() != 0; ++i) {
      Neighbour& n = t.slot(w_.sweep);
      w_.sweep = w_.sweep + 1 == t.slots() ? 0 : w_.sweep + 1;
      if (n.state == NeighbourState::reachable && !n.pending &&
          ctx_.now_ns - n.confirmed_ns >= s_.stale_ns) {
        t.remove(n);
        w_.expired.add();
      }
    }
  }

  void transmit_to(rte_mbuf* m, unsigned interface, const MacAddress& mac) noexcept {
    uint8_t* p = rte_pktmbuf_mtod(m, uint8_t*);
    std::memcpy(p, mac.data(), 6);
    std::memcpy(p + 6, itf(interface).mac.data(), 6);
    transmit(m, interface);
  }

  // Back to the frame's sender, from the interface's MAC.
  void reply_to_sender(rte_mbuf* m, unsigned in) noexcept {
    uint8_t* p = rte_pktmbuf_mtod(m, uint8_t*);
    std::memcpy(p, p + 6, 6);
    std::memcpy(p + 6, itf(in).mac.data(), 6);
    transmit(m, in);
  }

  // Out of the interface's port, tagged with its VLAN.
  void transmit(rte_mbuf* m, unsigned interface) noexcept {
    const RouterInterface& out = itf(interface);
    if (out_.send_room() == 0) return drop(m, RtDrop::queue_full);
    m->ol_flags &= ~(RTE_MBUF_F_RX_VLAN | RTE_MBUF_F_RX_VLAN_STRIPPED);
    if (out.vlan != 0) {
      m->vlan_tci = out.vlan;
      if (rte_vlan_insert(&m) != 0) return drop(m, RtDrop::no_buffer);
    }
    out_.send(out.port, m);
  }

  const RouterVersion& v_;
  const NeighbourSettings& s_;
  std::span<const std::unique_ptr<RouterWorker>> workers_;
  RouterWorker& w_;
  const BatchContext& ctx_;
  GateOutput& out_;
  rte_mempool* pool_ = nullptr;
  // look_up_routes' results, by packet: family (0: none), destination, group.
  uint16_t current_ = 0;
  std::array<uint8_t, kBurst> family_;
  std::array<uint32_t, kBurst> dst4_, group_;
  uint8_t dst6_[kBurst][16];
};

}  // namespace

void Router::process(const BatchContext& ctx, const PacketBatch& batch, GateOutput& out) noexcept {
  BatchPass(*version_.get(), workers_, ctx, out).run(batch);
}

}  // namespace sluice::nf
