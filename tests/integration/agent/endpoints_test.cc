// The agent's endpoints over real HTTP on loopback: what each returns.
#include <nlohmann/json.hpp>

#include "tests/integration/agent/agent_fixture.h"

namespace sluice::test {
namespace {

using nlohmann::json;

constexpr uint64_t kMacA = 0x020000000a0a;
constexpr uint64_t kMacB = 0x020000000b0b;

TEST_F(AgentTest, SwitchDescribesItself) {
  HttpReply reply = get("/v1/switch");
  ASSERT_EQ(reply.status, 200u) << reply.error;
  EXPECT_EQ(reply.header("content-type"), "application/json");
  json body = reply.json();
  EXPECT_EQ(body["version"], SLUICE_VERSION);
  char dpid[17];
  std::snprintf(dpid, sizeof(dpid), "%016llx",
                static_cast<unsigned long long>(agent_->datapath_id()));
  EXPECT_EQ(body["datapath_id"], dpid);
  EXPECT_NE(agent_->datapath_id(), 0u);
  EXPECT_LT(agent_->datapath_id(), uint64_t{1} << 48);  // a MAC address
  EXPECT_EQ(body["workers"], 1);
  EXPECT_EQ(body["ports"], 3);
  EXPECT_GE(body["uptime_s"].get<double>(), 0.0);
  EXPECT_NE(std::find(body["capabilities"].begin(), body["capabilities"].end(), "events"),
            body["capabilities"].end());
  agent_->add_capability("flow-tables");
  EXPECT_EQ(get("/v1/switch").json()["capabilities"].back(), "flow-tables");
}

TEST_F(AgentTest, DatapathIdComesFromTheFirstPortsMacOrTheHost) {
  // net_ring ports have no MAC (all zero): the id is hashed from the host name,
  // a unicast, locally administered 48-bit value, the same every time.
  const uint64_t from_host = agent_->datapath_id();
  EXPECT_EQ(from_host >> 40 & 0x03, 0x02u);
  AgentOptions options;
  options.listen = "127.0.0.1:0";
  start_agent(options);
  EXPECT_EQ(agent_->datapath_id(), from_host);

  // A net_null port has a MAC: made the lowest-numbered port, it names the switch.
  agent_.reset();
  for (const auto& port : ports_) datapath_->remove_port(port.name);
  datapath_->add_port(parse_port_spec("null"));
  start_agent(options);
  std::string mac = datapath_->find_port("null")->mac();
  mac.erase(std::remove(mac.begin(), mac.end(), ':'), mac.end());
  ASSERT_EQ(mac.size(), 12u);
  EXPECT_EQ(agent_->datapath_id(), std::stoull(mac, nullptr, 16));
  EXPECT_NE(agent_->datapath_id(), 0u);

  options.datapath_id = 0xabcdef;
  start_agent(options);
  EXPECT_EQ(get("/v1/switch").json()["datapath_id"], "0000000000abcdef");
}

TEST_F(AgentTest, PortsListAndOnePortWithCounters) {
  send(0, ethernet_frame(kMacB, kMacA, kExperimental));
  settle(1);
  HttpReply list = get("/v1/ports");
  ASSERT_EQ(list.status, 200u);
  json ports = list.json()["ports"];
  ASSERT_EQ(ports.size(), 3u);
  EXPECT_EQ(ports[0]["name"], ports_[0].name);
  EXPECT_EQ(ports[0]["number"], 1);
  EXPECT_EQ(ports[2]["number"], 3);

  HttpReply one = get("/v1/ports/" + ports_[0].name);
  ASSERT_EQ(one.status, 200u);
  json port = one.json();
  EXPECT_EQ(port["driver"], "net_ring");
  EXPECT_EQ(port["counters"]["rx_packets"], 1);
  EXPECT_EQ(port["counters"]["rx_bytes"], 64);
  EXPECT_EQ(port["counters"]["tx_packets"], 0);
  EXPECT_EQ(port["counters"]["dropped"], 0);
  EXPECT_EQ(port["drops"]["runt"], 0);
  EXPECT_EQ(port["drops"].size(), kDropReasons);
  EXPECT_EQ(port["link"]["up"], true);
  EXPECT_EQ(port["spec"]["text"], ports_[0].ethdev);
  EXPECT_EQ(port["spec"]["kind"], "devargs");
  EXPECT_EQ(port["rx_queues"], 1);
  EXPECT_EQ(get("/v1/ports/" + ports_[1].name).json()["counters"]["tx_packets"], 1);
}

TEST_F(AgentTest, AddAndRemoveAPortWhileForwarding) {
  HttpReply added = call(verb::post, "/v1/ports", R"({"spec":"ring:new)" + suffix_ + R"("})");
  ASSERT_EQ(added.status, 201u) << added.body;
  json port = added.json();
  EXPECT_EQ(port["name"], "new" + suffix_);
  EXPECT_EQ(port["number"], 4);
  EXPECT_EQ(port["spec"]["kind"], "ring");
  EXPECT_EQ(port["warnings"], json::array());
  EXPECT_EQ(added.header("location"), "/v1/ports/new" + suffix_);
  EXPECT_NE(datapath_->find_port("new" + suffix_), nullptr);
  EXPECT_EQ(get("/v1/ports").json()["ports"].size(), 4u);

  HttpReply named = call(verb::post, "/v1/ports",
                         R"({"name":"x)" + suffix_ + R"(","spec":"ring:y)" + suffix_ + R"("})");
  ASSERT_EQ(named.status, 201u) << named.body;
  EXPECT_EQ(named.json()["name"], "x" + suffix_);

  EXPECT_EQ(call(verb::delete_, "/v1/ports/new" + suffix_).status, 204u);
  EXPECT_EQ(datapath_->find_port("new" + suffix_), nullptr);
  EXPECT_EQ(get("/v1/ports/new" + suffix_).status, 404u);
  EXPECT_EQ(call(verb::delete_, "/v1/ports/x" + suffix_).status, 204u);
  HttpReply again = call(verb::delete_, "/v1/ports/x" + suffix_);
  EXPECT_EQ(again.status, 404u);
  EXPECT_EQ(again.json()["error"]["code"], "not_found");
  EXPECT_EQ(get("/v1/ports").json()["ports"].size(), 3u);
}

TEST_F(AgentTest, ExpectContinueGetsAnInterimReplyThenTheAnswer) {
  const std::string body = R"({"spec":"bogus:x","pad":")" + std::string(2000, 'p') + R"("})";
  HttpReply reply = pump([&] {
    HttpClient client(address_);
    client.write_raw(
        "POST /v1/ports HTTP/1.1\r\nHost: s\r\nExpect: 100-continue\r\n"
        "Content-Length: " +
        std::to_string(body.size()) + "\r\n\r\n");
    if (!client.read_until("\r\n\r\n")) return HttpReply{};
    EXPECT_EQ(client.received(), "HTTP/1.1 100 Continue\r\n\r\n");
    client.write_raw(body);
    return client.read_reply();
  });
  EXPECT_EQ(reply.status, 422u) << reply.body;
}

TEST_F(AgentTest, PipelinedRequestsAreAnsweredInOrder) {
  std::vector<HttpReply> replies = pump([&] {
    HttpClient client(address_);
    client.write_raw(
        "GET /v1/switch HTTP/1.1\r\nHost: s\r\n\r\n"
        "GET /v1/nothing HTTP/1.1\r\nHost: s\r\n\r\n"
        "GET /v1/ports HTTP/1.1\r\nHost: s\r\nConnection: close\r\n\r\n");
    std::vector<HttpReply> out;
    for (int i = 0; i < 3; ++i) out.push_back(client.read_reply());
    return out;
  });
  EXPECT_EQ(replies[0].status, 200u);
  EXPECT_EQ(replies[1].status, 404u);
  EXPECT_EQ(replies[2].status, 200u);
  EXPECT_EQ(replies[2].header("connection"), "close");
}

TEST_F(AgentTest, StatsHaveWorkersDropsAndMacTable) {
  send(1, ethernet_frame(kMacA, kMacB, kExperimental));      // B learned on b
  send(0, ethernet_frame(kMacB, kMacA, kExperimental, 10));  // a runt
  settle(2);
  HttpReply reply = get("/v1/stats");
  ASSERT_EQ(reply.status, 200u);
  json stats = reply.json();
  ASSERT_EQ(stats["ports"].size(), 3u);
  EXPECT_EQ(stats["drops"]["runt"], 1);
  ASSERT_EQ(stats["workers"].size(), 1u);
  json worker = stats["workers"][0];
  EXPECT_EQ(worker["lcore"], 1);
  EXPECT_EQ(worker["packets"], 2);
  EXPECT_GE(worker["bursts"].get<uint64_t>(), 1u);
  EXPECT_GT(worker["busy_cycles"].get<uint64_t>(), 0u);
  EXPECT_GT(worker["cycles_per_packet"].get<double>(), 0.0);
  EXPECT_GE(worker["packets_per_burst"].get<double>(), 1.0);
  EXPECT_EQ(stats["mac_table"]["entries"], 1);
  EXPECT_GT(stats["mac_table"]["capacity"].get<uint64_t>(), 0u);
  EXPECT_EQ(stats["mac_table"]["aging_s"], 300);
  EXPECT_GE(stats["agent"]["accepted"].get<uint64_t>(), 1u);

  json macs = get("/v1/macs").json();
  ASSERT_EQ(macs["entries"].size(), 1u);
  EXPECT_EQ(macs["entries"][0]["mac"], "02:00:00:00:0b:0b");
  EXPECT_EQ(macs["entries"][0]["port"], 2);
  EXPECT_EQ(macs["entries"][0]["port_name"], ports_[1].name);
  EXPECT_EQ(macs["aging_s"], 300);
}

TEST_F(AgentTest, MetricsArePrometheusText) {
  send(0, ethernet_frame(kMacB, kMacA, kExperimental));
  settle(1);
  HttpReply reply = get("/metrics");
  ASSERT_EQ(reply.status, 200u);
  EXPECT_EQ(reply.header("content-type"), "text/plain; version=0.0.4; charset=utf-8");
  const std::string& text = reply.body;
  const std::string a = ports_[0].name;
  for (const std::string& line :
       {std::string("# HELP sluice_port_rx_packets_total Packets received on the port."),
        std::string("# TYPE sluice_port_rx_packets_total counter"),
        "sluice_port_rx_packets_total{port=\"" + a + "\"} 1",
        "sluice_port_rx_bytes_total{port=\"" + a + "\"} 64",
        "sluice_port_tx_packets_total{port=\"" + ports_[1].name + "\"} 1",
        "sluice_port_drops_total{port=\"" + a + "\",reason=\"runt\"} 0",
        "sluice_port_link_up{port=\"" + a + "\"} 1", std::string("# TYPE sluice_info gauge"),
        std::string("sluice_worker_packets_total{lcore=\"1\"} 1"),
        std::string("# TYPE sluice_mac_table_entries gauge"),
        std::string("sluice_mac_table_entries 1"),
        std::string("# TYPE sluice_events_dropped_total counter")}) {
    EXPECT_NE(text.find(line + "\n"), std::string::npos) << "missing: " << line;
  }
  // Every sample belongs to a family announced just before it.
  std::istringstream in(text);
  std::string line, family;
  while (std::getline(in, line)) {
    if (line.rfind("# TYPE ", 0) == 0) family = line.substr(7, line.find(' ', 7) - 7);
    if (line.empty() || line[0] == '#') continue;
    EXPECT_EQ(line.rfind(family, 0), 0u) << line;
  }
}

TEST_F(AgentTest, OpenApiDocumentCoversEveryRoute) {
  HttpReply reply = get("/v1/openapi.json");
  ASSERT_EQ(reply.status, 200u);
  EXPECT_EQ(reply.header("content-type"), "application/json");
  json doc = reply.json();
  EXPECT_EQ(doc["openapi"].get<std::string>().substr(0, 2), "3.");
  ASSERT_TRUE(doc["components"]["schemas"].contains("Error"));
  for (const Router::Route& route : agent_->router().routes()) {
    std::string method(boost::beast::http::to_string(route.method));
    for (char& c : method) c = static_cast<char>(std::tolower(c));
    EXPECT_TRUE(doc["paths"].contains(route.pattern) &&
                doc["paths"][route.pattern].contains(method))
        << method << " " << route.pattern << " is not in docs/api/sluiced.openapi.json";
  }
}

TEST_F(AgentTest, EventsStreamPortAddedAndRemoved) {
  const std::string name = "ev" + suffix_;
  std::string stream = pump([&] {
    HttpClient events(address_);
    events.write_raw("GET /v1/events HTTP/1.1\r\nHost: sluiced\r\n\r\n");
    if (!events.read_until(": connected\n\n")) return "no start: " + events.received();
    HttpClient(address_).request(verb::post, "/v1/ports", R"({"spec":"ring:)" + name + R"("})");
    HttpClient(address_).request(verb::delete_, "/v1/ports/" + name);
    events.read_until("event: port-removed\n");
    return events.received();
  });
  EXPECT_NE(stream.find("HTTP/1.1 200 OK\r\n"), std::string::npos) << stream;
  EXPECT_NE(stream.find("Content-Type: text/event-stream\r\n"), std::string::npos);
  EXPECT_NE(stream.find("Transfer-Encoding: chunked\r\n"), std::string::npos);
  const auto added = stream.find("event: port-added\ndata: {");
  ASSERT_NE(added, std::string::npos) << stream;
  EXPECT_NE(stream.find("\"name\":\"" + name + "\"", added), std::string::npos);
  EXPECT_NE(stream.find("id: 1\nevent: port-added"), std::string::npos);
  EXPECT_NE(
      stream.find("id: 2\nevent: port-removed\ndata: {\"name\":\"" + name + "\",\"number\":4}"),
      std::string::npos)
      << stream;
  EXPECT_EQ(agent_->events().published(), 2u);
}

TEST_F(AgentTest, EventsStreamSendsKeepAlivesAndOtherProducersEvents) {
  AgentOptions options;
  options.listen = "127.0.0.1:0";
  options.keepalive = std::chrono::milliseconds(50);
  start_agent(options);
  std::string stream = pump([&] {
    HttpClient events(address_);
    events.write_raw("GET /v1/events HTTP/1.1\r\nHost: sluiced\r\n\r\n");
    events.read_until(": keep-alive\n\n");
    // What the flow-table code will do, on the control thread.
    boost::asio::post(io_, [&] { agent_->events().publish("flow-removed", {{"cookie", 7}}); });
    events.read_until("event: flow-removed\ndata: {\"cookie\":7}\n\n");
    return events.received();
  });
  EXPECT_NE(stream.find(": keep-alive\n\n"), std::string::npos) << stream;
  EXPECT_NE(stream.find("id: 1\nevent: flow-removed\ndata: {\"cookie\":7}\n\n"), std::string::npos)
      << stream;
}

TEST_F(AgentTest, EventSubscriberGoneWhenClientHangsUp) {
  pump([&] {
    HttpClient events(address_);
    events.write_raw("GET /v1/events HTTP/1.1\r\nHost: sluiced\r\n\r\n");
    events.read_until(": connected\n\n");
  });
  for (int i = 0; i < 100 && agent_->events().subscribers() != 0; ++i) {
    io_.run_for(std::chrono::milliseconds(5));
  }
  EXPECT_EQ(agent_->events().subscribers(), 0u);
}

}  // namespace
}  // namespace sluice::test
