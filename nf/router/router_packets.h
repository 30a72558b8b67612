// The frames the router writes itself: ARP replies and requests, IPv6
// neighbour advertisements and solicitations, ICMP / ICMPv6 errors. Each
// builder writes an untagged Ethernet frame into `out` (the VLAN tag, if any,
// is added when the frame is sent) and returns its length; checksums are
// computed in software. Data path: no heap, no exceptions.
//
// Thread-safety: reentrant.
#pragma once

#include <rte_mbuf.h>

#include <cstdint>

#include "nf/router/router_config.h"

namespace sluice::nf {

inline constexpr uint32_t kEthHeader = 14;
// ICMP errors quote as much of the datagram as keeps the error within
// 576 bytes (IPv4, RFC 1812 4.3.2.3) or 1280 bytes (IPv6, RFC 4443 2.4).
inline constexpr uint32_t kIcmp4Quote = 576 - 20 - 8;
inline constexpr uint32_t kIcmp6Quote = 1280 - 40 - 8;
inline constexpr uint32_t kMaxBuiltFrame = kEthHeader + 1280;
inline constexpr uint8_t kIcmpTtl = 64;

// ARP (RFC 826) for IPv4 over Ethernet: `op` 1 request, 2 reply.
uint32_t build_arp(uint8_t* out, uint16_t op, const MacAddress& eth_dst, const MacAddress& sha,
                   const uint8_t* spa, const MacAddress& tha, const uint8_t* tpa) noexcept;

// Neighbour solicitation for `target` to its solicited-node multicast
// address, with our link-layer address option (RFC 4861 4.3).
uint32_t build_neighbour_solicitation(uint8_t* out, const MacAddress& src_mac,
                                      const IpAddress& src_ip, const IpAddress& target) noexcept;

// Solicited neighbour advertisement (router, solicited, override flags) for
// our `target`, with our link-layer address option (RFC 4861 4.4).
uint32_t build_neighbour_advertisement(uint8_t* out, const MacAddress& dst_mac,
                                       const MacAddress& src_mac, const IpAddress& dst_ip,
                                       const IpAddress& target) noexcept;

// ICMP (family 4) or ICMPv6 (6) error `type`/`code` with the 32-bit
// `rest` word (the MTU for fragmentation needed / packet too big), quoting
// the datagram of `m` at offset `l3`, `datagram_len` bytes long.
uint32_t build_icmp_error(uint8_t* out, uint8_t family, const MacAddress& dst_mac,
                          const MacAddress& src_mac, const IpAddress& src_ip,
                          const IpAddress& dst_ip, uint8_t type, uint8_t code, uint32_t rest,
                          const rte_mbuf* m, uint32_t l3, uint32_t datagram_len) noexcept;

// Makes `bytes` the whole content of `m` when m is direct, unshared, one
// segment and large enough; otherwise of a new mbuf from m's pool, and m is
// freed. nullptr when no mbuf could be had (m is left untouched).
rte_mbuf* replace_frame(rte_mbuf* m, const uint8_t* bytes, uint32_t len) noexcept;
// A new mbuf from `pool` holding `bytes`, or nullptr.
rte_mbuf* new_frame(rte_mempool* pool, const uint8_t* bytes, uint32_t len) noexcept;

}  // namespace sluice::nf
