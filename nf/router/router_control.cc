// The router's control path: creation, reconfiguration, the route commands,
// statistics and the neighbour listing.
#include <rte_errno.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <set>
#include <string>
#include <vector>

#include "common/error.h"
#include "nf/router/router.h"

namespace sluice::nf {

using nlohmann::json;

namespace {

std::string route_prefix_path(const std::string& list_path, size_t i) {
  return list_path + "/" + std::to_string(i) + "/prefix";
}

// The static routes of `list` by prefix; a prefix twice, or one `existing`
// has, is an error.
std::map<IpPrefix, Route> parse_routes(const json& list, const std::string& path,
                                       const std::vector<RouterInterface>& interfaces,
                                       const std::map<IpPrefix, Route>& existing = {}) {
  if (!list.is_array()) throw Error("router: " + path + ": must be an array", EINVAL, path);
  std::map<IpPrefix, Route> added;
  for (size_t i = 0; i < list.size(); ++i) {
    Route r = parse_route(list[i], path + "/" + std::to_string(i), interfaces);
    const std::string where = route_prefix_path(path, i);
    if (existing.count(r.prefix) != 0 || added.count(r.prefix) != 0)
      throw Error("router: " + where + ": " + prefix_text(r.prefix) + " already has a route",
                  EEXIST, where);
    added.emplace(r.prefix, std::move(r));
  }
  return added;
}

IpPrefix cursor_prefix(const json& args) {
  if (!args.contains("cursor") || args["cursor"].is_null()) return IpPrefix{4, 0, {}};
  return parse_prefix(args["cursor"], "/cursor");
}

unsigned page_limit(const json& args, unsigned max) {
  if (!args.contains("limit")) return max;
  const json& l = args["limit"];
  if (!l.is_number_integer() || l.get<int64_t>() < 1)
    throw Error("router: /limit: must be a whole number from 1", EINVAL, "/limit");
  return static_cast<unsigned>(std::min<uint64_t>(l.get<uint64_t>(), max));
}

const char* state_name(NeighbourState s) {
  return s == NeighbourState::reachable ? "reachable" : "incomplete";
}

}  // namespace

RouterWorker::RouterWorker(const std::string& name, uint32_t neighbours, int socket_id)
    : neighbours(name.c_str(), neighbours, socket_id) {
  inbox = rte_ring_create_elem(("i" + name).c_str(), sizeof(LearnedNeighbour), Router::kInboxSize,
                               socket_id, RING_F_SC_DEQ);
  if (inbox == nullptr)
    throw Error("router: cannot create a neighbour inbox: " + std::string(rte_strerror(rte_errno)),
                ENOMEM);
}

RouterWorker::~RouterWorker() {
  rte_ring_free(inbox);
}

Router::Router(const NfInit& init)
    : reclaimer_(init.reclaimer),
      rcu_(init.rcu),
      worker_count_(init.workers),
      socket_id_(init.socket_id),
      version_([&] {
        RouterConfig c = parse_router_config(init.config);
        rib_ = parse_routes(init.config.is_object() && init.config.contains("routes")
                                ? init.config["routes"]
                                : json::array(),
                            "/routes", c.interfaces);
        c.routes.clear();
        for (const auto& [prefix, route] : rib_) c.routes.push_back(route);
        return std::make_unique<RouterVersion>(std::move(c), init.socket_id, init.rcu);
      }()) {
  static std::atomic<unsigned> serial{0};
  const std::string prefix = "rtnb" + std::to_string(serial++) + "_";
  const uint32_t size = version_.get()->config.neighbour.size;
  for (unsigned w = 0; w < worker_count_; ++w)
    workers_.push_back(
        std::make_unique<RouterWorker>(prefix + std::to_string(w), size, socket_id_));
}

Router::~Router() = default;

void Router::install(RouterConfig config, Rib rib) {
  config.routes.clear();
  config.routes.reserve(rib.size());
  for (const auto& [prefix, route] : rib) config.routes.push_back(route);
  auto next = std::make_unique<RouterVersion>(std::move(config), socket_id_, rcu_);
  version_.publish(std::move(next), reclaimer_);
  rib_ = std::move(rib);
  ++generation_;
  ++tables_built_;
}

bool Router::change_in_place(std::span<const Route* const> gone,
                             std::span<const Route* const> come) {
  RouteTable& table = *version_.get()->routes;
  if (!table.in_place() || !table.change(gone, come)) return false;
  ++generation_;
  ++changed_in_place_;
  return true;
}

void Router::change_routes(Rib added, const std::vector<IpPrefix>& removed) {
  std::vector<const Route*> gone, come;
  gone.reserve(removed.size());
  come.reserve(added.size());
  for (const IpPrefix& p : removed) gone.push_back(&rib_.at(p));
  for (const auto& [prefix, route] : added) come.push_back(&route);
  if (change_in_place(gone, come)) {
    for (const IpPrefix& p : removed) rib_.erase(p);
    rib_.merge(added);
    return;
  }
  Rib rib = rib_;
  for (const IpPrefix& p : removed) rib.erase(p);
  rib.merge(added);
  install(version_.get()->config, std::move(rib));
}

void Router::replace_routes(Rib next) {
  const auto same = [](const Route& a, const Route& b) {
    return std::equal(a.next_hops.begin(), a.next_hops.end(), b.next_hops.begin(),
                      b.next_hops.end(), [](const NextHop& x, const NextHop& y) {
                        return x.interface == y.interface && x.has_gateway == y.has_gateway &&
                               x.gateway == y.gateway;
                      });
  };
  std::vector<const Route*> gone, come;
  for (const auto& [prefix, route] : rib_) {
    auto it = next.find(prefix);
    if (it == next.end() || !same(route, it->second)) gone.push_back(&route);
  }
  for (const auto& [prefix, route] : next) {
    auto it = rib_.find(prefix);
    if (it == rib_.end() || !same(route, it->second)) come.push_back(&route);
  }
  if (change_in_place(gone, come))
    rib_ = std::move(next);
  else
    install(version_.get()->config, std::move(next));
}

void Router::reconfigure(const json& config) {
  RouterConfig next = parse_router_config(config);
  const uint32_t size = version_.get()->config.neighbour.size;
  if (next.neighbour.size != size)
    throw Error("router config: /neighbour/size: cannot change on a running router (it is " +
                    std::to_string(size) + "); create a new instance instead",
                EINVAL, "/neighbour/size");
  Rib rib;
  if (config.contains("routes")) {
    rib = parse_routes(config["routes"], "/routes", next.interfaces);
  } else {
    // The routes stay; their interfaces must still exist (by name).
    const auto& old = version_.get()->config.interfaces;
    json list = json::array();
    for (const auto& [prefix, route] : rib_) list.push_back(to_json(route, old));
    rib = parse_routes(list, "/routes", next.interfaces);
  }
  install(std::move(next), std::move(rib));
}

json Router::config() const {
  RouterConfig c = version_.get()->config;
  c.routes.reserve(rib_.size());
  for (const auto& [prefix, route] : rib_) c.routes.push_back(route);
  return to_json(c);
}

json Router::command(std::string_view name, const json& args) {
  if (!args.is_object() && !args.is_null())
    throw Error("router: command arguments must be an object", EINVAL, "/");
  const json a = args.is_null() ? json::object() : args;
  const RouterConfig& current = version_.get()->config;
  if (name == "routes") return list_routes(a);
  if (name == "neighbours") return list_neighbours(a);
  if (name == "add_routes" || name == "replace_routes") {
    if (!a.contains("routes")) throw Error("router: /routes: is required", EINVAL, "/routes");
    if (name == "replace_routes") {
      replace_routes(parse_routes(a["routes"], "/routes", current.interfaces));
    } else {
      Rib added = parse_routes(a["routes"], "/routes", current.interfaces, rib_);
      if (!added.empty()) change_routes(std::move(added), {});
    }
    return {{"generation", generation_}};
  }
  if (name == "delete_routes") {
    if (!a.contains("prefixes") || !a["prefixes"].is_array())
      throw Error("router: /prefixes: must be an array", EINVAL, "/prefixes");
    const json& list = a["prefixes"];
    std::vector<IpPrefix> removed;
    std::set<IpPrefix> seen;
    for (size_t i = 0; i < list.size(); ++i) {
      const std::string where = "/prefixes/" + std::to_string(i);
      const IpPrefix p = parse_prefix(list[i], where);
      if (rib_.count(p) == 0 || !seen.insert(p).second)
        throw Error("router: " + where + ": no route for " + prefix_text(p), ENOENT, where);
      removed.push_back(p);
    }
    if (!removed.empty()) change_routes({}, removed);
    return {{"generation", generation_}};
  }
  throw Error("router: no command '" + std::string(name) +
                  "' (routes, add_routes, delete_routes, replace_routes, neighbours)",
              ENOTSUP);
}

json Router::list_routes(const json& args) const {
  const unsigned limit = page_limit(args, kMaxPage);
  const auto& interfaces = version_.get()->config.interfaces;
  json list = json::array();
  auto it = rib_.lower_bound(cursor_prefix(args));
  for (; it != rib_.end() && list.size() < limit; ++it)
    list.push_back(to_json(it->second, interfaces));
  return {{"routes", list}, {"next", it != rib_.end() ? json(prefix_text(it->first)) : json()}};
}

json Router::list_neighbours(const json& args) const {
  const unsigned limit = page_limit(args, kMaxPage);
  uint64_t cursor = 0;
  if (args.contains("cursor") && !args["cursor"].is_null()) {
    if (!args["cursor"].is_number_unsigned())
      throw Error("router: /cursor: must be a whole number", EINVAL, "/cursor");
    cursor = args["cursor"].get<uint64_t>();
  }
  const RouterVersion& v = *version_.get();
  json list = json::array();
  // Static entries first (cursor 0..S-1), then every worker's slots.
  const uint64_t statics = v.statics.size();
  const uint64_t slots = workers_[0]->neighbours.slots();
  const uint64_t total = statics + slots * worker_count_;
  uint64_t pos = cursor;
  const auto name_of = [&](uint16_t i) {
    return i < v.config.interfaces.size() ? v.config.interfaces[i].name : std::string("?");
  };
  for (; pos < total && list.size() < limit; ++pos) {
    if (pos < statics) {
      const auto& [k, mac] = v.statics[pos];
      list.push_back({{"address", address_text(k.family, k.addr)},
                      {"interface", name_of(k.interface)},
                      {"mac", mac_text(mac)},
                      {"state", "static"}});
      continue;
    }
    const uint64_t slot = pos - statics;
    const unsigned w = static_cast<unsigned>(slot / slots);
    NeighbourSnapshot n;
    if (!workers_[w]->neighbours.snapshot(static_cast<uint32_t>(slot % slots), n)) continue;
    json e = {{"address", address_text(n.key.family, n.key.addr)},
              {"interface", name_of(n.key.interface)},
              {"state", state_name(n.state)},
              {"worker", w}};
    if (n.state == NeighbourState::reachable)
      e["mac"] = mac_text(n.mac);
    else
      e["queued"] = n.queued;
    list.push_back(e);
  }
  return {{"neighbours", list}, {"next", pos < total ? json(pos) : json()}};
}

json Router::stats() const {
  const RouterVersion& v = *version_.get();
  uint64_t active = 0, icmp = 0, echo = 0, requests = 0, replies = 0, learned = 0, released = 0,
           expired = 0;
  for (const auto& w : workers_) {
    active += w->neighbours.size();
    icmp += w->icmp_errors.read();
    echo += w->echo_replies.read();
    requests += w->neighbour_requests.read();
    replies += w->neighbour_replies.read();
    learned += w->learned.read();
    released += w->released.read();
    expired += w->expired.read();
  }
  return {{"generation", generation_},
          {"interfaces", v.config.interfaces.size()},
          {"routes",
           {{"static", rib_.size()},
            {"ipv4_prefixes", v.routes->prefixes4()},
            {"ipv6_prefixes", v.routes->prefixes6()},
            {"next_hop_groups", v.routes->groups()},
            {"tables_built", tables_built_},
            {"changed_in_place", changed_in_place_}}},
          {"neighbours",
           {{"active", active},
            {"static", v.statics.size()},
            {"capacity", static_cast<uint64_t>(v.config.neighbour.size) * worker_count_}}},
          {"icmp_errors_sent", icmp},
          {"echo_replies_sent", echo},
          {"neighbour_requests_sent", requests},
          {"neighbour_replies_sent", replies},
          {"learned", learned},
          {"released", released},
          {"expired", expired}};
}

}  // namespace sluice::nf
