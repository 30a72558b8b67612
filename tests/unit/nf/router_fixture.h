// Test support for the router NF: a fixture that runs crafted packets
// (packet_builder.h) through a router instance with an injected clock and
// collects what it sent out of which port, what it dropped and held; and
// independent checks of the frames the router writes.
#pragma once

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "dataplane/rcu/rcu.h"
#include "nf/host/nf_registry.h"
#include "nf/router/router.h"
#include "tests/support/packet_builder.h"
#include "tests/unit/flow/eal_env.h"
#include "tests/unit/nf/firewall_fixture.h"

namespace sluice::test {

inline constexpr Mac kLanMac = {0x02, 0, 0, 0, 0x01, 0x01};  // router on lan (port 1)
inline constexpr Mac kWanMac = {0x02, 0, 0, 0, 0x02, 0x01};  // router on wan (port 2)
inline constexpr Mac kH1Mac = {0x02, 0, 0, 0, 0x01, 0x02};   // 10.1.0.2 on lan
inline constexpr Mac kH2Mac = {0x02, 0, 0, 0, 0x02, 0x02};   // 10.2.0.2 on wan
inline constexpr Mac kBroadcast = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

// Two interfaces: lan on port 1 (10.1.0.1/24, 2001:db8:1::1/64) and wan on
// port 2 (10.2.0.1/24, 2001:db8:2::1/64).
inline nlohmann::json two_interfaces() {
  return nlohmann::json::parse(R"({"interfaces": [
    {"name": "lan", "port": 1, "mac": "02:00:00:00:01:01",
     "addresses": ["10.1.0.1/24", "2001:db8:1::1/64"]},
    {"name": "wan", "port": 2, "mac": "02:00:00:00:02:01",
     "addresses": ["10.2.0.1/24", "2001:db8:2::1/64"]}]})");
}

struct Sent {
  uint16_t port;
  Bytes bytes;
};

// What one batch came to.
struct RouterOutput {
  std::vector<Sent> sent;            // in send order
  std::map<std::string, int> drops;  // by reason, as the host counted them
  int held = 0;
  int contract_errors = 0;

  int dropped(const std::string& reason) const {
    auto it = drops.find(reason);
    return it == drops.end() ? 0 : it->second;
  }
};

class RouterFixture : public ::testing::Test {
 protected:
  static constexpr uint64_t kSecond = 1'000'000'000;

  // `with_rcu` false: the instance gets no RCU domain (NfInit::rcu), so
  // every route change builds a new version.
  void make(const nlohmann::json& config, unsigned workers = 1, bool with_rcu = true) {
    router.reset();
    nf::NfInstanceSpec spec;
    spec.name = "r1";
    spec.config = config;
    spec.workers = workers;
    spec.rcu = with_rcu ? rcu.qsbr() : nullptr;
    router = registry.create("router", spec, reclaimer);
  }

  RouterOutput run(const std::vector<Bytes>& packets, uint16_t in_port, unsigned worker = 0) {
    nf::PacketBatch batch;
    for (const Bytes& p : packets) batch.push(make_mbuf(p));
    router->process({worker, in_port, now}, batch, out);
    RouterOutput r;
    for (uint16_t i = 0; i < out.sent(); ++i) {
      r.sent.push_back({out.sent_port(i), mbuf_bytes(out.sent_packet(i))});
      rte_pktmbuf_free(out.sent_packet(i));
    }
    for (unsigned g = 0; g < nf::kMaxGates; ++g)
      for (uint16_t i = 0; i < out.count(g); ++i) {
        ADD_FAILURE() << "the router emitted on gate " << g;
        rte_pktmbuf_free(out.packets(g)[i]);
      }
    const auto& reasons = router->info().drop_reasons;
    for (unsigned i = 0; i < reasons.size(); ++i)
      if (out.drops(i) != 0) r.drops[reasons[i]] = out.drops(i);
    r.held = out.held();
    r.contract_errors = out.contract_errors();
    EXPECT_EQ(r.contract_errors, 0);
    return r;
  }
  RouterOutput send(const PacketSpec& s, uint16_t in_port) {
    return run({build_packet(s)}, in_port);
  }

  nlohmann::json command(const char* name, const nlohmann::json& args) {
    return router->command(name, args);
  }
  nlohmann::json stats() const { return router->stats(); }
  void advance(double seconds) { now += static_cast<uint64_t>(seconds * 1e9); }

  nf::NfRegistry registry = nf::NfRegistry::with_builtins();
  ImmediateReclaimer reclaimer;
  // No reader thread is registered: the packets run on the test's thread,
  // never during a change, so grace periods end at once.
  Rcu rcu{1};
  std::unique_ptr<nf::NfInstance> router;
  nf::GateOutput out;
  uint64_t now = 1000 * kSecond;
};

// A packet from h1 (lan) to `dst` through the router.
inline PacketSpec from_h1(PacketSpec s) {
  s.src = kH1Mac;
  s.dst = kLanMac;
  return s;
}

// An ARP packet on the wire.
inline Bytes arp_frame(uint16_t op, const Mac& eth_dst, const Mac& sender, const char* spa,
                       const char* tpa) {
  PacketSpec s;
  s.eth_type = 0x0806;
  s.arp_op = op;
  s.dst = eth_dst;
  s.src = sender;
  s.ip_src = ip4(spa);
  s.ip_dst = ip4(tpa);
  return build_packet(s);
}

// ICMPv6 neighbour solicitation (135) or advertisement (136) for `target`,
// with a link-layer address option of `mac` (type 1 for NS, 2 for NA).
inline Bytes nd_frame(uint8_t type, const Mac& eth_dst, const Mac& mac, const char* src,
                      const char* dst, const char* target, uint8_t hop_limit = 255) {
  PacketSpec s;
  s.eth_type = 0x86dd;
  s.dst = eth_dst;
  s.src = mac;
  s.ip6_src = Ipv6Addr::parse(src);
  s.ip6_dst = Ipv6Addr::parse(dst);
  s.proto = 58;
  s.ttl = hop_limit;
  s.payload = 0;
  Bytes p = build_packet(s);  // ICMPv6 header only; replace its body
  p.resize(14 + 40);
  const Ipv6Addr t = Ipv6Addr::parse(target);
  Bytes icmp = {type, 0, 0, 0, static_cast<uint8_t>(type == 136 ? 0x60 : 0), 0, 0, 0};
  icmp.insert(icmp.end(), t.b.begin(), t.b.end());
  icmp.push_back(type == 135 ? 1 : 2);
  icmp.push_back(1);
  icmp.insert(icmp.end(), mac.begin(), mac.end());
  set16(p, 14 + 4, static_cast<uint16_t>(icmp.size()));
  p.insert(p.end(), icmp.begin(), icmp.end());
  set16(p, 14 + 40 + 2, expected_l4_checksum(p, 14, 54, p.size(), true, 58));
  return p;
}

inline Mac mac_of(const Bytes& b, size_t off) {
  Mac m;
  std::copy(b.begin() + static_cast<long>(off), b.begin() + static_cast<long>(off) + 6, m.begin());
  return m;
}
inline uint32_t get32(const Bytes& b, size_t off) {
  return static_cast<uint32_t>(get16(b, off)) << 16 | get16(b, off + 2);
}

}  // namespace sluice::test
