// Test fixture: the real datapath and forwarding worker on net_ring ports
// that the test owns. The test enqueues frames on a port's RX ring and reads
// what the switch transmitted from each port's TX ring.
#pragma once

#include <gtest/gtest.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_ring.h>

#include <cerrno>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "common/error.h"
#include "dataplane/datapath.h"
#include "tests/support/packets.h"

namespace sluice::test {

constexpr uint64_t kMacA = 0x020000000a0a;
constexpr uint64_t kMacB = 0x020000000b0b;
constexpr uint64_t kMacC = 0x020000000c0c;
constexpr uint64_t kBroadcast = 0xffffffffffff;

struct RingPort {
  std::string name;
  rte_ring* rx = nullptr;  // the test enqueues, the switch receives
  rte_ring* tx = nullptr;  // the switch transmits, the test dequeues
};

class RingSwitchTest : public ::testing::Test {
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

  // Enqueues on the port's RX ring; while the ring is full (the worker has
  // not drained it yet), waits for room, up to 5 s.
  void send(unsigned port, const std::vector<uint8_t>& frame) {
    rte_mbuf* m = to_mbuf(pool_, frame);
    ASSERT_NE(m, nullptr);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    int rc = rte_ring_enqueue(ports_[port].rx, m);
    while (rc == -ENOBUFS && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::microseconds(100));
      rc = rte_ring_enqueue(ports_[port].rx, m);
    }
    ASSERT_EQ(rc, 0);
  }

  // Enqueues all of `frames` at once (at most 32: the worker may take them
  // in one burst), waiting for room as send() does.
  void send_burst(unsigned port, const std::vector<std::vector<uint8_t>>& frames) {
    ASSERT_LE(frames.size(), 32u);
    rte_mbuf* pkts[32];
    for (size_t i = 0; i < frames.size(); ++i) {
      pkts[i] = to_mbuf(pool_, frames[i]);
      ASSERT_NE(pkts[i], nullptr);
    }
    const auto n = static_cast<unsigned>(frames.size());
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    unsigned queued = 0;
    while ((queued = rte_ring_enqueue_bulk(ports_[port].rx, reinterpret_cast<void**>(pkts), n,
                                           nullptr)) == 0 &&
           std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::microseconds(100));
    }
    ASSERT_EQ(queued, n);
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
      frames.push_back(from_mbuf(m));
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

}  // namespace sluice::test
