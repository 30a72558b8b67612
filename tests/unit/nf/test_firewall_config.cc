// The firewall's JSON configuration: what it accepts, defaults, and the
// exact error (message, errno, JSON pointer) for what it refuses. No DPDK.
#include <gtest/gtest.h>
#include <netinet/in.h>

#include "common/error.h"
#include "nf/firewall/firewall_config.h"

namespace sluice::nf {
namespace {

using nlohmann::json;

FirewallConfig parse(const char* text) {
  return parse_firewall_config(json::parse(text));
}

TEST(FirewallConfig, Defaults) {
  const FirewallConfig c = parse("{}");
  EXPECT_EQ(c.settings.default_action, FwAction::deny);
  EXPECT_FALSE(c.settings.fragments_allow);
  EXPECT_TRUE(c.settings.non_ip_allow);
  EXPECT_TRUE(c.settings.ipv6_nd_allow);
  EXPECT_FALSE(c.settings.tcp_loose);
  EXPECT_EQ(c.settings.conntrack_size, 65536u);
  EXPECT_EQ(c.settings.timeouts.tcp_established, 7440ull * 1'000'000'000);
  EXPECT_TRUE(c.rules.empty());
  EXPECT_TRUE(parse_firewall_config(json()).rules.empty());  // null = {}
}

TEST(FirewallConfig, FullRule) {
  const FirewallConfig c = parse(R"({
    "default": "reject", "fragments": "allow", "non_ip": "drop", "ipv6_nd": "rules",
    "tcp_loose": true,
    "conntrack": {"size": 1024, "timeouts": {"tcp_syn": 5, "udp": 0.5}},
    "rules": [
      {"name": "web", "action": "allow", "in_port": 3, "src": "10.1.2.3/16",
       "dst": "10.9.9.9", "proto": "tcp", "src_port": "1024-65535", "dst_port": [80, 88]},
      {"action": "reject", "proto": "icmpv6", "icmp_type": 128, "icmp_code": "0-3"},
      {"action": "deny", "proto": 47}
    ]})");
  EXPECT_EQ(c.settings.default_action, FwAction::reject);
  EXPECT_TRUE(c.settings.fragments_allow);
  EXPECT_FALSE(c.settings.non_ip_allow);
  EXPECT_FALSE(c.settings.ipv6_nd_allow);
  EXPECT_TRUE(c.settings.tcp_loose);
  EXPECT_EQ(c.settings.conntrack_size, 1024u);
  EXPECT_EQ(c.settings.timeouts.tcp_syn, 5'000'000'000ull);
  EXPECT_EQ(c.settings.timeouts.udp, 500'000'000ull);
  ASSERT_EQ(c.rules.size(), 3u);
  const FirewallRule& web = c.rules[0];
  EXPECT_EQ(web.name, "web");
  EXPECT_EQ(web.family, 4);
  EXPECT_EQ(web.in_port, 3);
  ASSERT_TRUE(web.src);
  EXPECT_EQ(web.src->len, 16);
  EXPECT_EQ(web.src->addr[2], 0) << "host bits cleared";
  EXPECT_EQ(web.dst->len, 32);
  EXPECT_EQ(web.proto, IPPROTO_TCP);
  EXPECT_EQ(web.src_port.lo, 1024);
  EXPECT_EQ(web.src_port.hi, 65535);
  EXPECT_EQ(web.dst_port.lo, 80);
  EXPECT_EQ(web.dst_port.hi, 88);
  EXPECT_EQ(c.rules[1].family, 6);
  EXPECT_EQ(c.rules[1].src_port.lo, 128);  // ICMP type in the source-port field
  EXPECT_EQ(c.rules[1].dst_port.hi, 3);
  EXPECT_EQ(c.rules[2].proto, 47);
  EXPECT_EQ(c.rules[2].family, 0);
  EXPECT_EQ(c.source["rules"][0]["name"], "web");
}

void expect_error(const char* text, const char* message, const char* path) {
  try {
    parse(text);
    ADD_FAILURE() << "accepted: " << text;
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()), message) << text;
    EXPECT_EQ(e.path(), path) << text;
    EXPECT_EQ(e.code(), EINVAL);
  }
}

TEST(FirewallConfig, RefusesWithTheOffendingField) {
  expect_error("[]", "firewall config: /: must be an object", "/");
  expect_error(R"({"policy": "deny"})", "firewall config: /policy: unknown key", "/policy");
  expect_error(R"({"default": "drop"})",
               "firewall config: /default: must be \"allow\", \"deny\" or \"reject\"", "/default");
  expect_error(R"({"rules": [{"proto": "tcp"}]})", "firewall config: /rules/0/action: is required",
               "/rules/0/action");
  expect_error(
      R"({"rules": [{"action": "allow", "src": "10.0.0.300"}]})",
      "firewall config: /rules/0/src: '10.0.0.300' is not an IPv4 or IPv6 address or prefix",
      "/rules/0/src");
  expect_error(R"({"rules": [{"action": "allow", "dst": "10.0.0.0/33"}]})",
               "firewall config: /rules/0/dst: prefix length of '10.0.0.0/33' must be 0 to 32",
               "/rules/0/dst");
  expect_error(R"({"rules": [{"action": "allow", "src": "10.0.0.0/8", "dst": "2001:db8::/32"}]})",
               "firewall config: /rules/0/dst: mixes IPv4 and IPv6 (IPv4 set before)",
               "/rules/0/dst");
  expect_error(R"({"rules": [{"action": "allow", "proto": "icmp", "src": "::1"}]})",
               "firewall config: /rules/0/proto: mixes IPv4 and IPv6 (IPv6 set before)",
               "/rules/0/proto");
  expect_error(R"({"rules": [{"action": "allow", "dst_port": 80}]})",
               "firewall config: /rules/0/dst_port: needs \"proto\" tcp, udp or sctp",
               "/rules/0/dst_port");
  expect_error(R"({"rules": [{"action": "allow", "proto": "udp", "icmp_type": 8}]})",
               "firewall config: /rules/0/icmp_type: needs \"proto\" icmp or icmpv6",
               "/rules/0/icmp_type");
  expect_error(R"({"rules": [{"action": "allow", "proto": "tcp", "dst_port": "90-80"}]})",
               "firewall config: /rules/0/dst_port: range starts above its end",
               "/rules/0/dst_port");
  expect_error(R"({"rules": [{"action": "allow", "proto": "tcp", "dst_port": "http"}]})",
               "firewall config: /rules/0/dst_port: 'http' is not a number or range 'lo-hi' "
               "within 0-65535",
               "/rules/0/dst_port");
  expect_error(R"({"rules": [{"action": "allow", "proto": "tcp", "dst_port": 70000}]})",
               "firewall config: /rules/0/dst_port: must be a whole number from 0 to 65535",
               "/rules/0/dst_port");
  expect_error(R"({"rules": [{"action": "allow", "proto": "gre"}]})",
               "firewall config: /rules/0/proto: unknown protocol 'gre' (tcp, udp, sctp, icmp, "
               "icmpv6 or 0-255)",
               "/rules/0/proto");
  expect_error(R"({"rules": [{"action": "allow", "ip": 5}]})",
               "firewall config: /rules/0/ip: must be 4 or 6", "/rules/0/ip");
  expect_error(R"({"rules": [{"action": "allow", "port": 5}]})",
               "firewall config: /rules/0/port: unknown key", "/rules/0/port");
  expect_error(R"({"conntrack": {"size": 4}})",
               "firewall config: /conntrack/size: must be at least 16", "/conntrack/size");
  expect_error(R"({"conntrack": {"timeouts": {"tcp": 5}}})",
               "firewall config: /conntrack/timeouts/tcp: unknown key", "/conntrack/timeouts/tcp");
  expect_error(R"({"conntrack": {"timeouts": {"udp": -1}}})",
               "firewall config: /conntrack/timeouts/udp: must be a number of seconds from 0 to "
               "10000000",
               "/conntrack/timeouts/udp");
  expect_error(R"({"tcp_loose": "yes"})", "firewall config: /tcp_loose: must be true or false",
               "/tcp_loose");
  expect_error(R"({"fragments": "pass"})",
               "firewall config: /fragments: must be \"allow\" or \"drop\"", "/fragments");
}

}  // namespace
}  // namespace sluice::nf
