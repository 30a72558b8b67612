// The route table against a reference: thousands of random IPv4 and IPv6
// prefixes (with /0, /32, /128 and prefixes nested in each other), connected
// networks and the router's own addresses; every probe address gets the
// group a linear longest-prefix scan in the test says it should.
#include <random>

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
    for (unsigned bit = len; bit < 128; ++bit) a[bit / 8] &= static_cast<uint8_t>(~(0x80u >> (bit % 8)));
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

  std::mt19937 rng_{12345};
};

TEST_P(Lpm, MatchesALinearLongestPrefixScan) {
  const uint8_t fam = family();
  // Connected: one interface whose network holds every gateway (each static
  // route gets its own gateway, so its own group), and a second one.
  nf::RouterConfig config;
  nf::RouterInterface gw, other;
  gw.name = "gw";
  gw.port = 1;
  other.name = "other";
  other.port = 2;
  const IpAddress gw_net = fam == 4 ? IpAddress{100, 64, 0, 0} : nf::IpAddress{0x20, 0x01, 0x0d, 0xb8, 0xff};
  nf::InterfaceAddress a1{prefix_of(fam, gw_net, fam == 4 ? 16 : 64), gw_net};
  a1.addr[bits() / 8 - 1] = 1;
  gw.addresses.push_back(a1);
  const IpAddress other_net = fam == 4 ? IpAddress{10, 1, 0, 0} : IpAddress{0x20, 0x01, 0x0d, 0xb8, 1};
  nf::InterfaceAddress a2{prefix_of(fam, other_net, fam == 4 ? 24 : 48), other_net};
  a2.addr[bits() / 8 - 1] = 1;
  other.addresses.push_back(a2);
  config.interfaces = {gw, other};

  std::vector<IpPrefix> prefixes = {prefix_of(fam, {}, 0), prefix_of(fam, random_address(), bits())};
  std::uniform_int_distribution<unsigned> len(1, bits());
  while (prefixes.size() < 3000) {
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
  for (size_t i = 0; i < prefixes.size(); ++i) {
    nf::Route r;
    r.prefix = prefixes[i];
    nf::NextHop h;
    h.has_gateway = true;
    h.interface = 0;
    h.gateway = gw_net;
    h.gateway[bits() / 8 - 2] = static_cast<uint8_t>((i + 2) >> 8);
    h.gateway[bits() / 8 - 1] = static_cast<uint8_t>(i + 2);
    r.next_hops.push_back(h);
    config.routes.push_back(r);
  }
  const RouteTable table(config, SOCKET_ID_ANY);

  // The reference: longest prefix; equal lengths: local, then connected, then static.
  auto reference = [&](const IpAddress& a) {
    Expected best;
    int best_len = -1;
    auto consider = [&](const IpPrefix& p, Expected e) {
      if (!p.contains(fam, a) || p.len < best_len) return;
      if (p.len == best_len && e.kind < best.kind) return;
      best = e;
      best_len = p.len;
    };
    for (size_t i = 0; i < prefixes.size(); ++i) consider(prefixes[i], {Expected::route, i});
    for (size_t i = 0; i < config.interfaces.size(); ++i) {
      const nf::InterfaceAddress& ia = config.interfaces[i].addresses[0];
      consider(ia.prefix, {Expected::connected, i});
      consider(prefix_of(fam, ia.addr, bits()), {Expected::local, 0});
    }
    return best;
  };
  auto actual = [&](const IpAddress& a) {
    const uint32_t g = fam == 4 ? table.lookup4(static_cast<uint32_t>(a[0]) << 24 |
                                                static_cast<uint32_t>(a[1]) << 16 |
                                                static_cast<uint32_t>(a[2]) << 8 | a[3])
                                : table.lookup6(a.data());
    if (g == RouteTable::kNoRoute) return Expected{};
    if (g == RouteTable::kLocal) return Expected{Expected::local, 0};
    const nf::HopGroup& group = table.group(g);
    const nf::ResolvedHop& h = group.hops[0];
    if (!h.gateway) return Expected{Expected::connected, h.interface};
    const size_t i = (static_cast<size_t>(h.addr[bits() / 8 - 2]) << 8 | h.addr[bits() / 8 - 1]) - 2;
    return Expected{Expected::route, i};
  };

  std::vector<IpAddress> probes;
  for (const IpPrefix& p : prefixes) probes.push_back(inside(p));
  for (int i = 0; i < 3000; ++i) probes.push_back(random_address());
  for (const auto& ia : {a1, a2}) {
    probes.push_back(ia.addr);
    probes.push_back(inside(ia.prefix));
  }
  int wrong = 0;
  for (const IpAddress& a : probes) {
    const Expected want = reference(a), got = actual(a);
    if (want == got) continue;
    if (++wrong <= 5)
      ADD_FAILURE() << nf::address_text(fam, a) << ": want kind " << want.kind << " #" << want.index
                    << " got kind " << got.kind << " #" << got.index;
  }
  EXPECT_EQ(wrong, 0) << "of " << probes.size() << " probes";
  EXPECT_EQ(fam == 4 ? table.prefixes4() : table.prefixes6(), prefixes.size() + 4);
}

INSTANTIATE_TEST_SUITE_P(Families, Lpm, ::testing::Values(4, 6),
                         [](const auto& info) { return "ipv" + std::to_string(info.param); });

}  // namespace
}  // namespace sluice::test
