// The route table against a reference: thousands of random IPv4 and IPv6
// prefixes (with /0, /32, /128 and prefixes nested in each other), connected
// networks and the router's own addresses; every probe address gets the
// group a linear longest-prefix scan in the test says it should. Then the
// same for static routes added, deleted and changed in place (a deleted
// prefix falls back to the covering one; equal to a connected or local
// prefix, it never overrides it), and a table out of room saying so and
// staying as it was. Addresses in the top block (IPv4 224.0.0.0/3, IPv6
// ff00::/8), which the router never routes, are not probed; the random
// prefixes hold many that reach or hold it (nf/router/top_block.h).
#include <random>

#include "dataplane/rcu/rcu.h"
#include "nf/router/route_table.h"
#include "tests/unit/nf/router_fixture.h"

namespace sluice::test {
namespace {

using nf::IpAddress;
using nf::IpPrefix;
using nf::RouteTable;

// What a probe should match: a static route (by index), a connected network
// (interface), the router itself, or nothing.
struct Expected {
  enum Kind { none, local, connected, route } kind = none;
  size_t index = 0;
  bool operator==(const Expected&) const = default;
};

class Lpm : public ::testing::TestWithParam<uint8_t> {
 protected:
  uint8_t family() const { return GetParam(); }
  unsigned bits() const { return family() == 4 ? 32 : 128; }

  IpAddress random_address() {
    IpAddress a{};
    for (unsigned i = 0; i < bits() / 8; ++i) a[i] = static_cast<uint8_t>(rng_());
    return a;
  }
  static IpPrefix prefix_of(uint8_t family, IpAddress a, unsigned len) {
    for (unsigned bit = len; bit < 128; ++bit)
      a[bit / 8] &= static_cast<uint8_t>(~(0x80u >> (bit % 8)));
    return {family, static_cast<uint8_t>(len), a};
  }
  // An address inside `p`, random host bits.
  IpAddress inside(const IpPrefix& p) {
    IpAddress a = random_address();
    for (unsigned bit = 0; bit < p.len; ++bit) {
      const uint8_t mask = static_cast<uint8_t>(0x80u >> (bit % 8));
      a[bit / 8] = static_cast<uint8_t>((a[bit / 8] & ~mask) | (p.addr[bit / 8] & mask));
    }
    return a;
  }

  // Two interfaces: "gw", whose network holds every gateway (each static
  // route gets its own gateway, so its own group), and "other".
  void SetUp() override {
    const uint8_t fam = family();
    nf::RouterInterface gw, other;
    gw.name = "gw";
    gw.port = 1;
    other.name = "other";
    other.port = 2;
    gw_net_ = fam == 4 ? IpAddress{100, 64, 0, 0} : IpAddress{0x20, 0x01, 0x0d, 0xb8, 0xff};
    nf::InterfaceAddress a1{prefix_of(fam, gw_net_, fam == 4 ? 16 : 64), gw_net_};
    a1.addr[bits() / 8 - 1] = 1;
    gw.addresses.push_back(a1);
    const IpAddress other_net =
        fam == 4 ? IpAddress{10, 1, 0, 0} : IpAddress{0x20, 0x01, 0x0d, 0xb8, 1};
    nf::InterfaceAddress a2{prefix_of(fam, other_net, fam == 4 ? 24 : 48), other_net};
    a2.addr[bits() / 8 - 1] = 1;
    other.addresses.push_back(a2);
    config_.interfaces = {gw, other};
    own_ = {a1, a2};
  }

  // `n` distinct prefixes: /0, a host prefix, the connected networks and
  // the router's addresses (equal to theirs), the rest random, a third of
  // them nested in an earlier one.
  std::vector<IpPrefix> random_prefixes(size_t n) {
    const uint8_t fam = family();
    std::vector<IpPrefix> prefixes = {prefix_of(fam, {}, 0),
                                      prefix_of(fam, random_address(), bits())};
    for (const nf::InterfaceAddress& ia : own_) {
      prefixes.push_back(ia.prefix);
      prefixes.push_back(prefix_of(fam, ia.addr, bits()));
    }
    std::uniform_int_distribution<unsigned> len(1, bits());
    while (prefixes.size() < n) {
      if (prefixes.size() > 100 && rng_() % 3 == 0) {  // nested in an earlier one
        const IpPrefix& outer = prefixes[rng_() % prefixes.size()];
        if (outer.len == bits()) continue;
        const unsigned l = outer.len + 1 + rng_() % (bits() - outer.len);
        prefixes.push_back(prefix_of(fam, inside(outer), l));
      } else {
        prefixes.push_back(prefix_of(fam, random_address(), len(rng_)));
      }
      for (size_t i = 0; i + 1 < prefixes.size(); ++i)
        if (prefixes[i] == prefixes.back()) {
          prefixes.pop_back();
          break;
        }
    }
    return prefixes;
  }

  // Static route to `p` via the gateway that encodes `i` (its id).
  nf::Route route(size_t i, const IpPrefix& p) const {
    nf::Route r;
    r.prefix = p;
    nf::NextHop h;
    h.has_gateway = true;
    h.interface = 0;
    h.gateway = gw_net_;
    h.gateway[bits() / 8 - 2] = static_cast<uint8_t>((i + 2) >> 8);
    h.gateway[bits() / 8 - 1] = static_cast<uint8_t>(i + 2);
    r.next_hops.push_back(h);
    return r;
  }

  size_t id_of(const IpAddress& gateway) const {
    return (static_cast<size_t>(gateway[bits() / 8 - 2]) << 8 | gateway[bits() / 8 - 1]) - 2;
  }

  // Longest prefix among the static routes `routes[i]` with present[i] (by
  // the id of their gateway) and the interfaces'; equal lengths: local,
  // then connected, then static.
  Expected reference(const std::vector<nf::Route>& routes, const std::vector<bool>& present,
                     const IpAddress& a) const {
    const uint8_t fam = family();
    Expected best;
    int best_len = -1;
    auto rank = [](Expected::Kind k) {
      return k == Expected::route ? 1 : k == Expected::connected ? 2 : 3;
    };
    auto consider = [&](const IpPrefix& p, Expected e) {
      if (!p.contains(fam, a) || p.len < best_len) return;
      if (p.len == best_len && rank(e.kind) < rank(best.kind)) return;
      best = e;
      best_len = p.len;
    };
    for (size_t i = 0; i < routes.size(); ++i)
      if (present[i])
        consider(routes[i].prefix, {Expected::route, id_of(routes[i].next_hops[0].gateway)});
    for (size_t i = 0; i < own_.size(); ++i) {
      consider(own_[i].prefix, {Expected::connected, i});
      consider(prefix_of(fam, own_[i].addr, bits()), {Expected::local, 0});
    }
    return best;
  }
  Expected actual(const RouteTable& table, const IpAddress& a) const {
    const uint32_t g = family() == 4 ? table.lookup4(static_cast<uint32_t>(a[0]) << 24 |
                                                     static_cast<uint32_t>(a[1]) << 16 |
                                                     static_cast<uint32_t>(a[2]) << 8 | a[3])
                                     : table.lookup6(a.data());
    if (g == RouteTable::kNoRoute) return Expected{};
    if (g == RouteTable::kLocal) return Expected{Expected::local, 0};
    const nf::ResolvedHop& h = table.group(g).hops[0];
    if (!h.gateway) return Expected{Expected::connected, h.interface};
    return Expected{Expected::route, id_of(h.addr)};
  }
  // Probes that get something else than the reference says (reports 5).
  int wrong(const RouteTable& table, const std::vector<nf::Route>& routes,
            const std::vector<bool>& present, const std::vector<IpAddress>& probes) const {
    int n = 0;
    for (const IpAddress& a : probes) {
      if (family() == 4 ? a[0] >= 224 : a[0] == 0xff) continue;  // the top block: never routed
      const Expected want = reference(routes, present, a), got = actual(table, a);
      if (want == got) continue;
      if (++n <= 5)
        ADD_FAILURE() << nf::address_text(family(), a) << ": want kind " << want.kind << " #"
                      << want.index << " got kind " << got.kind << " #" << got.index;
    }
    return n;
  }
  // One inside each route, `extra` random ones, and the interfaces' own.
  std::vector<IpAddress> probes(const std::vector<nf::Route>& routes, int extra) {
    std::vector<IpAddress> out;
    for (const nf::Route& r : routes) out.push_back(inside(r.prefix));
    for (int i = 0; i < extra; ++i) out.push_back(random_address());
    for (const auto& ia : own_) {
      out.push_back(ia.addr);
      out.push_back(inside(ia.prefix));
    }
    return out;
  }

  std::mt19937 rng_{12345};
  nf::RouterConfig config_;
  IpAddress gw_net_{};
  std::vector<nf::InterfaceAddress> own_;
};

TEST_P(Lpm, MatchesALinearLongestPrefixScan) {
  const std::vector<IpPrefix> prefixes = random_prefixes(3000);
  std::vector<nf::Route> routes;
  for (size_t i = 0; i < prefixes.size(); ++i) routes.push_back(route(i, prefixes[i]));
  config_.routes = routes;
  const RouteTable table(config_, SOCKET_ID_ANY);
  const std::vector<bool> all(routes.size(), true);
  const std::vector<IpAddress> p = probes(routes, 3000);
  EXPECT_EQ(wrong(table, routes, all, p), 0) << "of " << p.size() << " probes";
  EXPECT_EQ(family() == 4 ? table.prefixes4() : table.prefixes6(), prefixes.size() + 4);
}

INSTANTIATE_TEST_SUITE_P(Families, Lpm, ::testing::Values(4, 6),
                         [](const auto& info) { return "ipv" + std::to_string(info.param); });

using LpmInPlace = Lpm;

// Random batches that add, delete and change routes (a prefix whose route
// goes to another gateway), the whole table checked after each.
TEST_P(LpmInPlace, MatchesTheReferenceAfterEveryChange) {
  Rcu rcu(1);
  const std::vector<IpPrefix> prefixes = random_prefixes(1500);
  // Two routes per prefix, through different gateways: a[i] and b[i].
  std::vector<nf::Route> a, b;
  for (size_t i = 0; i < prefixes.size(); ++i) {
    a.push_back(route(i, prefixes[i]));
    b.push_back(route(prefixes.size() + i, prefixes[i]));
  }
  enum State { absent, via_a, via_b };
  std::vector<State> state(prefixes.size());
  for (size_t i = 0; i < prefixes.size(); ++i) {
    state[i] = rng_() % 2 == 0 ? via_a : absent;
    if (state[i] == via_a) config_.routes.push_back(a[i]);
  }
  RouteTable table(config_, SOCKET_ID_ANY, rcu.qsbr());
  ASSERT_TRUE(table.in_place());
  const auto of = [&](size_t i, State s) { return s == via_b ? &b[i] : &a[i]; };
  const auto check = [&](const std::string& when) {
    std::vector<nf::Route> routes;
    std::vector<bool> present;
    for (size_t i = 0; i < prefixes.size(); ++i) {
      routes.push_back(*of(i, state[i]));
      present.push_back(state[i] != absent);
    }
    return wrong(table, routes, present, probes(routes, 500)) == 0 ? ::testing::AssertionSuccess()
                                                                   : ::testing::AssertionFailure()
                                                                         << when;
  };
  ASSERT_TRUE(check("as built"));

  for (int round = 0; round < 40; ++round) {
    std::vector<const nf::Route*> gone, come;
    std::vector<bool> picked(prefixes.size());
    const size_t size = 1 + rng_() % 60;
    for (size_t n = 0; n < size; ++n) {
      const size_t i = rng_() % prefixes.size();
      if (picked[i]) continue;
      picked[i] = true;
      const State next = static_cast<State>((state[i] + 1 + rng_() % 2) % 3);
      if (state[i] != absent) gone.push_back(of(i, state[i]));
      if (next != absent) come.push_back(of(i, next));
      state[i] = next;
    }
    ASSERT_TRUE(table.change(gone, come)) << "round " << round;
    ASSERT_TRUE(check("round " + std::to_string(round) + ": " + std::to_string(gone.size()) +
                      " gone, " + std::to_string(come.size()) + " come"));
    const size_t statics = std::count_if(state.begin(), state.end(),
                                         [](State s) { return s != absent; });
    EXPECT_EQ(family() == 4 ? table.prefixes4() : table.prefixes6(), statics + 4);
  }
  EXPECT_TRUE(table.in_place());
  EXPECT_LE(table.groups(), table.group_capacity());
}

INSTANTIATE_TEST_SUITE_P(Families, LpmInPlace, ::testing::Values(4, 6),
                         [](const auto& info) { return "ipv" + std::to_string(info.param); });

using LpmRoom = Lpm;

// Room runs out three ways; each time change() says so and nothing changed.
TEST_P(LpmRoom, OutOfRoomSaysSoAndStaysAsItWas) {
  Rcu rcu(1);
  auto p24 = [](uint8_t a, uint32_t i) {
    return IpPrefix{4, 24, {a, static_cast<uint8_t>(i >> 8), static_cast<uint8_t>(i), 0}};
  };
  // 2100 /24s via one gateway, 2 connected, 2 local (each /32 in a tbl8
  // group): room for 1024 more routes, 1024 more groups, 320 more tbl8
  // groups.
  std::vector<nf::Route> all;
  for (uint32_t i = 0; i < 2100; ++i) all.push_back(route(0, p24(172, 16 * 256 + i)));
  config_.routes = all;
  RouteTable table(config_, SOCKET_ID_ANY, rcu.qsbr());
  const uint32_t prefixes = table.prefixes4();
  ASSERT_EQ(table.group_capacity() - table.groups(), 1024u);

  std::vector<nf::Route> groups, rules, tbl8s;
  for (uint32_t i = 0; i < 1025; ++i) groups.push_back(route(1 + i, p24(198, i)));
  for (uint32_t i = 0; i < 1025; ++i) rules.push_back(route(2000, p24(199, i)));
  for (uint32_t i = 0; i < 600; ++i) {
    nf::Route r = route(3000, p24(203, i));
    r.prefix.len = 32;
    r.prefix.addr[3] = 7;
    tbl8s.push_back(r);
  }
  std::vector<bool> present(all.size(), true);
  for (const auto* set : {&groups, &rules, &tbl8s}) {
    std::vector<const nf::Route*> batch;
    for (const nf::Route& r : *set) batch.push_back(&r);
    EXPECT_FALSE(table.change({}, batch));
    EXPECT_EQ(table.prefixes4(), prefixes);
    all.insert(all.end(), set->begin(), set->end());
    present.resize(all.size(), false);
  }
  EXPECT_EQ(wrong(table, all, present, probes(all, 200)), 0);
  // The rolled-back tbl8 groups are free again.
  std::vector<const nf::Route*> fewer;
  for (size_t i = 0; i < 250; ++i) {
    fewer.push_back(&tbl8s[i]);
    present[all.size() - tbl8s.size() + i] = true;
  }
  EXPECT_TRUE(table.change({}, fewer));
  // Rules: what is left of the room fits.
  fewer.clear();
  for (size_t i = 0; i + 1 + 250 < rules.size(); ++i) {
    fewer.push_back(&rules[i]);
    present[2100 + groups.size() + i] = true;
  }
  EXPECT_TRUE(table.change({}, fewer));
  fewer = {&rules.back()};
  EXPECT_FALSE(table.change({}, fewer));
  EXPECT_EQ(wrong(table, all, present, probes(all, 200)), 0);
}

INSTANTIATE_TEST_SUITE_P(Families, LpmRoom, ::testing::Values(4),
                         [](const auto& info) { return "ipv" + std::to_string(info.param); });

}  // namespace
}  // namespace sluice::test
