#include "nf/router/route_table.h"

#include <rte_errno.h>

#include <algorithm>
#include <cassert>
#include <cerrno>
#include <cstring>
#include <set>
#include <string>

#include "common/error.h"
#include "nf/router/top_block.h"

namespace sluice::nf {

namespace {

struct Entry {
  IpPrefix prefix;
  uint32_t group;
};

// Room kept for changes: FIB routes (an rte_rib keeps two nodes of ~64
// bytes per route), tbl8 groups (256 next hops each) and next-hop groups. A
// table that runs out is built again, with room in proportion to its
// routes, so growth costs O(1) per route on average.
constexpr uint32_t kMinRouteRoom = 1024, kMinTbl8Room = 256, kMinGroupRoom = 1024;
constexpr uint64_t kMaxGroups = 1u << 24, kMaxRoutes = 2 * uint64_t{kMaxRoutesPerFamily},
                   kMaxTbl8 = 1u << 22;
// The largest next hop of 2- and 4-byte FIB entries (one bit marks an
// extended entry); a FIB returns it for "no prefix holds the address", so
// group ids stay below it.
constexpr uint32_t kMissNarrow = 0x7fff, kMissWide = 0x7fffffff;

uint32_t with_room(uint64_t n, uint64_t share, uint64_t min_room, uint64_t max) {
  return static_cast<uint32_t>(std::max(n, std::min(n + std::max(n / share, min_room), max)));
}

uint32_t host_order(const IpAddress& a) {
  return static_cast<uint32_t>(a[0]) << 24 | static_cast<uint32_t>(a[1]) << 16 |
         static_cast<uint32_t>(a[2]) << 8 | a[3];
}

unsigned family_index(uint8_t family) {
  return family == 4 ? 0 : 1;
}

// tbl8 groups a FIB needs for these prefixes: one per distinct node below
// the 24-bit first level (DIR-24-8 has one level of tbl8, the IPv6 trie one
// per further byte). The trie reserves groups per prefix before it knows
// which it shares (up to one per byte below its parent prefix), so it is
// given half as many again.
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
  return static_cast<uint32_t>(nodes.size() * (family == 4 ? 2 : 3) / 2) + 64;
}

std::string unique_name(const char* kind) {
  static std::atomic<unsigned> serial{0};
  return std::string(kind) + std::to_string(serial++);
}

[[noreturn]] void fib_failed(const std::string& what, int err) {
  throw Error("router: cannot " + what + ": " + rte_strerror(err) +
                  " (more hugepage memory, or fewer routes)",
              err == ENOSPC ? ENOSPC : ENOMEM);
}

}  // namespace

RouteTable::HopKey RouteTable::hop_key(const Route& r) {
  HopKey key;
  for (const NextHop& h : r.next_hops) key.emplace_back(h.interface, h.has_gateway, h.gateway);
  return key;
}

RouteTable::RouteTable(const RouterConfig& config, int socket_id, rte_rcu_qsbr* rcu)
    : socket_id_(socket_id), rcu_(rcu) {
  // Groups: kLocal first, then the static sets, then one per connected network.
  std::vector<HopGroup> groups(1);
  std::vector<Entry> entries;  // in order of precedence, lowest first
  for (const Route& r : config.routes) {
    auto [it, fresh] =
        static_groups_.try_emplace(hop_key(r), static_cast<uint32_t>(groups.size()));
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
      fixed_[a.prefix] = static_cast<uint32_t>(groups.size());
      groups.push_back(g);
    }
  }
  for (const RouterInterface& itf : config.interfaces)
    for (const InterfaceAddress& a : itf.addresses) {
      const IpPrefix own{a.prefix.family, static_cast<uint8_t>(a.prefix.family == 4 ? 32 : 128),
                         a.addr};
      entries.push_back({own, kLocal});
      fixed_[own] = kLocal;
    }

  for (const Entry& e : entries) {
    prefixes_[family_index(e.prefix.family)]++;
    if (top_block::clipped(e.prefix) && fixed_.count(e.prefix) == 0)
      top_statics_[e.prefix] = e.group;
  }
  // What the FIBs hold (top_block.h): no prefix inside the top block, the
  // left halves for those that hold it.
  std::vector<Entry> fib;
  for (const Entry& e : entries)
    if (!top_block::inside(e.prefix) && !top_block::clipped(e.prefix)) fib.push_back(e);
  for (uint8_t family : {4, 6})
    for (unsigned l = 2; l <= top_block::bits(family); ++l)
      if (const uint32_t g = left_half_group(family, l, top_statics_); g != kNoRoute)
        fib.push_back({top_block::left_half(family, l), g});
  // Shortest prefixes first: rte_fib then needs one tbl8 group per /24 with
  // longer prefixes (in other orders DIR-24-8 strands some). Stable, so
  // equal prefixes keep their precedence.
  std::stable_sort(fib.begin(), fib.end(),
                   [](const Entry& a, const Entry& b) { return a.prefix.len < b.prefix.len; });

  group_count_ = static_cast<uint32_t>(groups.size());
  group_capacity_ =
      rcu != nullptr ? with_room(groups.size(), 2, kMinGroupRoom, kMaxGroups) : group_count_;
  groups_ = std::make_unique<HopGroup[]>(group_capacity_);
  std::copy(groups.begin(), groups.end(), groups_.get());

  std::array<std::set<IpPrefix>, 2> distinct;
  for (const Entry& e : fib)
    if (e.prefix.len != 0) distinct[family_index(e.prefix.family)].insert(e.prefix);
  for (uint8_t family : {4, 6}) {
    const unsigned f = family_index(family);
    fib_routes_[f] = static_cast<uint32_t>(distinct[f].size());
    FibSize& s = size_[f];
    s.routes = fib_routes_[f];
    s.tbl8 = tbl8_groups(fib, family);
    if (rcu != nullptr) {
      s.routes = with_room(s.routes, 4, kMinRouteRoom, kMaxRoutes);
      s.tbl8 = with_room(s.tbl8, 4, kMinTbl8Room, kMaxTbl8);
    }
    s.wide = group_capacity_ >= kMissNarrow || s.tbl8 > kMissNarrow;
  }
  try {
    for (Replica& r : replicas_) {
      for (uint8_t family : {4, 6})
        if (fib_routes_[family_index(family)] != 0) create_fib(r, family, size_[family_index(family)]);
      for (const Entry& e : fib)
        if (const int rc = set(r, {e.prefix, e.group}); rc < 0)
          fib_failed("add " + prefix_text(e.prefix), -rc);
      if (rcu == nullptr) break;  // one replica, never changed
    }
  } catch (...) {
    for (Replica& r : replicas_) {
      rte_fib_free(r.fib4);
      rte_fib6_free(r.fib6);
    }
    throw;
  }
}

RouteTable::~RouteTable() {
  for (Replica& r : replicas_) {
    rte_fib_free(r.fib4);
    rte_fib6_free(r.fib6);
  }
}

void RouteTable::create_fib(Replica& r, uint8_t family, const FibSize& size) {
  const std::string name = unique_name(family == 4 ? "rt4_" : "rt6_");
  const auto sized = [&](auto& conf) {  // rte_fib_conf and rte_fib6_conf alike
    conf.default_nh = size.wide ? kMissWide : kMissNarrow;
    conf.max_routes = static_cast<int>(size.routes);
  };
  if (family == 4) {
    rte_fib_conf c{};
    c.type = RTE_FIB_DIR24_8;
    sized(c);
    c.dir24_8 = {size.wide ? RTE_FIB_DIR24_8_4B : RTE_FIB_DIR24_8_2B, size.tbl8};
    r.fib4 = rte_fib_create(name.c_str(), socket_id_, &c);
    if (r.fib4 == nullptr) fib_failed("create the IPv4 FIB", rte_errno);
  } else {
    rte_fib6_conf c{};
    c.type = RTE_FIB6_TRIE;
    sized(c);
    c.trie = {size.wide ? RTE_FIB6_TRIE_4B : RTE_FIB6_TRIE_2B, size.tbl8};
    r.fib6 = rte_fib6_create(name.c_str(), socket_id_, &c);
    if (r.fib6 == nullptr) fib_failed("create the IPv6 FIB", rte_errno);
  }
}

void RouteTable::lookup4(const uint32_t* dst, uint32_t* groups, unsigned n) const noexcept {
  const Replica& r = active();
  if (r.fib4 == nullptr) {
    std::fill_n(groups, n, r.default4);
    return;
  }
  uint64_t nh[kMaxBulk];
  rte_fib_lookup_bulk(r.fib4, const_cast<uint32_t*>(dst), nh, static_cast<int>(n));
  const uint64_t miss = size_[0].wide ? kMissWide : kMissNarrow;
  for (unsigned i = 0; i < n; ++i)
    groups[i] = nh[i] == miss ? r.default4 : static_cast<uint32_t>(nh[i]);
}

void RouteTable::lookup6(const uint8_t (*dst)[16], uint32_t* groups, unsigned n) const noexcept {
  const Replica& r = active();
  if (r.fib6 == nullptr) {
    std::fill_n(groups, n, r.default6);
    return;
  }
  uint64_t nh[kMaxBulk];
  rte_fib6_lookup_bulk(r.fib6, const_cast<uint8_t(*)[16]>(dst), nh, static_cast<int>(n));
  const uint64_t miss = size_[1].wide ? kMissWide : kMissNarrow;
  for (unsigned i = 0; i < n; ++i)
    groups[i] = nh[i] == miss ? r.default6 : static_cast<uint32_t>(nh[i]);
}

uint32_t RouteTable::lookup6(const uint8_t* dst) const noexcept {
  uint8_t one[1][16];
  std::memcpy(one[0], dst, 16);
  uint32_t g;
  lookup6(one, &g, 1);
  return g;
}

uint32_t RouteTable::static_group(const Route& r) {
  HopKey key = hop_key(r);
  auto it = static_groups_.find(key);
  if (it != static_groups_.end()) return it->second;
  assert(group_count_ < group_capacity_);
  HopGroup& g = groups_[group_count_];
  for (const NextHop& h : r.next_hops)
    g.hops[g.count++] = {static_cast<uint16_t>(h.interface), h.has_gateway, h.gateway};
  static_groups_.emplace(std::move(key), group_count_);
  return group_count_++;
}

int RouteTable::set(Replica& r, const Op& op) {
  const IpPrefix& p = op.prefix;
  if (p.len == 0) {
    (p.family == 4 ? r.default4 : r.default6) = op.group;
    return 0;
  }
  if (p.family == 4) {
    const uint32_t ip = host_order(p.addr);
    return op.group == kNoRoute ? rte_fib_delete(r.fib4, ip, p.len)
                                : rte_fib_add(r.fib4, ip, p.len, op.group);
  }
  return op.group == kNoRoute ? rte_fib6_delete(r.fib6, p.addr.data(), p.len)
                              : rte_fib6_add(r.fib6, p.addr.data(), p.len, op.group);
}

bool RouteTable::apply(Replica& r, const std::vector<Op>& ops,
                       const std::vector<uint32_t>& before) {
  for (const Op& op : ops)
    if (op.prefix.len != 0 && (op.prefix.family == 4 ? r.fib4 == nullptr : r.fib6 == nullptr))
      create_fib(r, op.prefix.family, size_[family_index(op.prefix.family)]);
  size_t done = 0;
  while (done < ops.size() && set(r, ops[done]) == 0) ++done;
  if (done == ops.size()) return true;
  // Back to the state before: each undo restores a state the FIB had, so
  // the room it needs was there.
  while (done-- > 0)
    if (set(r, {ops[done].prefix, before[done]}) != 0) broken_ = true;
  return false;
}

uint32_t RouteTable::left_half_group(uint8_t family, unsigned l,
                                     const std::map<IpPrefix, uint32_t>& statics) const {
  for (unsigned k = l; k >= 1; --k) {
    const IpPrefix p = k == l ? top_block::left_half(family, l) : top_block::top(family, k);
    if (auto it = fixed_.find(p); it != fixed_.end()) return it->second;
    if (auto it = statics.find(p); it != statics.end()) return it->second;
  }
  return kNoRoute;
}

void RouteTable::fib_ops(const std::map<IpPrefix, std::pair<uint32_t, uint32_t>>& plan,
                         std::map<IpPrefix, uint32_t>& top_statics, std::vector<Op>& ops,
                         std::vector<uint32_t>& before) const {
  const std::map<IpPrefix, uint32_t> top_before = top_statics;
  std::array<bool, 2> clipped{};
  for (bool removal : {true, false})  // removals first: they free tbl8 groups
    for (const auto& [prefix, groups] : plan) {
      if ((groups.second == kNoRoute) != removal || top_block::inside(prefix)) continue;
      if (top_block::clipped(prefix)) {
        clipped[family_index(prefix.family)] = true;
        if (removal)
          top_statics.erase(prefix);
        else
          top_statics[prefix] = groups.second;
        continue;
      }
      ops.push_back({prefix, groups.second});
      before.push_back(groups.first);
    }
  for (uint8_t family : {4, 6}) {
    if (!clipped[family_index(family)]) continue;
    for (unsigned l = 2; l <= top_block::bits(family); ++l) {
      const uint32_t was = left_half_group(family, l, top_before),
                     now = left_half_group(family, l, top_statics);
      if (was == now) continue;
      ops.push_back({top_block::left_half(family, l), now});
      before.push_back(was);
    }
  }
}

bool RouteTable::change(std::span<const Route* const> removed,
                        std::span<const Route* const> added) {
  assert(in_place());
  std::set<HopKey> fresh;
  for (const Route* r : added)
    if (HopKey key = hop_key(*r); static_groups_.count(key) == 0) fresh.insert(std::move(key));
  if (uint64_t{group_count_} + fresh.size() > group_capacity_) return false;
  // Each static prefix's group before and after; connected and local ones stay.
  std::map<IpPrefix, std::pair<uint32_t, uint32_t>> plan;
  for (const Route* r : removed)
    if (fixed_.count(r->prefix) == 0)
      plan[r->prefix] = {static_groups_.at(hop_key(*r)), kNoRoute};
  for (const Route* r : added) {
    const uint32_t g = static_group(*r);
    if (fixed_.count(r->prefix) == 0) plan.try_emplace(r->prefix, kNoRoute, g).first->second.second = g;
  }
  std::vector<Op> ops;
  std::vector<uint32_t> before;
  std::map<IpPrefix, uint32_t> top_statics = top_statics_;
  fib_ops(plan, top_statics, ops, before);
  std::array<int64_t, 2> routes{};  // change of fib_routes_
  for (size_t i = 0; i < ops.size(); ++i)
    if (ops[i].prefix.len != 0)
      routes[family_index(ops[i].prefix.family)] +=
          int64_t{ops[i].group != kNoRoute} - int64_t{before[i] != kNoRoute};
  for (unsigned f = 0; f < 2; ++f)
    if (int64_t{fib_routes_[f]} + routes[f] > int64_t{size_[f].routes}) return false;

  const unsigned standby = 1 - active_.load(std::memory_order_relaxed);
  if (!apply(replicas_[standby], ops, before)) return false;
  active_.store(standby, std::memory_order_release);
  // Every reader that could be in the old replica has left it.
  rte_rcu_qsbr_synchronize(rcu_, RTE_QSBR_THRID_INVALID);
  if (!apply(replicas_[1 - standby], ops, before)) broken_ = true;  // cannot be: same state, same room

  top_statics_ = std::move(top_statics);
  for (unsigned f = 0; f < 2; ++f) fib_routes_[f] = static_cast<uint32_t>(fib_routes_[f] + routes[f]);
  for (const Route* r : removed) prefixes_[family_index(r->prefix.family)]--;
  for (const Route* r : added) prefixes_[family_index(r->prefix.family)]++;
  return true;
}

}  // namespace sluice::nf
