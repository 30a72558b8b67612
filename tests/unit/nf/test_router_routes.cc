// Static routes through the router's commands (what /v1/nfs/{name}/routes
// uses): add, delete and replace all or nothing, listing in pages, and the
// effect on forwarding of each change; reconfiguration keeps the routes.
// IPv4 adds and deletes change the route table in place (the stats count
// tables built and changes made in place), also in a table of 100 000
// routes; a static route equal to a connected or local prefix never
// overrides it; a deleted prefix falls back to the covering one; IPv6
// changes, an add the table has no room for, and a router without an RCU
// domain build a new table.
#include <cstdio>
#include <string>

#include "tests/unit/nf/router_fixture.h"

namespace sluice::test {
namespace {

using nlohmann::json;

class Routes : public RouterFixture {
 protected:
  void SetUp() override {
    json c = two_interfaces();
    c["neighbours"] = json::parse(R"([
      {"address": "10.2.0.9", "mac": "02:00:00:00:02:09", "interface": "wan"},
      {"address": "10.1.0.9", "mac": "02:00:00:00:01:09", "interface": "lan"},
      {"address": "10.2.0.2", "mac": "02:00:00:00:02:02", "interface": "wan"},
      {"address": "10.2.0.130", "mac": "02:00:00:00:02:82", "interface": "wan"}])");
    make(c);
  }
  // Where a packet from h1 to `dst` goes: "lan:09" / "wan:82" (out of that
  // interface to the MAC ending so), "unreachable" (the ICMP error back to
  // h1), or the reason it was dropped.
  std::string fate(const char* dst) {
    const RouterOutput r = run({build_packet(from_h1(udp("10.1.0.2", dst, 1, 2)))}, 1);
    if (r.sent.size() == 1 && r.drops.empty()) {
      const Sent& s = r.sent[0];
      if (s.port == 1 && mac_of(s.bytes, 0) == kH1Mac) return "unreachable";
      char text[16];
      std::snprintf(text, sizeof text, "%s:%02x", s.port == 1 ? "lan" : "wan", s.bytes[5]);
      return text;
    }
    if (r.sent.empty() && r.drops.size() == 1 && r.drops.begin()->second == 1)
      return r.drops.begin()->first;
    return "?";
  }
  json routes_stats() { return stats()["nf"]["routes"]; }
  // Where a packet from h1 to `dst` goes: the port it is sent out of, or -1
  // if the answer is an ICMP error back on lan (port 1) or nothing.
  int routed_port(const char* dst) {
    const RouterOutput r = run({build_packet(from_h1(udp("10.1.0.2", dst, 1, 2)))}, 1);
    if (r.sent.size() != 1 || r.sent[0].port == 1) return -1;
    return r.sent[0].port;
  }
  static json route(const char* prefix, const char* via) {
    return {{"prefix", prefix}, {"via", via}};
  }
};

TEST_F(Routes, AddDeleteAndReplaceChangeForwarding) {
  EXPECT_EQ(routed_port("192.0.2.1"), -1);
  json r = command("add_routes", {{"routes", {route("192.0.2.0/24", "10.2.0.9")}}});
  EXPECT_EQ(r["generation"], 2);
  EXPECT_EQ(routed_port("192.0.2.1"), 2);
  EXPECT_EQ(routes_stats()["tables_built"], 1) << "added in place";
  EXPECT_EQ(routes_stats()["changed_in_place"], 1);
  command("delete_routes", {{"prefixes", {"192.0.2.0/24"}}});
  EXPECT_EQ(routed_port("192.0.2.1"), -1);
  EXPECT_EQ(routes_stats()["changed_in_place"], 2);
  command("replace_routes", {{"routes", {route("0.0.0.0/0", "10.2.0.9")}}});
  EXPECT_EQ(routed_port("192.0.2.1"), 2);
  EXPECT_EQ(routed_port("198.51.100.7"), 2);
  EXPECT_EQ(routes_stats()["tables_built"], 1) << "replaced in place";
  EXPECT_EQ(routes_stats()["changed_in_place"], 3);
  command("delete_routes", {{"prefixes", {"0.0.0.0/0"}}});
  EXPECT_EQ(fate("198.51.100.7"), "unreachable");
  command("add_routes", {{"routes", {route("0.0.0.0/0", "10.1.0.9")}}});
  EXPECT_EQ(fate("198.51.100.7"), "lan:09") << "a default route in place";
  EXPECT_EQ(stats()["nf"]["generation"], 6);
  EXPECT_EQ(routes_stats()["static"], 1);
  EXPECT_EQ(routes_stats()["tables_built"], 1);
  EXPECT_EQ(routes_stats()["changed_in_place"], 5);
}

TEST_F(Routes, AnEmptyBatchChangesNothing) {
  EXPECT_EQ(command("add_routes", {{"routes", json::array()}})["generation"], 1);
  EXPECT_EQ(command("delete_routes", {{"prefixes", json::array()}})["generation"], 1);
  EXPECT_EQ(routes_stats()["changed_in_place"], 0);
}

// replace_routes touches only the routes that differ: one kept, one whose
// next hop changes, one gone, one new, in one change.
TEST_F(Routes, ReplaceChangesOnlyWhatDiffers) {
  command("add_routes", {{"routes",
                          {route("192.0.2.0/24", "10.2.0.9"), route("198.51.100.0/24", "10.2.0.9"),
                           route("203.0.113.0/24", "10.2.0.9")}}});
  command("replace_routes", {{"routes",
                              {route("192.0.2.0/24", "10.2.0.9"),
                               route("198.51.100.0/24", "10.1.0.9"),
                               route("100.64.0.0/16", "10.1.0.9")}}});
  EXPECT_EQ(fate("192.0.2.1"), "wan:09") << "kept";
  EXPECT_EQ(fate("198.51.100.1"), "lan:09") << "changed";
  EXPECT_EQ(fate("203.0.113.1"), "unreachable") << "gone";
  EXPECT_EQ(fate("100.64.3.4"), "lan:09") << "new";
  EXPECT_EQ(routes_stats()["static"], 3);
  EXPECT_EQ(routes_stats()["tables_built"], 1);
  EXPECT_EQ(routes_stats()["changed_in_place"], 2);
  EXPECT_EQ(routes_stats()["ipv4_prefixes"], 3 + 4) << "3 static, 2 connected, 2 local";
}

TEST_F(Routes, ChangesAreAllOrNothing) {
  command("add_routes", {{"routes", {route("192.0.2.0/24", "10.2.0.9")}}});
  expect_error(
      [&] {
        command("add_routes",
                {{"routes",
                  {route("198.51.100.0/24", "10.2.0.9"), route("192.0.2.0/24", "10.2.0.9")}}});
      },
      "router: /routes/1/prefix: 192.0.2.0/24 already has a route", EEXIST);
  expect_error(
      [&] {
        command("add_routes", {{"routes", {route("198.51.100.0/24", "10.9.9.9")}}});
      },
      "router config: /routes/0/via: no interface has a network that holds 10.9.9.9 (give "
      "\"interface\")",
      EINVAL);
  expect_error(
      [&] {
        command("delete_routes", {{"prefixes", {"192.0.2.0/24", "203.0.113.0/24"}}});
      },
      "router: /prefixes/1: no route for 203.0.113.0/24", ENOENT);
  expect_error(
      [&] {
        command("delete_routes", {{"prefixes", {"192.0.2.0/24", "192.0.2.0/24"}}});
      },
      "router: /prefixes/1: no route for 192.0.2.0/24", ENOENT);
  EXPECT_EQ(routed_port("192.0.2.1"), 2) << "still there";
  EXPECT_EQ(routed_port("198.51.100.1"), -1) << "never added";
  EXPECT_EQ(stats()["nf"]["generation"], 2);
  EXPECT_EQ(routes_stats()["changed_in_place"], 1);
  EXPECT_EQ(routes_stats()["tables_built"], 1);
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
  list.push_back(
      {{"prefix", "10.200.0.0/16"}, {"next_hops", {{{"via", "10.2.0.9"}}, {{"via", "10.1.0.9"}}}}});
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

TEST_F(Routes, StaticRoutesEqualToConnectedOrLocalOnesWaitBeneathThem) {
  EXPECT_EQ(routes_stats()["ipv4_prefixes"], 4) << "2 connected, 2 local";
  command("add_routes", {{"routes",
                          {route("10.2.0.0/24", "10.1.0.9"), route("10.2.0.1/32", "10.1.0.9"),
                           route("10.2.0.128/25", "10.1.0.9")}}});
  EXPECT_EQ(fate("10.2.0.2"), "wan:02") << "connected beats static";
  EXPECT_EQ(fate("10.2.0.1"), "local") << "local beats static";
  EXPECT_EQ(fate("10.2.0.130"), "lan:09") << "a longer static prefix wins";
  EXPECT_EQ(routes_stats()["ipv4_prefixes"], 7);
  command("delete_routes", {{"prefixes", {"10.2.0.128/25"}}});
  EXPECT_EQ(fate("10.2.0.130"), "wan:82") << "back to the connected network";
  command("delete_routes", {{"prefixes", {"10.2.0.0/24", "10.2.0.1/32"}}});
  EXPECT_EQ(fate("10.2.0.2"), "wan:02") << "deleting the static route keeps the connected one";
  EXPECT_EQ(fate("10.2.0.1"), "local");
  EXPECT_EQ(routes_stats()["ipv4_prefixes"], 4);
  EXPECT_EQ(routes_stats()["changed_in_place"], 3);
  EXPECT_EQ(routes_stats()["tables_built"], 1);
}

TEST_F(Routes, ADeletedPrefixFallsBackToTheCoveringOne) {
  command("add_routes",
          {{"routes",
            {route("198.51.0.0/16", "10.2.0.9"), route("198.51.100.0/24", "10.1.0.9"),
             route("198.51.100.128/26", "10.2.0.9"), route("198.51.100.128/28", "10.1.0.9"),
             route("0.0.0.0/0", "10.1.0.9")}}});
  EXPECT_EQ(fate("198.51.100.130"), "lan:09") << "/28";
  command("delete_routes", {{"prefixes", {"198.51.100.128/28"}}});
  EXPECT_EQ(fate("198.51.100.130"), "wan:09") << "/26";
  command("delete_routes", {{"prefixes", {"198.51.100.128/26"}}});
  EXPECT_EQ(fate("198.51.100.130"), "lan:09") << "/24";
  command("delete_routes", {{"prefixes", {"198.51.100.0/24"}}});
  EXPECT_EQ(fate("198.51.100.130"), "wan:09") << "/16";
  command("delete_routes", {{"prefixes", {"198.51.0.0/16"}}});
  EXPECT_EQ(fate("198.51.100.130"), "lan:09") << "/0";
  command("delete_routes", {{"prefixes", {"0.0.0.0/0"}}});
  EXPECT_EQ(fate("198.51.100.130"), "unreachable");
  EXPECT_EQ(routes_stats()["tables_built"], 1);
  EXPECT_EQ(routes_stats()["changed_in_place"], 6);
}

TEST_F(Routes, OneRouteAddedToATableOf100000IsAddedInPlace) {
  // 12 500 prefixes of each length /24 ... /17, via the two gateways in
  // turn, one after the other from 20.0.0.0 (the /24s first).
  auto text = [](uint32_t a) {
    return std::to_string(a >> 24) + "." + std::to_string((a >> 16) & 255) + "." +
           std::to_string((a >> 8) & 255) + "." + std::to_string(a & 255);
  };
  json list = json::array();
  uint32_t next = 20u << 24;
  for (unsigned len = 24; len >= 17; --len) {
    const uint32_t size = 1u << (32 - len);
    next = (next + size - 1) & ~(size - 1);
    for (uint32_t i = 0; i < 12'500; ++i, next += size)
      list.push_back(route((text(next) + "/" + std::to_string(len)).c_str(),
                           list.size() % 2 ? "10.1.0.9" : "10.2.0.9"));
  }
  command("replace_routes", {{"routes", list}});
  json before = routes_stats();
  EXPECT_EQ(before["static"], 100'000);
  EXPECT_EQ(before["ipv4_prefixes"], 100'004);
  EXPECT_EQ(before["tables_built"], 2);
  EXPECT_EQ(fate("20.1.0.1"), "wan:09");
  EXPECT_EQ(fate(text(next - 1).c_str()), "lan:09") << "the last one";

  command("add_routes", {{"routes", {route("20.1.0.77/32", "10.1.0.9")}}});
  EXPECT_EQ(fate("20.1.0.77"), "lan:09");
  EXPECT_EQ(fate("20.1.0.78"), "wan:09");
  command("delete_routes", {{"prefixes", {"20.1.0.0/24"}}});
  EXPECT_EQ(fate("20.1.0.78"), "unreachable");
  EXPECT_EQ(fate("20.1.0.77"), "lan:09");
  const json after = routes_stats();
  EXPECT_EQ(after["tables_built"], 2) << "no table was built";
  EXPECT_EQ(after["changed_in_place"], 2);
  EXPECT_EQ(after["next_hop_groups"], before["next_hop_groups"]) << "both next hops had groups";
  EXPECT_EQ(after["ipv4_prefixes"], 100'004);
}

TEST_F(Routes, AnAddTheTableHasNoRoomForBuildsANewOne) {
  // The table has room for 1024 more rules; 1100 /24s do not fit.
  json list = json::array();
  for (int i = 0; i < 1100; ++i)
    list.push_back(route(
        ("198." + std::to_string(18 + i / 256) + "." + std::to_string(i % 256) + ".0/24").c_str(),
        "10.2.0.9"));
  command("add_routes", {{"routes", list}});
  EXPECT_EQ(routes_stats()["tables_built"], 2);
  EXPECT_EQ(routes_stats()["changed_in_place"], 0);
  EXPECT_EQ(fate("198.18.0.1"), "wan:09");
  EXPECT_EQ(fate("198.22.75.1"), "wan:09") << "the last one";
  // The new table has room again.
  command("add_routes", {{"routes", {route("198.51.100.0/24", "10.1.0.9")}}});
  EXPECT_EQ(fate("198.51.100.1"), "lan:09");
  EXPECT_EQ(routes_stats()["tables_built"], 2);
  EXPECT_EQ(routes_stats()["changed_in_place"], 1);
}

TEST_F(Routes, Ipv6ChangesAreInPlaceToo) {
  command("add_routes", {{"routes", {{{"prefix", "2001:db8:99::/48"}, {"interface", "wan"}}}}});
  command("add_routes", {{"routes",
                          {route("192.0.2.0/24", "10.2.0.9"),
                           {{"prefix", "2001:db8:98::/48"}, {"interface", "wan"}}}}});
  EXPECT_EQ(fate("192.0.2.1"), "wan:09");
  command("delete_routes", {{"prefixes", {"192.0.2.0/24", "2001:db8:99::/48"}}});
  EXPECT_EQ(fate("192.0.2.1"), "unreachable");
  EXPECT_EQ(routes_stats()["tables_built"], 1);
  EXPECT_EQ(routes_stats()["changed_in_place"], 3);
  EXPECT_EQ(routes_stats()["ipv6_prefixes"], 5) << "2 connected, 2 local, 1 static";
}

TEST_F(Routes, WithoutAnRcuDomainEveryChangeBuildsANewTable) {
  make(router->config(), 1, false);
  command("add_routes", {{"routes", {route("192.0.2.0/24", "10.2.0.9")}}});
  EXPECT_EQ(fate("192.0.2.1"), "wan:09");
  command("delete_routes", {{"prefixes", {"192.0.2.0/24"}}});
  EXPECT_EQ(fate("192.0.2.1"), "unreachable");
  EXPECT_EQ(routes_stats()["tables_built"], 3);
  EXPECT_EQ(routes_stats()["changed_in_place"], 0);
}

}  // namespace
}  // namespace sluice::test
