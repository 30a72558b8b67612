// The router's configuration parser: every error names the offending field
// (JSON pointer) and nothing half-valid is accepted.
#include <gtest/gtest.h>

#include "nf/router/router_config.h"
#include "tests/unit/nf/firewall_fixture.h"

namespace sluice::test {
namespace {

using nlohmann::json;
using nf::parse_router_config;

json lan() {
  return json::parse(R"({"interfaces": [{"name": "lan", "port": 1, "mac": "02:00:00:00:01:01",
                                          "addresses": ["10.1.0.1/24", "2001:db8:1::1/64"]}]})");
}

void expect_config_error(const json& config, const std::string& message) {
  expect_error([&] { parse_router_config(config); }, "router config: " + message, EINVAL);
}

TEST(RouterConfig, Defaults) {
  const nf::RouterConfig c = parse_router_config(lan());
  ASSERT_EQ(c.interfaces.size(), 1u);
  EXPECT_EQ(c.interfaces[0].mtu, 1500);
  EXPECT_EQ(c.interfaces[0].vlan, 0);
  ASSERT_EQ(c.interfaces[0].addresses.size(), 2u);
  EXPECT_EQ(nf::prefix_text(c.interfaces[0].addresses[0].prefix), "10.1.0.0/24");
  EXPECT_EQ(nf::address_text(4, c.interfaces[0].addresses[0].addr), "10.1.0.1");
  EXPECT_EQ(c.neighbour.size, 4096u);
  EXPECT_EQ(c.neighbour.queue, 4u);
  EXPECT_TRUE(parse_router_config(nullptr).interfaces.empty());
}

TEST(RouterConfig, NextHopInterfaceComesFromTheConnectedNetwork) {
  json j = lan();
  j["routes"] = json::parse(R"([{"prefix": "0.0.0.0/0", "via": "10.1.0.254"},
                                {"prefix": "2001:db8:9::/48", "interface": "lan"}])");
  const nf::RouterConfig c = parse_router_config(j);
  ASSERT_EQ(c.routes.size(), 2u);
  EXPECT_EQ(c.routes[0].next_hops[0].interface, 0);
  EXPECT_TRUE(c.routes[0].next_hops[0].has_gateway);
  EXPECT_FALSE(c.routes[1].next_hops[0].has_gateway);
}

TEST(RouterConfig, ErrorsNameTheField) {
  json j = lan();
  j["colour"] = 1;
  expect_config_error(j, "/colour: unknown key");
  j = lan();
  j["interfaces"][0]["mac"] = "01:00:5e:00:00:01";
  expect_config_error(j, "/interfaces/0/mac: must be a unicast address");
  j = lan();
  j["interfaces"][0]["mac"] = "02:00:00:00:01";
  expect_config_error(j, "/interfaces/0/mac: '02:00:00:00:01' is not a MAC address like 02:00:00:00:00:01");
  j = lan();
  j["interfaces"].push_back(j["interfaces"][0]);
  expect_config_error(j, "/interfaces/1/name: 'lan' is used twice");
  j = lan();
  j["interfaces"][0]["addresses"][0] = "10.1.0.1/33";
  expect_config_error(j, "/interfaces/0/addresses/0: prefix length of '10.1.0.1/33' must be 0 to 32");
  j = lan();
  j["interfaces"][0]["mtu"] = 1000;
  expect_config_error(j, "/interfaces/0/addresses/1: IPv6 needs an MTU of at least 1280");
  j = lan();
  j["interfaces"][0]["vlan"] = 4095;
  expect_config_error(j, "/interfaces/0/vlan: must be a whole number from 1 to 4094");
  j = lan();
  j["routes"] = json::parse(R"([{"prefix": "0.0.0.0/0", "via": "192.0.2.1"}])");
  expect_config_error(j, "/routes/0/via: no interface has a network that holds 192.0.2.1 (give \"interface\")");
  j["routes"] = json::parse(R"([{"prefix": "0.0.0.0/0", "via": "2001:db8:1::9"}])");
  expect_config_error(j, "/routes/0/via: is not of the prefix's IP version");
  j["routes"] = json::parse(R"([{"prefix": "0.0.0.0/0"}])");
  expect_config_error(j, "/routes/0: needs \"via\" or \"interface\"");
  j["routes"] = json::parse(R"([{"prefix": "0.0.0.0/0", "next_hops": []}])");
  expect_config_error(j, "/routes/0/next_hops: must not be empty");
  j["routes"] = json::parse(R"([{"prefix": "0.0.0.0/0", "interface": "wan"}])");
  expect_config_error(j, "/routes/0/interface: no interface named 'wan'");
  j = lan();
  j["neighbour"] = json::parse(R"({"queue": 17})");
  expect_config_error(j, "/neighbour/queue: must be a whole number from 0 to 16");
  j["neighbour"] = json::parse(R"({"reachable_s": 60, "stale_s": 30})");
  expect_config_error(j, "/neighbour/stale_s: must not be below reachable_s");
}

}  // namespace
}  // namespace sluice::test
