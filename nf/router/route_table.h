// The router's forwarding table: one immutable version of the routes, as
// workers see it. IPv4 prefixes in an rte_lpm, IPv6 prefixes in an rte_lpm6;
// each maps to a next-hop group (ECMP set). Group kLocal holds the router's
// own addresses (/32, /128); connected networks are groups with one on-link
// hop; static routes use the groups of their next hops (identical sets share
// one group). Where prefixes are equal, connected beats static and local
// beats both.
//
// Built whole on the control thread by the constructor and published with
// Published<RouterVersion> (router_version.h); never modified afterwards, so
// lookups need no synchronisation. An LPM of a family without any prefix is
// not created (an rte_lpm's tbl24 alone is 64 MiB).
//
// Thread-safety: immutable after construction; lookups from any thread.
#pragma once

#include <rte_lpm.h>
#include <rte_lpm6.h>

#include <array>
#include <cstdint>
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

  // Throws sluice::Error: ENOMEM when DPDK memory for the LPMs runs out.
  RouteTable(const RouterConfig& config, int socket_id);
  ~RouteTable();
  RouteTable(const RouteTable&) = delete;
  RouteTable& operator=(const RouteTable&) = delete;

  // The group of the longest prefix holding `dst`, or kNoRoute.
  uint32_t lookup4(uint32_t dst_host_order) const noexcept {
    uint32_t nh;
    return lpm4_ != nullptr && rte_lpm_lookup(lpm4_, dst_host_order, &nh) == 0 ? nh : default4_;
  }
  uint32_t lookup6(const uint8_t* dst) const noexcept {
    uint32_t nh;
    return lpm6_ != nullptr && rte_lpm6_lookup(lpm6_, dst, &nh) == 0 ? nh : default6_;
  }
  const HopGroup& group(uint32_t id) const noexcept { return groups_[id]; }
  size_t groups() const noexcept { return groups_.size(); }
  // Prefixes in each LPM (local, connected and static).
  uint32_t prefixes4() const noexcept { return prefixes4_; }
  uint32_t prefixes6() const noexcept { return prefixes6_; }

 private:
  rte_lpm* lpm4_ = nullptr;
  rte_lpm6* lpm6_ = nullptr;
  std::vector<HopGroup> groups_;
  uint32_t default4_ = kNoRoute, default6_ = kNoRoute;  // /0: the LPMs take depth >= 1
  uint32_t prefixes4_ = 0, prefixes6_ = 0;
};

}  // namespace sluice::nf
