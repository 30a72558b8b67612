// The router class's gates and named drop reasons (NfClassInfo), the reasons
// counted per instance per worker by the host.
//
// Thread-safety: constants only.
#pragma once

#include <array>
#include <cstdint>

namespace sluice::nf {

// The router names no gates: it chooses every packet's output port itself
// and sends it there (GateOutput::send).
inline constexpr std::array<const char*, 0> kRouterGates = {};

// Why the router dropped a packet.
enum class RtDrop : uint8_t {
  truncated,          // a header longer than the frame, or an IP length past it
  bad_header,         // IP version, IHL, total/payload length; ARP/ND fields
  bad_checksum,       // IPv4 header, or an ICMP(v6) message addressed to the router
  not_for_us,         // no interface on this port/VLAN, or another host's MAC
  non_ip,             // neither IPv4, IPv6 nor ARP
  local,              // to the router (not an echo request), to a multicast or
                      // broadcast address, or link-local scope: not forwarded
  no_route,           // no route, and no ICMP error may be sent about it
  ttl_exceeded,       // TTL / hop limit ran out, and no ICMP error may be sent
  too_big,            // larger than the output MTU without DF (not fragmented),
                      // or with DF when no ICMP error may be sent
  neighbour_answer,   // an ARP reply / neighbour advertisement: learned, consumed
  neighbour_ignored,  // ARP / ND not about one of the router's addresses
  neighbour_full,     // this worker's neighbour table is full
  queue_full,         // the unresolved neighbour's queue (or the output) is full
  unresolved,         // queued for a neighbour that never answered
  no_buffer,          // no mbuf (or headroom) for a reply, a request or a VLAN tag
  kCount,
};

inline constexpr std::array<const char*, static_cast<unsigned>(RtDrop::kCount)> kRtDropNames = {
    "truncated",        "bad_header",        "bad_checksum",   "not_for_us", "non_ip",
    "local",            "no_route",          "ttl_exceeded",   "too_big",    "neighbour_answer",
    "neighbour_ignored", "neighbour_full",   "queue_full",     "unresolved", "no_buffer",
};

inline constexpr unsigned reason(RtDrop d) {
  return static_cast<unsigned>(d);
}

}  // namespace sluice::nf
