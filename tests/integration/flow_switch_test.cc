// Flow rules steering real packets through the datapath on net_ring ports:
// rules pick the output, set_field rewrites bytes, deleting a rule restores
// the default (normal) switching, rule counters match the packets sent.
#include "common/rules/text.h"
#include "dataplane/flow/transaction.h"
#include "tests/integration/ring_switch_fixture.h"
#include "tests/support/packet_builder.h"

namespace sluice {
namespace {

using FlowSwitchTest = test::RingSwitchTest;

test::Bytes udp_packet(uint32_t dst_ip, uint16_t dport) {
  test::PacketSpec spec;
  spec.proto = 17;
  spec.ip_dst = dst_ip;
  spec.dport = dport;
  return test::build_packet(spec);
}

uint64_t rule_packets(const Datapath& datapath, const std::string& rule_text) {
  const Rule wanted = parse_rule(rule_text);
  for (const FlowStats& stats : datapath.pipeline().dump()) {
    if (stats.rule.match == wanted.match && stats.rule.priority == wanted.priority &&
        stats.rule.table == wanted.table) {
      return stats.packets;
    }
  }
  ADD_FAILURE() << "no rule " << rule_text;
  return 0;
}

TEST_F(FlowSwitchTest, RuleSendsTrafficToTheNamedPortOnly) {
  datapath_->pipeline().add(parse_rule("table=0,priority=100,in_port=1,actions=output:3"));
  const auto frame = udp_packet(0x0a000002, 53);
  for (int i = 0; i < 5; ++i) send(0, frame);
  settle(5);
  EXPECT_TRUE(drain(1).empty());
  EXPECT_EQ(drain(2), std::vector<std::vector<uint8_t>>(5, frame));
  EXPECT_EQ(rule_packets(*datapath_, "table=0,priority=100,in_port=1,actions=output:3"), 5u);
}

// Whole bursts of one output port go to the driver without the TX buffer;
// bursts that leave by several ports, or partly buffered, do not. Either
// way frames leave in order and the port and rule counters add up.
TEST_F(FlowSwitchTest, WholeBurstsLeaveInOrderWithTheirCounts) {
  const char* to_3 = "table=0,priority=100,in_port=1,udp,tp_dst=53,actions=output:3";
  const char* to_2 = "table=0,priority=100,in_port=1,udp,tp_dst=54,actions=output:2";
  datapath_->pipeline().add(parse_rule(to_3));
  datapath_->pipeline().add(parse_rule(to_2));
  std::vector<std::vector<uint8_t>> same(32, udp_packet(0x0a000002, 53)), mixed, want_3, want_2;
  for (int i = 0; i < 32; ++i) {
    test::PacketSpec spec;
    spec.proto = 17;
    spec.dport = i % 5 == 0 ? 54 : 53;
    spec.sport = static_cast<uint16_t>(1000 + i % 3);
    spec.payload = static_cast<size_t>(18 + i);
    mixed.push_back(test::build_packet(spec));
  }
  uint64_t bytes_3 = 0;
  for (const auto* burst : {&same, &mixed, &same}) {
    send_burst(0, *burst);
    for (const auto& f : *burst) {
      const bool port_53 = test::get16(f, 36) == 53;
      (port_53 ? want_3 : want_2).push_back(f);
      if (port_53) bytes_3 += f.size();
    }
  }
  settle(96);
  EXPECT_EQ(drain(2), want_3);
  EXPECT_EQ(drain(1), want_2);
  EXPECT_EQ(totals(2).tx_packets, want_3.size());
  EXPECT_EQ(totals(2).tx_bytes, bytes_3);
  EXPECT_EQ(totals(1).tx_packets, want_2.size());
  EXPECT_EQ(rule_packets(*datapath_, to_3), want_3.size());
  EXPECT_EQ(rule_packets(*datapath_, to_2), want_2.size());
}

TEST_F(FlowSwitchTest, DeletingTheRuleRestoresNormalSwitching) {
  const Rule rule = parse_rule("table=0,priority=100,in_port=1,actions=drop");
  datapath_->pipeline().add(rule);
  send(0, udp_packet(0x0a000002, 53));
  settle(1);
  EXPECT_TRUE(drain(1).empty());
  EXPECT_TRUE(drain(2).empty());
  EXPECT_EQ(totals(0).drops[static_cast<unsigned>(DropReason::action_drop)], 1u);

  datapath_->pipeline().commit(Transaction().remove(0, rule.match, true, rule.priority));
  send(0, udp_packet(0x0a000002, 53));
  settle(2);
  EXPECT_EQ(drain(1).size(), 1u);  // flooded by the default normal rule
  EXPECT_EQ(drain(2).size(), 1u);
}

TEST_F(FlowSwitchTest, MatchOnL4PortRangeSteersOnlyThatRange) {
  datapath_->pipeline().add(
      parse_rule("table=0,priority=100,udp,udp_dst=1000-1999,actions=output:2"));
  datapath_->pipeline().add(parse_rule("table=0,priority=50,udp,actions=output:3"));
  send(0, udp_packet(0x0a000002, 999));
  send(0, udp_packet(0x0a000002, 1000));
  send(0, udp_packet(0x0a000002, 1999));
  send(0, udp_packet(0x0a000002, 2000));
  settle(4);
  EXPECT_EQ(drain(1).size(), 2u);
  EXPECT_EQ(drain(2).size(), 2u);
}

TEST_F(FlowSwitchTest, SetFieldRewritesAddressWithValidChecksums) {
  datapath_->pipeline().add(
      parse_rule("table=0,priority=100,udp,actions=set_field:10.9.9.9->ipv4_dst,output:2"));
  send(0, udp_packet(0x0a000002, 53));
  settle(1);
  auto out = drain(1);
  ASSERT_EQ(out.size(), 1u);
  const test::Bytes& pkt = out[0];
  const size_t l3 = 14;
  EXPECT_EQ(test::get16(pkt, l3 + 16), 0x0a09);
  EXPECT_EQ(test::get16(pkt, l3 + 18), 0x0909);
  EXPECT_EQ(test::get16(pkt, l3 + 10), test::expected_ipv4_checksum(pkt, l3));
  const size_t l4 = l3 + 20;
  EXPECT_EQ(test::get16(pkt, l4 + 6),
            test::expected_l4_checksum(pkt, l3, l4, pkt.size(), false, 17));
}

TEST_F(FlowSwitchTest, GotoTableAndTableMissToNormal) {
  Transaction txn;
  txn.add(parse_rule("table=0,priority=10,udp,actions=goto_table:1"));
  txn.add(parse_rule("table=1,priority=10,udp,udp_dst=53,actions=output:3"));
  txn.set_miss(1, TableMiss{MissKind::normal, 0});
  datapath_->pipeline().commit(txn);
  send(0, udp_packet(0x0a000002, 53));  // table 1 rule -> port 3
  send(0, udp_packet(0x0a000002, 54));  // table 1 miss -> normal -> flood
  settle(2);
  EXPECT_EQ(drain(1).size(), 1u);
  EXPECT_EQ(drain(2).size(), 2u);
}

}  // namespace
}  // namespace sluice

namespace sluice {
namespace {

using ControllerChannelTest = test::RingSwitchTest;

TEST_F(ControllerChannelTest, ControllerActionDeliversPacketInWithMetadata) {
  datapath_->pipeline().add(parse_rule("table=0,priority=100,cookie=0x42,udp,actions=controller"));
  const auto frame = udp_packet(0x0a000002, 53);
  send(1, frame);
  settle(1);
  std::vector<PacketIn> ins;
  for (int i = 0; i < 100 && ins.empty(); ++i) {
    ins = datapath_->take_packet_ins();
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ASSERT_EQ(ins.size(), 1u);
  EXPECT_EQ(ins[0].in_port, 2);
  EXPECT_EQ(ins[0].table, 0);
  EXPECT_EQ(ins[0].cookie, 0x42u);
  EXPECT_EQ(ins[0].bytes, frame);
  EXPECT_TRUE(drain(0).empty());
  EXPECT_TRUE(drain(2).empty());
}

TEST_F(ControllerChannelTest, PacketInsOverTheRateAreCountedDrops) {
  datapath_->pipeline().add(parse_rule("table=0,priority=100,udp,actions=controller"));
  const auto frame = udp_packet(0x0a000002, 53);
  for (int i = 0; i < 1200; ++i) send(0, frame);  // the rate is 1000/s per worker
  settle(1200);
  const auto ins = datapath_->take_packet_ins(2000);
  const uint64_t refused = totals(0).drops[static_cast<unsigned>(DropReason::controller)];
  EXPECT_EQ(ins.size() + refused, 1200u);
  EXPECT_GE(refused, 150u);
  EXPECT_LE(ins.size(), 1050u);
}

TEST_F(ControllerChannelTest, PacketOutLeavesByTheNamedPort) {
  const auto frame = udp_packet(0x0a000002, 53);
  datapath_->packet_out(3, frame);
  std::vector<std::vector<uint8_t>> out;
  for (int i = 0; i < 100 && out.empty(); ++i) {
    out = drain(2);
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  EXPECT_EQ(out, std::vector<std::vector<uint8_t>>{frame});
  EXPECT_TRUE(drain(0).empty());
  EXPECT_TRUE(drain(1).empty());
  EXPECT_THROW(datapath_->packet_out(9, frame), Error);
  EXPECT_THROW(datapath_->packet_out(1, std::vector<uint8_t>(10)), Error);
}

}  // namespace
}  // namespace sluice
