// The firewall class's gates and named drop reasons (NfClassInfo), the
// reasons counted per instance per worker by the host.
//
// Thread-safety: constants only.
#pragma once

#include <array>
#include <cstdint>

namespace sluice::nf {

// Gate 0 forwards (kForward); gate 1 carries reject replies back out of the
// input port (kReply).
inline constexpr std::array<const char*, 2> kFirewallGates = {"forward", "reply"};

// Why the firewall dropped a packet.
enum class FwDrop : uint8_t {
  truncated,        // a header longer than the packet or than its IP datagram
  bad_header,       // IP version/IHL/length, IPv6 extension chain, TCP data offset
  fragment,         // a non-first fragment, with "fragments": "drop"
  non_ip,           // not IPv4/IPv6, with "non_ip": "drop"
  deny,             // a deny rule matched
  default_deny,     // no rule matched, default policy deny
  reject_no_reply,  // reject, but no reply may be sent (to an ICMP error, a RST,
                    // a multicast/broadcast address) or no mbuf for it
  invalid,          // TCP segment not valid in its connection's state, bad TCP
                    // flags, or a new TCP connection that does not start with SYN
  conntrack_full,   // connection table of this worker full
  kCount,
};

inline constexpr std::array<const char*, static_cast<unsigned>(FwDrop::kCount)> kFwDropNames = {
    "truncated",    "bad_header",      "fragment", "non_ip",         "deny",
    "default_deny", "reject_no_reply", "invalid",  "conntrack_full",
};

inline constexpr unsigned reason(FwDrop d) {
  return static_cast<unsigned>(d);
}

}  // namespace sluice::nf
