// The router's forwarding table, as workers see it. IPv4 prefixes in an
// rte_fib (DIR-24-8 over an rte_rib), IPv6 prefixes in an rte_fib6 (a trie
// with a 24-bit first level); each maps to a next-hop group (ECMP set).
// Group kLocal holds the router's own addresses (/32, /128); connected
// networks are groups with one on-link hop; static routes use the groups of
// their next hops (identical sets share one group). Where prefixes are equal,
// connected beats static and local beats both. A FIB of a family without
// any prefix is not created until a change adds one (its first level alone
// is 32 or 64 MiB). Routes in the family's top block (IPv4 224.0.0.0/3,
// IPv6 ff00::/8), which the router never routes, are counted but not
// looked up: a lookup there answers nothing useful (top_block.h says why).
//
// Why rte_fib and not rte_lpm: rte_lpm keeps its rules in an array it scans
// per prefix length on every add and delete, so a million routes take
// minutes to load; rte_rib finds a prefix in O(prefix length).
//
// Changes without pausing readers (left-right): built with an RCU domain
// (NfInit::rcu), the table keeps two replicas of its FIBs. Readers look up
// in the active one. change() applies a batch to the standby replica, makes
// it the active one, waits one grace period (rte_rcu_qsbr_synchronize: every
// reader that could still be in the old replica has left it), then applies
// the same batch to the old one. So a batch becomes visible to lookups all
// at once, nothing a reader holds is ever written, and a lookup costs one
// more load than a bare FIB. Twice the memory and two FIB operations per
// route changed; no rebuild until the room reserved at construction runs out.
// Without an RCU domain the table has one replica and never changes.
//
// Next-hop groups: an array with a fixed capacity, never reallocated. A slot
// is written once, before the first FIB entry that names it becomes visible
// (the release that activates a replica orders the two), and never
// rewritten or reused for another set while the table lives, so a reader
// holding a group id always reads a whole, valid group. Unused groups stay
// until the next build.
//
// Thread-safety: lookup4, lookup6, group: any thread that reports quiescent
// states to the RCU domain between lookups (never inside one), concurrently
// with change() on the control thread. Everything else: control thread.
// Destroy only after a grace period since the last lookup could start.
#pragma once

#include <rte_fib.h>
#include <rte_fib6.h>
#include <rte_rcu_qsbr.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <tuple>
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
  // Most destinations one bulk lookup call takes.
  static constexpr unsigned kMaxBulk = 64;

  // The table of `config`: its interfaces' connected networks and addresses
  // and its static routes (config.routes). With `rcu` (NfInit::rcu) it has
  // two replicas and room for more routes, so change() works (in_place());
  // without, it never changes. Throws sluice::Error: ENOMEM when DPDK
  // memory for the FIBs runs out.
  RouteTable(const RouterConfig& config, int socket_id, rte_rcu_qsbr* rcu = nullptr);
  ~RouteTable();
  RouteTable(const RouteTable&) = delete;
  RouteTable& operator=(const RouteTable&) = delete;

  // groups[i]: the group of the longest prefix holding dst[i] (IPv4 in host
  // order), or kNoRoute; n <= kMaxBulk. All n from one replica. dst[i] in
  // the top block: any group or kNoRoute.
  void lookup4(const uint32_t* dst, uint32_t* groups, unsigned n) const noexcept;
  void lookup6(const uint8_t (*dst)[16], uint32_t* groups, unsigned n) const noexcept;
  uint32_t lookup4(uint32_t dst_host_order) const noexcept {
    uint32_t g;
    lookup4(&dst_host_order, &g, 1);
    return g;
  }
  uint32_t lookup6(const uint8_t* dst) const noexcept;
  // `id` from a lookup (not kNoRoute).
  const HopGroup& group(uint32_t id) const noexcept { return groups_[id]; }

  // Control thread.
  // Groups written (live or not), and room for them.
  size_t groups() const noexcept { return group_count_; }
  size_t group_capacity() const noexcept { return group_capacity_; }
  // Prefixes in each family (local, connected and static; equal ones counted
  // once per kind).
  uint32_t prefixes4() const noexcept { return prefixes_[0]; }
  uint32_t prefixes6() const noexcept { return prefixes_[1]; }

  // True when change() may be used: built with an RCU domain.
  bool in_place() const noexcept { return rcu_ != nullptr && !broken_; }
  // Changes the static routes, both families: those of `removed` (each as
  // it was added) leave, those of `added` come; a prefix in both gets its
  // new route. A prefix of `added` with a static route must be in `removed`
  // too; a prefix appears once per list. A prefix that is also connected or local
  // keeps that route in force (the static one only waits beneath it); a
  // removed prefix falls back to the longest shorter prefix that holds it.
  // All or nothing, and visible to readers all at once: returns false, with
  // the table as before, when it has no room (FIB routes or tbl8 groups,
  // next-hop groups); build a new table then. Waits one grace period of the
  // RCU domain, so the caller must not be an online reader of it. Requires
  // in_place(). Throws nothing but std::bad_alloc (then call nothing but
  // the destructor).
  bool change(std::span<const Route* const> removed, std::span<const Route* const> added);

  // For tests: the active replica's FIBs (nullptr for a family without one).
  const rte_fib* fib4() const noexcept { return active().fib4; }
  const rte_fib6* fib6() const noexcept { return active().fib6; }

 private:
  using HopKey = std::vector<std::tuple<int, bool, IpAddress>>;
  struct Replica {
    rte_fib* fib4 = nullptr;
    rte_fib6* fib6 = nullptr;
    uint32_t default4 = kNoRoute, default6 = kNoRoute;  // /0: kept beside the FIBs
  };
  // One prefix's entry in a replica: its group, or kNoRoute to remove it.
  struct Op {
    IpPrefix prefix;
    uint32_t group;
  };
  struct FibSize {
    uint32_t routes = 0, tbl8 = 0;
    bool wide = false;  // 4-byte next hops (else 2-byte)
  };

  const Replica& active() const noexcept {
    return replicas_[active_.load(std::memory_order_acquire)];
  }
  static HopKey hop_key(const Route& r);
  // The FIB entry of top_block::left_half(family, l): the group of the
  // longest present of L(l), T(l-1) .. T(1), from fixed_ and `statics`.
  uint32_t left_half_group(uint8_t family, unsigned l,
                           const std::map<IpPrefix, uint32_t>& statics) const;
  // The FIB operations for `plan` (each static prefix's group before and
  // after, kNoRoute for none), and each one's group before; updates
  // `top_statics` for the plan's clipped prefixes (top_block.h).
  void fib_ops(const std::map<IpPrefix, std::pair<uint32_t, uint32_t>>& plan,
               std::map<IpPrefix, uint32_t>& top_statics, std::vector<Op>& ops,
               std::vector<uint32_t>& before) const;
  // The group of a static route's next hops: the existing one for this set,
  // else a new slot.
  uint32_t static_group(const Route& r);
  // Creates `family`'s FIB in `r` with room `size` (throws sluice::Error).
  void create_fib(Replica& r, uint8_t family, const FibSize& size);
  // Applies `ops` to `r`; on failure undoes what it did (before[i]: the
  // group ops[i].prefix had) and returns false.
  bool apply(Replica& r, const std::vector<Op>& ops, const std::vector<uint32_t>& before);
  // 0 or a negative errno.
  static int set(Replica& r, const Op& op);

  int socket_id_;
  rte_rcu_qsbr* rcu_ = nullptr;
  bool broken_ = false;  // a change failed half-way on a replica: no more changes
  std::array<Replica, 2> replicas_{};
  std::atomic<unsigned> active_{0};
  std::unique_ptr<HopGroup[]> groups_;  // group_capacity_ slots, group_count_ written
  uint32_t group_count_ = 0, group_capacity_ = 0;
  std::array<uint32_t, 2> prefixes_{};  // IPv4, IPv6
  // Control side of the changes, per family (IPv4, IPv6).
  std::array<uint32_t, 2> fib_routes_{};  // distinct prefixes (not /0) in each FIB
  std::array<FibSize, 2> size_{};         // the FIBs' room (of a family without a FIB: its room once created)
  std::map<IpPrefix, uint32_t> fixed_;         // connected and local prefixes: the group in force
  std::map<IpPrefix, uint32_t> top_statics_;   // static routes of clipped prefixes (top_block.h)
  std::map<HopKey, uint32_t> static_groups_;
};

}  // namespace sluice::nf
