#include "dataplane/agent/datapath_events.h"

#include <nlohmann/json.hpp>
#include <string>

#include "dataplane/agent/event_bus.h"
#include "dataplane/agent/flow_routes.h"
#include "dataplane/datapath.h"

namespace sluice {

using nlohmann::json;

json packet_in_json(const PacketIn& packet) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(packet.bytes.size() * 2);
  for (uint8_t b : packet.bytes) {
    hex.push_back(kDigits[b >> 4]);
    hex.push_back(kDigits[b & 0xf]);
  }
  return {{"in_port", packet.in_port}, {"table", packet.table},  {"cookie", packet.cookie},
          {"worker", packet.worker},   {"length", packet.bytes.size()}, {"hex", hex}};
}

std::size_t DatapathEvents::publish(std::size_t max_packet_ins) {
  std::size_t n = publish_flow_removed(datapath_.pipeline(), events_);
  for (const PacketIn& packet : datapath_.take_packet_ins(max_packet_ins)) {
    events_.publish("packet-in", packet_in_json(packet));
    ++n;
  }
  std::map<uint16_t, bool> now;
  for (const PortReport& port : datapath_.port_reports()) {
    now[port.number] = port.link_up;
    auto last = link_up_.find(port.number);
    if (last != link_up_.end() && last->second == port.link_up) continue;
    events_.publish("port-status", {{"name", port.name},
                                    {"number", port.number},
                                    {"link", port.link_up ? "up" : "down"}});
    ++n;
  }
  link_up_ = std::move(now);
  return n;
}

}  // namespace sluice
