// Reject replies are valid packets: TCP RST and ICMP/ICMPv6 unreachable,
// field by field, with every checksum recomputed from scratch by the test
// (packet_builder.h), and no reply where none may be sent.
#include "tests/unit/nf/firewall_fixture.h"

namespace sluice::test {
namespace {

using nlohmann::json;

uint32_t get32(const Bytes& b, size_t off) {
  return static_cast<uint32_t>(get16(b, off)) << 16 | get16(b, off + 2);
}

// Ethernet and IP addresses of `reply` are those of `orig` swapped; the IP
// header checksum (v4) and the L4 checksum are right. Returns the L4 offset.
size_t check_addressing(const Bytes& orig, const Bytes& reply, bool v6, uint8_t proto) {
  EXPECT_TRUE(std::equal(reply.begin(), reply.begin() + 6, orig.begin() + 6)) << "dst MAC";
  EXPECT_TRUE(std::equal(reply.begin() + 6, reply.begin() + 12, orig.begin())) << "src MAC";
  EXPECT_EQ(get16(reply, 12), get16(orig, 12));
  const size_t l3 = 14;
  if (v6) {
    EXPECT_EQ(reply[l3] >> 4, 6);
    EXPECT_EQ(get16(reply, l3 + 4), reply.size() - l3 - 40) << "payload length";
    EXPECT_EQ(reply[l3 + 6], proto);
    EXPECT_EQ(reply[l3 + 7], 64) << "hop limit";
    EXPECT_TRUE(
        std::equal(reply.begin() + l3 + 8, reply.begin() + l3 + 24, orig.begin() + l3 + 24));
    EXPECT_TRUE(
        std::equal(reply.begin() + l3 + 24, reply.begin() + l3 + 40, orig.begin() + l3 + 8));
  } else {
    EXPECT_EQ(reply[l3], 0x45);
    EXPECT_EQ(get16(reply, l3 + 2), reply.size() - l3) << "total length";
    EXPECT_EQ(reply[l3 + 8], 64) << "TTL";
    EXPECT_EQ(reply[l3 + 9], proto);
    EXPECT_EQ(get32(reply, l3 + 12), get32(orig, l3 + 16));
    EXPECT_EQ(get32(reply, l3 + 16), get32(orig, l3 + 12));
    EXPECT_EQ(get16(reply, l3 + 10), expected_ipv4_checksum(reply, l3)) << "IPv4 checksum";
  }
  const size_t l4 = l3 + (v6 ? 40 : 20);
  EXPECT_EQ(get16(reply, l4 + l4_csum_offset(proto)),
            expected_l4_checksum(reply, l3, l4, reply.size(), v6, proto))
      << "L4 checksum";
  return l4;
}

class Reject : public FirewallFixture {
 protected:
  void SetUp() override {
    make(json::parse(R"({"default": "reject", "rules": [
      {"action": "deny", "proto": "udp", "dst_port": 9}
    ]})"));
  }
  Verdict reject(const Bytes& pkt) {
    Verdict v = send_bytes(pkt, 4);
    EXPECT_EQ(v.gate, static_cast<int>(nf::kReply)) << "drop: " << v.drop;
    return v;
  }
};

TEST_F(Reject, TcpRstToASyn) {
  const Bytes syn = build_packet(tcp("10.0.0.1", "10.0.0.2", 40000, 22, kSyn));
  const Bytes r = reject(syn).bytes;
  ASSERT_EQ(r.size(), 14u + 20 + 20);
  const size_t l4 = check_addressing(syn, r, false, 6);
  EXPECT_EQ(get16(r, l4), 22);
  EXPECT_EQ(get16(r, l4 + 2), 40000);
  EXPECT_EQ(get32(r, l4 + 4), 0u) << "seq 0";
  EXPECT_EQ(get32(r, l4 + 8), 1000u + 6 + 1) << "ack = their seq + payload + SYN";
  EXPECT_EQ(r[l4 + 12], 5 << 4);
  EXPECT_EQ(r[l4 + 13], kRst | kAck);
  EXPECT_EQ(stats()["nf"]["conntrack"]["rejects_sent"], 1);
  EXPECT_EQ(stats()["packets_out"]["reply"], 1);
}

TEST_F(Reject, TcpRstToAnAckTakesItsSequenceNumber) {
  Bytes seg = build_packet(tcp("10.0.0.1", "10.0.0.2", 40000, 22, kAck | kPsh));
  set16(seg, 34 + 8, 0x1122);
  set16(seg, 34 + 10, 0x3344);
  const Bytes r = reject(seg).bytes;
  const size_t l4 = check_addressing(seg, r, false, 6);
  EXPECT_EQ(get32(r, l4 + 4), 0x11223344u) << "seq = their ACK";
  EXPECT_EQ(get32(r, l4 + 8), 0u);
  EXPECT_EQ(r[l4 + 13], kRst);
}

TEST_F(Reject, TcpRstOverIpv6) {
  const Bytes syn = build_packet(v6(tcp("", "", 5555, 80, kSyn), "2001:db8::1", "2001:db8::2"));
  const Bytes r = reject(syn).bytes;
  ASSERT_EQ(r.size(), 14u + 40 + 20);
  const size_t l4 = check_addressing(syn, r, true, 6);
  EXPECT_EQ(get16(r, l4), 80);
  EXPECT_EQ(get32(r, l4 + 8), 1007u);
  EXPECT_EQ(r[l4 + 13], kRst | kAck);
}

TEST_F(Reject, IcmpPortUnreachableQuotesTheDatagram) {
  const Bytes dgram = build_packet(udp("10.0.0.1", "10.0.0.2", 7777, 53));
  const Bytes r = reject(dgram).bytes;
  const size_t l4 = check_addressing(dgram, r, false, 1);
  EXPECT_EQ(r[l4], 3) << "destination unreachable";
  EXPECT_EQ(r[l4 + 1], 3) << "port unreachable";
  EXPECT_EQ(get32(r, l4 + 4), 0u);
  EXPECT_TRUE(std::equal(r.begin() + l4 + 8, r.end(), dgram.begin() + 14));
  EXPECT_EQ(r.size(), l4 + 8 + (dgram.size() - 14));
}

TEST_F(Reject, IcmpProhibitedForOtherProtocols) {
  PacketSpec gre = udp("10.0.0.1", "10.0.0.2", 0, 0);
  gre.proto = 47;
  const Bytes pkt = build_packet(gre);
  const Bytes r = reject(pkt).bytes;
  const size_t l4 = check_addressing(pkt, r, false, 1);
  EXPECT_EQ(r[l4 + 1], 13) << "communication administratively prohibited";
}

TEST_F(Reject, Icmpv6Unreachable) {
  const Bytes dgram = build_packet(v6(udp("", "", 7777, 53), "2001:db8::1", "2001:db8::2"));
  const Bytes r = reject(dgram).bytes;
  const size_t l4 = check_addressing(dgram, r, true, 58);
  EXPECT_EQ(r[l4], 1);
  EXPECT_EQ(r[l4 + 1], 4) << "port unreachable";
  EXPECT_TRUE(std::equal(r.begin() + l4 + 8, r.end(), dgram.begin() + 14));
  PacketSpec other = v6(udp("", "", 0, 0), "2001:db8::1", "2001:db8::2");
  other.proto = 47;
  const Bytes pkt = build_packet(other);
  EXPECT_EQ(reject(pkt).bytes[14 + 40 + 1], 1) << "administratively prohibited";
}

TEST_F(Reject, QuoteIsBoundedByTheMinimumMtu) {
  PacketSpec big = udp("10.0.0.1", "10.0.0.2", 1, 2);
  big.payload = 1000;
  const Bytes r4 = reject(build_packet(big)).bytes;
  EXPECT_EQ(r4.size(), 14u + 576) << "IPv4 reply datagram at most 576 bytes";
  check_addressing(build_packet(big), r4, false, 1);
  big.payload = 1400;
  const Bytes pkt6 = build_packet(v6(big, "2001:db8::1", "2001:db8::2"));
  const Bytes r6 = reject(pkt6).bytes;
  EXPECT_EQ(r6.size(), 14u + 1280) << "IPv6 reply datagram at most 1280 bytes";
  check_addressing(pkt6, r6, true, 58);
}

TEST_F(Reject, VlanTagsAreKept) {
  PacketSpec s = tcp("10.0.0.1", "10.0.0.2", 1, 2, kSyn);
  s.vlan_tcis = {100};
  const Bytes pkt = build_packet(s);
  const Bytes r = reject(pkt).bytes;
  ASSERT_EQ(r.size(), 18u + 40);
  EXPECT_EQ(get16(r, 12), 0x8100);
  EXPECT_EQ(get16(r, 14), 100);
  EXPECT_EQ(get16(r, 16), 0x0800);
  Bytes untagged(r.begin() + 4, r.end());  // drop the tag to reuse the checks
  std::copy(r.begin(), r.begin() + 12, untagged.begin());
  Bytes orig_untagged(pkt.begin() + 4, pkt.end());
  std::copy(pkt.begin(), pkt.begin() + 12, orig_untagged.begin());
  check_addressing(orig_untagged, untagged, false, 6);
}

TEST_F(Reject, NoReplyWhereNoneMayBeSent) {
  auto no_reply = [&](const Bytes& pkt, const char* what) {
    const Verdict v = send_bytes(pkt, 4);
    EXPECT_EQ(v.drop, "reject_no_reply") << what;
  };
  no_reply(build_packet(icmp("10.0.0.1", "10.0.0.2", 3, 1)), "ICMP error");
  no_reply(build_packet(icmp("10.0.0.1", "10.0.0.2", 11)), "ICMP time exceeded");
  no_reply(build_packet(v6(icmp("", "", 1), "2001:db8::1", "2001:db8::2")), "ICMPv6 error");
  no_reply(build_packet(udp("10.0.0.1", "224.0.0.5", 1, 2)), "multicast destination");
  no_reply(build_packet(udp("10.0.0.1", "255.255.255.255", 68, 67)), "broadcast");
  no_reply(build_packet(udp("0.0.0.0", "10.0.0.2", 68, 67)), "unspecified source");
  no_reply(build_packet(v6(udp("", "", 1, 2), "2001:db8::1", "ff02::1")), "IPv6 multicast");
  PacketSpec bcast = udp("10.0.0.1", "10.0.0.2", 1, 2);
  bcast.dst = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
  no_reply(build_packet(bcast), "broadcast MAC");
  no_reply(build_packet(tcp("10.0.0.1", "10.0.0.2", 1, 2, kRst | kAck)), "RST");
  EXPECT_EQ(stats()["packets_out"]["reply"], 0);
}

TEST_F(Reject, DenyIsSilent) {
  EXPECT_EQ(send(udp("10.0.0.1", "10.0.0.2", 1, 9)).drop, "deny");
}

TEST_F(Reject, SegmentedPacketGetsAReplyInAFreshMbuf) {
  const Bytes syn = build_packet(tcp("10.0.0.1", "10.0.0.2", 40000, 22, kSyn));
  rte_mbuf* head = make_mbuf(Bytes(syn.begin(), syn.begin() + 30));
  rte_mbuf* tail = make_mbuf(Bytes(syn.begin() + 30, syn.end()));
  ASSERT_EQ(rte_pktmbuf_chain(head, tail), 0);
  nf::PacketBatch batch;
  batch.push(head);
  fw->process({0, 4, now}, batch, out);
  ASSERT_EQ(out.count(nf::kReply), 1);
  rte_mbuf* reply = out.packets(nf::kReply)[0];
  EXPECT_EQ(reply->nb_segs, 1);
  const Bytes r = mbuf_bytes(reply);
  rte_pktmbuf_free(reply);
  EXPECT_EQ(r, reject(syn).bytes) << "same reply as for the contiguous packet";
}

}  // namespace
}  // namespace sluice::test
