// The JSON form of rules used by the REST API:
//
//   {"table":0,"priority":100,"cookie":7,"idle_timeout":0,"hard_timeout":0,
//    "match":{"in_port":1,"eth_type":2048,"ip_proto":6,
//             "ipv4_dst":"10.0.0.0/24","tcp_dst":"1000-1999"},
//    "actions":[{"type":"output","port":2}]}
//
// Match values: a number (exact) or a string in the text syntax (value,
// value/mask, address/prefix, lo-hi for L4 ports, "none" for vlan_vid).
// Actions: {"type":T, ...} with members output:port, controller:max_len,
// set_field:field+value, push_vlan:ethertype, group:group_id, meter:meter_id,
// goto_table:table, write_metadata:value+mask, set_reg:reg+value,
// nf:instance; flood, normal, drop, pop_vlan, dec_ttl take none.
//
// Thread-safety: pure functions.
#pragma once

#include <nlohmann/json.hpp>

#include "common/rules/rule.h"

namespace sluice {

// Parses and validates a rule. Throws sluice::Error (EINVAL) whose path() is
// the JSON pointer of the offending member ("/match/tcp_dst",
// "/actions/0/port", "/priority") and whose message names it. Unknown
// members are errors, never ignored.
Rule rule_from_json(const nlohmann::json& j);
// Canonical JSON; rule_from_json(rule_to_json(r)) == r.
nlohmann::json rule_to_json(const Rule& rule);

// Parts, for group buckets and tools. `base` prefixes error paths.
ActionList actions_from_json(const nlohmann::json& j, const std::string& base);
nlohmann::json actions_to_json(const ActionList& actions);
Match match_from_json(const nlohmann::json& j, const std::string& base);
nlohmann::json match_to_json(const Match& m);

// A table's miss behaviour: {"type":"drop"|"normal"|"controller"} or
// {"type":"goto_table","table":N}; the bare string "drop" (etc.) is accepted
// too. Checks the form only (validate_miss() checks N against the table).
// Throws sluice::Error (EINVAL) with a path under `base`.
TableMiss miss_from_json(const nlohmann::json& j, const std::string& base);
// Canonical object form; miss_from_json(miss_to_json(m), "") == m.
nlohmann::json miss_to_json(const TableMiss& miss);

}  // namespace sluice
