#include "dataplane/agent/switch_routes.h"

#include <chrono>
#include <cstdio>

#include "dataplane/agent/agent_state.h"
#include "dataplane/agent/flow_json.h"
#include "dataplane/agent/port_json.h"
#include "dataplane/datapath.h"

namespace sluice {
namespace {

using nlohmann::json;

double ratio(uint64_t a, uint64_t b) {
  return b ? static_cast<double>(a) / static_cast<double>(b) : 0.0;
}

std::string hex64(uint64_t value) {
  char text[17];
  std::snprintf(text, sizeof(text), "%016llx", static_cast<unsigned long long>(value));
  return text;
}

json switch_json(const AgentState& state, const Datapath& datapath) {
  return {{"version", SLUICE_VERSION},
          {"datapath_id", hex64(state.datapath_id)},
          {"uptime_s", state.uptime_s()},
          {"workers", datapath.worker_count()},
          {"ports", datapath.port_reports().size()},
          {"capabilities", state.capabilities}};
}

json stats_json(const AgentState& state, Datapath& datapath) {
  json ports = json::array();
  PortTotals all;
  for (const PortReport& report : datapath.port_reports()) {
    for (unsigned i = 0; i < kDropReasons; ++i) all.drops[i] += report.totals.drops[i];
    if (const Port* port = datapath.find_port(report.name)) {
      ports.push_back(port_json(report, *port));
    }
  }
  json workers = json::array();
  for (const WorkerReport& w : datapath.worker_reports()) {
    workers.push_back(
        {{"lcore", w.lcore},
         {"packets", w.packets},
         {"bursts", w.bursts},
         {"busy_cycles", w.busy_cycles},
         {"idle_cycles", w.idle_cycles},
         {"busy_percent", 100.0 * ratio(w.busy_cycles, w.busy_cycles + w.idle_cycles)},
         {"cycles_per_packet", ratio(w.busy_cycles, w.packets)},
         {"packets_per_burst", ratio(w.packets, w.bursts)}});
  }
  const MacTable& macs = datapath.macs();
  const double now =
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  return {{"time", now},
          {"uptime_s", state.uptime_s()},
          {"ports", ports},
          {"workers", workers},
          {"drops", drops_json(all)},
          {"flows", flow_stats_summary_json(datapath.pipeline())},
          {"nfs", datapath.nfs().stats()},
          {"mac_table",
           {{"entries", datapath.mac_reports().size()},
            {"capacity", macs.capacity()},
            {"aging_s", macs.aging_s()},
            {"evictions", macs.evictions()}}},
          {"events",
           {{"published", state.events.published()},
            {"dropped", state.events.dropped()},
            {"subscribers", state.events.subscribers()}}},
          {"agent",
           {{"connections", state.sessions.size()},
            {"accepted", state.connections_accepted},
            {"refused", state.connections_refused}}}};
}

json macs_json(Datapath& datapath) {
  const std::vector<PortReport> ports = datapath.port_reports();
  json entries = json::array();
  for (const MacReport& m : datapath.mac_reports()) {
    std::string port_name;
    for (const PortReport& p : ports) {
      if (p.number == m.port) port_name = p.name;
    }
    entries.push_back(
        {{"mac", m.mac}, {"port", m.port}, {"port_name", port_name}, {"age_s", m.age_s}});
  }
  return {{"aging_s", datapath.macs().aging_s()},
          {"capacity", datapath.macs().capacity()},
          {"entries", entries}};
}

}  // namespace

void add_switch_routes(AgentState& state, Datapath& datapath) {
  AgentState* s = &state;
  state.router.add(HttpMethod::get, "/v1/switch", [s, &datapath](const Request&) {
    return Response::json(switch_json(*s, datapath));
  });
  state.router.add(HttpMethod::get, "/v1/stats", [s, &datapath](const Request&) {
    return Response::json(stats_json(*s, datapath));
  });
  state.router.add(HttpMethod::get, "/v1/macs",
                   [&datapath](const Request&) { return Response::json(macs_json(datapath)); });
}

}  // namespace sluice
