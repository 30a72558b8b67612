// Replies for the reject action: a TCP RST for TCP (RFC 9293 3.10.7.1), an
// ICMP destination unreachable (RFC 792/1812) or ICMPv6 destination
// unreachable (RFC 4443) for the rest, addressed back to the sender with
// Ethernet and IP addresses swapped and VLAN tags kept, checksums computed in
// software.
//
// Data path: no heap; rarely called, so not inline.
// Thread-safety: reentrant.
#pragma once

#include <rte_mbuf.h>

#include "nf/firewall/packet_parser.h"

namespace sluice::nf {

// Whether a reply may be sent at all: never to ICMP errors, TCP RSTs,
// non-first fragments, group (multicast/broadcast) MAC or IP destinations,
// or unspecified/multicast sources.
bool may_reply(const rte_mbuf* m, const FirewallPacket& fp) noexcept;

// Builds the reply to `m` (parsed as `fp`). Returns the mbuf to send back on
// the input port: `m` itself rewritten when it is a direct, unshared,
// single-segment mbuf with room, otherwise a new mbuf from m's pool (and `m`
// is freed). Returns nullptr, leaving `m` untouched, when may_reply() says
// no or no mbuf is available.
rte_mbuf* make_reject_reply(rte_mbuf* m, const FirewallPacket& fp) noexcept;

}  // namespace sluice::nf
