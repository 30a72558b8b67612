// Events the data plane raises on its own, published on the agent's EventBus:
//   packet-in     {"in_port","table","cookie","worker","length","hex"}
//                 a packet the controller action punted (rate-limited per
//                 worker by DatapathOptions::packet_in_rate; punts over the
//                 rate are counted as drops with reason "controller")
//   flow-removed  see flow_json.h (idle/hard timeouts expired by
//                 Datapath::housekeeping())
//   port-status   {"name","number","link":"up"|"down"} when a port's link
//                 changes (and once for each port when first seen)
//
// Thread-safety: control thread only, like the Agent.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <nlohmann/json_fwd.hpp>

#include "dataplane/worker/controller_channel.h"

namespace sluice {

class Datapath;
class EventBus;

nlohmann::json packet_in_json(const PacketIn& packet);

class DatapathEvents {
 public:
  DatapathEvents(Datapath& datapath, EventBus& events) : datapath_(datapath), events_(events) {}

  // Publishes what is pending; returns how many events. At most `max_packet_ins`
  // packet-ins per call, so a burst of punts cannot starve the HTTP clients.
  std::size_t publish(std::size_t max_packet_ins = 256);

 private:
  Datapath& datapath_;
  EventBus& events_;
  std::map<uint16_t, bool> link_up_;  // by port number, as last published
};

}  // namespace sluice
