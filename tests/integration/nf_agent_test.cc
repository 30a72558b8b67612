// The network-function endpoints over real HTTP against a forwarding
// datapath: the instance lifecycle (classes, create, list, get, reconfigure,
// delete), errors that name the field with nothing applied, reconfiguring a
// firewall under traffic, paginated connections, NF events.
#include <algorithm>
#include <nlohmann/json.hpp>

#include "common/rules/text.h"
#include "tests/integration/agent/agent_fixture.h"
#include "tests/support/packet_builder.h"

namespace sluice {
namespace {

using json = nlohmann::json;
using test::HttpClient;
using test::HttpReply;

class NfAgentTest : public test::AgentTest {
 protected:
  HttpReply post(const std::string& target, const json& body) {
    return call(verb::post, target, body.dump());
  }
  HttpReply put(const std::string& target, const json& body) {
    return call(verb::put, target, body.dump());
  }
  // Status, error code and path of an error reply, as one string.
  std::string error(const HttpReply& reply) {
    const json e = json::parse(reply.body, nullptr, false);
    if (!e.contains("error")) return std::to_string(reply.status) + " no error: " + reply.body;
    return std::to_string(reply.status) + " " + e["error"]["code"].get<std::string>() + " " +
           e["error"]["path"].get<std::string>();
  }
};

test::Bytes udp(uint16_t sport) {
  test::PacketSpec s;
  s.proto = 17;
  s.sport = sport;
  s.dport = 53;
  return test::build_packet(s);
}

TEST_F(NfAgentTest, InstanceLifecycle) {
  const json classes = get("/v1/nf-classes").json()["classes"];
  ASSERT_EQ(classes.size(), 2u);
  EXPECT_EQ(classes[0]["name"], "firewall");
  EXPECT_EQ(classes[1]["name"], "router");
  EXPECT_EQ(classes[0]["gates"], json::parse(R"(["forward","reply"])"));
  EXPECT_EQ(classes[0]["origin"], "built-in");

  HttpReply created =
      post("/v1/nfs", {{"name", "fw"}, {"class", "firewall"}, {"config", {{"default", "reject"}}}});
  ASSERT_EQ(created.status, 201u) << created.body;
  EXPECT_EQ(created.header("location"), "/v1/nfs/fw");
  EXPECT_EQ(created.json()["number"], 1);
  EXPECT_EQ(created.json()["config"]["default"], "reject");
  ASSERT_EQ(post("/v1/nfs", {{"name", "second"}, {"class", "firewall"}, {"number", 9}}).status,
            201u);
  EXPECT_EQ(get("/v1/nfs").json(), json::parse(R"({"nfs":[
      {"name":"fw","number":1,"class":"firewall"},
      {"name":"second","number":9,"class":"firewall"}]})"));

  const json one = get("/v1/nfs/fw").json();
  EXPECT_EQ(one["stats"]["packets_in"], 0);
  EXPECT_EQ(one["stats"]["drops"].size(), 9u);

  HttpReply changed = put("/v1/nfs/fw", {{"config", {{"default", "allow"}}}});
  ASSERT_EQ(changed.status, 200u) << changed.body;
  EXPECT_EQ(changed.json()["config"]["default"], "allow");
  EXPECT_EQ(get("/v1/nfs/fw").json()["config"]["default"], "allow");
  EXPECT_EQ(get("/v1/nfs/fw/stats").json()["nf"]["generation"], 2);

  EXPECT_EQ(call(verb::delete_, "/v1/nfs/fw").status, 204u);
  EXPECT_EQ(error(get("/v1/nfs/fw")), "404 not_found ");
  EXPECT_EQ(error(call(verb::delete_, "/v1/nfs/fw")), "404 not_found ");
  EXPECT_EQ(get("/v1/nfs").json()["nfs"].size(), 1u);
}

TEST_F(NfAgentTest, ErrorsNameTheFieldAndChangeNothing) {
  ASSERT_EQ(post("/v1/nfs", {{"name", "fw"}, {"class", "firewall"}}).status, 201u);
  EXPECT_EQ(error(post("/v1/nfs", {{"name", "x"}, {"class", "nat"}})), "422 invalid /class");
  EXPECT_EQ(error(post("/v1/nfs", {{"name", "x"}})), "422 invalid /class");
  EXPECT_EQ(error(post("/v1/nfs", {{"class", "firewall"}})), "422 invalid /name");
  EXPECT_EQ(error(post("/v1/nfs", {{"name", "a b"}, {"class", "firewall"}})), "422 invalid /name");
  EXPECT_EQ(error(post("/v1/nfs", {{"name", "x"}, {"class", "firewall"}, {"colour", 1}})),
            "422 invalid /colour");
  EXPECT_EQ(error(post("/v1/nfs", {{"name", "x"}, {"class", "firewall"}, {"number", 0}})),
            "422 invalid /number");
  EXPECT_EQ(error(post("/v1/nfs", {{"name", "x"}, {"class", "firewall"}, {"number", 1}})),
            "409 exists /number");
  EXPECT_EQ(error(post("/v1/nfs", {{"name", "fw"}, {"class", "firewall"}})), "409 exists /name");
  EXPECT_EQ(
      error(post("/v1/nfs", {{"name", "x"},
                             {"class", "firewall"},
                             {"config", {{"rules", {{{"action", "allow"}, {"dst_port", 80}}}}}}})),
      "422 invalid /config/rules/0/dst_port");
  EXPECT_EQ(error(call(verb::post, "/v1/nfs", "{")), "400 malformed ");
  EXPECT_EQ(get("/v1/nfs").json()["nfs"].size(), 1u);

  EXPECT_EQ(error(put("/v1/nfs/fw", {{"config", {{"default", "maybe"}}}})),
            "422 invalid /config/default");
  EXPECT_EQ(error(put("/v1/nfs/fw", {{"default", "deny"}})), "422 invalid /default");
  EXPECT_EQ(error(put("/v1/nfs/nope", {{"config", json::object()}})), "404 not_found ");
  EXPECT_EQ(get("/v1/nfs/fw/stats").json()["nf"]["generation"], 1);

  EXPECT_EQ(error(get("/v1/nfs/fw/connections?limit=0")), "422 invalid ?limit");
  EXPECT_EQ(error(get("/v1/nfs/fw/connections?cursor=x")), "422 invalid ?cursor");
  EXPECT_EQ(error(post("/v1/nf-plugins", {{"path", "/nonexistent/nf.so"}})), "422 invalid /path");
  EXPECT_EQ(error(post("/v1/nf-plugins", {{"file", "x"}})), "422 invalid /file");
  EXPECT_EQ(error(post("/v1/rules", json("priority=1,actions=nf:nope"))), "422 invalid ");
  EXPECT_EQ(error(post("/v1/rules", {{"actions", {{{"type", "nf"}, {"instance", "nope"}}}}})),
            "422 invalid /actions/0/instance");
}

TEST_F(NfAgentTest, ReconfigureUnderTrafficAndListConnectionsByPage) {
  ASSERT_EQ(
      post("/v1/nfs", {{"name", "fw"}, {"class", "firewall"}, {"config", {{"default", "allow"}}}})
          .status,
      201u);
  // Rules name the instance (nf:fw); the switch keeps its number.
  HttpReply rule = post("/v1/rules", json("priority=10,in_port=1,actions=nf:fw,output:2"));
  ASSERT_EQ(rule.status, 201u) << rule.body;
  EXPECT_EQ(get("/v1/tables/0/rules?format=text").body.find("actions=nf:1,output:2") !=
                std::string::npos,
            true);
  for (uint16_t sport = 1000; sport < 1003; ++sport) send(0, udp(sport));
  settle(3);
  EXPECT_EQ(get("/v1/nfs/fw/stats").json()["packets_out"]["forward"], 3);

  // Three tracked connections, one per page.
  std::vector<uint16_t> sports;
  std::string target = "/v1/nfs/fw/connections?limit=1";
  for (int page = 0; page < 100 && !target.empty(); ++page) {
    const json reply = get(target).json();
    ASSERT_LE(reply["connections"].size(), 1u);
    for (const json& c : reply["connections"]) {
      EXPECT_EQ(c["proto"], "udp");
      EXPECT_EQ(c["state"], "unreplied");
      sports.push_back(c["sport"].get<uint16_t>());
    }
    target = reply["next"].is_null()
                 ? ""
                 : "/v1/nfs/fw/connections?limit=1&cursor=" + reply["next"].dump();
  }
  std::sort(sports.begin(), sports.end());
  EXPECT_EQ(sports, (std::vector<uint16_t>{1000, 1001, 1002}));

  // New connections are asked of the new rules; tracked ones keep flowing.
  ASSERT_EQ(put("/v1/nfs/fw", {{"config", {{"default", "deny"}}}}).status, 200u);
  send(0, udp(2000));
  send(0, udp(1000));
  settle(5);
  const json stats = get("/v1/nfs/fw/stats").json();
  EXPECT_EQ(stats["drops"]["default_deny"], 1);
  EXPECT_EQ(stats["packets_out"]["forward"], 4);
}

TEST_F(NfAgentTest, SwitchStatsAndMetricsCarryNfCounters) {
  ASSERT_EQ(
      post("/v1/nfs", {{"name", "fw"}, {"class", "firewall"}, {"config", {{"default", "deny"}}}})
          .status,
      201u);
  datapath_->pipeline().add(parse_rule("priority=10,in_port=1,actions=nf:1,output:2"));
  send(0, udp(1000));
  send(0, udp(1001));
  settle(2);
  const json nfs = get("/v1/stats").json()["nfs"];
  ASSERT_EQ(nfs.size(), 1u);
  EXPECT_EQ(nfs[0]["name"], "fw");
  EXPECT_EQ(nfs[0]["number"], 1);
  EXPECT_EQ(nfs[0]["packets_in"], 2);
  EXPECT_EQ(nfs[0]["drops"]["default_deny"], 2);
  const std::string metrics = get("/metrics").body;
  for (const char* line : {"sluice_nf_packets_in_total{nf=\"fw\"} 2\n",
                           "sluice_nf_packets_out_total{nf=\"fw\",gate=\"forward\"} 0\n",
                           "sluice_nf_drops_total{nf=\"fw\",reason=\"default_deny\"} 2\n"})
    EXPECT_NE(metrics.find(line), std::string::npos) << line << "\n" << metrics;
}

TEST_F(NfAgentTest, EventsTellCreateReconfigureDelete) {
  std::string stream = pump([&] {
    HttpClient events(address_);
    events.write_raw("GET /v1/events HTTP/1.1\r\nHost: sluiced\r\n\r\n");
    if (!events.read_until(": connected\n\n")) return "no start: " + events.received();
    HttpClient(address_).request(verb::post, "/v1/nfs", R"({"name":"fw","class":"firewall"})");
    HttpClient(address_).request(verb::put, "/v1/nfs/fw", R"({"config":{}})");
    HttpClient(address_).request(verb::delete_, "/v1/nfs/fw");
    events.read_until("event: nf-deleted\n");
    return events.received();
  });
  const auto created =
      stream.find("event: nf-created\ndata: {\"class\":\"firewall\",\"name\":\"fw\",\"number\":1}");
  const auto reconfigured = stream.find("event: nf-reconfigured\ndata: {\"name\":\"fw\"}");
  const auto deleted = stream.find("event: nf-deleted\ndata: {\"name\":\"fw\",\"number\":1}");
  ASSERT_NE(created, std::string::npos) << stream;
  ASSERT_NE(reconfigured, std::string::npos) << stream;
  ASSERT_NE(deleted, std::string::npos) << stream;
  EXPECT_LT(created, reconfigured);
  EXPECT_LT(reconfigured, deleted);
}

}  // namespace
}  // namespace sluice
