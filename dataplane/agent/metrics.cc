#include "dataplane/agent/metrics.h"

#include <cstdio>

#include "dataplane/agent/agent_state.h"
#include "dataplane/datapath.h"

namespace sluice {
namespace {

class Exposition {
 public:
  void family(const char* name, const char* type, const char* help) {
    name_ = name;
    out_ += std::string("# HELP ") + name + ' ' + help + "\n# TYPE " + name + ' ' + type + '\n';
  }
  using Labels = std::initializer_list<std::pair<const char*, std::string>>;
  // `labels`: name/value pairs; values are escaped here.
  void sample(Labels labels, uint64_t value) { line(labels, std::to_string(value)); }
  void sample(uint64_t value) { sample({}, value); }
  void sample_real(double value) {
    char text[32];
    std::snprintf(text, sizeof(text), "%.9g", value);
    line({}, text);
  }
  std::string take() { return std::move(out_); }

 private:
  void line(Labels labels, const std::string& value) {
    out_ += name_;
    if (labels.size()) {
      char sep = '{';
      for (const auto& [label, text] : labels) {
        out_ += sep;
        out_ += label;
        out_ += "=\"" + escape(text) + '"';
        sep = ',';
      }
      out_ += '}';
    }
    out_ += ' ' + value + '\n';
  }
  static std::string escape(const std::string& text) {
    std::string out;
    for (char c : text) {
      if (c == '\\' || c == '"') out += '\\';
      if (c == '\n') {
        out += "\\n";
        continue;
      }
      out += c;
    }
    return out;
  }

  std::string out_;
  const char* name_ = "";
};

}  // namespace

std::string metrics_text(const AgentState& state, Datapath& datapath) {
  Exposition m;
  char dpid[17];
  std::snprintf(dpid, sizeof(dpid), "%016llx", static_cast<unsigned long long>(state.datapath_id));
  m.family("sluice_info", "gauge", "Version and datapath id of this switch.");
  m.sample({{"version", SLUICE_VERSION}, {"datapath_id", dpid}}, 1);
  m.family("sluice_uptime_seconds", "gauge", "Seconds since the agent started.");
  m.sample_real(state.uptime_s());

  const std::vector<PortReport> ports = datapath.port_reports();
  struct PortFamily {
    const char* name;
    const char* help;
    uint64_t PortTotals::*field;
  };
  const PortFamily port_families[] = {
      {"sluice_port_rx_packets_total", "Packets received on the port.", &PortTotals::rx_packets},
      {"sluice_port_rx_bytes_total", "Bytes received on the port.", &PortTotals::rx_bytes},
      {"sluice_port_tx_packets_total", "Packets sent out of the port.", &PortTotals::tx_packets},
      {"sluice_port_tx_bytes_total", "Bytes sent out of the port.", &PortTotals::tx_bytes},
  };
  for (const PortFamily& f : port_families) {
    m.family(f.name, "counter", f.help);
    for (const PortReport& p : ports) m.sample({{"port", p.name}}, p.totals.*f.field);
  }
  m.family("sluice_port_drops_total", "counter", "Packets dropped on the port, by reason.");
  for (const PortReport& p : ports) {
    for (unsigned i = 0; i < kDropReasons; ++i) {
      m.sample({{"port", p.name}, {"reason", drop_reason_name(static_cast<DropReason>(i))}},
               p.totals.drops[i]);
    }
  }
  m.family("sluice_port_link_up", "gauge", "1 if the port's link is up.");
  for (const PortReport& p : ports) m.sample({{"port", p.name}}, p.link_up ? 1u : 0u);

  const std::vector<WorkerReport> workers = datapath.worker_reports();
  struct WorkerFamily {
    const char* name;
    const char* help;
    uint64_t WorkerReport::*field;
  };
  const WorkerFamily worker_families[] = {
      {"sluice_worker_packets_total", "Packets the worker received.", &WorkerReport::packets},
      {"sluice_worker_bursts_total", "Non-empty receive bursts of the worker.",
       &WorkerReport::bursts},
      {"sluice_worker_busy_cycles_total", "TSC cycles spent in polls that received packets.",
       &WorkerReport::busy_cycles},
      {"sluice_worker_idle_cycles_total", "TSC cycles spent in empty polls.",
       &WorkerReport::idle_cycles},
  };
  for (const WorkerFamily& f : worker_families) {
    m.family(f.name, "counter", f.help);
    for (const WorkerReport& w : workers)
      m.sample({{"lcore", std::to_string(w.lcore)}}, w.*f.field);
  }

  m.family("sluice_mac_table_entries", "gauge", "Live entries in the MAC learning table.");
  m.sample(datapath.mac_reports().size());
  m.family("sluice_mac_table_capacity", "gauge", "Capacity of the MAC learning table.");
  m.sample(datapath.macs().capacity());
  m.family("sluice_mac_table_evictions_total", "counter",
           "MAC entries replaced because their bucket was full.");
  m.sample(datapath.macs().evictions());

  const nlohmann::json nfs = datapath.nfs().stats();
  m.family("sluice_nf_packets_in_total", "counter", "Packets an NF instance received.");
  for (const auto& nf : nfs)
    m.sample({{"nf", nf["name"].get<std::string>()}}, nf["packets_in"].get<uint64_t>());
  m.family("sluice_nf_packets_out_total", "counter", "Packets an NF instance emitted, by gate.");
  for (const auto& nf : nfs)
    for (const auto& [gate, n] : nf["packets_out"].items())
      m.sample({{"nf", nf["name"].get<std::string>()}, {"gate", gate}}, n.get<uint64_t>());
  m.family("sluice_nf_drops_total", "counter", "Packets an NF instance dropped, by reason.");
  for (const auto& nf : nfs)
    for (const auto& [reason, n] : nf["drops"].items())
      m.sample({{"nf", nf["name"].get<std::string>()}, {"reason", reason}}, n.get<uint64_t>());

  m.family("sluice_events_published_total", "counter", "Events published on /v1/events.");
  m.sample(state.events.published());
  m.family("sluice_events_dropped_total", "counter",
           "Events not delivered because a client's queue was full.");
  m.sample(state.events.dropped());
  m.family("sluice_event_subscribers", "gauge", "Clients connected to /v1/events.");
  m.sample(state.events.subscribers());
  m.family("sluice_agent_connections", "gauge", "Open connections to the agent.");
  m.sample(state.sessions.size());
  m.family("sluice_agent_responses_total", "counter", "Responses sent by the agent, by status.");
  for (const auto& [status, count] : state.responses) {
    m.sample({{"status", std::to_string(status)}}, count);
  }
  return m.take();
}

void add_metrics_route(AgentState& state, Datapath& datapath) {
  const AgentState* s = &state;
  state.router.add(HttpMethod::get, "/metrics", [s, &datapath](const Request&) {
    return Response::text(metrics_text(*s, datapath), "text/plain; version=0.0.4; charset=utf-8");
  });
}

}  // namespace sluice
