// One version of a router's configuration, as workers see it: the
// interfaces, the route table and the static neighbours. Published with
// Published<RouterVersion>; replaced whole by reconfigure and by a route
// change the route table has no room for. Static routes change in place in
// the current version's table (route_table.h).
//
// Thread-safety: read by any worker. Immutable after construction but for
// `routes`, which only the control thread changes, as route_table.h says.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <memory>
#include <vector>

#include "nf/router/neighbour_table.h"
#include "nf/router/route_table.h"
#include "nf/router/router_config.h"

namespace sluice::nf {

struct RouterVersion {
  // The table holds c.routes (the static routes); `config` keeps none.
  RouterVersion(RouterConfig c, int socket_id, rte_rcu_qsbr* rcu)
      : routes(std::make_unique<RouteTable>(c, socket_id, rcu)),
        config(without_routes(std::move(c))) {
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
    auto it = std::lower_bound(
        statics.begin(), statics.end(), k,
        [](const auto& e, const auto& key) { return std::memcmp(&e.first, &key, sizeof key) < 0; });
    return it != statics.end() && std::memcmp(&it->first, &k, sizeof k) == 0 ? &it->second
                                                                             : nullptr;
  }

  const std::unique_ptr<RouteTable> routes;
  const RouterConfig config;                                 // without routes
  std::vector<std::pair<NeighbourKey, MacAddress>> statics;  // sorted by key bytes

 private:
  static RouterConfig without_routes(RouterConfig c) {
    c.routes.clear();
    c.routes.shrink_to_fit();
    return c;
  }
};

}  // namespace sluice::nf
