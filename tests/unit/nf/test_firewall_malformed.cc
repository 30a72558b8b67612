// Malformed and unusual packets: every truncation of a valid packet is a
// counted drop, inconsistent headers are bad_header, fragments follow the
// "fragments" setting, and headers are found behind VLAN tags, IPv4 options,
// IPv6 extension headers and across mbuf segments.
#include "tests/unit/nf/firewall_fixture.h"

namespace sluice::test {
namespace {

using nlohmann::json;

class Malformed : public FirewallFixture {
 protected:
  void SetUp() override {
    make(json::parse(R"({"rules": [{"action": "allow", "proto": "udp", "dst_port": 53},
                                   {"action": "allow", "proto": "tcp", "dst_port": 80}]})"));
  }
  static constexpr size_t kL3 = 14, kL4 = 34;
};

TEST_F(Malformed, EveryTruncationIsCounted) {
  const PacketSpec specs[] = {udp("10.0.0.1", "10.0.0.2", 1, 53),
                              tcp("10.0.0.1", "10.0.0.2", 1, 80, kSyn),
                              v6(udp("", "", 1, 53), "2001:db8::1", "2001:db8::2"),
                              v6(tcp("", "", 1, 80, kSyn), "2001:db8::1", "2001:db8::2")};
  for (const PacketSpec& s : specs) {
    const Bytes full = build_packet(s);
    ASSERT_TRUE(send_bytes(full).forwarded());
    for (size_t len = 0; len < full.size(); ++len) {
      const Verdict v = send_bytes(Bytes(full.begin(), full.begin() + len));
      EXPECT_EQ(v.drop, "truncated") << "length " << len << " of " << full.size();
    }
  }
}

TEST_F(Malformed, ShortL4InsideTheDatagram) {
  // The frame is long enough, but the IP datagram ends inside the TCP header.
  Bytes p = build_packet(tcp("10.0.0.1", "10.0.0.2", 1, 80, kSyn));
  set16(p, kL3 + 2, 20 + 12);
  EXPECT_EQ(send_bytes(p).drop, "truncated");
}

TEST_F(Malformed, InconsistentHeaders) {
  const Bytes good = build_packet(tcp("10.0.0.1", "10.0.0.2", 1, 80, kSyn));
  Bytes p = good;
  p[kL3] = 0x44;  // IHL 4
  EXPECT_EQ(send_bytes(p).drop, "bad_header");
  p = good;
  p[kL3] = 0x65;  // version 6 behind ethertype IPv4
  EXPECT_EQ(send_bytes(p).drop, "bad_header");
  p = good;
  set16(p, kL3 + 2, 19);  // total length below the header
  EXPECT_EQ(send_bytes(p).drop, "bad_header");
  p = good;
  set16(p, kL3 + 2, static_cast<uint16_t>(good.size() - kL3 + 1));  // beyond the frame
  EXPECT_EQ(send_bytes(p).drop, "truncated");
  p = good;
  p[kL4 + 12] = 4 << 4;  // TCP data offset 4
  EXPECT_EQ(send_bytes(p).drop, "bad_header");
  p = good;
  p[kL4 + 12] = 15 << 4;  // TCP options past the datagram
  EXPECT_EQ(send_bytes(p).drop, "truncated");
  Bytes v6p = build_packet(v6(udp("", "", 1, 53), "::1", "::2"));
  v6p[kL3] = 0x45;
  EXPECT_EQ(send_bytes(v6p).drop, "bad_header");
  EXPECT_EQ(dropped("bad_header"), 5u);
}

TEST_F(Malformed, Ipv4OptionsAndPadding) {
  Bytes p = build_packet(udp("10.0.0.1", "10.0.0.2", 1, 53));
  p.insert(p.begin() + kL4, {1, 1, 1, 0});  // NOP NOP NOP EOL
  p[kL3] = 0x46;
  set16(p, kL3 + 2, static_cast<uint16_t>(get16(p, kL3 + 2) + 4));
  EXPECT_TRUE(send_bytes(p).forwarded()) << "L4 found after the options";
  p.insert(p.end(), 20, 0);  // Ethernet padding after the datagram
  EXPECT_TRUE(send_bytes(p).forwarded());
}

TEST_F(Malformed, FragmentsFollowTheSetting) {
  PacketSpec later = udp("10.0.0.1", "10.0.0.2", 1, 53);
  later.frag = 100;  // offset 800 bytes: no UDP header
  PacketSpec first = udp("10.0.0.1", "10.0.0.2", 1, 53);
  first.frag = 0x2000;  // more fragments, offset 0: has the UDP header
  EXPECT_EQ(send(later).drop, "fragment");
  EXPECT_TRUE(send(first).forwarded()) << "first fragments go through the rules";
  first.dport = 54;
  EXPECT_EQ(send(first).drop, "default_deny");
  make(json::parse(R"({"fragments": "allow"})"));
  EXPECT_TRUE(send(later).forwarded());
  EXPECT_EQ(send(first).drop, "default_deny");
}

// An IPv6 UDP packet with extension headers (next-header, length pairs, each
// 8 bytes) inserted before the UDP header.
Bytes ipv6_with_extensions(const std::vector<uint8_t>& types, uint16_t fragment_offset = 0) {
  Bytes p = build_packet(v6(udp("", "", 1, 53), "2001:db8::1", "2001:db8::2"));
  const size_t l3 = 14;
  uint8_t next = p[l3 + 6];
  Bytes ext;
  for (size_t i = types.size(); i-- > 0;) {
    Bytes h = {next, 0, 0, 0, 0, 0, 0, 0};
    if (types[i] == 44) set16(h, 2, static_cast<uint16_t>(fragment_offset << 3));
    ext.insert(ext.begin(), h.begin(), h.end());
    next = types[i];
  }
  p[l3 + 6] = next;
  p.insert(p.begin() + l3 + 40, ext.begin(), ext.end());
  set16(p, l3 + 4, static_cast<uint16_t>(get16(p, l3 + 4) + ext.size()));
  return p;
}

TEST_F(Malformed, Ipv6ExtensionHeaders) {
  EXPECT_TRUE(send_bytes(ipv6_with_extensions({0, 60, 43})).forwarded())
      << "hop-by-hop, destination options, routing, then UDP";
  EXPECT_TRUE(send_bytes(ipv6_with_extensions({44})).forwarded()) << "first fragment";
  EXPECT_EQ(send_bytes(ipv6_with_extensions({44}, 10)).drop, "fragment");
  EXPECT_EQ(send_bytes(ipv6_with_extensions(std::vector<uint8_t>(9, 60))).drop, "bad_header")
      << "more than 8 extension headers";
  Bytes cut = ipv6_with_extensions({0});
  set16(cut, 14 + 4, 4);  // payload ends inside the extension header
  EXPECT_EQ(send_bytes(cut).drop, "truncated");
}

TEST_F(Malformed, VlanTaggedPackets) {
  PacketSpec s = udp("10.0.0.1", "10.0.0.2", 1, 53);
  s.vlan_tcis = {10, 20};
  EXPECT_TRUE(send(s).forwarded());
  s.dport = 54;
  EXPECT_EQ(send(s).drop, "default_deny");
}

TEST_F(Malformed, HeadersAcrossSegments) {
  const Bytes p = build_packet(tcp("10.0.0.1", "10.0.0.2", 1, 80, kSyn));
  for (size_t split : {size_t{10}, kL3 + 5, kL4 + 3, kL4 + 13}) {
    rte_mbuf* head = make_mbuf(Bytes(p.begin(), p.begin() + static_cast<long>(split)));
    rte_mbuf* tail = make_mbuf(Bytes(p.begin() + static_cast<long>(split), p.end()));
    ASSERT_EQ(rte_pktmbuf_chain(head, tail), 0);
    nf::PacketBatch batch;
    batch.push(head);
    fw->process({0, 1, now}, batch, out);
    ASSERT_EQ(out.count(nf::kForward), 1) << "split at " << split;
    rte_pktmbuf_free(out.packets(nf::kForward)[0]);
  }
}

TEST_F(Malformed, MixedBatchSettlesEveryPacketOnce) {
  const std::vector<Bytes> batch = {
      build_packet(udp("10.0.0.1", "10.0.0.2", 1, 53)),
      Bytes(5, 0),
      build_packet(udp("10.0.0.1", "10.0.0.2", 1, 54)),
      build_packet(v6(tcp("", "", 1, 80, kSyn), "::1", "::2")),
      build_packet(tcp("10.0.0.1", "10.0.0.2", 1, 80, kSyn | kFin)),
  };
  const auto v = run(batch);
  EXPECT_TRUE(v[0].forwarded());
  EXPECT_TRUE(v[3].forwarded());
  EXPECT_EQ(out.emitted() + out.dropped(), batch.size());
  EXPECT_EQ(out.drops(nf::reason(nf::FwDrop::truncated)), 1);
  EXPECT_EQ(out.drops(nf::reason(nf::FwDrop::default_deny)), 1);
  EXPECT_EQ(out.drops(nf::reason(nf::FwDrop::invalid)), 1);
  EXPECT_EQ(stats()["packets_in"], 5);
}

}  // namespace
}  // namespace sluice::test
