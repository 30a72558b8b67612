// GET /metrics: the switch's counters in the Prometheus text exposition format
// 0.0.4 (Content-Type "text/plain; version=0.0.4; charset=utf-8"), every family
// with # HELP and # TYPE lines. Families (labels in braces):
//   sluice_info{version,datapath_id} 1                        gauge
//   sluice_uptime_seconds                                     gauge
//   sluice_port_{rx,tx}_{packets,bytes}_total{port}           counter
//   sluice_port_drops_total{port,reason}                      counter
//   sluice_port_link_up{port}                                 gauge
//   sluice_worker_{packets,bursts,busy_cycles,idle_cycles}_total{lcore}  counter
//   sluice_mac_table_entries, sluice_mac_table_capacity       gauge
//   sluice_mac_table_evictions_total                          counter
//   sluice_events_published_total, sluice_events_dropped_total  counter
//   sluice_event_subscribers, sluice_agent_connections        gauge
//   sluice_agent_responses_total{status}                      counter
#pragma once

#include <string>

namespace sluice {

struct AgentState;
class Datapath;

// The exposition text.
std::string metrics_text(const AgentState& state, Datapath& datapath);

void add_metrics_route(AgentState& state, Datapath& datapath);

}  // namespace sluice
