// The router's forwarding table, as workers see it. IPv4 prefixes in an
// rte_lpm, IPv6 prefixes in an rte_lpm6; each maps to a next-hop group (ECMP
// set). Group kLocal holds the router's own addresses (/32, /128); connected
// networks are groups with one on-link hop; static routes use the groups of
// their next hops (identical sets share one group). Where prefixes are equal,
// connected beats static and local beats both. An LPM of a family without
// any prefix is not created (an rte_lpm's tbl24 alone is 64 MiB).
//
// Built whole on the control thread by the constructor. After that:
//   - IPv6 and everything but IPv4 static routes never change;
//   - IPv4 static routes change in place (add4, delete4) when the table was
//     built with the workers' RCU domain, its IPv4 LPM attached to it
//     (rte_lpm_rcu_qsbr_add, defer-queue mode): a tbl8 group that a delete
//     frees is reused only after every reader has passed a quiescent state.
//     A lookup during a change returns, for each prefix, its route before
//     or after the change; a change of several prefixes is not atomic as a
//     whole. Cost: one LPM operation per route changed and no rebuild,
//     until the room reserved at construction runs out (add4 returns
//     false). An LPM operation is not O(1): rte_lpm scans its rules of one
//     prefix length (and shorter ones, on delete) and its tbl8 groups in
//     use for a free one (docs/design/network-functions.md, "Routes").
//
// Next-hop groups: an array with a fixed capacity, never reallocated. A slot
// is written once, before the first LPM entry that names it (a release
// fence orders the two), and never rewritten or reused for another set
// while the table lives, so a reader holding a group id always reads a
// whole, valid group. Unused groups stay until the next build.
//
// Thread-safety: lookup4, lookup6, group: any thread, concurrently with
// add4 / delete4 on the control thread. Everything else: control thread.
// Destroy only after a grace period since the last lookup could start.
#pragma once

#include <rte_lpm.h>
#include <rte_lpm6.h>
#include <rte_rcu_qsbr.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <span>
#include <tuple>
#include <utility>
#include <vector>

#include "nf/router/router_config.h"

namespace sluice::nf {

struct ResolvedHop {
  uint16_t interface = 0;
  bool gateway = false;  // false: on-link, the next hop is the destination itself
  IpAddress addr{};      // the gateway
};

struct HopGroup {
  uint8_t count = 0;  // 1..kMaxEcmp
  std::array<ResolvedHop, kMaxEcmp> hops{};
};

class RouteTable {
 public:
  static constexpr uint32_t kLocal = 0;
  static constexpr uint32_t kNoRoute = UINT32_MAX;

  // The table of `config`: its interfaces' connected networks and addresses
  // and its static routes (config.routes). With `rcu` (NfInit::rcu), the
  // IPv4 LPM is attached to it and built with room for more routes, so
  // add4 / delete4 work (in_place4()); without, the table never changes.
  // Throws sluice::Error: ENOMEM when DPDK memory for the LPMs runs out.
  RouteTable(const RouterConfig& config, int socket_id, rte_rcu_qsbr* rcu = nullptr);
  ~RouteTable();
  RouteTable(const RouteTable&) = delete;
  RouteTable& operator=(const RouteTable&) = delete;

  // The group of the longest prefix holding `dst`, or kNoRoute.
  uint32_t lookup4(uint32_t dst_host_order) const noexcept {
    uint32_t nh;
    return lpm4_ != nullptr && rte_lpm_lookup(lpm4_, dst_host_order, &nh) == 0
               ? nh
               : default4_.load(std::memory_order_acquire);
  }
  uint32_t lookup6(const uint8_t* dst) const noexcept {
    uint32_t nh;
    return lpm6_ != nullptr && rte_lpm6_lookup(lpm6_, dst, &nh) == 0 ? nh : default6_;
  }
  // `id` from a lookup (not kNoRoute).
  const HopGroup& group(uint32_t id) const noexcept { return groups_[id]; }

  // Control thread.
  // Groups written (live or not), and room for them.
  size_t groups() const noexcept { return group_count_; }
  size_t group_capacity() const noexcept { return group_capacity_; }
  // Prefixes in each family (local, connected and static; equal ones counted
  // once per kind).
  uint32_t prefixes4() const noexcept { return prefixes4_; }
  uint32_t prefixes6() const noexcept { return prefixes6_; }

  // True when add4 / delete4 may be used: built with an RCU domain and with
  // an IPv4 LPM (a table without IPv4 prefixes has none: build a new one).
  bool in_place4() const noexcept { return rcu_ != nullptr && lpm4_ != nullptr; }
  // Adds IPv4 static routes; no prefix of them may have a static route in
  // the table, and each may appear once. A prefix that is also connected or
  // local keeps that route in the LPM (the static one only waits beneath
  // it). All or nothing: returns false, with the table as before, when it
  // has no room (LPM rules or tbl8 groups, next-hop groups); build a new
  // table then. Readers may have seen some of the routes for a moment.
  // When no tbl8 group is free it waits for one grace period
  // (rte_rcu_qsbr_synchronize), so the caller must not be an online reader
  // of that RCU domain. Requires in_place4(). Throws nothing but
  // std::bad_alloc (then call nothing but the destructor).
  bool add4(std::span<const Route* const> routes);
  // Removes IPv4 static routes, each as it was added. A prefix falls back to
  // its connected or local route, or to the longest shorter prefix that
  // holds it. Never fails. Requires in_place4().
  void delete4(std::span<const Route* const> routes);

  // For tests: the IPv4 LPM (nullptr without IPv4 prefixes).
  const rte_lpm* lpm4() const noexcept { return lpm4_; }

 private:
  using HopKey = std::vector<std::tuple<int, bool, IpAddress>>;

  // The group of a static route's next hops: the existing one for this set,
  // else a new slot (written and fenced before it is returned).
  uint32_t static_group(const Route& r);
  bool fixed4(const IpPrefix& p) const;

  rte_lpm* lpm4_ = nullptr;
  rte_lpm6* lpm6_ = nullptr;
  rte_rcu_qsbr* rcu_ = nullptr;
  std::unique_ptr<HopGroup[]> groups_;  // group_capacity_ slots, group_count_ written
  uint32_t group_count_ = 0, group_capacity_ = 0;
  std::atomic<uint32_t> default4_{kNoRoute};  // /0: the LPMs take depth >= 1
  uint32_t default6_ = kNoRoute;
  uint32_t prefixes4_ = 0, prefixes6_ = 0;
  // Control side of the in-place changes.
  uint32_t rules4_ = 0, max_rules4_ = 0;     // distinct prefixes in lpm4_, its room
  std::set<std::array<uint8_t, 5>> fixed4_;  // connected and local IPv4 prefixes (address, length)
  std::map<HopKey, uint32_t> static_groups_;
};

}  // namespace sluice::nf
