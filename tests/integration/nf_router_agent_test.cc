// The router's endpoints over real HTTP against a forwarding datapath:
// routes added, listed in pages, deleted (one, or a batch) and replaced,
// errors that name the field with nothing applied, neighbours, and 501 for
// an instance that is not a router.
#include <nlohmann/json.hpp>

#include "tests/integration/agent/agent_fixture.h"

namespace sluice {
namespace {

using json = nlohmann::json;
using test::HttpReply;

class RouterAgentTest : public test::AgentTest {
 protected:
  void SetUp() override {
    test::AgentTest::SetUp();
    // IPv4 only: an IPv6 LPM would double the memory the test EAL needs.
    const HttpReply created = send(verb::post, "/v1/nfs", json::parse(R"({"name": "r1",
      "class": "router", "config": {"interfaces": [
        {"name": "lan", "port": 1, "mac": "02:00:00:00:01:01", "addresses": ["10.1.0.1/24"]},
        {"name": "wan", "port": 2, "mac": "02:00:00:00:02:01", "addresses": ["10.2.0.1/24"]}],
      "neighbours": [{"address": "10.2.0.9", "mac": "02:00:00:00:02:09", "interface": "wan"}]}})"));
    ASSERT_EQ(created.status, 201u) << created.body;
  }
  HttpReply send(verb method, const std::string& target, const json& body) {
    return call(method, target, body.dump());
  }
  std::string error(const HttpReply& reply) {
    const json e = json::parse(reply.body, nullptr, false);
    if (!e.contains("error")) return std::to_string(reply.status) + " no error: " + reply.body;
    return std::to_string(reply.status) + " " + e["error"]["code"].get<std::string>() + " " +
           e["error"]["path"].get<std::string>();
  }
  static json routes(std::initializer_list<const char*> prefixes) {
    json list = json::array();
    for (const char* p : prefixes) list.push_back({{"prefix", p}, {"via", "10.2.0.9"}});
    return {{"routes", list}};
  }
};

TEST_F(RouterAgentTest, RoutesAddListDeleteReplace) {
  HttpReply added = send(verb::post, "/v1/nfs/r1/routes", routes({"192.0.2.0/24", "0.0.0.0/0"}));
  ASSERT_EQ(added.status, 200u) << added.body;
  EXPECT_EQ(added.json()["generation"], 2);
  EXPECT_EQ(get("/v1/nfs/r1/routes").json(), json::parse(R"({"routes": [
    {"prefix": "0.0.0.0/0", "via": "10.2.0.9", "interface": "wan"},
    {"prefix": "192.0.2.0/24", "via": "10.2.0.9", "interface": "wan"}], "next": null})"));
  const json page = get("/v1/nfs/r1/routes?limit=1").json();
  EXPECT_EQ(page["routes"].size(), 1u);
  EXPECT_EQ(page["next"], "192.0.2.0/24");
  EXPECT_EQ(get("/v1/nfs/r1/routes?cursor=192.0.2.0/24").json()["routes"][0]["prefix"],
            "192.0.2.0/24");

  EXPECT_EQ(call(verb::delete_, "/v1/nfs/r1/routes?prefix=192.0.2.0%2F24").status, 200u);
  EXPECT_EQ(get("/v1/nfs/r1/routes").json()["routes"].size(), 1u);

  HttpReply replaced = send(verb::put, "/v1/nfs/r1/routes", routes({"198.51.100.0/24"}));
  ASSERT_EQ(replaced.status, 200u) << replaced.body;
  EXPECT_EQ(get("/v1/nfs/r1/routes").json()["routes"][0]["prefix"], "198.51.100.0/24");
  EXPECT_EQ(get("/v1/nfs/r1/stats").json()["nf"]["routes"]["static"], 1);
}

TEST_F(RouterAgentTest, ErrorsNameTheFieldAndChangeNothing) {
  ASSERT_EQ(send(verb::post, "/v1/nfs/r1/routes", routes({"192.0.2.0/24"})).status, 200u);
  EXPECT_EQ(error(send(verb::post, "/v1/nfs/r1/routes", routes({"198.51.100.0/24", "192.0.2.0/24"}))),
            "409 exists /routes/1/prefix");
  EXPECT_EQ(error(send(verb::post, "/v1/nfs/r1/routes",
                       json::parse(R"({"routes": [{"prefix": "10.9.0.0/16", "via": "10.7.0.1"}]})"))),
            "422 invalid /routes/0/via");
  EXPECT_EQ(error(send(verb::put, "/v1/nfs/r1/routes", json::parse(R"({"route": []})"))),
            "422 invalid /route");
  EXPECT_EQ(error(call(verb::delete_, "/v1/nfs/r1/routes?prefix=203.0.113.0/24")),
            "404 not_found ?prefix");
  EXPECT_EQ(error(call(verb::delete_, "/v1/nfs/r1/routes")), "422 invalid ?prefix");
  EXPECT_EQ(error(get("/v1/nfs/r1/routes?cursor=banana")), "422 invalid ?cursor");
  EXPECT_EQ(error(get("/v1/nfs/r1/routes?limit=0")), "422 invalid ?limit");
  EXPECT_EQ(error(get("/v1/nfs/nobody/routes")), "404 not_found ");
  EXPECT_EQ(get("/v1/nfs/r1/routes").json()["routes"].size(), 1u) << "nothing applied";
  EXPECT_EQ(get("/v1/nfs/r1/stats").json()["nf"]["generation"], 2);

  ASSERT_EQ(send(verb::post, "/v1/nfs", json::parse(R"({"name": "fw", "class": "firewall"})")).status,
            201u);
  EXPECT_EQ(error(get("/v1/nfs/fw/routes")), "501 not_implemented ");
}

TEST_F(RouterAgentTest, BatchDeleteRemovesEveryPrefixOrNone) {
  ASSERT_EQ(send(verb::post, "/v1/nfs/r1/routes",
                 routes({"192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24", "0.0.0.0/0"}))
                .status,
            200u);
  const json prefixes = {{"prefixes", {"192.0.2.0/24", "0.0.0.0/0", "203.0.113.0/24"}}};
  const HttpReply deleted = send(verb::post, "/v1/nfs/r1/routes/delete", prefixes);
  ASSERT_EQ(deleted.status, 200u) << deleted.body;
  EXPECT_EQ(deleted.json(), json::parse(R"({"generation": 3})")) << "one version for the batch";
  EXPECT_EQ(get("/v1/nfs/r1/routes").json(), json::parse(R"({"routes": [
    {"prefix": "198.51.100.0/24", "via": "10.2.0.9", "interface": "wan"}], "next": null})"));

  // The second prefix has no route now (the first still has): nothing is deleted.
  EXPECT_EQ(error(send(verb::post, "/v1/nfs/r1/routes/delete",
                       {{"prefixes", json::array({"198.51.100.0/24", "192.0.2.0/24"})}})),
            "404 not_found /prefixes/1");
  EXPECT_EQ(error(send(verb::post, "/v1/nfs/r1/routes/delete",
                       {{"prefixes", json::array({"198.51.100.0/24", "198.51.100.0/24"})}})),
            "404 not_found /prefixes/1");
  EXPECT_EQ(error(send(verb::post, "/v1/nfs/r1/routes/delete",
                       {{"prefixes", json::array({"198.51.100.0/24", "banana"})}})),
            "422 invalid /prefixes/1");
  EXPECT_EQ(error(send(verb::post, "/v1/nfs/r1/routes/delete", {{"prefix", "198.51.100.0/24"}})),
            "422 invalid /prefix");
  EXPECT_EQ(error(send(verb::post, "/v1/nfs/r1/routes/delete", {{"prefixes", "198.51.100.0/24"}})),
            "422 invalid /prefixes");
  EXPECT_EQ(error(call(verb::post, "/v1/nfs/r1/routes/delete", "")), "400 malformed ");
  EXPECT_EQ(get("/v1/nfs/r1/routes").json()["routes"].size(), 1u) << "nothing applied";
  EXPECT_EQ(get("/v1/nfs/r1/stats").json()["nf"]["generation"], 3);
}

// Route tables have a body limit of their own (max_routes_body: a million
// routes); every other endpoint keeps max_body. A 413 names the limit and
// its option. Both limits are small here.
TEST_F(RouterAgentTest, RouteTablesHaveTheirOwnBodyLimit) {
  AgentOptions options;
  options.listen = "127.0.0.1:0";
  options.max_body = 1024;
  options.max_routes_body = 64 << 10;
  start_agent(options);
  json many = json::array();
  for (int i = 0; i < 100; ++i)
    many.push_back({{"prefix", "10.100." + std::to_string(i) + ".0/24"}, {"via", "10.2.0.9"}});
  const std::string body = json{{"routes", many}}.dump();
  ASSERT_GT(body.size(), options.max_body);
  ASSERT_LT(body.size(), options.max_routes_body);

  const HttpReply put = call(verb::put, "/v1/nfs/r1/routes", body);
  ASSERT_EQ(put.status, 200u) << put.body;
  EXPECT_EQ(get("/v1/nfs/r1/stats").json()["nf"]["routes"]["static"], 100);
  const HttpReply other = call(verb::put, "/v1/nfs/r1", body);
  EXPECT_EQ(other.status, 413u) << other.body;
  EXPECT_EQ(other.json()["error"]["message"],
            "the request body is larger than 1024 bytes, the limit for PUT /v1/nfs/r1 (sluiced "
            "--max-body)");

  const HttpReply huge =
      call(verb::post, "/v1/nfs/r1/routes/delete", std::string((64 << 10) + 1, ' '));
  EXPECT_EQ(huge.status, 413u) << huge.body;
  EXPECT_EQ(huge.json()["error"]["message"],
            "the request body is larger than 65536 bytes, the limit for POST "
            "/v1/nfs/r1/routes/delete (sluiced --max-routes-body)");
  // A Content-Length over the limit is refused before any body arrives.
  const HttpReply declared = pump([&] {
    test::HttpClient client(address_);
    client.write_raw(
        "PUT /v1/nfs/r1/routes HTTP/1.1\r\nHost: s\r\nContent-Length: 65537\r\n\r\n{");
    return client.read_reply();
  });
  EXPECT_EQ(declared.status, 413u) << declared.body;
  EXPECT_EQ(get("/v1/nfs/r1/stats").json()["nf"]["routes"]["static"], 100) << "nothing applied";
}

TEST_F(RouterAgentTest, NeighboursListsStaticEntries) {
  const json n = get("/v1/nfs/r1/neighbours").json();
  EXPECT_EQ(n, json::parse(R"({"neighbours": [{"address": "10.2.0.9", "interface": "wan",
    "mac": "02:00:00:00:02:09", "state": "static"}], "next": null})"));
  EXPECT_EQ(error(get("/v1/nfs/r1/neighbours?cursor=x")), "422 invalid ?cursor");
}

}  // namespace
}  // namespace sluice
