// The OVS-like text form of rules, parsed and printed round-trip:
//
//   table=0,priority=100,in_port=1,tcp,nw_dst=10.0.0.0/24,tp_dst=80,
//       actions=set_field:aa:bb:cc:dd:ee:ff->eth_dst,output:2
//
// Match tokens: table, priority, cookie, idle_timeout, hard_timeout; protocol
// shorthands ip ipv6 arp tcp udp sctp icmp tcp6 udp6 sctp6 icmp6; FIELD=VALUE,
// FIELD=VALUE/MASK (addresses also /PREFIXLEN), L4 ports FIELD=LO-HI; canonical
// field names and OVS aliases (nw_src, dl_dst, tp_dst, ...). `actions=` takes
// the rest of the line: output:N (or N), flood, normal, drop, controller[:LEN],
// set_field:VALUE->FIELD, push_vlan:TPID, pop_vlan (strip_vlan), dec_ttl,
// group:N, meter:N, goto_table:N, write_metadata:VALUE[/MASK],
// load:VALUE->regN, nf:N. Empty actions or no actions= means drop.
//
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/rules/rule.h"

namespace sluice {

// Parses and validates one rule. Throws sluice::Error (EINVAL) whose message
// starts with "column N: 'TOKEN': " naming the offending token (1-based column
// into `text`) and whose path() is the JSON pointer of the offending part
// ("/match/tcp_dst", "/actions/1", "/priority").
Rule parse_rule(std::string_view text);

// Parses a flows file (`sluiced --flows FILE`): one rule per line; blank
// lines and lines starting with '#' are skipped. Throws sluice::Error (EINVAL)
// whose message starts with "line N: column M: 'TOKEN': " and whose path() is
// the rule's JSON pointer.
std::vector<Rule> parse_rules(std::string_view text);

// Prints the canonical text form; parse_rule(format_rule(r)) == r for every
// valid rule.
std::string format_rule(const Rule& rule);
std::string format_actions(const ActionList& actions);
std::string format_match(const Match& match);

}  // namespace sluice
