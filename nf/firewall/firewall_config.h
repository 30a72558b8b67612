// The firewall's configuration: its JSON form, checked at the edge, and the
// model the rule compiler and the data path use. Control path only.
//
// JSON (every key optional except a rule's "action"; unknown keys are errors):
//   {
//     "default": "deny",          allow | deny | reject: packets no rule matches
//     "rules": [                  first match wins
//       {"name": "web", "action": "allow",          allow | deny | reject
//        "ip": 4,                                   4 | 6 (implied by addresses/proto)
//        "in_port": 1,                              sluice port number
//        "src": "10.0.0.0/8", "dst": "2001:db8::1", prefix or address
//        "proto": "tcp",                            tcp udp sctp icmp icmpv6 or 0..255
//        "src_port": 1024, "dst_port": "8000-8080", number, "lo-hi" or [lo, hi]
//        "icmp_type": 8, "icmp_code": 0}            with proto icmp/icmpv6; number or range
//     ],
//     "fragments": "drop",        non-first fragments: drop | allow
//     "non_ip": "allow",          frames that are not IP (ARP, LLDP): allow | drop
//     "ipv6_nd": "allow",         ICMPv6 133-137 (router/neighbour discovery,
//                                 redirect) bypass the rules: allow | rules
//     "tcp_loose": false,         true: a TCP connection may start without SYN
//     "conntrack": {
//       "size": 65536,            connections per worker (fixed at creation)
//       "timeouts": {"tcp_syn": 30, "tcp_established": 7440, "tcp_fin": 120,
//                    "tcp_closed": 10, "udp": 60, "icmp": 30}     seconds
//     }
//   }
//
// Errors: sluice::Error with EINVAL, a message naming the problem and the
// JSON pointer of the offending field as path().
#pragma once

#include <array>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace sluice::nf {

enum class FwAction : uint8_t { allow, deny, reject };
const char* fw_action_name(FwAction a);

struct Prefix {
  std::array<uint8_t, 16> addr{};  // IPv4 in the first four bytes; host bits zero
  uint8_t len = 0;
};

struct Range {
  uint16_t lo = 0, hi = 0xffff;
  bool any() const { return lo == 0 && hi == 0xffff; }
};

struct FirewallRule {
  std::string name;
  FwAction action = FwAction::deny;
  uint8_t family = 0;  // 0 both, 4, 6
  std::optional<Prefix> src, dst;
  int proto = -1;            // -1 any
  Range src_port, dst_port;  // for ICMP: type and code (see packet_parser.h)
  int in_port = -1;          // -1 any
};

struct Timeouts {  // nanoseconds
  uint64_t tcp_syn = 30'000'000'000, tcp_established = 7440'000'000'000, tcp_fin = 120'000'000'000,
           tcp_closed = 10'000'000'000, udp = 60'000'000'000, icmp = 30'000'000'000;
};

struct FirewallSettings {
  FwAction default_action = FwAction::deny;
  bool fragments_allow = false;
  bool non_ip_allow = true;
  bool ipv6_nd_allow = true;
  bool tcp_loose = false;
  uint32_t conntrack_size = 65536;
  Timeouts timeouts;
};

inline constexpr size_t kMaxFirewallRules = 65000;
inline constexpr uint32_t kMinConntrackSize = 16, kMaxConntrackSize = 1u << 24;

struct FirewallConfig {
  FirewallSettings settings;
  std::vector<FirewallRule> rules;
  nlohmann::json source;  // as given
};

FirewallConfig parse_firewall_config(const nlohmann::json& json);

}  // namespace sluice::nf
