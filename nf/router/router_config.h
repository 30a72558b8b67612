// The router's configuration: its JSON form, checked at the edge, and the
// model the route table and the data path are built from. Control path only.
//
// JSON (unknown keys are errors):
//   {
//     "interfaces": [                     at most 64
//       {"name": "lan",                   [a-zA-Z0-9_.-]{1,32}, unique
//        "port": 1,                       sluice port number
//        "vlan": 10,                      optional 802.1Q VLAN id 1..4094
//        "mac": "02:00:00:00:01:01",      unicast
//        "mtu": 1500,                     IP MTU, 68..9000 (IPv6 needs >= 1280)
//        "addresses": ["10.1.0.1/24", "2001:db8:1::1/64"]}     connected routes
//     ],
//     "routes": [                         static routes, at most 2^22 per family
//       {"prefix": "0.0.0.0/0", "via": "10.2.0.254"},          gateway (its
//                                         interface from the connected routes)
//       {"prefix": "10.9.0.0/16", "interface": "lan"},         on-link
//       {"prefix": "10.8.0.0/16", "next_hops": [               ECMP, 1..8
//          {"via": "10.2.0.2"}, {"via": "10.3.0.2", "interface": "wan2"}]}
//     ],
//     "neighbours": [                     static entries, never aged
//       {"address": "10.1.0.9", "mac": "02:00:00:00:00:09", "interface": "lan"}
//     ],
//     "neighbour": {"size": 4096,         entries per worker (fixed at creation)
//                   "reachable_s": 30,    after this an entry in use is re-probed
//                   "stale_s": 120,       an entry unconfirmed this long is removed
//                   "retry_ms": 1000,     between requests for an unresolved one
//                   "retries": 3,         requests before it is given up
//                   "queue": 4}           packets held per unresolved neighbour (0..16)
//   }
//
// Errors: sluice::Error with EINVAL, a message naming the problem and the JSON
// pointer of the offending field as path().
#pragma once

#include <array>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace sluice::nf {

using IpAddress = std::array<uint8_t, 16>;  // IPv4 in the first four bytes
using MacAddress = std::array<uint8_t, 6>;

struct IpPrefix {
  uint8_t family = 4;  // 4 or 6
  uint8_t len = 0;
  IpAddress addr{};  // host bits zero

  bool contains(uint8_t fam, const IpAddress& a) const noexcept;
  bool operator==(const IpPrefix&) const = default;
  auto operator<=>(const IpPrefix&) const = default;
};

struct InterfaceAddress {
  IpPrefix prefix;  // the connected network
  IpAddress addr{};  // the router's own address in it
};

struct RouterInterface {
  std::string name;
  uint16_t port = 0;
  uint16_t vlan = 0;  // 0: untagged
  MacAddress mac{};
  uint16_t mtu = 1500;
  std::vector<InterfaceAddress> addresses;
};

inline constexpr unsigned kMaxInterfaces = 64;
inline constexpr unsigned kMaxEcmp = 8;
inline constexpr uint32_t kMaxRoutesPerFamily = 1u << 22;
inline constexpr unsigned kMaxNeighbourQueue = 16;

struct NextHop {
  bool has_gateway = false;
  IpAddress gateway{};
  int interface = -1;  // index into interfaces; -1: found from the connected routes
};

struct Route {
  IpPrefix prefix;
  std::vector<NextHop> next_hops;  // 1..kMaxEcmp
};

struct StaticNeighbour {
  uint8_t family = 4;
  IpAddress address{};
  MacAddress mac{};
  unsigned interface = 0;
};

struct NeighbourSettings {  // times in nanoseconds
  uint32_t size = 4096;
  uint64_t reachable_ns = 30'000'000'000, stale_ns = 120'000'000'000, retry_ns = 1'000'000'000;
  uint32_t retries = 3;
  uint32_t queue = 4;
};

struct RouterConfig {
  std::vector<RouterInterface> interfaces;
  std::vector<Route> routes;
  std::vector<StaticNeighbour> neighbours;
  NeighbourSettings neighbour;
};

RouterConfig parse_router_config(const nlohmann::json& json);
// One route as in "routes" (`path` names it in errors); needs the interfaces.
Route parse_route(const nlohmann::json& json, const std::string& path,
                  const std::vector<RouterInterface>& interfaces);

// "ADDRESS/LEN" (LEN defaults to 32 / 128); host bits are cleared.
IpPrefix parse_prefix(const nlohmann::json& json, const std::string& path);

nlohmann::json to_json(const RouterConfig& config);
nlohmann::json to_json(const Route& route, const std::vector<RouterInterface>& interfaces);
std::string prefix_text(const IpPrefix& p);
std::string address_text(uint8_t family, const IpAddress& a);
std::string mac_text(const MacAddress& m);

}  // namespace sluice::nf
