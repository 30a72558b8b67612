// Packets through the real datapath and forwarding worker, on net_ring ports
// the test owns: it enqueues frames on a port's RX ring and reads what the
// switch transmitted from each port's TX ring.
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_ring.h>

#include <chrono>
#include <thread>

#include "common/error.h"
#include "dataplane/datapath.h"
#include "tests/support/eal_fixture.h"
#include "tests/support/packets.h"

using sluice::test::kExperimental;

namespace sluice {
namespace {

constexpr uint64_t kMacA = 0x020000000a0a;
constexpr uint64_t kMacB = 0x020000000b0b;
constexpr uint64_t kMacC = 0x020000000c0c;
constexpr uint64_t kBroadcast = 0xffffffffffff;

struct RingPort {
  std::string name;
  rte_ring* rx = nullptr;  // the test enqueues, the switch receives
  rte_ring* tx = nullptr;  // the switch transmits, the test dequeues
};

class L2SwitchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    static int instance = 0;
    suffix_ = std::to_string(instance++);
    pool_ = rte_pktmbuf_pool_create(("test_pool" + suffix_).c_str(), 4095, 0, 0,
                                    RTE_MBUF_DEFAULT_BUF_SIZE, 0);
    ASSERT_NE(pool_, nullptr);
    DatapathOptions options;
    options.mbufs = 4095;
    datapath_ = std::make_unique<Datapath>(options);
    for (const char* name : {"a", "b", "c"}) add_ring_port(name);
    datapath_->start();
  }

  void TearDown() override {
    datapath_.reset();
    for (auto& port : ports_) {
      drain(port);
      uint16_t id;
      if (rte_eth_dev_get_port_by_name(port.name.c_str(), &id) == 0) rte_eth_dev_close(id);
      rte_ring_free(port.rx);
      rte_ring_free(port.tx);
    }
    rte_mempool_free(pool_);
  }

  void add_ring_port(const std::string& short_name) {
    RingPort port;
    port.name = "ring_" + short_name + suffix_;
    port.rx = rte_ring_create((port.name + "_rx").c_str(), 1024, 0, RING_F_SP_ENQ | RING_F_SC_DEQ);
    port.tx = rte_ring_create((port.name + "_tx").c_str(), 1024, 0, RING_F_SP_ENQ | RING_F_SC_DEQ);
    ASSERT_NE(port.rx, nullptr);
    ASSERT_NE(port.tx, nullptr);
    const int id = rte_eth_from_rings(port.name.c_str(), &port.rx, 1, &port.tx, 1, 0);
    ASSERT_GE(id, 0);
    char ethdev_name[RTE_ETH_NAME_MAX_LEN];
    ASSERT_EQ(rte_eth_dev_get_name_by_port(static_cast<uint16_t>(id), ethdev_name), 0);
    port.name = ethdev_name;  // the port adopts the ethdev of that name
    PortSpec spec;
    spec.name = port.name;
    spec.text = port.name;
    spec.devargs = port.name;
    datapath_->add_port(spec);
    ports_.push_back(port);
  }

  void send(unsigned port, const std::vector<uint8_t>& frame) {
    rte_mbuf* m = test::to_mbuf(pool_, frame);
    ASSERT_NE(m, nullptr);
    ASSERT_EQ(rte_ring_enqueue(ports_[port].rx, m), 0);
  }

  // Waits until the switch has received `count` packets in all, then lets
  // the TX buffers drain.
  void settle(uint64_t count) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (received() < count && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    ASSERT_EQ(received(), count);
  }

  uint64_t received() const {
    uint64_t n = 0;
    for (const auto& report : datapath_->port_reports()) n += report.totals.rx_packets;
    return n;
  }

  // Frames the switch sent out of `port` since the last call.
  std::vector<std::vector<uint8_t>> drain(const RingPort& port) {
    std::vector<std::vector<uint8_t>> frames;
    void* object;
    while (rte_ring_dequeue(port.tx, &object) == 0) {
      auto* m = static_cast<rte_mbuf*>(object);
      frames.push_back(test::from_mbuf(m));
      rte_pktmbuf_free(m);
    }
    return frames;
  }
  std::vector<std::vector<uint8_t>> drain(unsigned port) { return drain(ports_[port]); }

  PortTotals totals(unsigned port) const {
    for (const auto& report : datapath_->port_reports()) {
      if (report.name == ports_[port].name) return report.totals;
    }
    ADD_FAILURE() << "no port " << ports_[port].name;
    return {};
  }

  std::string suffix_;
  rte_mempool* pool_ = nullptr;
  std::unique_ptr<Datapath> datapath_;
  std::vector<RingPort> ports_;
};

TEST_F(L2SwitchTest, UnknownUnicastFloodsToEveryOtherPort) {
  auto frame = test::ethernet_frame(kMacB, kMacA, kExperimental);
  send(0, frame);
  settle(1);
  EXPECT_TRUE(drain(0).empty());
  EXPECT_EQ(drain(1), std::vector<std::vector<uint8_t>>{frame});
  EXPECT_EQ(drain(2), std::vector<std::vector<uint8_t>>{frame});
  EXPECT_EQ(totals(0).rx_packets, 1u);
  EXPECT_EQ(totals(0).rx_bytes, 64u);
  EXPECT_EQ(totals(1).tx_packets, 1u);
  EXPECT_EQ(totals(2).tx_packets, 1u);
  EXPECT_EQ(totals(0).tx_packets, 0u);
}

TEST_F(L2SwitchTest, LearnedDestinationGoesToOnePort) {
  send(1, test::ethernet_frame(kMacA, kMacB, kExperimental));  // B speaks first, from port b
  settle(1);
  drain(0);
  drain(2);
  auto frame = test::ethernet_frame(kMacB, kMacA, kExperimental);
  for (int i = 0; i < 10; ++i) send(0, frame);
  settle(11);
  EXPECT_EQ(drain(1).size(), 10u);
  EXPECT_TRUE(drain(2).empty());
  EXPECT_TRUE(drain(0).empty());
  EXPECT_EQ(totals(1).tx_packets, 10u);
  EXPECT_EQ(totals(1).tx_bytes, 640u);
  EXPECT_EQ(totals(2).tx_packets, 1u);  // only the first, flooded frame
}

TEST_F(L2SwitchTest, BroadcastFloodsEvenWhenSourceIsKnown) {
  send(0, test::ethernet_frame(kBroadcast, kMacA, kExperimental));
  send(0, test::ethernet_frame(kBroadcast, kMacA, kExperimental));
  settle(2);
  EXPECT_EQ(drain(1).size(), 2u);
  EXPECT_EQ(drain(2).size(), 2u);
  EXPECT_TRUE(drain(0).empty());
}

TEST_F(L2SwitchTest, DestinationOnInputPortIsDroppedAndCounted) {
  send(0, test::ethernet_frame(kBroadcast, kMacC, kExperimental));  // C lives behind port a
  settle(1);
  drain(1);
  drain(2);
  send(0, test::ethernet_frame(kMacC, kMacA, kExperimental));
  settle(2);
  EXPECT_TRUE(drain(0).empty());
  EXPECT_TRUE(drain(1).empty());
  EXPECT_TRUE(drain(2).empty());
  EXPECT_EQ(totals(0).drops[static_cast<unsigned>(DropReason::same_port)], 1u);
}

TEST_F(L2SwitchTest, TruncatedFrameIsCountedNotForwarded) {
  send(0, test::ethernet_frame(kMacB, kMacA, kExperimental, 10));
  send(0, test::ethernet_frame(kMacB, kMacA, kExperimental, 0));
  send(0, test::ethernet_frame(kMacB, kMacA, kExperimental));
  settle(3);
  EXPECT_EQ(totals(0).drops[static_cast<unsigned>(DropReason::runt)], 2u);
  EXPECT_EQ(drain(1).size(), 1u);
  EXPECT_EQ(drain(2).size(), 1u);
}

TEST_F(L2SwitchTest, MalformedIpv4HeaderIsCountedNotForwarded) {
  auto frame = test::ethernet_frame(kMacB, kMacA, 0x0800);
  frame[14] = 0x44;  // version 4, IHL 4 words: shorter than an IPv4 header
  send(0, frame);
  settle(1);
  EXPECT_TRUE(drain(1).empty());
  EXPECT_TRUE(drain(2).empty());
  EXPECT_EQ(totals(0).drops[static_cast<unsigned>(DropReason::bad_header)], 1u);
}

TEST_F(L2SwitchTest, PortRemovedWhileForwardingGetsNothingMore) {
  send(0, test::ethernet_frame(kBroadcast, kMacA, kExperimental));
  settle(1);
  EXPECT_EQ(drain(2).size(), 1u);
  datapath_->remove_port(ports_[2].name);
  send(0, test::ethernet_frame(kBroadcast, kMacA, kExperimental));
  settle(2);
  EXPECT_EQ(drain(1).size(), 2u);
  EXPECT_TRUE(drain(2).empty());
  EXPECT_THROW(datapath_->remove_port(ports_[2].name), Error);
}

TEST_F(L2SwitchTest, PortAddedWhileForwardingJoinsTheFlood) {
  add_ring_port("d");
  send(0, test::ethernet_frame(kBroadcast, kMacA, kExperimental));
  settle(1);
  EXPECT_EQ(drain(3).size(), 1u);
  EXPECT_EQ(totals(3).tx_packets, 1u);
}

TEST_F(L2SwitchTest, DuplicatePortNameIsRefused) {
  PortSpec spec;
  spec.name = ports_[0].name;
  spec.devargs = ports_[0].name;
  try {
    datapath_->add_port(spec);
    FAIL() << "duplicate accepted";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()), "port name " + ports_[0].name + " is taken: choose another NAME=");
  }
  EXPECT_EQ(datapath_->port_reports().size(), 3u);
}

}  // namespace
}  // namespace sluice

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  ::testing::AddGlobalTestEnvironment(new sluice::test::EalEnvironment("0-1"));
  return RUN_ALL_TESTS();
}
