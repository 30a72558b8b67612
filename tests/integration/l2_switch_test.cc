// The default table (priority=0,actions=normal): MAC learning, flooding,
// drops by reason, ports added and removed while forwarding.
#include "tests/integration/ring_switch_fixture.h"

namespace sluice {
namespace {

using test::kBroadcast;
using test::kExperimental;
using test::kMacA;
using test::kMacB;
using test::kMacC;
using L2SwitchTest = test::RingSwitchTest;

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
    EXPECT_EQ(std::string(e.what()),
              "port name " + ports_[0].name + " is taken: choose another NAME=");
  }
  EXPECT_EQ(datapath_->port_reports().size(), 3u);
}

}  // namespace
}  // namespace sluice
