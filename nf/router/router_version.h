// One immutable version of a router's configuration, as workers see it: the
// interfaces, the route table and the static neighbours. Published with
// Published<RouterVersion>; replaced whole by every change (reconfigure, a
// route added or deleted).
//
// Thread-safety: immutable after construction; read by any worker.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <vector>

#include "nf/router/neighbour_table.h"
#include "nf/router/route_table.h"
#include "nf/router/router_config.h"

namespace sluice::nf {

struct RouterVersion {
  RouterVersion(RouterConfig c, int socket_id, uint64_t gen)
      : config(std::move(c)), routes(config, socket_id), generation(gen) {
    for (const StaticNeighbour& n : config.neighbours) {
      NeighbourKey k;
      k.addr = n.address;
      k.interface = static_cast<uint16_t>(n.interface);
      k.family = n.family;
      statics.push_back({k, n.mac});
    }
    std::sort(statics.begin(), statics.end(), [](const auto& a, const auto& b) {
      return std::memcmp(&a.first, &b.first, sizeof a.first) < 0;
    });
  }

  // The interface on this port and VLAN (0: untagged), or -1.
  int interface_of(uint16_t port, uint16_t vlan) const noexcept {
    for (size_t i = 0; i < config.interfaces.size(); ++i)
      if (config.interfaces[i].port == port && config.interfaces[i].vlan == vlan)
        return static_cast<int>(i);
    return -1;
  }
  // The static neighbour's MAC, or nullptr.
  const MacAddress* static_neighbour(const NeighbourKey& k) const noexcept {
    if (statics.empty()) return nullptr;
    auto it = std::lower_bound(statics.begin(), statics.end(), k, [](const auto& e, const auto& key) {
      return std::memcmp(&e.first, &key, sizeof key) < 0;
    });
    return it != statics.end() && std::memcmp(&it->first, &k, sizeof k) == 0 ? &it->second
                                                                              : nullptr;
  }

  const RouterConfig config;
  const RouteTable routes;
  std::vector<std::pair<NeighbourKey, MacAddress>> statics;  // sorted by key bytes
  const uint64_t generation;
};

}  // namespace sluice::nf
