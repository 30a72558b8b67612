// Forwarding through the router: TTL / hop limit, checksums, MACs, ICMP
// errors (time exceeded, no route, fragmentation needed / packet too big)
// with their quoting and checksums recomputed by the test, echo replies,
// ECMP spreading, VLAN interfaces, and malformed or truncated packets that
// are dropped with a reason without reading past the frame.
#include <random>
#include <set>

#include "tests/unit/nf/router_fixture.h"

namespace sluice::test {
namespace {

using nlohmann::json;

class Forward : public RouterFixture {
 protected:
  void SetUp() override { make(config()); }

  // Both hosts are static neighbours; a default route via 10.2.0.254.
  static json config() {
    json c = two_interfaces();
    c["interfaces"][1]["mtu"] = 1400;
    c["neighbours"] = json::parse(R"([
      {"address": "10.1.0.2", "mac": "02:00:00:00:01:02", "interface": "lan"},
      {"address": "10.2.0.2", "mac": "02:00:00:00:02:02", "interface": "wan"},
      {"address": "2001:db8:2::2", "mac": "02:00:00:00:02:02", "interface": "wan"}])");
    return c;
  }

  // The one packet sent; fails the test if there is not exactly one.
  Sent only(const RouterOutput& r) {
    EXPECT_EQ(r.sent.size(), 1u) << (r.drops.empty() ? "" : r.drops.begin()->first);
    return r.sent.empty() ? Sent{0, {}} : r.sent[0];
  }

  // Checks an ICMP(v6) error about `orig` going back to h1 on lan; returns
  // the offset of its ICMP header.
  static size_t expect_icmp_error(const Sent& s, const Bytes& orig, bool ip6, uint8_t type,
                                  uint8_t code) {
    EXPECT_EQ(s.port, 1);
    const Bytes& b = s.bytes;
    EXPECT_EQ(mac_of(b, 0), kH1Mac);
    EXPECT_EQ(mac_of(b, 6), kLanMac);
    const size_t l4 = 14 + (ip6 ? 40 : 20);
    if (b.size() < l4 + 8) {
      ADD_FAILURE() << "too short: " << b.size();
      return l4;
    }
    const size_t quoted = b.size() - l4 - 8;
    const size_t datagram = orig.size() - 14;
    EXPECT_EQ(quoted, std::min(datagram, ip6 ? size_t{1232} : size_t{548})) << "quote length";
    EXPECT_TRUE(std::equal(b.begin() + static_cast<long>(l4) + 8, b.end(), orig.begin() + 14))
        << "quote is the datagram as received";
    if (ip6) {
      EXPECT_EQ(get16(b, 12), 0x86dd);
      EXPECT_EQ(b[14 + 6], 58);
      EXPECT_EQ(get16(b, 14 + 4), b.size() - l4);
      EXPECT_TRUE(std::equal(b.begin() + 22, b.begin() + 38, Ipv6Addr::parse("2001:db8:1::1").b.begin()));
      EXPECT_TRUE(std::equal(b.begin() + 38, b.begin() + 54, orig.begin() + 22)) << "to the sender";
    } else {
      EXPECT_EQ(get16(b, 12), 0x0800);
      EXPECT_EQ(b[14], 0x45);
      EXPECT_EQ(get16(b, 16), b.size() - 14) << "total length";
      EXPECT_EQ(b[14 + 9], 1);
      EXPECT_EQ(get16(b, 24), expected_ipv4_checksum(b, 14)) << "IPv4 header checksum";
      EXPECT_EQ(get32(b, 26), ip4("10.1.0.1")) << "from the input interface";
      EXPECT_EQ(get32(b, 30), get32(orig, 26)) << "to the sender";
    }
    EXPECT_EQ(b[l4], type);
    EXPECT_EQ(b[l4 + 1], code);
    EXPECT_EQ(get16(b, l4 + 2), expected_l4_checksum(b, 14, l4, b.size(), ip6, ip6 ? 58 : 1))
        << "ICMP checksum";
    return l4;
  }
};

TEST_F(Forward, Ipv4IsRoutedWithTtlDecrementedAndMacsRewritten) {
  const Bytes p = build_packet(from_h1(tcp("10.1.0.2", "10.2.0.2", 40000, 80, kSyn)));
  const Sent s = only(run({p}, 1));
  EXPECT_EQ(s.port, 2);
  ASSERT_EQ(s.bytes.size(), p.size());
  EXPECT_EQ(mac_of(s.bytes, 0), kH2Mac);
  EXPECT_EQ(mac_of(s.bytes, 6), kWanMac);
  EXPECT_EQ(s.bytes[22], 63);
  EXPECT_EQ(get16(s.bytes, 24), expected_ipv4_checksum(s.bytes, 14)) << "incremental update";
  EXPECT_TRUE(std::equal(s.bytes.begin() + 26, s.bytes.end(), p.begin() + 26));
}

TEST_F(Forward, IncrementalChecksumIsRightForEveryTtl) {
  for (unsigned ttl = 2; ttl <= 255; ++ttl) {
    PacketSpec spec = from_h1(udp("10.1.0.2", "10.2.0.2", 1, 2));
    spec.ttl = static_cast<uint8_t>(ttl);
    const Sent s = only(run({build_packet(spec)}, 1));
    ASSERT_EQ(get16(s.bytes, 24), expected_ipv4_checksum(s.bytes, 14)) << "ttl " << ttl;
  }
}

TEST_F(Forward, EthernetPaddingIsRemoved) {
  Bytes p = build_packet(from_h1(udp("10.1.0.2", "10.2.0.2", 1, 2)));
  const size_t len = p.size();
  p.resize(len + 10, 0);
  EXPECT_EQ(only(run({p}, 1)).bytes.size(), len);
}

TEST_F(Forward, TtlOneGetsTimeExceededQuotingTheDatagram) {
  PacketSpec spec = from_h1(udp("10.1.0.2", "10.2.0.2", 33434, 33434));
  spec.ttl = 1;
  spec.payload = 32;
  const Bytes p = build_packet(spec);
  const RouterOutput r = run({p}, 1);
  const size_t l4 = expect_icmp_error(only(r), p, false, 11, 0);
  EXPECT_EQ(get32(r.sent[0].bytes, l4 + 4), 0u) << "unused word";
  EXPECT_EQ(r.sent[0].bytes[14 + 8 + 20 + 8], 1) << "quoted TTL as received";
  EXPECT_EQ(stats()["nf"]["icmp_errors_sent"], 1);
}

TEST_F(Forward, LongDatagramIsQuotedUpTo576Bytes) {
  PacketSpec spec = from_h1(udp("10.1.0.2", "10.2.0.2", 1, 2));
  spec.ttl = 1;
  spec.payload = 1000;
  const Bytes p = build_packet(spec);
  const Sent s = only(run({p}, 1));
  expect_icmp_error(s, p, false, 11, 0);
  EXPECT_EQ(s.bytes.size(), 14u + 576);
}

TEST_F(Forward, HopLimitOneGetsIcmpv6TimeExceeded) {
  PacketSpec spec = from_h1(v6(udp("", "", 1, 2), "2001:db8:1::2", "2001:db8:2::2"));
  spec.ttl = 1;
  const Bytes p = build_packet(spec);
  expect_icmp_error(only(run({p}, 1)), p, true, 3, 0);
}

TEST_F(Forward, NoRouteGetsDestinationUnreachable) {
  const Bytes p = build_packet(from_h1(udp("10.1.0.2", "192.0.2.1", 1, 2)));
  expect_icmp_error(only(run({p}, 1)), p, false, 3, 0);
  const Bytes p6 = build_packet(from_h1(v6(udp("", "", 1, 2), "2001:db8:1::2", "2001:db8:99::1")));
  expect_icmp_error(only(run({p6}, 1)), p6, true, 1, 0);
}

TEST_F(Forward, NoIcmpErrorAboutAnIcmpError) {
  PacketSpec spec = from_h1(icmp("10.1.0.2", "192.0.2.1", 3, 1));
  const RouterOutput r = run({build_packet(spec)}, 1);
  EXPECT_TRUE(r.sent.empty());
  EXPECT_EQ(r.dropped("no_route"), 1);
}

TEST_F(Forward, DontFragmentOverTheMtuGetsFragmentationNeeded) {
  PacketSpec spec = from_h1(udp("10.1.0.2", "10.2.0.2", 1, 2));
  spec.payload = 1400;  // 1428-byte datagram, wan MTU 1400
  spec.frag = 0x4000;
  const Bytes p = build_packet(spec);
  const RouterOutput r = run({p}, 1);
  const size_t l4 = expect_icmp_error(only(r), p, false, 3, 4);
  EXPECT_EQ(get16(r.sent[0].bytes, l4 + 6), 1400) << "next-hop MTU";
  spec.frag = 0;
  EXPECT_EQ(run({build_packet(spec)}, 1).dropped("too_big"), 1) << "not fragmented";
  spec.payload = 1372;  // exactly 1400
  spec.frag = 0x4000;
  EXPECT_EQ(only(run({build_packet(spec)}, 1)).port, 2);
}

TEST_F(Forward, Ipv6OverTheMtuGetsPacketTooBig) {
  PacketSpec spec = from_h1(v6(udp("", "", 1, 2), "2001:db8:1::2", "2001:db8:2::2"));
  spec.payload = 1400;
  const Bytes p = build_packet(spec);
  const RouterOutput r = run({p}, 1);
  const size_t l4 = expect_icmp_error(only(r), p, true, 2, 0);
  EXPECT_EQ(get32(r.sent[0].bytes, l4 + 4), 1400u);
}

TEST_F(Forward, PingToTheRouterIsAnswered) {
  PacketSpec spec = from_h1(icmp("10.1.0.2", "10.2.0.1", 8));
  const Bytes p = build_packet(spec);
  const Sent s = only(run({p}, 1));
  EXPECT_EQ(s.port, 1);
  ASSERT_EQ(s.bytes.size(), p.size());
  EXPECT_EQ(mac_of(s.bytes, 0), kH1Mac);
  EXPECT_EQ(get32(s.bytes, 26), ip4("10.2.0.1"));
  EXPECT_EQ(get32(s.bytes, 30), ip4("10.1.0.2"));
  EXPECT_EQ(s.bytes[34], 0) << "echo reply";
  EXPECT_EQ(get16(s.bytes, 24), expected_ipv4_checksum(s.bytes, 14));
  EXPECT_EQ(get16(s.bytes, 36), expected_l4_checksum(s.bytes, 14, 34, s.bytes.size(), false, 1));
  EXPECT_TRUE(std::equal(s.bytes.begin() + 38, s.bytes.end(), p.begin() + 38)) << "id, seq, data";

  const Bytes p6 = build_packet(from_h1(v6(icmp("", "", 128), "2001:db8:1::2", "2001:db8:1::1")));
  const Sent s6 = only(run({p6}, 1));
  EXPECT_EQ(s6.bytes[54], 129);
  EXPECT_EQ(get16(s6.bytes, 56), expected_l4_checksum(s6.bytes, 14, 54, s6.bytes.size(), true, 58));
  EXPECT_TRUE(std::equal(s6.bytes.begin() + 38, s6.bytes.begin() + 54, p6.begin() + 22));
  EXPECT_EQ(stats()["nf"]["echo_replies_sent"], 2);
}

TEST_F(Forward, OtherTrafficToTheRouterIsDroppedAsLocal) {
  EXPECT_EQ(run({build_packet(from_h1(tcp("10.1.0.2", "10.1.0.1", 1, 22, kSyn)))}, 1).dropped("local"), 1);
  EXPECT_EQ(run({build_packet(from_h1(udp("10.1.0.2", "255.255.255.255", 68, 67)))}, 1).dropped("local"), 1);
  PacketSpec bad_sum = from_h1(icmp("10.1.0.2", "10.1.0.1", 8));
  Bytes p = build_packet(bad_sum);
  p[36] ^= 0xff;
  EXPECT_EQ(run({p}, 1).dropped("bad_checksum"), 1);
}

TEST_F(Forward, FramesForOtherHostsOrPortsAreNotForUs) {
  PacketSpec spec = udp("10.1.0.2", "10.2.0.2", 1, 2);
  spec.dst = kH2Mac;
  EXPECT_EQ(send(spec, 1).dropped("not_for_us"), 1);
  EXPECT_EQ(send(from_h1(udp("10.1.0.2", "10.2.0.2", 1, 2)), 9).dropped("not_for_us"), 1);
  PacketSpec lldp = from_h1(udp("10.1.0.2", "10.2.0.2", 1, 2));
  lldp.eth_type = 0x88cc;
  EXPECT_EQ(send(lldp, 1).dropped("non_ip"), 1);
}

TEST_F(Forward, EcmpSpreadsFlowsAndKeepsEachOnOneHop) {
  json c = config();
  c["routes"] = json::parse(R"([{"prefix": "10.8.0.0/16", "next_hops": [
    {"via": "10.2.0.11"}, {"via": "10.2.0.12"}, {"via": "10.2.0.13"}]}])");
  for (int i = 1; i <= 3; ++i)
    c["neighbours"].push_back({{"address", "10.2.0.1" + std::to_string(i)},
                               {"mac", "02:00:00:00:02:1" + std::to_string(i)},
                               {"interface", "wan"}});
  make(c);
  std::map<uint8_t, int> per_hop;
  constexpr int kFlows = 3000;
  for (int f = 0; f < kFlows; f += 30) {
    std::vector<Bytes> batch;
    for (int i = f; i < f + 30; ++i)
      batch.push_back(build_packet(from_h1(udp("10.1.0.2", "10.8.1.1", static_cast<uint16_t>(1000 + i), 80))));
    const RouterOutput r = run(batch, 1);
    ASSERT_EQ(r.sent.size(), batch.size());
    for (const Sent& s : r.sent) ++per_hop[s.bytes[5]];
  }
  ASSERT_EQ(per_hop.size(), 3u);
  for (const auto& [mac, n] : per_hop) {
    EXPECT_GT(n, kFlows / 3 * 8 / 10) << "hop ..:1" << (mac & 0xf);
    EXPECT_LT(n, kFlows / 3 * 12 / 10) << "hop ..:1" << (mac & 0xf);
  }
  // A flow stays on its hop.
  const Bytes p = build_packet(from_h1(udp("10.1.0.2", "10.8.1.1", 4242, 80)));
  const uint8_t hop = only(run({p}, 1)).bytes[5];
  for (int i = 0; i < 10; ++i) EXPECT_EQ(only(run({p}, 1)).bytes[5], hop);
}

TEST_F(Forward, VlanInterfacesTagAndUntag) {
  json c = config();
  c["interfaces"].push_back(json::parse(R"({"name": "v10", "port": 1, "vlan": 10,
    "mac": "02:00:00:00:10:01", "addresses": ["10.10.0.1/24"]})"));
  c["neighbours"].push_back({{"address", "10.10.0.2"}, {"mac", "02:00:00:00:10:02"}, {"interface", "v10"}});
  make(c);
  // Tagged in on VLAN 10, untagged out on wan.
  PacketSpec in = udp("10.10.0.2", "10.2.0.2", 1, 2);
  in.dst = {0x02, 0, 0, 0, 0x10, 0x01};
  in.vlan_tcis = {10};
  const Bytes p = build_packet(in);
  Sent s = only(run({p}, 1));
  EXPECT_EQ(s.port, 2);
  EXPECT_EQ(s.bytes.size(), p.size() - 4);
  EXPECT_EQ(get16(s.bytes, 12), 0x0800);
  // Untagged in on lan, tagged out on port 1 VLAN 10.
  s = only(run({build_packet(from_h1(udp("10.1.0.2", "10.10.0.2", 1, 2)))}, 1));
  EXPECT_EQ(s.port, 1);
  EXPECT_EQ(get16(s.bytes, 12), 0x8100);
  EXPECT_EQ(get16(s.bytes, 14) & 0xfff, 10);
  EXPECT_EQ(get16(s.bytes, 16), 0x0800);
  EXPECT_EQ(mac_of(s.bytes, 0), (Mac{0x02, 0, 0, 0, 0x10, 0x02}));
  EXPECT_EQ(get16(s.bytes, 18 + 10), expected_ipv4_checksum(s.bytes, 18));
  // VLAN 20 is no interface.
  in.vlan_tcis = {20};
  EXPECT_EQ(run({build_packet(in)}, 1).dropped("not_for_us"), 1);
}

TEST_F(Forward, BadHeadersAreDroppedWithTheirReason) {
  const Bytes good = build_packet(from_h1(udp("10.1.0.2", "10.2.0.2", 1, 2)));
  Bytes b = good;
  b[14 + 10] ^= 1;
  EXPECT_EQ(run({b}, 1).dropped("bad_checksum"), 1);
  b = good;
  b[14] = 0x44;  // IHL 4
  EXPECT_EQ(run({b}, 1).dropped("bad_header"), 1);
  b = good;
  b[14] = 0x65;  // version 6 in an IPv4 frame
  EXPECT_EQ(run({b}, 1).dropped("bad_header"), 1);
  b = good;
  set16(b, 16, static_cast<uint16_t>(good.size() - 14 + 1));  // total length past the frame
  set16(b, 24, 0);
  set16(b, 24, expected_ipv4_checksum(b, 14));
  EXPECT_EQ(run({b}, 1).dropped("truncated"), 1);
}

// Every prefix of valid frames (IPv4, IPv6, ARP, ND): dropped as truncated,
// never sent, never a crash. The mbuf holds exactly the bytes given, so a
// read past the frame would see the mbuf's tail, and the checks catch that
// the verdict is the expected one.
TEST_F(Forward, TruncatedFramesAreDroppedAtEveryLength) {
  const Mac group = {0x33, 0x33, 0xff, 0x00, 0x00, 0x01};
  const std::vector<Bytes> frames = {
      build_packet(from_h1(udp("10.1.0.2", "10.2.0.2", 1, 2))),
      build_packet(from_h1(v6(udp("", "", 1, 2), "2001:db8:1::2", "2001:db8:2::2"))),
      build_packet(from_h1(icmp("10.1.0.2", "10.1.0.1", 8))),
      arp_frame(1, kBroadcast, kH1Mac, "10.1.0.2", "10.1.0.1"),
      nd_frame(135, group, kH1Mac, "2001:db8:1::2", "ff02::1:ff00:1", "2001:db8:1::1"),
  };
  for (const Bytes& f : frames) {
    for (size_t len = 0; len < f.size(); ++len) {
      const Bytes cut(f.begin(), f.begin() + static_cast<long>(len));
      const RouterOutput r = run({cut}, 1);
      EXPECT_TRUE(r.sent.empty()) << "length " << len;
      const int expected = r.dropped("truncated") + r.dropped("bad_header");
      EXPECT_EQ(expected, 1) << "length " << len << " of " << f.size();
    }
  }
}

}  // namespace
}  // namespace sluice::test
