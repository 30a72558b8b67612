#include "nf/router/router_config.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <initializer_list>
#include <set>
#include <string_view>

#include "common/error.h"
#include "nf/common/config_json.h"

namespace sluice::nf {

using nlohmann::json;

bool IpPrefix::contains(uint8_t fam, const IpAddress& a) const noexcept {
  if (fam != family) return false;
  const unsigned full = len / 8u, rest = len % 8u;
  for (unsigned i = 0; i < full; ++i)
    if (a[i] != addr[i]) return false;
  if (rest == 0) return true;
  const uint8_t mask = static_cast<uint8_t>(0xff00u >> rest);
  return (a[full] & mask) == addr[full];
}

std::string address_text(uint8_t family, const IpAddress& a) {
  char buf[INET6_ADDRSTRLEN];
  inet_ntop(family == 4 ? AF_INET : AF_INET6, a.data(), buf, sizeof buf);
  return buf;
}

std::string prefix_text(const IpPrefix& p) {
  return address_text(p.family, p.addr) + "/" + std::to_string(p.len);
}

std::string mac_text(const MacAddress& m) {
  char buf[18];
  std::snprintf(buf, sizeof buf, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4],
                m[5]);
  return buf;
}

namespace {

[[noreturn]] void bad(const std::string& path, const std::string& what) {
  config_json::fail("router", path, what);
}

void check_object(const json& j, const std::string& path,
                  std::initializer_list<std::string_view> keys) {
  config_json::check_object("router", j, path, keys);
}

const json& required(const json& j, const std::string& path, const char* key) {
  if (!j.contains(key)) bad(path + "/" + key, "is required");
  return j[key];
}

std::string text(const json& j, const std::string& path) {
  if (!j.is_string()) bad(path, "must be a string");
  return j.get<std::string>();
}

uint64_t number(const json& j, const std::string& path, uint64_t min, uint64_t max) {
  if (!j.is_number_integer() || j.get<int64_t>() < 0 || j.get<uint64_t>() < min ||
      j.get<uint64_t>() > max)
    bad(path, "must be a whole number from " + std::to_string(min) + " to " + std::to_string(max));
  return j.get<uint64_t>();
}

uint64_t duration(const json& j, const std::string& path, double unit_ns) {
  if (!j.is_number() || j.get<double>() <= 0 || j.get<double>() * unit_ns > 1e16)
    bad(path, "must be a positive number");
  return static_cast<uint64_t>(std::llround(j.get<double>() * unit_ns));
}

const json& array(const json& j, const std::string& path, size_t max) {
  if (!j.is_array()) bad(path, "must be an array");
  if (j.size() > max) bad(path, "has more than " + std::to_string(max) + " entries");
  return j;
}

// "A.B.C.D" or "X:Y::Z"; family 4 or 6.
IpAddress address(const std::string& s, const std::string& path, uint8_t& family) {
  IpAddress a{};
  if (inet_pton(AF_INET, s.c_str(), a.data()) == 1)
    family = 4;
  else if (inet_pton(AF_INET6, s.c_str(), a.data()) == 1)
    family = 6;
  else
    bad(path, "'" + s + "' is not an IPv4 or IPv6 address");
  return a;
}

// "ADDRESS/LEN" (LEN defaults to the full length); `host` keeps host bits.
IpPrefix prefix(const json& j, const std::string& path, IpAddress* host = nullptr) {
  const std::string s = text(j, path);
  const auto slash = s.find('/');
  IpPrefix p;
  p.addr = address(s.substr(0, slash), path, p.family);
  p.len = static_cast<uint8_t>(
      config_json::prefix_length("router", s, slash, p.family == 4 ? 32 : 128, path));
  if (host != nullptr) *host = p.addr;
  config_json::clear_host_bits(p.addr, p.len);
  return p;
}

MacAddress mac(const json& j, const std::string& path) {
  const std::string s = text(j, path);
  MacAddress m{};
  unsigned v[6];
  char tail;
  if (s.size() != 17 || std::sscanf(s.c_str(), "%2x:%2x:%2x:%2x:%2x:%2x%c", &v[0], &v[1], &v[2],
                                    &v[3], &v[4], &v[5], &tail) != 6)
    bad(path, "'" + s + "' is not a MAC address like 02:00:00:00:00:01");
  for (int i = 0; i < 6; ++i) m[i] = static_cast<uint8_t>(v[i]);
  return m;
}

int interface_index(const json& j, const std::string& path,
                    const std::vector<RouterInterface>& interfaces) {
  const std::string name = text(j, path);
  for (size_t i = 0; i < interfaces.size(); ++i)
    if (interfaces[i].name == name) return static_cast<int>(i);
  bad(path, "no interface named '" + name + "'");
}

// The interface whose connected network holds `a` (longest prefix), or -1.
int connected_interface(uint8_t family, const IpAddress& a,
                        const std::vector<RouterInterface>& interfaces) {
  int best = -1, best_len = -1;
  for (size_t i = 0; i < interfaces.size(); ++i)
    for (const InterfaceAddress& ia : interfaces[i].addresses)
      if (ia.prefix.contains(family, a) && ia.prefix.len > best_len) {
        best = static_cast<int>(i);
        best_len = ia.prefix.len;
      }
  return best;
}

RouterInterface interface(const json& j, const std::string& path) {
  check_object(j, path, {"name", "port", "vlan", "mac", "mtu", "addresses"});
  RouterInterface r;
  r.name = text(required(j, path, "name"), path + "/name");
  if (r.name.empty() || r.name.size() > 32 ||
      r.name.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") !=
          std::string::npos)
    bad(path + "/name", "must be 1 to 32 letters, digits, '_', '.', '-'");
  r.port = static_cast<uint16_t>(number(required(j, path, "port"), path + "/port", 0, 65535));
  if (j.contains("vlan")) r.vlan = static_cast<uint16_t>(number(j["vlan"], path + "/vlan", 1, 4094));
  r.mac = mac(required(j, path, "mac"), path + "/mac");
  if ((r.mac[0] & 1) != 0) bad(path + "/mac", "must be a unicast address");
  if (j.contains("mtu")) r.mtu = static_cast<uint16_t>(number(j["mtu"], path + "/mtu", 68, 9000));
  if (j.contains("addresses")) {
    const json& list = array(j["addresses"], path + "/addresses", 16);
    for (size_t i = 0; i < list.size(); ++i) {
      const std::string p = path + "/addresses/" + std::to_string(i);
      InterfaceAddress ia;
      ia.prefix = prefix(list[i], p, &ia.addr);
      if (ia.prefix.family == 6 && r.mtu < 1280) bad(p, "IPv6 needs an MTU of at least 1280");
      r.addresses.push_back(ia);
    }
  }
  return r;
}

NextHop next_hop(const json& j, const std::string& path, uint8_t family,
                 const std::vector<RouterInterface>& interfaces) {
  NextHop h;
  if (j.contains("interface")) h.interface = interface_index(j["interface"], path + "/interface", interfaces);
  if (j.contains("via")) {
    uint8_t fam = 0;
    h.gateway = address(text(j["via"], path + "/via"), path + "/via", fam);
    if (fam != family) bad(path + "/via", "is not of the prefix's IP version");
    h.has_gateway = true;
    if (h.interface < 0) h.interface = connected_interface(family, h.gateway, interfaces);
    if (h.interface < 0)
      bad(path + "/via", "no interface has a network that holds " + address_text(family, h.gateway) +
                             " (give \"interface\")");
  }
  if (h.interface < 0) bad(path, "needs \"via\" or \"interface\"");
  return h;
}

StaticNeighbour neighbour(const json& j, const std::string& path,
                          const std::vector<RouterInterface>& interfaces) {
  check_object(j, path, {"address", "mac", "interface"});
  StaticNeighbour n;
  n.address = address(text(required(j, path, "address"), path + "/address"), path + "/address",
                      n.family);
  n.mac = mac(required(j, path, "mac"), path + "/mac");
  n.interface = static_cast<unsigned>(
      interface_index(required(j, path, "interface"), path + "/interface", interfaces));
  return n;
}

void neighbour_settings(const json& j, NeighbourSettings& s) {
  check_object(j, "/neighbour", {"size", "reachable_s", "stale_s", "retry_ms", "retries", "queue"});
  if (j.contains("size"))
    s.size = static_cast<uint32_t>(number(j["size"], "/neighbour/size", 16, 1u << 20));
  if (j.contains("reachable_s")) s.reachable_ns = duration(j["reachable_s"], "/neighbour/reachable_s", 1e9);
  if (j.contains("stale_s")) s.stale_ns = duration(j["stale_s"], "/neighbour/stale_s", 1e9);
  if (j.contains("retry_ms")) s.retry_ns = duration(j["retry_ms"], "/neighbour/retry_ms", 1e6);
  if (j.contains("retries"))
    s.retries = static_cast<uint32_t>(number(j["retries"], "/neighbour/retries", 1, 10));
  if (j.contains("queue"))
    s.queue = static_cast<uint32_t>(number(j["queue"], "/neighbour/queue", 0, kMaxNeighbourQueue));
  if (s.stale_ns < s.reachable_ns) bad("/neighbour/stale_s", "must not be below reachable_s");
}

}  // namespace

IpPrefix parse_prefix(const json& j, const std::string& path) {
  return prefix(j, path);
}

Route parse_route(const json& j, const std::string& path,
                  const std::vector<RouterInterface>& interfaces) {
  check_object(j, path, {"prefix", "via", "interface", "next_hops"});
  Route r;
  r.prefix = prefix(required(j, path, "prefix"), path + "/prefix");
  if (j.contains("next_hops")) {
    if (j.contains("via") || j.contains("interface"))
      bad(path + "/next_hops", "give either \"next_hops\" or \"via\"/\"interface\"");
    const json& list = array(j["next_hops"], path + "/next_hops", kMaxEcmp);
    if (list.empty()) bad(path + "/next_hops", "must not be empty");
    for (size_t i = 0; i < list.size(); ++i) {
      const std::string p = path + "/next_hops/" + std::to_string(i);
      check_object(list[i], p, {"via", "interface"});
      r.next_hops.push_back(next_hop(list[i], p, r.prefix.family, interfaces));
    }
  } else {
    r.next_hops.push_back(next_hop(j, path, r.prefix.family, interfaces));
  }
  return r;
}

RouterConfig parse_router_config(const json& j) {
  const json src = j.is_null() ? json::object() : j;
  check_object(src, "", {"interfaces", "routes", "neighbours", "neighbour"});
  RouterConfig c;
  if (src.contains("interfaces")) {
    const json& list = array(src["interfaces"], "/interfaces", kMaxInterfaces);
    std::set<std::string> names;
    std::set<std::pair<uint16_t, uint16_t>> ports;
    for (size_t i = 0; i < list.size(); ++i) {
      const std::string p = "/interfaces/" + std::to_string(i);
      RouterInterface r = interface(list[i], p);
      if (!names.insert(r.name).second) bad(p + "/name", "'" + r.name + "' is used twice");
      if (!ports.insert({r.port, r.vlan}).second)
        bad(p + "/port", "another interface has this port and VLAN");
      c.interfaces.push_back(std::move(r));
    }
  }
  if (src.contains("routes")) {
    const json& list = array(src["routes"], "/routes", 2 * size_t{kMaxRoutesPerFamily});
    c.routes.reserve(list.size());
    for (size_t i = 0; i < list.size(); ++i)
      c.routes.push_back(parse_route(list[i], "/routes/" + std::to_string(i), c.interfaces));
  }
  if (src.contains("neighbours")) {
    const json& list = array(src["neighbours"], "/neighbours", 4096);
    for (size_t i = 0; i < list.size(); ++i)
      c.neighbours.push_back(neighbour(list[i], "/neighbours/" + std::to_string(i), c.interfaces));
  }
  if (src.contains("neighbour")) neighbour_settings(src["neighbour"], c.neighbour);
  return c;
}

json to_json(const Route& r, const std::vector<RouterInterface>& interfaces) {
  json hops = json::array();
  for (const NextHop& h : r.next_hops) {
    json hop = {{"interface", interfaces[static_cast<size_t>(h.interface)].name}};
    if (h.has_gateway) hop["via"] = address_text(r.prefix.family, h.gateway);
    hops.push_back(hop);
  }
  json out = {{"prefix", prefix_text(r.prefix)}};
  if (hops.size() == 1)
    out.update(hops[0]);
  else
    out["next_hops"] = hops;
  return out;
}

json to_json(const RouterConfig& c) {
  json interfaces = json::array(), routes = json::array(), neighbours = json::array();
  for (const RouterInterface& r : c.interfaces) {
    json addresses = json::array();
    for (const InterfaceAddress& a : r.addresses)
      addresses.push_back(address_text(a.prefix.family, a.addr) + "/" + std::to_string(a.prefix.len));
    json i = {{"name", r.name}, {"port", r.port}, {"mac", mac_text(r.mac)}, {"mtu", r.mtu},
              {"addresses", addresses}};
    if (r.vlan != 0) i["vlan"] = r.vlan;
    interfaces.push_back(i);
  }
  for (const Route& r : c.routes) routes.push_back(to_json(r, c.interfaces));
  for (const StaticNeighbour& n : c.neighbours)
    neighbours.push_back({{"address", address_text(n.family, n.address)},
                          {"mac", mac_text(n.mac)},
                          {"interface", c.interfaces[n.interface].name}});
  const NeighbourSettings& s = c.neighbour;
  return {{"interfaces", interfaces},
          {"routes", routes},
          {"neighbours", neighbours},
          {"neighbour",
           {{"size", s.size},
            {"reachable_s", static_cast<double>(s.reachable_ns) / 1e9},
            {"stale_s", static_cast<double>(s.stale_ns) / 1e9},
            {"retry_ms", static_cast<double>(s.retry_ns) / 1e6},
            {"retries", s.retries},
            {"queue", s.queue}}}};
}

}  // namespace sluice::nf
