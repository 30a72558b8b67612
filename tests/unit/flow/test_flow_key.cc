#include <gtest/gtest.h>

#include "dataplane/flow/flow_extract.h"
#include "tests/unit/flow/eal_env.h"
#include "tests/support/packet_builder.h"

namespace sluice {
namespace {

using test::build_packet;
using test::PacketSpec;

struct Parsed {
  ParseStatus status;
  FlowKey key;
  PacketLayout layout;
};

Parsed parse(const test::Bytes& bytes, uint16_t port = 3) {
  rte_mbuf* m = test::make_mbuf(bytes);
  EXPECT_NE(m, nullptr);
  Parsed p;
  p.status = extract_flow_key(m, port, p.key, &p.layout);
  rte_pktmbuf_free(m);
  return p;
}

TEST(FlowKey, Ipv4Tcp) {
  PacketSpec s;
  s.dscp = 46;
  s.tcp_flags = 0x12;
  Parsed p = parse(build_packet(s));
  ASSERT_EQ(p.status, ParseStatus::ok);
  EXPECT_EQ(key_get(p.key, Field::in_port), 3u);
  EXPECT_EQ(key_get(p.key, Field::eth_dst), u128{0x020000000002ULL});
  EXPECT_EQ(key_get(p.key, Field::eth_src), u128{0x020000000001ULL});
  EXPECT_EQ(key_get(p.key, Field::eth_type), 0x0800u);
  EXPECT_EQ(key_get(p.key, Field::vlan_vid), 0u);
  EXPECT_EQ(key_get(p.key, Field::ip_proto), 6u);
  EXPECT_EQ(key_get(p.key, Field::ip_dscp), 46u);
  EXPECT_EQ(key_get(p.key, Field::ipv4_src), 0x0a000001u);
  EXPECT_EQ(key_get(p.key, Field::ipv4_dst), 0x0a000002u);
  EXPECT_EQ(key_get(p.key, Field::tcp_src), 1234u);
  EXPECT_EQ(key_get(p.key, Field::tcp_dst), 80u);
  EXPECT_EQ(key_get(p.key, Field::tcp_flags), 0x12u);
  EXPECT_EQ(p.layout.l3, 14);
  EXPECT_EQ(p.layout.l4, 34);
}

TEST(FlowKey, VlanUdpAndQinQ) {
  PacketSpec s;
  s.vlan_tcis = {static_cast<uint16_t>(5 << 13 | 100)};
  s.proto = 17;
  s.dport = 53;
  Parsed p = parse(build_packet(s));
  ASSERT_EQ(p.status, ParseStatus::ok);
  EXPECT_EQ(key_get(p.key, Field::vlan_vid), 0x1000u | 100u);
  EXPECT_EQ(key_get(p.key, Field::vlan_pcp), 5u);
  EXPECT_EQ(key_get(p.key, Field::eth_type), 0x0800u);
  EXPECT_EQ(key_get(p.key, Field::udp_dst), 53u);
  EXPECT_EQ(p.layout.l3, 18);
  s.vlan_tcis = {7, 8};
  p = parse(build_packet(s));
  ASSERT_EQ(p.status, ParseStatus::ok);
  EXPECT_EQ(key_get(p.key, Field::vlan_vid), 0x1000u | 7u);
  EXPECT_EQ(p.layout.l3, 22);
  EXPECT_EQ(key_get(p.key, Field::udp_dst), 53u);
}

TEST(FlowKey, Ipv6IcmpSctpArp) {
  PacketSpec s;
  s.eth_type = 0x86dd;
  s.proto = 58;
  s.icmp_type = 135;
  s.icmp_code = 0;
  s.dscp = 10;
  Parsed p = parse(build_packet(s));
  ASSERT_EQ(p.status, ParseStatus::ok);
  EXPECT_EQ(key_get(p.key, Field::ipv6_src), (u128{0x20010db8} << 96) | 1);
  EXPECT_EQ(key_get(p.key, Field::icmpv6_type), 135u);
  EXPECT_EQ(key_get(p.key, Field::ip_dscp), 10u);
  s.proto = 132;
  s.sport = 7;
  s.dport = 9;
  p = parse(build_packet(s));
  EXPECT_EQ(key_get(p.key, Field::sctp_src), 7u);
  EXPECT_EQ(key_get(p.key, Field::sctp_dst), 9u);
  PacketSpec a;
  a.eth_type = 0x0806;
  a.arp_op = 2;
  p = parse(build_packet(a));
  ASSERT_EQ(p.status, ParseStatus::ok);
  EXPECT_EQ(key_get(p.key, Field::arp_op), 2u);
  EXPECT_EQ(key_get(p.key, Field::arp_spa), 0x0a000001u);
  EXPECT_EQ(key_get(p.key, Field::arp_tpa), 0x0a000002u);
  PacketSpec i4;
  i4.proto = 1;
  i4.icmp_type = 3;
  i4.icmp_code = 4;
  p = parse(build_packet(i4));
  EXPECT_EQ(key_get(p.key, Field::icmpv4_type), 3u);
  EXPECT_EQ(key_get(p.key, Field::icmpv4_code), 4u);
}

TEST(FlowKey, LaterFragmentHasNoPorts) {
  PacketSpec s;
  s.frag = 100;  // offset 800 bytes
  Parsed p = parse(build_packet(s));
  ASSERT_EQ(p.status, ParseStatus::ok);
  EXPECT_EQ(key_get(p.key, Field::ip_proto), 6u);
  EXPECT_EQ(key_get(p.key, Field::tcp_dst), 0u);
  EXPECT_EQ(p.layout.l4, 0);
}

TEST(FlowKey, EveryTruncationIsDetectedNeverOverread) {
  PacketSpec kinds[4];
  kinds[1].proto = 17;
  kinds[2].eth_type = 0x86dd;
  kinds[3].eth_type = 0x0806;
  for (PacketSpec& s : kinds) {
    s.payload = 0;
    test::Bytes full = build_packet(s);
    for (size_t len = 0; len < full.size(); ++len) {
      SCOPED_TRACE(len);
      test::Bytes cut(full.begin(), full.begin() + len);
      EXPECT_EQ(parse(cut).status, ParseStatus::truncated);
    }
    EXPECT_EQ(parse(full).status, ParseStatus::ok);
  }
}

TEST(FlowKey, BadHeaders) {
  test::Bytes b = build_packet(PacketSpec{});
  b[14] = 0x44;  // IHL 4
  EXPECT_EQ(parse(b).status, ParseStatus::bad_header);
  b[14] = 0x65;  // version 6 in an IPv4 ethertype
  EXPECT_EQ(parse(b).status, ParseStatus::bad_header);
  b = build_packet(PacketSpec{});
  b[34 + 12] = 0x40;  // TCP data offset 4
  EXPECT_EQ(parse(b).status, ParseStatus::bad_header);
  b = build_packet(PacketSpec{});
  b[14] = 0x4f;  // IHL 15 = 60 bytes, longer than the datagram
  EXPECT_EQ(parse(b).status, ParseStatus::bad_header);
}

TEST(FlowKey, SegmentedMbufIsParsed) {
  PacketSpec s;
  test::Bytes b = build_packet(s);
  rte_mbuf* head = test::make_mbuf(test::Bytes(b.begin(), b.begin() + 20));
  rte_mbuf* tail = test::make_mbuf(test::Bytes(b.begin() + 20, b.end()));
  ASSERT_EQ(rte_pktmbuf_chain(head, tail), 0);
  FlowKey k;
  EXPECT_EQ(extract_flow_key(head, 1, k), ParseStatus::ok);
  EXPECT_EQ(key_get(k, Field::tcp_dst), 80u);
  EXPECT_EQ(key_get(k, Field::ipv4_dst), 0x0a000002u);
  rte_pktmbuf_free(head);
}

TEST(FlowKey, KeySetGetRoundTrip) {
  FlowKey k;
  k.clear();
  key_set(k, Field::vlan_vid, 0x1000 | 42);
  key_set(k, Field::vlan_pcp, 6);
  EXPECT_EQ(key_get(k, Field::vlan_vid), 0x1000u | 42u);
  EXPECT_EQ(key_get(k, Field::vlan_pcp), 6u);
  EXPECT_EQ(k.vlan_tci, 6 << 13 | 0x1000 | 42);
  key_set(k, Field::reg5, 0xdeadbeef);
  EXPECT_EQ(k.regs[5], 0xdeadbeefu);
  key_set(k, Field::ipv6_dst, ~u128{0});
  EXPECT_EQ(key_get(k, Field::ipv4_dst), 0xffffffffu);
}

}  // namespace
}  // namespace sluice

SLUICE_EAL_TEST_MAIN("sluice_test_flow_key")
