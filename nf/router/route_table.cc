// rte_lpm_rcu_qsbr_add is experimental in DPDK 22.11.
#ifndef ALLOW_EXPERIMENTAL_API
#define ALLOW_EXPERIMENTAL_API
#endif
#include "nf/router/route_table.h"

#include <rte_errno.h>

#include <algorithm>
#include <cassert>
#include <cerrno>
#include <cstring>
#include <string>

#include "common/error.h"

namespace sluice::nf {

namespace {

struct Entry {
  IpPrefix prefix;
  uint32_t group;
};

// Room kept for in-place changes: LPM rules (8 bytes each), tbl8 groups
// (1 KiB each, hence less) and next-hop groups. A table that runs out is
// built again, with room in proportion to its routes, so growth costs O(1)
// per route on average.
constexpr uint32_t kMinRuleRoom = 1024, kMinTbl8Room = 256, kMinGroupRoom = 1024;
// rte_lpm limits: next hops of 24 bits; tbl8 and rule arrays sized in 32 bits.
constexpr uint64_t kMaxGroups = 1u << 24, kMaxTbl8 = 1u << 21, kMaxRules = 1u << 24;

uint32_t with_room(uint64_t n, uint64_t share, uint64_t min_room, uint64_t max) {
  return static_cast<uint32_t>(std::max(n, std::min(n + std::max(n / share, min_room), max)));
}

uint32_t host_order(const IpAddress& a) {
  return static_cast<uint32_t>(a[0]) << 24 | static_cast<uint32_t>(a[1]) << 16 |
         static_cast<uint32_t>(a[2]) << 8 | a[3];
}

// tbl8 groups an LPM needs for these prefixes: one per distinct node below
// the 24-bit first level (an rte_lpm has one level of tbl8, rte_lpm6 several).
uint32_t tbl8_groups(const std::vector<Entry>& entries, uint8_t family) {
  std::set<std::pair<unsigned, IpAddress>> nodes;
  for (const Entry& e : entries) {
    if (e.prefix.family != family) continue;
    for (unsigned level = 24; level < e.prefix.len; level += 8) {
      IpAddress a = e.prefix.addr;
      for (unsigned bit = level; bit < 128; ++bit)
        a[bit / 8] &= static_cast<uint8_t>(~(0x80u >> (bit % 8)));
      nodes.insert({level, a});
      if (family == 4) break;
    }
  }
  return static_cast<uint32_t>(nodes.size()) + 64;
}

std::string unique_name(const char* kind) {
  static std::atomic<unsigned> serial{0};
  return std::string(kind) + std::to_string(serial++);
}

[[noreturn]] void lpm_failed(const char* what, int err) {
  throw Error(std::string("router: cannot ") + what + ": " + rte_strerror(err) +
                  " (more hugepage memory, or fewer routes)",
              err == ENOSPC ? ENOSPC : ENOMEM);
}

std::array<uint8_t, 5> key4(const IpPrefix& p) {
  return {p.addr[0], p.addr[1], p.addr[2], p.addr[3], p.len};
}

}  // namespace

RouteTable::RouteTable(const RouterConfig& config, int socket_id, rte_rcu_qsbr* rcu) : rcu_(rcu) {
  // Groups: kLocal first, then the static sets, then one per connected network.
  std::vector<HopGroup> groups(1);
  std::vector<Entry> entries;  // in order of precedence, lowest first
  for (const Route& r : config.routes) {
    HopKey key;
    for (const NextHop& h : r.next_hops) key.emplace_back(h.interface, h.has_gateway, h.gateway);
    auto [it, fresh] =
        static_groups_.try_emplace(std::move(key), static_cast<uint32_t>(groups.size()));
    if (fresh) {
      HopGroup g;
      for (const NextHop& h : r.next_hops)
        g.hops[g.count++] = {static_cast<uint16_t>(h.interface), h.has_gateway, h.gateway};
      groups.push_back(g);
    }
    entries.push_back({r.prefix, it->second});
  }
  for (size_t i = 0; i < config.interfaces.size(); ++i) {
    for (const InterfaceAddress& a : config.interfaces[i].addresses) {
      HopGroup g;
      g.hops[g.count++] = {static_cast<uint16_t>(i), false, {}};
      entries.push_back({a.prefix, static_cast<uint32_t>(groups.size())});
      groups.push_back(g);
    }
  }
  for (const RouterInterface& itf : config.interfaces)
    for (const InterfaceAddress& a : itf.addresses)
      entries.push_back(
          {{a.prefix.family, static_cast<uint8_t>(a.prefix.family == 4 ? 32 : 128), a.addr},
           kLocal});

  group_count_ = static_cast<uint32_t>(groups.size());
  group_capacity_ =
      rcu != nullptr ? with_room(groups.size(), 2, kMinGroupRoom, kMaxGroups) : group_count_;
  groups_ = std::make_unique<HopGroup[]>(group_capacity_);
  std::copy(groups.begin(), groups.end(), groups_.get());

  uint32_t lpm4 = 0, lpm6 = 0;  // prefixes the LPMs hold (not /0)
  std::vector<uint64_t> distinct4;
  for (size_t i = 0; i < entries.size(); ++i) {
    const IpPrefix& p = entries[i].prefix;
    (p.family == 4 ? prefixes4_ : prefixes6_)++;
    if (p.len != 0) (p.family == 4 ? lpm4 : lpm6)++;
    if (p.family == 4 && p.len != 0) distinct4.push_back(uint64_t{host_order(p.addr)} << 8 | p.len);
    if (p.family == 4 && i >= config.routes.size()) fixed4_.insert(key4(p));
  }
  std::sort(distinct4.begin(), distinct4.end());
  rules4_ =
      static_cast<uint32_t>(std::unique(distinct4.begin(), distinct4.end()) - distinct4.begin());
  try {
    if (lpm4 != 0) {
      const uint32_t tbl8 = tbl8_groups(entries, 4);
      rte_lpm_config c{lpm4, tbl8, 0};
      if (rcu != nullptr) {
        c.max_rules = with_room(rules4_, 2, kMinRuleRoom, kMaxRules);
        c.number_tbl8s = with_room(tbl8, 4, kMinTbl8Room, kMaxTbl8);
      }
      max_rules4_ = c.max_rules;
      lpm4_ = rte_lpm_create(unique_name("rt4_").c_str(), socket_id, &c);
      if (lpm4_ == nullptr) lpm_failed("create the IPv4 LPM", rte_errno);
    }
    if (lpm6 != 0) {
      const rte_lpm6_config c{lpm6, tbl8_groups(entries, 6), 0};
      lpm6_ = rte_lpm6_create(unique_name("rt6_").c_str(), socket_id, &c);
      if (lpm6_ == nullptr) lpm_failed("create the IPv6 LPM", rte_errno);
    }
    for (const Entry& e : entries) {
      if (e.prefix.len == 0) {
        if (e.prefix.family == 4)
          default4_.store(e.group, std::memory_order_relaxed);
        else
          default6_ = e.group;
        continue;
      }
      const int rc = e.prefix.family == 4
                         ? rte_lpm_add(lpm4_, host_order(e.prefix.addr), e.prefix.len, e.group)
                         : rte_lpm6_add(lpm6_, e.prefix.addr.data(), e.prefix.len, e.group);
      if (rc < 0) lpm_failed(("add " + prefix_text(e.prefix)).c_str(), -rc);
    }
    if (rcu != nullptr && lpm4_ != nullptr) {
      // Defer queue: a freed tbl8 group waits for a grace period, checked
      // without blocking at each later free and when no group is free.
      rte_lpm_rcu_config rc{};
      rc.v = rcu;
      rc.mode = RTE_LPM_QSBR_MODE_DQ;
      if (rte_lpm_rcu_qsbr_add(lpm4_, &rc) != 0)
        lpm_failed("attach the IPv4 LPM to RCU", rte_errno);
    }
  } catch (...) {
    rte_lpm_free(lpm4_);
    rte_lpm6_free(lpm6_);
    throw;
  }
}

RouteTable::~RouteTable() {
  rte_lpm_free(lpm4_);
  rte_lpm6_free(lpm6_);
}

bool RouteTable::fixed4(const IpPrefix& p) const {
  return fixed4_.count(key4(p)) != 0;
}

uint32_t RouteTable::static_group(const Route& r) {
  HopKey key;
  for (const NextHop& h : r.next_hops) key.emplace_back(h.interface, h.has_gateway, h.gateway);
  auto it = static_groups_.find(key);
  if (it != static_groups_.end()) return it->second;
  assert(group_count_ < group_capacity_);
  HopGroup& g = groups_[group_count_];
  for (const NextHop& h : r.next_hops)
    g.hops[g.count++] = {static_cast<uint16_t>(h.interface), h.has_gateway, h.gateway};
  // The group is complete before any LPM entry (or default4_) names it.
  std::atomic_thread_fence(std::memory_order_release);
  static_groups_.emplace(std::move(key), group_count_);
  return group_count_++;
}

bool RouteTable::add4(std::span<const Route* const> routes) {
  assert(in_place4());
  // Room for the rules and groups first, so that only tbl8 groups can run out.
  uint32_t rules = 0;
  std::set<HopKey> fresh;
  for (const Route* r : routes) {
    assert(r->prefix.family == 4);
    if (r->prefix.len != 0 && !fixed4(r->prefix)) ++rules;
    HopKey key;
    for (const NextHop& h : r->next_hops) key.emplace_back(h.interface, h.has_gateway, h.gateway);
    if (static_groups_.count(key) == 0) fresh.insert(std::move(key));
  }
  if (uint64_t{rules4_} + rules > max_rules4_ ||
      uint64_t{group_count_} + fresh.size() > group_capacity_)
    return false;

  size_t done = 0;
  for (; done < routes.size(); ++done) {
    const Route& r = *routes[done];
    const uint32_t g = static_group(r);
    if (fixed4(r.prefix)) {
      // The connected or local route stays in force.
    } else if (r.prefix.len == 0) {
      default4_.store(g, std::memory_order_release);
    } else {
      const uint32_t ip = host_order(r.prefix.addr);
      int rc = rte_lpm_add(lpm4_, ip, r.prefix.len, g);
      if (rc == -ENOSPC) {
        // Every tbl8 group is in use or waiting in the defer queue: wait
        // for a grace period, after which the LPM reclaims the waiting ones.
        rte_rcu_qsbr_synchronize(rcu_, RTE_QSBR_THRID_INVALID);
        rc = rte_lpm_add(lpm4_, ip, r.prefix.len, g);
      }
      if (rc < 0) break;
      ++rules4_;
    }
    ++prefixes4_;
  }
  if (done == routes.size()) return true;
  delete4(routes.first(done));
  return false;
}

void RouteTable::delete4(std::span<const Route* const> routes) {
  assert(in_place4());
  for (const Route* r : routes) {
    assert(r->prefix.family == 4);
    --prefixes4_;
    if (fixed4(r->prefix)) continue;
    if (r->prefix.len == 0) {
      default4_.store(kNoRoute, std::memory_order_release);
      continue;
    }
    // Fails only for a rule that is not there, or a full defer queue, which
    // cannot be: it has room for every tbl8 group.
    [[maybe_unused]] const int rc =
        rte_lpm_delete(lpm4_, host_order(r->prefix.addr), r->prefix.len);
    assert(rc == 0);
    --rules4_;
  }
}

}  // namespace sluice::nf
