#include "dataplane/stats/stats_report.h"

#include <chrono>
#include <cstdio>
#include <nlohmann/json.hpp>

namespace sluice {
namespace {

double cycles_per_packet(const WorkerReport& w) {
  return w.packets ? static_cast<double>(w.busy_cycles) / static_cast<double>(w.packets) : 0.0;
}

std::string drops_text(const PortTotals& totals) {
  std::string text;
  for (unsigned i = 0; i < kDropReasons; ++i) {
    if (totals.drops[i] == 0) continue;
    if (!text.empty()) text += ' ';
    text += std::string(drop_reason_name(static_cast<DropReason>(i))) + '=' +
            std::to_string(totals.drops[i]);
  }
  return text.empty() ? "-" : text;
}

}  // namespace

StatsSnapshot take_snapshot(const Datapath& datapath) {
  using namespace std::chrono;
  return {datapath.port_reports(), datapath.worker_reports(), datapath.mac_reports(),
          duration<double>(system_clock::now().time_since_epoch()).count()};
}

std::string stats_table(const StatsSnapshot& stats) {
  std::string out;
  char line[512];
  std::snprintf(line, sizeof(line), "%-4s %-12s %-5s %12s %14s %12s %14s  %s\n", "port", "name",
                "link", "rx_packets", "rx_bytes", "tx_packets", "tx_bytes", "drops");
  out += line;
  for (const PortReport& p : stats.ports) {
    std::snprintf(line, sizeof(line), "%-4u %-12s %-5s %12llu %14llu %12llu %14llu  %s\n",
                  p.number, p.name.c_str(), p.link_up ? "up" : "down",
                  static_cast<unsigned long long>(p.totals.rx_packets),
                  static_cast<unsigned long long>(p.totals.rx_bytes),
                  static_cast<unsigned long long>(p.totals.tx_packets),
                  static_cast<unsigned long long>(p.totals.tx_bytes),
                  drops_text(p.totals).c_str());
    out += line;
  }
  for (const WorkerReport& w : stats.workers) {
    const uint64_t total = w.busy_cycles + w.idle_cycles;
    std::snprintf(line, sizeof(line),
                  "worker lcore %u: %llu packets in %llu bursts, %.1f cycles/packet, busy %.1f%%\n",
                  w.lcore, static_cast<unsigned long long>(w.packets),
                  static_cast<unsigned long long>(w.bursts), cycles_per_packet(w),
                  total ? 100.0 * static_cast<double>(w.busy_cycles) / static_cast<double>(total)
                        : 0.0);
    out += line;
  }
  std::snprintf(line, sizeof(line), "mac table: %zu entr%s\n", stats.macs.size(),
                stats.macs.size() == 1 ? "y" : "ies");
  out += line;
  for (const MacReport& m : stats.macs) {
    std::snprintf(line, sizeof(line), "  %s port %u age %us\n", m.mac.c_str(), m.port, m.age_s);
    out += line;
  }
  return out;
}

std::string stats_json_line(const StatsSnapshot& stats) {
  nlohmann::ordered_json doc = {{"type", "stats"}, {"time", stats.unix_time}};
  auto& port_list = doc["ports"] = nlohmann::ordered_json::array();
  for (const PortReport& p : stats.ports) {
    nlohmann::ordered_json drops = nlohmann::ordered_json::object();
    for (unsigned i = 0; i < kDropReasons; ++i) {
      drops[drop_reason_name(static_cast<DropReason>(i))] = p.totals.drops[i];
    }
    port_list.push_back({{"name", p.name},
                         {"number", p.number},
                         {"spec", p.spec},
                         {"driver", p.driver},
                         {"link_up", p.link_up},
                         {"rx_packets", p.totals.rx_packets},
                         {"rx_bytes", p.totals.rx_bytes},
                         {"tx_packets", p.totals.tx_packets},
                         {"tx_bytes", p.totals.tx_bytes},
                         {"drops", drops}});
  }
  auto& worker_list = doc["workers"] = nlohmann::ordered_json::array();
  for (const WorkerReport& w : stats.workers) {
    worker_list.push_back({{"lcore", w.lcore},
                           {"packets", w.packets},
                           {"bursts", w.bursts},
                           {"busy_cycles", w.busy_cycles},
                           {"idle_cycles", w.idle_cycles},
                           {"cycles_per_packet", cycles_per_packet(w)}});
  }
  auto& mac_list = doc["macs"] = nlohmann::ordered_json::array();
  for (const MacReport& m : stats.macs) {
    mac_list.push_back({{"mac", m.mac}, {"port", m.port}, {"age", m.age_s}});
  }
  return doc.dump() + "\n";
}

}  // namespace sluice
