#include "nf/router/route_table.h"

#include <rte_errno.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <map>
#include <set>
#include <string>

#include "common/error.h"

namespace sluice::nf {

namespace {

struct Entry {
  IpPrefix prefix;
  uint32_t group;
};

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

}  // namespace

RouteTable::RouteTable(const RouterConfig& config, int socket_id) {
  // Groups: kLocal first, then one per connected network, then static sets.
  groups_.push_back(HopGroup{});
  std::vector<Entry> entries;  // in order of precedence, lowest first
  std::map<std::vector<std::tuple<int, bool, IpAddress>>, uint32_t> shared;
  for (const Route& r : config.routes) {
    std::vector<std::tuple<int, bool, IpAddress>> key;
    for (const NextHop& h : r.next_hops) key.emplace_back(h.interface, h.has_gateway, h.gateway);
    auto [it, fresh] = shared.try_emplace(key, static_cast<uint32_t>(groups_.size()));
    if (fresh) {
      HopGroup g;
      for (const NextHop& h : r.next_hops)
        g.hops[g.count++] = {static_cast<uint16_t>(h.interface), h.has_gateway, h.gateway};
      groups_.push_back(g);
    }
    entries.push_back({r.prefix, it->second});
  }
  for (size_t i = 0; i < config.interfaces.size(); ++i) {
    for (const InterfaceAddress& a : config.interfaces[i].addresses) {
      HopGroup g;
      g.hops[g.count++] = {static_cast<uint16_t>(i), false, {}};
      entries.push_back({a.prefix, static_cast<uint32_t>(groups_.size())});
      groups_.push_back(g);
    }
  }
  for (const RouterInterface& itf : config.interfaces)
    for (const InterfaceAddress& a : itf.addresses)
      entries.push_back({{a.prefix.family, static_cast<uint8_t>(a.prefix.family == 4 ? 32 : 128),
                          a.addr},
                         kLocal});

  uint32_t lpm4 = 0, lpm6 = 0;  // prefixes the LPMs hold (not /0)
  for (const Entry& e : entries) {
    (e.prefix.family == 4 ? prefixes4_ : prefixes6_)++;
    if (e.prefix.len != 0) (e.prefix.family == 4 ? lpm4 : lpm6)++;
  }
  try {
    if (lpm4 != 0) {
      const rte_lpm_config c{lpm4, tbl8_groups(entries, 4), 0};
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
        (e.prefix.family == 4 ? default4_ : default6_) = e.group;
        continue;
      }
      const int rc = e.prefix.family == 4
                         ? rte_lpm_add(lpm4_, host_order(e.prefix.addr), e.prefix.len, e.group)
                         : rte_lpm6_add(lpm6_, e.prefix.addr.data(), e.prefix.len, e.group);
      if (rc < 0) lpm_failed(("add " + prefix_text(e.prefix)).c_str(), -rc);
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

}  // namespace sluice::nf
