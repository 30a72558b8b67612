// Firewall rules on crafted packets: first match wins, prefixes, port and
// ICMP ranges, in_port, protocols, both IP versions, default policies and
// per-rule hit counters.
#include "tests/unit/nf/firewall_fixture.h"

namespace sluice::test {
namespace {

using nlohmann::json;

class FirewallRules : public FirewallFixture {};

TEST_F(FirewallRules, FirstMatchWins) {
  make(json::parse(R"({"default": "allow", "rules": [
    {"action": "deny", "proto": "udp", "dst_port": 53},
    {"action": "allow", "proto": "udp"},
    {"action": "deny", "proto": "udp", "dst_port": 80}
  ]})"));
  EXPECT_EQ(send(udp("10.0.0.1", "10.0.0.2", 1000, 53)).drop, "deny");
  EXPECT_TRUE(send(udp("10.0.0.1", "10.0.0.2", 1001, 80)).forwarded()) << "rule 1 before rule 2";
  EXPECT_EQ(hits(0), 1u);
  EXPECT_EQ(hits(1), 1u);
  EXPECT_EQ(hits(2), 0u);
}

TEST_F(FirewallRules, PortRangesAreInclusive) {
  make(json::parse(R"({"rules": [
    {"action": "allow", "proto": "tcp", "src_port": "1024-2047", "dst_port": [8000, 8080]}
  ]})"));
  auto syn = [&](uint16_t sport, uint16_t dport) {
    return send(tcp("10.0.0.1", "10.0.0.2", sport, dport, kSyn));
  };
  EXPECT_TRUE(syn(1024, 8000).forwarded());
  EXPECT_TRUE(syn(2047, 8080).forwarded());
  EXPECT_TRUE(syn(1500, 8040).forwarded());
  EXPECT_EQ(syn(1023, 8000).drop, "default_deny");
  EXPECT_EQ(syn(2048, 8000).drop, "default_deny");
  EXPECT_EQ(syn(1500, 7999).drop, "default_deny");
  EXPECT_EQ(syn(1500, 8081).drop, "default_deny");
  EXPECT_EQ(stats()["nf"]["default"]["hits"], 4);
}

TEST_F(FirewallRules, PrefixesAndProtocols) {
  make(json::parse(R"({"rules": [
    {"action": "deny", "src": "10.1.2.0/24"},
    {"action": "allow", "src": "10.1.0.0/16", "dst": "192.168.7.7", "proto": "udp"},
    {"action": "allow", "proto": 47}
  ]})"));
  EXPECT_EQ(send(udp("10.1.2.9", "192.168.7.7", 1, 2)).drop, "deny");
  EXPECT_TRUE(send(udp("10.1.3.9", "192.168.7.7", 1, 2)).forwarded());
  EXPECT_EQ(send(udp("10.1.3.9", "192.168.7.8", 1, 2)).drop, "default_deny");
  EXPECT_EQ(send(tcp("10.1.3.9", "192.168.7.7", 1, 2, kSyn)).drop, "default_deny");
  EXPECT_EQ(send(udp("10.2.3.9", "192.168.7.7", 1, 2)).drop, "default_deny");
  PacketSpec gre = udp("10.9.9.9", "10.8.8.8", 0, 0);
  gre.proto = 47;
  EXPECT_TRUE(send(gre).forwarded());
}

TEST_F(FirewallRules, InPortSelectsTheDirection) {
  make(json::parse(R"({"rules": [{"action": "allow", "in_port": 1}]})"));
  EXPECT_TRUE(send(udp("10.0.0.1", "10.0.0.2", 5, 6), 1).forwarded());
  EXPECT_EQ(send(udp("10.0.0.3", "10.0.0.4", 5, 6), 2).drop, "default_deny");
}

TEST_F(FirewallRules, IcmpTypeAndCode) {
  make(json::parse(R"({"rules": [
    {"action": "allow", "proto": "icmp", "icmp_type": 13, "icmp_code": 0},
    {"action": "deny", "proto": "icmp", "icmp_type": "13-14"},
    {"action": "allow", "proto": "icmpv6", "icmp_type": 139}
  ], "default": "allow"})"));
  EXPECT_TRUE(send(icmp("10.0.0.1", "10.0.0.2", 13, 0)).forwarded());
  EXPECT_EQ(send(icmp("10.0.0.1", "10.0.0.2", 13, 1)).drop, "deny");
  EXPECT_EQ(send(icmp("10.0.0.1", "10.0.0.2", 14)).drop, "deny");
  EXPECT_TRUE(send(icmp("10.0.0.1", "10.0.0.2", 15)).forwarded()) << "default allow";
  EXPECT_TRUE(send(v6(icmp("", "", 139), "2001:db8::1", "2001:db8::2")).forwarded());
  EXPECT_EQ(hits(2), 1u);
}

TEST_F(FirewallRules, Ipv6PrefixesOnEveryWord) {
  make(json::parse(R"({"rules": [
    {"action": "deny", "src": "2001:db8:0:0:ffff::/80"},
    {"action": "allow", "src": "2001:db8::/32", "proto": "udp", "dst_port": 53},
    {"action": "allow", "dst": "2001:db8:1::7"}
  ]})"));
  auto u6 = [&](const char* src, const char* dst, uint16_t dport) {
    return send(v6(udp("0.0.0.0", "0.0.0.0", 999, dport), src, dst));
  };
  EXPECT_EQ(u6("2001:db8::ffff:0:0:1", "2001:db8::2", 53).drop, "deny");
  EXPECT_TRUE(u6("2001:db8::fffe:0:0:1", "2001:db8::2", 53).forwarded());
  EXPECT_EQ(u6("2001:db9::1", "2001:db8::2", 53).drop, "default_deny");
  EXPECT_EQ(u6("2001:db8::1", "2001:db8::2", 54).drop, "default_deny");
  EXPECT_TRUE(u6("fe80::1", "2001:db8:1::7", 1).forwarded());
  EXPECT_EQ(u6("fe80::1", "2001:db8:1::8", 1).drop, "default_deny");
}

TEST_F(FirewallRules, RuleFamiliesDoNotLeak) {
  // An IPv4-only rule never matches IPv6 and the reverse; rules without
  // addresses match both.
  make(json::parse(R"({"rules": [
    {"action": "allow", "ip": 4, "proto": "udp"},
    {"action": "allow", "ip": 6, "proto": "tcp"},
    {"action": "allow", "proto": "sctp"}
  ]})"));
  EXPECT_TRUE(send(udp("10.0.0.1", "10.0.0.2", 1, 2)).forwarded());
  EXPECT_EQ(send(v6(udp("", "", 1, 2), "::1", "::2")).drop, "default_deny");
  EXPECT_EQ(send(tcp("10.0.0.1", "10.0.0.2", 1, 2, kSyn)).drop, "default_deny");
  EXPECT_TRUE(send(v6(tcp("", "", 1, 2, kSyn), "::1", "::2")).forwarded());
  PacketSpec sctp = udp("10.0.0.1", "10.0.0.2", 1, 2);
  sctp.proto = 132;
  EXPECT_TRUE(send(sctp).forwarded());
  EXPECT_TRUE(send(v6(sctp, "::1", "::2")).forwarded());
}

TEST_F(FirewallRules, DefaultPolicies) {
  make(json::parse(R"({"default": "allow"})"));
  EXPECT_TRUE(send(udp("10.0.0.1", "10.0.0.2", 1, 2)).forwarded());
  make(json::parse(R"({"default": "deny"})"));
  EXPECT_EQ(send(udp("10.0.0.1", "10.0.0.2", 1, 2)).drop, "default_deny");
  make(json::parse(R"({"default": "reject"})"));
  EXPECT_EQ(send(udp("10.0.0.1", "10.0.0.2", 1, 2)).gate, static_cast<int>(nf::kReply));
}

TEST_F(FirewallRules, ManyRulesKeepTheirOrder) {
  // 1000 single-port deny rules, then allow-all; each port hits its own rule.
  json rules = json::array();
  for (int p = 1; p <= 1000; ++p)
    rules.push_back({{"action", "deny"}, {"proto", "udp"}, {"dst_port", p}});
  rules.push_back({{"action", "allow"}});
  make({{"rules", rules}});
  for (uint16_t p : {1, 500, 1000}) EXPECT_EQ(send(udp("10.0.0.1", "10.0.0.2", 7, p)).drop, "deny");
  EXPECT_TRUE(send(udp("10.0.0.1", "10.0.0.2", 7, 1001)).forwarded());
  EXPECT_EQ(hits(499), 1u);
  EXPECT_EQ(hits(1000), 1u);
}

TEST_F(FirewallRules, NonIpAndNeighbourDiscovery) {
  make(json::parse(R"({})"));
  PacketSpec arp;
  arp.eth_type = 0x0806;
  EXPECT_TRUE(send(arp).forwarded());
  EXPECT_TRUE(send(v6(icmp("", "", 135), "fe80::1", "ff02::1:ff00:2")).forwarded());
  make(json::parse(R"({"non_ip": "drop", "ipv6_nd": "rules"})"));
  EXPECT_EQ(send(arp).drop, "non_ip");
  EXPECT_EQ(send(v6(icmp("", "", 135), "fe80::1", "ff02::1:ff00:2")).drop, "default_deny");
}

TEST_F(FirewallRules, StatsNameEveryRule) {
  make(json::parse(R"({"rules": [{"name": "dns", "action": "allow", "proto": "udp",
                                   "dst_port": 53}]})"));
  send(udp("10.0.0.1", "10.0.0.2", 9, 53));
  const json s = stats();
  EXPECT_EQ(s["class"], "firewall");
  EXPECT_EQ(s["packets_in"], 1);
  EXPECT_EQ(s["packets_out"]["forward"], 1);
  EXPECT_EQ(s["packets_out"]["reply"], 0);
  EXPECT_EQ(s["nf"]["rules"][0], json::parse(R"({"index": 0, "name": "dns", "action": "allow",
                                                  "hits": 1})"));
  EXPECT_EQ(s["nf"]["generation"], 1);
  EXPECT_GT(s["cycles_per_packet"].get<double>(), 0.0);
}

}  // namespace
}  // namespace sluice::test
