// Renders the datapath's counters for people (a table) and for programs
// (one JSON object per line, the format scripts/bench reads):
//   {"type":"stats","time":<unix seconds>,"ports":[{"name","number","spec",
//    "driver","link_up","rx_packets","rx_bytes","tx_packets","tx_bytes",
//    "drops":{"<reason>":N}}],"workers":[{"lcore","packets","bursts",
//    "busy_cycles","idle_cycles","cycles_per_packet"}],
//    "macs":[{"mac","port","age"}]}
// All counters are cumulative since the port was added / the worker started.
#pragma once

#include <string>
#include <vector>

#include "dataplane/datapath.h"

namespace sluice {

struct StatsSnapshot {
  std::vector<PortReport> ports;
  std::vector<WorkerReport> workers;
  std::vector<MacReport> macs;
  double unix_time = 0;
};

StatsSnapshot take_snapshot(const Datapath& datapath);
std::string stats_table(const StatsSnapshot& stats);
std::string stats_json_line(const StatsSnapshot& stats);

}  // namespace sluice
