// Test fixture: a real Datapath with three net_ring ports the test owns (it
// can inject frames on their RX rings), one forwarding worker on lcore 1, and
// an Agent on 127.0.0.1:<any port>. The test thread is the control thread: it
// runs the agent's io_context while a helper thread plays the HTTP client
// (pump()), so only the test thread ever touches the Datapath.
#pragma once

#include <gtest/gtest.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_ring.h>

#include <boost/asio/io_context.hpp>
#include <future>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "dataplane/agent/agent.h"
#include "dataplane/datapath.h"
#include "tests/integration/agent/http_client.h"
#include "tests/support/packets.h"

namespace sluice::test {

class AgentTest : public ::testing::Test {
 protected:
  using verb = boost::beast::http::verb;

  void SetUp() override {
    static int instance = 0;
    suffix_ = std::to_string(instance++);
    pool_ = rte_pktmbuf_pool_create(("agent_pool" + suffix_).c_str(), 1023, 0, 0,
                                    RTE_MBUF_DEFAULT_BUF_SIZE, 0);
    ASSERT_NE(pool_, nullptr);
    DatapathOptions options;
    options.mbufs = 4095;
    datapath_ = std::make_unique<Datapath>(options);
    for (const char* name : {"a", "b", "c"}) add_ring_port(name);
    datapath_->start();
    AgentOptions agent_options;
    agent_options.listen = "127.0.0.1:0";
    start_agent(agent_options);
  }

  void TearDown() override {
    agent_.reset();
    io_.run_for(std::chrono::milliseconds(20));  // let aborted operations finish
    datapath_.reset();
    for (auto& port : ports_) {
      void* object;
      while (rte_ring_dequeue(port.tx, &object) == 0)
        rte_pktmbuf_free(static_cast<rte_mbuf*>(object));
      uint16_t id;
      if (rte_eth_dev_get_port_by_name(port.ethdev.c_str(), &id) == 0) rte_eth_dev_close(id);
      rte_ring_free(port.rx);
      rte_ring_free(port.tx);
    }
    rte_mempool_free(pool_);
  }

  void start_agent(const AgentOptions& options) {
    agent_.reset();
    agent_ = std::make_unique<Agent>(io_, options, *datapath_);
    address_ = agent_->address();
  }

  // Runs `client` on a helper thread while this thread serves the agent.
  template <class F>
  auto pump(F client) -> decltype(client()) {
    auto future = std::async(std::launch::async, std::move(client));
    while (future.wait_for(std::chrono::seconds(0)) != std::future_status::ready) {
      io_.run_for(std::chrono::milliseconds(2));
    }
    return future.get();
  }

  // One request on a fresh connection.
  HttpReply call(verb method, const std::string& target, const std::string& body = {},
                 const HttpClient::Headers& headers = {}) {
    return pump([&] { return HttpClient(address_).request(method, target, body, headers); });
  }
  HttpReply get(const std::string& target) { return call(verb::get, target); }

  // A ring port the test owns: frames enqueued on `rx` reach the switch.
  struct RingPort {
    std::string name;    // the switch's port name: "a0", "b0", ...
    std::string ethdev;  // the ethdev net_ring made: "net_ring_ring_a0"
    rte_ring* rx = nullptr;
    rte_ring* tx = nullptr;
  };

  void add_ring_port(const std::string& short_name) {
    RingPort port;
    port.name = short_name + suffix_;
    const std::string rings = "ring_" + port.name;
    port.rx = rte_ring_create((rings + "_rx").c_str(), 1024, 0, RING_F_SP_ENQ | RING_F_SC_DEQ);
    port.tx = rte_ring_create((rings + "_tx").c_str(), 1024, 0, RING_F_SP_ENQ | RING_F_SC_DEQ);
    ASSERT_NE(port.rx, nullptr);
    ASSERT_NE(port.tx, nullptr);
    const int id = rte_eth_from_rings(rings.c_str(), &port.rx, 1, &port.tx, 1, 0);
    ASSERT_GE(id, 0);
    char ethdev[RTE_ETH_NAME_MAX_LEN];
    ASSERT_EQ(rte_eth_dev_get_name_by_port(static_cast<uint16_t>(id), ethdev), 0);
    port.ethdev = ethdev;
    PortSpec spec;
    spec.name = port.name;
    spec.text = port.ethdev;
    spec.devargs = port.ethdev;  // the port adopts the ethdev of that name
    datapath_->add_port(spec);
    ports_.push_back(port);
  }

  void send(unsigned port, const std::vector<uint8_t>& frame) {
    rte_mbuf* m = to_mbuf(pool_, frame);
    ASSERT_NE(m, nullptr);
    ASSERT_EQ(rte_ring_enqueue(ports_[port].rx, m), 0);
  }

  // Waits until the switch has received `count` packets in all.
  void settle(uint64_t count) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    auto received = [&] {
      uint64_t n = 0;
      for (const auto& report : datapath_->port_reports()) n += report.totals.rx_packets;
      return n;
    };
    while (received() < count && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    ASSERT_EQ(received(), count);
  }

  std::string suffix_;
  rte_mempool* pool_ = nullptr;
  std::unique_ptr<Datapath> datapath_;
  std::vector<RingPort> ports_;
  boost::asio::io_context io_;
  std::unique_ptr<Agent> agent_;
  std::string address_;
};

}  // namespace sluice::test
