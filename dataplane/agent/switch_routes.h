// Read-only switch endpoints (schemas in docs/api/sluiced.openapi.json):
//   GET /v1/switch  -> {"version","datapath_id" (16 hex digits),"uptime_s",
//                       "workers","ports","capabilities":[...]}
//   GET /v1/stats   -> {"time","uptime_s","ports":[Port...],
//                       "workers":[{"lcore","packets","bursts","busy_cycles",
//                         "idle_cycles","busy_percent","cycles_per_packet",
//                         "packets_per_burst"}],
//                       "drops":{"<reason>":N} (summed over ports),
//                       "flows":{...} (flow_json.h flow_stats_summary_json),
//                       "mac_table":{"entries","capacity","aging_s","evictions"},
//                       "events":{"published","dropped","subscribers"},
//                       "agent":{"connections","accepted","refused"}}
//   GET /v1/macs    -> {"aging_s","capacity","entries":[{"mac","port",
//                       "port_name","age_s"}]}
// None of them fails except as the router does (404/405).
#pragma once

namespace sluice {

struct AgentState;
class Datapath;

void add_switch_routes(AgentState& state, Datapath& datapath);

}  // namespace sluice
