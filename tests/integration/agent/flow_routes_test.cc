// The flow-table endpoints over real HTTP on loopback, against a Datapath
// forwarding between three net_ring ports (numbers 1, 2, 3).
#include <rte_cycles.h>

#include <boost/asio/post.hpp>
#include <nlohmann/json.hpp>

#include "tests/integration/agent/agent_fixture.h"

namespace sluice::test {
namespace {

using nlohmann::json;

constexpr uint64_t kMacA = 0x020000000a0a;
constexpr uint64_t kMacB = 0x020000000b0b;  // never seen: unicast to it is flooded by normal

class FlowRoutesTest : public AgentTest {
 protected:
  HttpReply post(const std::string& target, const json& body, const HttpClient::Headers& h = {}) {
    return call(verb::post, target, body.dump(), h);
  }
  // Frames the switch sent out of ports_[i] since the last call (freed).
  unsigned drain(unsigned i) {
    unsigned n = 0;
    void* object;
    while (rte_ring_dequeue(ports_[i].tx, &object) == 0) {
      rte_pktmbuf_free(static_cast<rte_mbuf*>(object));
      ++n;
    }
    return n;
  }
  void send_and_settle(unsigned port) {
    send(port, ethernet_frame(kMacB, kMacA, kExperimental));
    settle(++sent_);
  }
  json rules(const std::string& query = "") {
    HttpReply r = get("/v1/tables/0/rules" + query);
    EXPECT_EQ(r.status, 200u) << r.body;
    return r.json()["rules"];
  }
  // Rules with their counters but without the ages, which move with the clock.
  static json without_clocks(json list) {
    for (json& rule : list) {
      rule["counters"].erase("duration_s");
      rule["counters"].erase("idle_age_s");
    }
    return list;
  }
  uint64_t sent_ = 0;
};

TEST_F(FlowRoutesTest, TablesListTheDefaultTableAndGeneration) {
  HttpReply reply = get("/v1/tables");
  ASSERT_EQ(reply.status, 200u) << reply.body;
  json body = reply.json();
  const uint64_t generation = datapath_->pipeline().generation();
  EXPECT_EQ(body["generation"], generation);
  EXPECT_EQ(reply.header("etag"), "\"" + std::to_string(generation) + "\"");
  EXPECT_EQ(body["tables"], json::parse(R"([{"id":0,"rule_count":1,"miss":{"type":"drop"}}])"));
  EXPECT_EQ(body["groups"], json::array());
  EXPECT_EQ(body["meters"], json::array());
  EXPECT_EQ(body["max_tables"], kMaxTables);

  json list = rules();
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0]["priority"], 0);
  EXPECT_EQ(list[0]["actions"], json::parse(R"([{"type":"normal"}])"));
  EXPECT_EQ(list[0]["counters"]["packets"], 0);
  EXPECT_EQ(get("/v1/tables/0/rules?format=text&counters=false").body,
            "table=0,priority=0,actions=normal\n");
}

TEST_F(FlowRoutesTest, RuleAddedOverRestSteersTrafficAndDeletingItRestoresSwitching) {
  send_and_settle(0);  // normal: flooded to ports 2 and 3
  EXPECT_EQ(drain(1), 1u);
  EXPECT_EQ(drain(2), 1u);

  HttpReply added = post("/v1/rules", {{"priority", 100},
                                       {"cookie", 7},
                                       {"match", {{"in_port", 1}}},
                                       {"actions", {{{"type", "output"}, {"port", 3}}}}});
  ASSERT_EQ(added.status, 201u) << added.body;
  const uint64_t generation = datapath_->pipeline().generation();
  EXPECT_EQ(added.json(), json({{"generation", generation}, {"added", 1}}));
  EXPECT_EQ(added.header("etag"), "\"" + std::to_string(generation) + "\"");

  send_and_settle(0);
  send_and_settle(0);
  EXPECT_EQ(drain(1), 0u);
  EXPECT_EQ(drain(2), 2u);
  json list = rules("?priority=100");
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0]["counters"]["packets"], 2);
  EXPECT_EQ(list[0]["counters"]["bytes"], 128);
  EXPECT_LE(list[0]["counters"]["idle_age_s"].get<double>(),
            list[0]["counters"]["duration_s"].get<double>());

  // Port 2 is not matched by the rule: still normal switching.
  send_and_settle(1);
  EXPECT_EQ(drain(0), 1u);
  EXPECT_EQ(drain(2), 1u);

  HttpReply deleted = call(verb::delete_, "/v1/rules?table=0&match=in_port%3D1&cookie=7");
  ASSERT_EQ(deleted.status, 200u) << deleted.body;
  EXPECT_EQ(deleted.json()["removed"], 1);
  EXPECT_EQ(deleted.json()["generation"], generation + 1);
  send_and_settle(0);
  EXPECT_EQ(drain(1), 1u);
  EXPECT_EQ(drain(2), 1u);
  EXPECT_EQ(rules().size(), 1u);
}

TEST_F(FlowRoutesTest, RulesAddedAsListOrTextAndFilteredLikeOpenFlow) {
  HttpReply list = post("/v1/rules", {{"rules",
                                       {"table=0,priority=200,cookie=0x11,tcp,tp_dst=80,actions=drop",
                                        {{"priority", 150},
                                         {"cookie", 0x12},
                                         {"match", {{"eth_type", 2048}, {"ip_proto", 6}}},
                                         {"actions", {{{"type", "output"}, {"port", 2}}}}}}}});
  ASSERT_EQ(list.status, 201u) << list.body;
  EXPECT_EQ(list.json()["added"], 2);
  HttpReply text = post("/v1/rules", {{"text",
                                       "# comment\n"
                                       "table=0,priority=100,cookie=0x21,udp,actions=output:3\n"
                                       "table=1,priority=9,actions=flood\n"}});
  ASSERT_EQ(text.status, 201u) << text.body;
  EXPECT_EQ(text.json()["added"], 2);

  auto priorities = [&](const std::string& query) {
    std::vector<int> out;
    for (const json& r : rules(query)) out.push_back(r["priority"].get<int>());
    return out;
  };
  EXPECT_EQ(priorities(""), (std::vector<int>{200, 150, 100, 0}));
  EXPECT_EQ(priorities("?match=tcp"), (std::vector<int>{200, 150}));
  EXPECT_EQ(priorities("?match=tcp,tp_dst=80"), (std::vector<int>{200}));
  EXPECT_EQ(priorities("?match=ip"), (std::vector<int>{200, 150, 100}));
  EXPECT_EQ(priorities("?match=tcp&strict=true"), (std::vector<int>{150}));
  EXPECT_EQ(priorities("?cookie=0x10&cookie_mask=0xf0"), (std::vector<int>{200, 150}));
  EXPECT_EQ(priorities("?cookie=0x21"), (std::vector<int>{100}));
  EXPECT_EQ(priorities("?priority=0"), (std::vector<int>{0}));
  EXPECT_EQ(get("/v1/tables/1/rules?format=text&counters=false").body,
            "table=1,priority=9,actions=flood\n");
  const std::string line = get("/v1/tables/1/rules?format=text").body;
  EXPECT_EQ(line.rfind("n_packets=0, n_bytes=0, duration=", 0), 0u) << line;
  EXPECT_NE(line.find("s, table=1,priority=9,actions=flood\n"), std::string::npos) << line;

  json tables = get("/v1/tables").json()["tables"];
  ASSERT_EQ(tables.size(), 2u);
  EXPECT_EQ(tables[1], json::parse(R"({"id":1,"rule_count":1,"miss":{"type":"drop"}})"));

  // Non-strict delete over every table: both tcp rules; strict needs the priority.
  HttpReply strict_miss = call(verb::delete_, "/v1/rules?match=udp&strict=true");
  EXPECT_EQ(strict_miss.json()["removed"], 0);
  HttpReply strict = call(verb::delete_, "/v1/rules?match=udp&strict=true&priority=100");
  EXPECT_EQ(strict.json()["removed"], 1);
  HttpReply loose = call(verb::delete_, "/v1/rules?match=tcp");
  EXPECT_EQ(loose.json()["removed"], 2);
  EXPECT_EQ(priorities(""), (std::vector<int>{0}));
}

TEST_F(FlowRoutesTest, RejectedTransactionLeavesTheTablesByteForByteUnchanged) {
  ASSERT_EQ(post("/v1/rules", json("priority=10,in_port=2,actions=output:1")).status, 201u);
  const std::string before = get("/v1/tables/0/rules?counters=false").body;
  const json counters_before = rules();
  const uint64_t generation = datapath_->pipeline().generation();

  HttpReply bad = post("/v1/transactions",
                       {{"ops",
                         {{{"op", "add"}, {"rule", "priority=11,in_port=3,actions=output:1"}},
                          {{"op", "delete"}, {"rule", {{"match", {{"in_port", 2}}}}}},
                          {{"op", "add"},
                           {"rule", {{"match", {{"eth_type", 2048}, {"tcp_dst", 80}}},
                                     {"actions", json::array()}}}}}}});
  ASSERT_EQ(bad.status, 422u) << bad.body;
  EXPECT_EQ(bad.json()["error"]["code"], "invalid");
  EXPECT_EQ(bad.json()["error"]["path"], "/ops/2/rule/match/tcp_dst");

  // A modify that only the pipeline can reject (set_field tcp_dst on an ARP rule).
  HttpReply late = post(
      "/v1/transactions",
      {{"ops",
        {{{"op", "delete_strict"}, {"rule", {{"priority", 10}, {"match", {{"in_port", 2}}}}}},
         {{"op", "add"}, {"rule", "priority=12,arp,actions=normal"}},
         {{"op", "modify"},
          {"rule", {{"match", {{"eth_type", 2054}}},
                    {"actions", {{{"type", "set_field"}, {"field", "ip_dscp"}, {"value", 1}}}}}}}}}});
  ASSERT_EQ(late.status, 422u) << late.body;
  EXPECT_EQ(late.json()["error"]["path"].get<std::string>().rfind("/ops/2/rule", 0), 0u)
      << late.body;

  HttpReply missing_group = post(
      "/v1/transactions", {{"ops", {{{"op", "add"}, {"rule", "priority=13,actions=group:5"}}}}});
  ASSERT_EQ(missing_group.status, 422u) << missing_group.body;
  EXPECT_EQ(missing_group.json()["error"]["path"], "/ops/0/rule");

  EXPECT_EQ(get("/v1/tables/0/rules?counters=false").body, before);
  EXPECT_EQ(without_clocks(rules()), without_clocks(counters_before));
  EXPECT_EQ(datapath_->pipeline().generation(), generation);
}

TEST_F(FlowRoutesTest, TransactionsApplyInOrderWithGroupsMetersAndMisses) {
  const uint64_t generation = datapath_->pipeline().generation();
  HttpReply ok = post(
      "/v1/transactions",
      {{"generation", generation},
       {"ops",
        {{{"op", "set_group"},
          {"group", {{"id", 1}, {"type", "all"}, {"buckets", {{{"actions", {{{"type", "output"}, {"port", 2}}}}}, {{"actions", {{{"type", "output"}, {"port", 3}}}}}}}}}},
         {{"op", "set_meter"}, {"meter", {{"id", 4}, {"cir", 1000000}, {"cbs", 20000}}}},
         {{"op", "add"}, {"rule", "priority=50,in_port=1,actions=meter:4,goto_table:1"}},
         {{"op", "add"}, {"rule", "table=1,priority=5,actions=group:1"}},
         {{"op", "set_miss"}, {"table", 2}, {"miss", {{"type", "normal"}}}},
         {{"op", "modify_strict"},
          {"rule", "table=1,priority=5,actions=group:1,controller"}}}}});
  ASSERT_EQ(ok.status, 200u) << ok.body;
  EXPECT_EQ(ok.json(), json({{"generation", generation + 1}, {"added", 2}, {"modified", 0}, {"removed", 0}}));
  json tables = get("/v1/tables").json();
  EXPECT_EQ(tables["groups"][0]["id"], 1);
  EXPECT_EQ(tables["groups"][0]["buckets"].size(), 2u);
  EXPECT_EQ(tables["meters"], json::parse(R"([{"id":4,"cir":1000000,"cbs":20000,"ebs":0}])"));
  EXPECT_EQ(tables["tables"][2], json::parse(R"({"id":2,"rule_count":0,"miss":{"type":"normal"}})"));
  EXPECT_EQ(get("/v1/tables/1/rules?format=text&counters=false").body,
            "table=1,priority=5,actions=group:1,controller\n");

  // Stale generation in the body and in If-Match: 409 naming the current one.
  HttpReply stale = post("/v1/transactions", {{"generation", generation}, {"ops", json::array()}});
  ASSERT_EQ(stale.status, 409u) << stale.body;
  EXPECT_EQ(stale.json()["error"]["code"], "stale_generation");
  EXPECT_EQ(stale.json()["error"]["generation"], generation + 1);
  EXPECT_EQ(stale.json()["error"]["path"], "/generation");
  HttpReply stale_header = post("/v1/transactions", {{"ops", json::array()}},
                                {{"If-Match", "\"" + std::to_string(generation) + "\""}});
  EXPECT_EQ(stale_header.status, 409u) << stale_header.body;
  HttpReply fresh_header = post("/v1/transactions",
                                {{"ops", {{{"op", "delete_strict"}, {"rule", "table=1,priority=5"}}}}},
                                {{"If-Match", "\"" + std::to_string(generation + 1) + "\""}});
  ASSERT_EQ(fresh_header.status, 200u) << fresh_header.body;
  EXPECT_EQ(fresh_header.json()["removed"], 1);

  // A group still used by a rule cannot go.
  HttpReply in_use = post("/v1/transactions", {{"ops", {{{"op", "delete_meter"}, {"id", 4}}}}});
  EXPECT_EQ(in_use.status, 422u) << in_use.body;
  EXPECT_EQ(in_use.json()["error"]["path"], "/ops/0/id");
  HttpReply unknown = post("/v1/transactions", {{"ops", {{{"op", "replace"}}}}});
  EXPECT_EQ(unknown.status, 422u);
  EXPECT_EQ(unknown.json()["error"]["path"], "/ops/0/op");
}

TEST_F(FlowRoutesTest, PutTablesTouchesOnlyWhatChangedSoCountersSurvive) {
  ASSERT_EQ(post("/v1/rules", json("priority=100,in_port=1,actions=output:3")).status, 201u);
  ASSERT_EQ(post("/v1/rules", json("priority=90,in_port=2,actions=output:1")).status, 201u);
  send_and_settle(0);
  EXPECT_EQ(drain(2), 1u);
  const json before = rules("?priority=100")[0];
  ASSERT_EQ(before["counters"]["packets"], 1);

  json desired = {
      {"tables",
       {{{"id", 0},
         {"rules",
          {"table=0,priority=100,in_port=1,actions=output:3",                  // unchanged
           {{"priority", 90}, {"match", {{"in_port", 2}}}, {"actions", {{{"type", "output"}, {"port", 3}}}}},  // new actions
           "priority=80,in_port=3,actions=normal"}}},                          // new
        {{"id", 1}, {"miss", "controller"}}}}};
  HttpReply put = call(verb::put, "/v1/tables", desired.dump());
  ASSERT_EQ(put.status, 200u) << put.body;
  // The default normal rule goes; the priority 90 rule is modified in place.
  EXPECT_EQ(put.json()["added"], 1);
  EXPECT_EQ(put.json()["modified"], 1);
  EXPECT_EQ(put.json()["removed"], 1);
  json after = rules("?priority=100")[0];
  EXPECT_EQ(after["id"], before["id"]);
  EXPECT_EQ(after["counters"]["packets"], 1);
  EXPECT_EQ(get("/v1/tables/0/rules?format=text&counters=false").body,
            "table=0,priority=100,in_port=1,actions=output:3\n"
            "table=0,priority=90,in_port=2,actions=output:3\n"
            "table=0,priority=80,in_port=3,actions=normal\n");
  EXPECT_EQ(get("/v1/tables").json()["tables"][1]["miss"], json({{"type", "controller"}}));

  // The same again: nothing to do, same generation.
  const uint64_t generation = datapath_->pipeline().generation();
  HttpReply same = call(verb::put, "/v1/tables", desired.dump());
  ASSERT_EQ(same.status, 200u);
  EXPECT_EQ(same.json(), json({{"generation", generation}, {"added", 0}, {"modified", 0}, {"removed", 0}}));

  desired["generation"] = generation - 1;
  EXPECT_EQ(call(verb::put, "/v1/tables", desired.dump()).status, 409u);
  desired.erase("generation");
  desired["tables"][0]["rules"].push_back({{"match", {{"tcp_dst", 22}}}});
  HttpReply bad = call(verb::put, "/v1/tables", desired.dump());
  ASSERT_EQ(bad.status, 422u);
  EXPECT_EQ(bad.json()["error"]["path"], "/tables/0/rules/3/match/tcp_dst");
  desired["tables"][0]["rules"][3] = "priority=100,in_port=1,actions=drop";
  HttpReply dup = call(verb::put, "/v1/tables", desired.dump());
  EXPECT_EQ(dup.status, 422u);
  EXPECT_EQ(dup.json()["error"]["path"], "/tables/0/rules/3");
  EXPECT_EQ(datapath_->pipeline().generation(), generation);
}

TEST_F(FlowRoutesTest, TraceShowsEachTablesRuleAndTheOutputPorts) {
  ASSERT_EQ(post("/v1/transactions",
                 {{"ops",
                   {{{"op", "add"}, {"rule", "priority=100,tcp,tp_dst=80,actions=goto_table:3"}},
                    {{"op", "add"}, {"rule", "table=3,priority=7,ip,nw_dst=10.0.0.0/8,actions=output:2"}},
                    {{"op", "set_miss"}, {"table", 3}, {"miss", "drop"}}}}})
                .status,
            200u);
  HttpReply web = post("/v1/trace", {{"in_port", 1},
                                     {"eth_type", 2048},
                                     {"ipv4_dst", "10.1.2.3"},
                                     {"ip_proto", 6},
                                     {"tcp_dst", 80}});
  ASSERT_EQ(web.status, 200u) << web.body;
  json t = web.json();
  ASSERT_EQ(t["steps"].size(), 2u) << t;
  EXPECT_EQ(t["steps"][0]["table"], 0);
  EXPECT_EQ(t["steps"][0]["rule"]["priority"], 100);
  EXPECT_EQ(t["steps"][1]["table"], 3);
  EXPECT_EQ(t["steps"][1]["rule"]["priority"], 7);
  EXPECT_EQ(t["ports"], json::array({2}));
  EXPECT_EQ(t["dropped"], false);
  EXPECT_EQ(t["actions"], json::parse(R"([{"type":"output","port":2}])"));

  HttpReply other = post("/v1/trace", {{"in_port", 1}, {"eth_type", 2048}, {"ipv4_dst", "192.168.0.1"},
                                       {"ip_proto", 6}, {"tcp_dst", 80}});
  json miss = other.json();
  EXPECT_EQ(miss["steps"][1]["miss"], json({{"type", "drop"}}));
  EXPECT_EQ(miss["dropped"], true);
  EXPECT_EQ(miss["ports"], json::array());

  // Raw bytes: an L2 frame to an unknown MAC is flooded by the default rule.
  HttpReply raw = post("/v1/trace", {{"in_port", 2}, {"hex", "020000000b0b 020000000a0a 88b5 0001"}});
  ASSERT_EQ(raw.status, 200u) << raw.body;
  json r = raw.json();
  EXPECT_EQ(r["parse"], "ok");
  EXPECT_EQ(r["packet"]["eth_type"], 0x88b5);
  EXPECT_EQ(r["steps"][0]["rule"]["priority"], 0);
  EXPECT_EQ(r["ports"], json::array({1, 3}));
  EXPECT_EQ(drain(0) + drain(1) + drain(2), 0u);  // nothing sent

  EXPECT_EQ(post("/v1/trace", {{"in_port", 1}, {"hex", "0200"}}).json()["error"]["path"], "/hex");
  EXPECT_EQ(post("/v1/trace", {{"in_port", 1}, {"tcp_dts", 80}}).json()["error"]["path"], "/tcp_dts");
  EXPECT_EQ(post("/v1/trace", {{"eth_type", 1}}).json()["error"]["path"], "/in_port");
}

TEST_F(FlowRoutesTest, FlowRemovedEventsOnIdleTimeoutAndDelete) {
  ASSERT_EQ(post("/v1/rules", json("priority=60,cookie=0x42,idle_timeout=1,in_port=3,actions=drop"))
                .status,
            201u);
  ASSERT_EQ(post("/v1/rules", json("priority=61,cookie=0x43,in_port=2,actions=drop")).status, 201u);
  std::string stream = pump([&] {
    HttpClient events(address_);
    events.write_raw("GET /v1/events HTTP/1.1\r\nHost: sluiced\r\n\r\n");
    if (!events.read_until(": connected\n\n")) return "no start: " + events.received();
    boost::asio::post(io_, [&] {
      // What sluiced's main loop does once a second, two seconds later.
      datapath_->pipeline().expire(rte_get_tsc_cycles() + 2 * rte_get_tsc_hz());
      agent_->publish_datapath_events();
    });
    events.read_until("\"reason\":\"idle_timeout\"");
    HttpClient(address_).request(verb::delete_, "/v1/rules?match=in_port%3D2");
    events.read_until("\"reason\":\"delete\"");
    return events.received();
  });
  const auto idle = stream.find("event: flow-removed\ndata: {");
  ASSERT_NE(idle, std::string::npos) << stream;
  EXPECT_NE(stream.find("\"cookie\":66", idle), std::string::npos) << stream;
  EXPECT_NE(stream.find("\"idle_timeout\":1", idle), std::string::npos);
  EXPECT_NE(stream.find("\"match\":{\"in_port\":3}", idle), std::string::npos);
  EXPECT_NE(stream.find("\"reason\":\"idle_timeout\"", idle), std::string::npos);
  EXPECT_NE(stream.find("\"packets\":0"), std::string::npos);
  const auto deleted = stream.find("\"reason\":\"delete\"");
  ASSERT_NE(deleted, std::string::npos) << stream;
  EXPECT_NE(stream.rfind("\"cookie\":67", deleted), std::string::npos);
  EXPECT_EQ(agent_->publish_datapath_events(), 0u);  // drained
  EXPECT_EQ(rules().size(), 1u);
}

TEST_F(FlowRoutesTest, ErrorsNameTheProblem) {
  HttpReply malformed = call(verb::post, "/v1/rules", "{\"priority\":");
  EXPECT_EQ(malformed.status, 400u);
  EXPECT_EQ(malformed.json()["error"]["code"], "malformed");
  EXPECT_EQ(get("/v1/tables/99/rules").status, 404u);
  EXPECT_EQ(get("/v1/tables/x/rules").json()["error"]["code"], "not_found");
  EXPECT_EQ(get("/v1/tables/32/rules").status, 404u);

  HttpReply big = call(verb::post, "/v1/rules",
                       R"({"text":")" + std::string(AgentOptions{}.max_body + 1, '#') + R"("})");
  EXPECT_EQ(big.status, 413u);

  HttpReply invalid = post("/v1/rules", {{"rules",
                                          {"priority=1,actions=drop",
                                           {{"match", {{"eth_type", 2048}, {"tcp_dst", 80}}}}}}});
  ASSERT_EQ(invalid.status, 422u);
  EXPECT_EQ(invalid.json()["error"]["path"], "/rules/1/match/tcp_dst");
  EXPECT_NE(invalid.json()["error"]["message"].get<std::string>().find("ip_proto=6"),
            std::string::npos);
  EXPECT_EQ(post("/v1/rules", {{"priority", 1}, {"colour", 1}}).json()["error"]["path"], "/colour");
  EXPECT_EQ(post("/v1/rules", {{"text", "priority=1,tp_dst=80"}}).json()["error"]["path"], "/text");
  EXPECT_EQ(get("/v1/tables/0/rules?match=tp_dst=80").json()["error"]["path"], "?match");
  EXPECT_EQ(get("/v1/tables/0/rules?cookie=x").json()["error"]["path"], "?cookie");
  EXPECT_EQ(get("/v1/tables/0/rules?prio=1").json()["error"]["path"], "?prio");
  EXPECT_EQ(call(verb::delete_, "/v1/rules?table=40").json()["error"]["path"], "?table");
  HttpReply delete_actions =
      post("/v1/transactions", {{"ops", {{{"op", "delete"}, {"rule", {{"actions", json::array()}}}}}}});
  EXPECT_EQ(delete_actions.json()["error"]["path"], "/ops/0/rule/actions");
  HttpReply miss = post("/v1/transactions",
                        {{"ops", {{{"op", "set_miss"}, {"table", 3}, {"miss", {{"type", "goto_table"}, {"table", 2}}}}}}});
  EXPECT_EQ(miss.json()["error"]["path"], "/ops/0/miss/table");
  EXPECT_EQ(rules().size(), 1u);
}

TEST_F(FlowRoutesTest, PacketOutSendsTheFrameUnchangedOutOfThePort) {
  const std::string hex = "020000000b0b020000000a0a88b5c0ffee";
  HttpReply out = post("/v1/packet-out", {{"port", 2}, {"hex", hex}});
  ASSERT_EQ(out.status, 200u) << out.body;
  EXPECT_EQ(out.json(), json({{"port", 2}, {"bytes", 17}}));

  rte_mbuf* m = nullptr;
  for (int i = 0; i < 1000 && rte_ring_dequeue(ports_[1].tx, reinterpret_cast<void**>(&m)) != 0;
       ++i) {
    rte_delay_ms(1);
  }
  ASSERT_NE(m, nullptr) << "packet-out never left port 2";
  EXPECT_EQ(rte_pktmbuf_pkt_len(m), 17u);
  EXPECT_EQ(rte_pktmbuf_mtod_offset(m, const uint8_t*, 14)[0], 0xc0);
  rte_pktmbuf_free(m);
  EXPECT_EQ(drain(0) + drain(2), 0u);

  EXPECT_EQ(post("/v1/packet-out", {{"port", 9}, {"hex", hex}}).status, 404u);
  EXPECT_EQ(post("/v1/packet-out", {{"port", 2}, {"hex", "zz"}}).json()["error"]["path"], "/hex");
  EXPECT_EQ(post("/v1/packet-out", {{"port", 2}}).json()["error"]["path"], "/hex");
  EXPECT_EQ(post("/v1/packet-out", {{"port", 2}, {"hex", hex}, {"via", 1}}).json()["error"]["path"],
            "/via");
  EXPECT_EQ(drain(1), 0u);
}

TEST_F(FlowRoutesTest, TableMissToControllerArrivesAsPacketIn) {
  ASSERT_EQ(post("/v1/transactions",
                 {{"ops",
                   {{{"op", "delete"}, {"rule", {{"match", json::object()}}}},
                    {{"op", "set_miss"}, {"table", 0}, {"miss", "controller"}}}}})
                .status,
            200u);
  std::string stream = pump([&] {
    HttpClient events(address_);
    events.write_raw("GET /v1/events HTTP/1.1\r\nHost: sluiced\r\n\r\n");
    if (!events.read_until(": connected\n\n")) return "no start: " + events.received();
    boost::asio::post(io_, [&] {
      agent_->publish_datapath_events();  // the ports' first port-status
      send(2, ethernet_frame(kMacB, kMacA, kExperimental));
      settle(++sent_);
      for (int i = 0; i < 1000 && agent_->publish_datapath_events() == 0; ++i) rte_delay_ms(1);
    });
    events.read_until("event: packet-in\n");
    events.read_until("}\n\n");
    return events.received();
  });
  const auto at = stream.find("event: packet-in\ndata: {");
  ASSERT_NE(at, std::string::npos) << stream;
  EXPECT_NE(stream.find("\"in_port\":3", at), std::string::npos) << stream;
  EXPECT_NE(stream.find("\"table\":0", at), std::string::npos) << stream;
  EXPECT_NE(stream.find("\"hex\":\"020000000b0b020000000a0a88b5", at), std::string::npos) << stream;
  EXPECT_EQ(drain(0) + drain(1) + drain(2), 0u);  // punted, not forwarded
}

TEST_F(FlowRoutesTest, StatsReportFlowTables) {
  send_and_settle(0);
  json flows = get("/v1/stats").json()["flows"];
  EXPECT_EQ(flows["rules"], 1);
  EXPECT_EQ(flows["generation"], datapath_->pipeline().generation());
  EXPECT_EQ(flows["packets"], 1);
  EXPECT_EQ(flows["emc_hits"].get<uint64_t>() + flows["emc_misses"].get<uint64_t>(), 1u);
}

}  // namespace
}  // namespace sluice::test
