#include "dataplane/agent/port_json.h"

#include <rte_ethdev.h>

namespace sluice {

nlohmann::json drops_json(const PortTotals& totals) {
  nlohmann::json drops = nlohmann::json::object();
  for (unsigned i = 0; i < kDropReasons; ++i) {
    drops[drop_reason_name(static_cast<DropReason>(i))] = totals.drops[i];
  }
  return drops;
}

nlohmann::json port_json(const PortReport& report, const Port& port) {
  rte_eth_link link{};
  const bool known = rte_eth_link_get_nowait(port.id(), &link) == 0;
  nlohmann::json speed = nullptr;
  if (known && link.link_speed != RTE_ETH_SPEED_NUM_UNKNOWN &&
      link.link_speed != RTE_ETH_SPEED_NUM_NONE) {
    speed = link.link_speed;
  }
  const PortSpec& spec = port.spec();
  const PortTotals& t = report.totals;
  return {
      {"name", report.name},
      {"number", report.number},
      {"mac", port.mac()},
      {"driver", report.driver},
      {"rx_queues", port.rx_queues()},
      {"tx_queues", port.tx_queues()},
      {"link",
       {{"up", report.link_up},
        {"speed_mbps", speed},
        {"duplex", link.link_duplex == RTE_ETH_LINK_FULL_DUPLEX ? "full" : "half"}}},
      {"spec",
       {{"text", spec.text},
        {"kind", port_kind_name(spec.kind)},
        {"devargs", spec.devargs},
        {"interface", spec.interface}}},
      {"counters",
       {{"rx_packets", t.rx_packets},
        {"rx_bytes", t.rx_bytes},
        {"tx_packets", t.tx_packets},
        {"tx_bytes", t.tx_bytes},
        {"dropped", t.dropped()}}},
      {"drops", drops_json(t)},
  };
}

}  // namespace sluice
