// The JSON shape of a port, shared by /v1/ports, /v1/ports/{name} and
// /v1/stats (schema "Port" in docs/api/sluiced.openapi.json):
//   {"name","number","mac","driver","rx_queues","tx_queues",
//    "link":{"up","speed_mbps"(null if unknown),"duplex":"full"|"half"},
//    "spec":{"text","kind","devargs","interface"},
//    "counters":{"rx_packets","rx_bytes","tx_packets","tx_bytes","dropped"},
//    "drops":{"<reason>":N, ... every reason}}
// Counters are cumulative since the port was added. Control thread only.
#pragma once

#include <nlohmann/json.hpp>

#include "dataplane/datapath.h"

namespace sluice {

// `port` is the live port the report is about (Datapath::find_port).
nlohmann::json port_json(const PortReport& report, const Port& port);
// {"runt":N, "same_port":N, ...}: every drop reason, zeros included.
nlohmann::json drops_json(const PortTotals& totals);

}  // namespace sluice
