// The L3 router NF: turns switch ports (or VLANs on them) into routed IPv4 /
// IPv6 interfaces, as a Linux router or VPP's ip4/ip6 nodes would. Per packet:
//   1. L2: the frame's port and VLAN name an interface (else not_for_us); its
//      destination MAC is the interface's, broadcast (ARP) or IPv6 multicast
//      (neighbour solicitation); a VLAN tag is removed.
//   2. ARP and ND: requests / solicitations for the interface's addresses are
//      answered, answers are learned (neighbour_table.h) and release the
//      packets waiting for that neighbour.
//   3. IPv4 / IPv6 checked (version, IHL, lengths, IPv4 header checksum).
//      To the router: echo requests answered, the rest dropped (local).
//      Otherwise: TTL / hop limit <= 1 -> ICMP time exceeded; no route ->
//      ICMP destination unreachable; larger than the output MTU -> ICMP
//      fragmentation needed (DF) / packet too big, or dropped (IPv4 without
//      DF: not fragmented). IPv4 options and fragments are forwarded as they
//      are (no reassembly).
//   4. Forward: route lookup (route_table.h), one hop of an ECMP group by a
//      hash of the 5-tuple (addresses and protocol only for fragments), TTL
//      / hop limit decremented (IPv4 checksum updated incrementally, RFC
//      1624), MACs rewritten, the VLAN tag of the output interface added,
//      sent out of its port. An unresolved next hop is asked for (ARP
//      request / neighbour solicitation out of that port) and the packet
//      waits in a small bounded queue.
// ICMP errors go back out of the input interface to the frame's source MAC,
// from the input interface's address, quoting the datagram as RFC 1812 /
// 4443 say (IPv4: up to 576 bytes in all, IPv6: up to 1280). None is sent
// about an ICMP error, a non-first fragment, or to/from a multicast,
// broadcast or unspecified address. Drop reasons: router_names.h.
// Configuration: router_config.h.
//
// Thread-safety: as NetworkFunction. Each worker owns its neighbour table and
// an inbox (rte_ring, multi-producer) through which the other workers pass
// what they learn; the configuration and the routes are an RCU-published
// RouterVersion, whose static routes the control thread changes in place
// (route_table.h).
#pragma once

#include <rte_common.h>
#include <rte_ring.h>

#include <array>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "nf/router/neighbour_table.h"
#include "nf/router/router_names.h"
#include "nf/router/router_version.h"
#include "nf/sdk/network_function.h"
#include "nf/sdk/worker_counter.h"

namespace sluice::nf {

// A neighbour one worker learned, for the others. 28 bytes (ring element).
struct LearnedNeighbour {
  NeighbourKey key;
  MacAddress mac;
  uint16_t pad = 0;
};
static_assert(sizeof(LearnedNeighbour) == 28);

// One worker's router state, owned by that worker (the inbox is written by
// the others).
struct alignas(RTE_CACHE_LINE_SIZE) RouterWorker {
  RouterWorker(const std::string& name, uint32_t neighbours, int socket_id);
  ~RouterWorker();

  NeighbourTable neighbours;
  rte_ring* inbox = nullptr;
  uint32_t sweep = 0;  // next neighbour slot to look at for aging
  // Slots of the unresolved (incomplete) neighbours, looked at every batch
  // to ask again or give up.
  std::array<uint32_t, 64> pending{};
  unsigned pending_count = 0;
  WorkerCounter icmp_errors, echo_replies, neighbour_requests, neighbour_replies, learned, released,
      expired;
};

class Router final : public NetworkFunction {
 public:
  static constexpr NfClassInfo kInfo{
      "router", "L3 router: IPv4/IPv6 static and connected routes (LPM), ECMP, ARP/ND, ICMP", false,
      kRouterGates, kRtDropNames};

  // Reachable neighbour slots looked at for aging after each batch.
  static constexpr unsigned kSweepBudget = 8;
  // Learned neighbours taken from the inbox per batch; inbox size.
  static constexpr unsigned kInboxBurst = 32, kInboxSize = 1024;
  // routes() / neighbours(): most entries per page.
  static constexpr unsigned kMaxPage = 1000;

  explicit Router(const NfInit& init);
  ~Router() override;

  void process(const BatchContext& ctx, const PacketBatch& batch,
               GateOutput& out) noexcept override;

  // "neighbour.size" cannot change (EINVAL). "routes", when given, replace
  // the static routes; when absent, the static routes stay.
  void reconfigure(const nlohmann::json& config) override;
  nlohmann::json config() const override;
  // {"generation", "interfaces", "routes": {"static", "ipv4_prefixes",
  //  "ipv6_prefixes", "next_hop_groups", "tables_built", "changed_in_place"},
  //  "neighbours": {"active", "static", "capacity"},
  //  "icmp_errors_sent", "echo_replies_sent", "neighbour_requests_sent",
  //  "neighbour_replies_sent", "learned", "released", "expired"}
  nlohmann::json stats() const override;
  // Commands (all from the control thread, safe while workers run):
  //   "routes"          {"cursor": PREFIX?, "limit": N?} -> {"routes": [...], "next": PREFIX|null}
  //                     static routes in prefix order (IPv4 first)
  //   "add_routes"      {"routes": [ROUTE...]}: all or nothing; EEXIST if a
  //                     prefix already has a route -> {"generation"}
  //   "delete_routes"   {"prefixes": [PREFIX...]}: all or nothing; ENOENT if
  //                     one has no route -> {"generation"}
  //                     (an empty list of routes or prefixes changes nothing,
  //                     not even the generation)
  //   "replace_routes"  {"routes": [ROUTE...]}: the whole set, one version
  //   "neighbours"      {"cursor": N?, "limit": N?} -> {"neighbours": [...], "next": N|null}
  // ROUTE is a "routes" entry of router_config.h. add_routes,
  // delete_routes and replace_routes change the current route table in
  // place (route_table.h: two FIB operations per route that changes, none
  // for the others, no rebuild), and a batch reaches the workers all at
  // once. Only a table out of room, or without an RCU domain, is built
  // again and published as a new version (O(routes)). The reply comes once
  // the change is made; workers see it at their next batch.
  nlohmann::json command(std::string_view name, const nlohmann::json& args) override;

 private:
  using Rib = std::map<IpPrefix, Route>;

  // Builds and publishes a version of `config` with the routes of `rib`.
  void install(RouterConfig config, Rib rib);
  // The route table's change() and the counters, when the table allows.
  bool change_in_place(std::span<const Route* const> gone, std::span<const Route* const> come);
  // add_routes (`added`, prefixes not in rib_) or delete_routes (`removed`,
  // prefixes in rib_): in place when the table allows, else install().
  void change_routes(Rib added, const std::vector<IpPrefix>& removed);
  // replace_routes: only the routes that differ change, as change_routes.
  void replace_routes(Rib next);
  nlohmann::json list_routes(const nlohmann::json& args) const;
  nlohmann::json list_neighbours(const nlohmann::json& args) const;

  Reclaimer& reclaimer_;
  rte_rcu_qsbr* const rcu_;  // NfInit::rcu, or nullptr
  const unsigned worker_count_;
  const int socket_id_;
  // Control thread only.
  uint64_t generation_ = 1;
  uint64_t tables_built_ = 1, changed_in_place_ = 0;
  Rib rib_;  // static routes by prefix
  std::vector<std::unique_ptr<RouterWorker>> workers_;
  Published<RouterVersion> version_;
};

}  // namespace sluice::nf
