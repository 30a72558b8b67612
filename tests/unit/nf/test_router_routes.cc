// Static routes through the router's commands (what /v1/nfs/{name}/routes
// uses): add, delete and replace all or nothing, listing in pages, and the
// effect on forwarding of each change; reconfiguration keeps the routes.
#include "tests/unit/nf/router_fixture.h"

namespace sluice::test {
namespace {

using nlohmann::json;

class Routes : public RouterFixture {
 protected:
  void SetUp() override {
    json c = two_interfaces();
    c["neighbours"] = json::parse(R"([
      {"address": "10.2.0.9", "mac": "02:00:00:00:02:09", "interface": "wan"}])");
    make(c);
  }
  // Where a packet from h1 to `dst` goes: the port it is sent out of, or -1
  // if the answer is an ICMP error back on lan (port 1) or nothing.
  int routed_port(const char* dst) {
    const RouterOutput r = run({build_packet(from_h1(udp("10.1.0.2", dst, 1, 2)))}, 1);
    if (r.sent.size() != 1 || r.sent[0].port == 1) return -1;
    return r.sent[0].port;
  }
  static json route(const char* prefix, const char* via) { return {{"prefix", prefix}, {"via", via}}; }
};

TEST_F(Routes, AddDeleteAndReplaceChangeForwarding) {
  EXPECT_EQ(routed_port("192.0.2.1"), -1);
  json r = command("add_routes", {{"routes", {route("192.0.2.0/24", "10.2.0.9")}}});
  EXPECT_EQ(r["generation"], 2);
  EXPECT_EQ(routed_port("192.0.2.1"), 2);
  command("delete_routes", {{"prefixes", {"192.0.2.0/24"}}});
  EXPECT_EQ(routed_port("192.0.2.1"), -1);
  command("replace_routes", {{"routes", {route("0.0.0.0/0", "10.2.0.9")}}});
  EXPECT_EQ(routed_port("192.0.2.1"), 2);
  EXPECT_EQ(routed_port("198.51.100.7"), 2);
  EXPECT_EQ(stats()["nf"]["generation"], 4);
  EXPECT_EQ(stats()["nf"]["routes"]["static"], 1);
}

TEST_F(Routes, ChangesAreAllOrNothing) {
  command("add_routes", {{"routes", {route("192.0.2.0/24", "10.2.0.9")}}});
  expect_error(
      [&] {
        command("add_routes", {{"routes", {route("198.51.100.0/24", "10.2.0.9"),
                                           route("192.0.2.0/24", "10.2.0.9")}}});
      },
      "router: /routes/1/prefix: 192.0.2.0/24 already has a route", EEXIST);
  expect_error(
      [&] { command("add_routes", {{"routes", {route("198.51.100.0/24", "10.9.9.9")}}}); },
      "router config: /routes/0/via: no interface has a network that holds 10.9.9.9 (give "
      "\"interface\")",
      EINVAL);
  expect_error([&] { command("delete_routes", {{"prefixes", {"192.0.2.0/24", "203.0.113.0/24"}}}); },
               "router: /prefixes/1: no route for 203.0.113.0/24", ENOENT);
  EXPECT_EQ(routed_port("192.0.2.1"), 2) << "still there";
  EXPECT_EQ(routed_port("198.51.100.1"), -1) << "never added";
  EXPECT_EQ(stats()["nf"]["generation"], 2);
  expect_error([&] { command("frobnicate", json::object()); },
               "router: no command 'frobnicate' (routes, add_routes, delete_routes, "
               "replace_routes, neighbours)",
               ENOTSUP);
}

TEST_F(Routes, ListedInPrefixOrderInPages) {
  json list = json::array();
  for (int i = 0; i < 25; ++i)
    list.push_back(route(("198.18." + std::to_string(i) + ".0/24").c_str(), "10.2.0.9"));
  list.push_back({{"prefix", "2001:db8:99::/48"}, {"interface", "wan"}});
  list.push_back({{"prefix", "10.200.0.0/16"},
                  {"next_hops", {{{"via", "10.2.0.9"}}, {{"via", "10.1.0.9"}}}}});
  command("replace_routes", {{"routes", list}});
  std::vector<std::string> seen;
  json cursor = nullptr;
  int pages = 0;
  do {
    const json page = command("routes", {{"cursor", cursor}, {"limit", 10}});
    for (const json& r : page["routes"]) seen.push_back(r["prefix"]);
    cursor = page["next"];
    ++pages;
  } while (!cursor.is_null());
  EXPECT_EQ(pages, 3);
  ASSERT_EQ(seen.size(), 27u);
  EXPECT_EQ(seen[0], "10.200.0.0/16");
  EXPECT_EQ(seen[1], "198.18.0.0/24");
  EXPECT_EQ(seen[2], "198.18.1.0/24");
  EXPECT_EQ(seen[26], "2001:db8:99::/48") << "IPv6 after IPv4";
  const json first = command("routes", {{"limit", 1}})["routes"][0];
  EXPECT_EQ(first, json::parse(R"({"prefix": "10.200.0.0/16", "next_hops": [
    {"interface": "wan", "via": "10.2.0.9"}, {"interface": "lan", "via": "10.1.0.9"}]})"));
}

TEST_F(Routes, ReconfigureKeepsRoutesUnlessGiven) {
  command("add_routes", {{"routes", {route("192.0.2.0/24", "10.2.0.9")}}});
  json c = router->config();
  c.erase("routes");
  router->reconfigure(c);
  EXPECT_EQ(routed_port("192.0.2.1"), 2);
  c["routes"] = json::array();
  router->reconfigure(c);
  EXPECT_EQ(routed_port("192.0.2.1"), -1);
  // Removing the interface a route uses is refused.
  command("add_routes", {{"routes", {route("192.0.2.0/24", "10.2.0.9")}}});
  json one = router->config();
  one.erase("routes");
  one["interfaces"].erase(1);
  one["neighbours"] = json::array();
  expect_error([&] { router->reconfigure(one); },
               "router config: /routes/0/interface: no interface named 'wan'", EINVAL);
}

TEST_F(Routes, ConfigRoundTrips) {
  command("add_routes", {{"routes", {route("192.0.2.0/24", "10.2.0.9")}}});
  const json c = router->config();
  make(c);
  EXPECT_EQ(router->config(), c);
  EXPECT_EQ(routed_port("192.0.2.1"), 2);
}

}  // namespace
}  // namespace sluice::test
