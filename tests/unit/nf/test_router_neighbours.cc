// The router's neighbours: ARP requests and IPv6 neighbour solicitations for
// its addresses are answered (field by field, checksums recomputed by the
// test); unresolved next hops are asked for, their packets wait in a bounded
// queue and leave when the answer comes, or are dropped when it never does;
// static entries need no asking; what one worker learns, the others use.
#include "tests/unit/nf/router_fixture.h"

namespace sluice::test {
namespace {

using nlohmann::json;

class Neighbours : public RouterFixture {
 protected:
  void SetUp() override { make(two_interfaces()); }

  static json with_neighbour_settings(const char* settings) {
    json c = two_interfaces();
    c["neighbour"] = json::parse(settings);
    return c;
  }

  // A UDP packet from h1 to 10.2.0.2 (on wan, so via neighbour 10.2.0.2).
  Bytes to_h2(uint16_t sport = 1000) const {
    return build_packet(from_h1(udp("10.1.0.2", "10.2.0.2", sport, 53)));
  }
  // Checks an ARP request from the router's wan side for `target`.
  static void expect_arp_request(const Sent& s, const char* target) {
    EXPECT_EQ(s.port, 2);
    ASSERT_EQ(s.bytes.size(), 42u);
    EXPECT_EQ(mac_of(s.bytes, 0), kBroadcast);
    EXPECT_EQ(mac_of(s.bytes, 6), kWanMac);
    EXPECT_EQ(get16(s.bytes, 12), 0x0806);
    EXPECT_EQ(get16(s.bytes, 14 + 6), 1) << "request";
    EXPECT_EQ(mac_of(s.bytes, 14 + 8), kWanMac) << "sender MAC";
    EXPECT_EQ(get32(s.bytes, 14 + 14), ip4("10.2.0.1")) << "sender IP";
    EXPECT_EQ(get32(s.bytes, 14 + 24), ip4(target)) << "target IP";
  }
  // Checks a routed copy of `orig` (from to_h2) as it leaves for h2.
  static void expect_routed_to_h2(const Sent& s, const Bytes& orig) {
    EXPECT_EQ(s.port, 2);
    ASSERT_EQ(s.bytes.size(), orig.size());
    EXPECT_EQ(mac_of(s.bytes, 0), kH2Mac);
    EXPECT_EQ(mac_of(s.bytes, 6), kWanMac);
    EXPECT_EQ(s.bytes[14 + 8], orig[14 + 8] - 1) << "TTL";
    EXPECT_EQ(get16(s.bytes, 14 + 10), expected_ipv4_checksum(s.bytes, 14));
    EXPECT_TRUE(std::equal(s.bytes.begin() + 14 + 12, s.bytes.end(), orig.begin() + 14 + 12));
  }
};

TEST_F(Neighbours, ArpRequestForOwnAddressIsAnswered) {
  const RouterOutput r = run({arp_frame(1, kBroadcast, kH1Mac, "10.1.0.2", "10.1.0.1")}, 1);
  ASSERT_EQ(r.sent.size(), 1u);
  const Bytes& b = r.sent[0].bytes;
  EXPECT_EQ(r.sent[0].port, 1);
  ASSERT_EQ(b.size(), 42u);
  EXPECT_EQ(mac_of(b, 0), kH1Mac);
  EXPECT_EQ(mac_of(b, 6), kLanMac);
  EXPECT_EQ(get16(b, 12), 0x0806);
  EXPECT_EQ(get16(b, 14), 1);
  EXPECT_EQ(get16(b, 16), 0x0800);
  EXPECT_EQ(get16(b, 20), 2) << "reply";
  EXPECT_EQ(mac_of(b, 22), kLanMac);
  EXPECT_EQ(get32(b, 28), ip4("10.1.0.1"));
  EXPECT_EQ(mac_of(b, 32), kH1Mac);
  EXPECT_EQ(get32(b, 38), ip4("10.1.0.2"));
  // The asker was learned: a packet for it goes straight out.
  const json n = command("neighbours", json::object())["neighbours"];
  ASSERT_EQ(n.size(), 1u) << n;
  EXPECT_EQ(n[0]["address"], "10.1.0.2");
  EXPECT_EQ(n[0]["mac"], "02:00:00:00:01:02");
  EXPECT_EQ(n[0]["state"], "reachable");
  EXPECT_EQ(n[0]["interface"], "lan");
}

TEST_F(Neighbours, ArpForOtherAddressesOrInterfacesIsIgnored) {
  EXPECT_EQ(run({arp_frame(1, kBroadcast, kH1Mac, "10.1.0.2", "10.1.0.9")}, 1)
                .dropped("neighbour_ignored"),
            1);
  // 10.2.0.1 is the router's, but on wan, not on the port the request came in on.
  EXPECT_EQ(run({arp_frame(1, kBroadcast, kH1Mac, "10.1.0.2", "10.2.0.1")}, 1)
                .dropped("neighbour_ignored"),
            1);
  EXPECT_EQ(run({arp_frame(1, kBroadcast, kH1Mac, "10.1.0.2", "10.1.0.1")}, 7).dropped("not_for_us"),
            1);
}

TEST_F(Neighbours, NeighbourSolicitationIsAnsweredWithAnAdvertisement) {
  const Mac group = {0x33, 0x33, 0xff, 0x00, 0x00, 0x01};
  const RouterOutput r =
      run({nd_frame(135, group, kH1Mac, "2001:db8:1::2", "ff02::1:ff00:1", "2001:db8:1::1")}, 1);
  ASSERT_EQ(r.sent.size(), 1u) << r.drops.begin()->first;
  const Bytes& b = r.sent[0].bytes;
  ASSERT_EQ(b.size(), 14u + 40 + 32);
  EXPECT_EQ(mac_of(b, 0), kH1Mac);
  EXPECT_EQ(mac_of(b, 6), kLanMac);
  EXPECT_EQ(b[14 + 6], 58);
  EXPECT_EQ(b[14 + 7], 255) << "hop limit";
  EXPECT_TRUE(std::equal(b.begin() + 22, b.begin() + 38, Ipv6Addr::parse("2001:db8:1::1").b.begin()));
  EXPECT_TRUE(std::equal(b.begin() + 38, b.begin() + 54, Ipv6Addr::parse("2001:db8:1::2").b.begin()));
  EXPECT_EQ(b[54], 136);
  EXPECT_EQ(b[55], 0);
  EXPECT_EQ(get16(b, 56), expected_l4_checksum(b, 14, 54, b.size(), true, 58));
  EXPECT_EQ(b[58], 0xe0) << "router, solicited, override";
  EXPECT_TRUE(std::equal(b.begin() + 62, b.begin() + 78, Ipv6Addr::parse("2001:db8:1::1").b.begin()));
  EXPECT_EQ(b[78], 2) << "target link-layer address option";
  EXPECT_EQ(b[79], 1);
  EXPECT_EQ(mac_of(b, 80), kLanMac);
}

TEST_F(Neighbours, MalformedSolicitationsAreDropped) {
  const Mac group = {0x33, 0x33, 0xff, 0x00, 0x00, 0x01};
  // Hop limit other than 255 (RFC 4861 7.1.1).
  EXPECT_EQ(run({nd_frame(135, group, kH1Mac, "2001:db8:1::2", "ff02::1:ff00:1", "2001:db8:1::1",
                          64)},
                1)
                .dropped("bad_header"),
            1);
  Bytes bad = nd_frame(135, group, kH1Mac, "2001:db8:1::2", "ff02::1:ff00:1", "2001:db8:1::1");
  bad[56] ^= 1;
  EXPECT_EQ(run({bad}, 1).dropped("bad_checksum"), 1);
  // Duplicate address detection (from ::) gets no answer.
  EXPECT_EQ(run({nd_frame(135, group, kH1Mac, "::", "ff02::1:ff00:1", "2001:db8:1::1")}, 1)
                .dropped("neighbour_ignored"),
            1);
}

TEST_F(Neighbours, UnresolvedNextHopIsAskedForAndItsPacketsWaitThenLeave) {
  const Bytes p1 = to_h2(1), p2 = to_h2(2);
  RouterOutput r = run({p1, p2}, 1);
  EXPECT_EQ(r.held, 2);
  ASSERT_EQ(r.sent.size(), 1u) << "one request for both";
  expect_arp_request(r.sent[0], "10.2.0.2");
  EXPECT_EQ(command("neighbours", json::object())["neighbours"][0]["state"], "incomplete");

  r = run({arp_frame(2, kWanMac, kH2Mac, "10.2.0.2", "10.2.0.1")}, 2);
  EXPECT_EQ(r.dropped("neighbour_answer"), 1);
  ASSERT_EQ(r.sent.size(), 2u);
  expect_routed_to_h2(r.sent[0], p1);
  expect_routed_to_h2(r.sent[1], p2);
  EXPECT_EQ(stats()["nf"]["released"], 2);

  // Resolved now: the next packet goes straight out.
  r = run({to_h2(3)}, 1);
  ASSERT_EQ(r.sent.size(), 1u);
  expect_routed_to_h2(r.sent[0], to_h2(3));
  EXPECT_EQ(stats()["held"], 2);
  EXPECT_EQ(stats()["packets_sent"], 1 + 2 + 1);
}

TEST_F(Neighbours, QueueIsBounded) {
  make(with_neighbour_settings(R"({"queue": 2})"));
  const RouterOutput r = run({to_h2(1), to_h2(2), to_h2(3)}, 1);
  EXPECT_EQ(r.held, 2);
  EXPECT_EQ(r.dropped("queue_full"), 1);
}

TEST_F(Neighbours, AskedAgainThenGivenUp) {
  make(with_neighbour_settings(R"({"retries": 2, "retry_ms": 500})"));
  EXPECT_EQ(run({to_h2(1)}, 1).held, 1);
  advance(0.6);
  // A later batch (any traffic) ages the entry: a second request, packet still held.
  RouterOutput r = run({arp_frame(1, kBroadcast, kH1Mac, "10.1.0.2", "10.1.0.9")}, 1);
  ASSERT_EQ(r.sent.size(), 1u);
  expect_arp_request(r.sent[0], "10.2.0.2");
  advance(0.6);
  r = run({arp_frame(1, kBroadcast, kH1Mac, "10.1.0.2", "10.1.0.9")}, 1);
  EXPECT_EQ(r.dropped("unresolved"), 1) << "after 2 requests";
  EXPECT_TRUE(r.sent.empty());
  EXPECT_TRUE(command("neighbours", json::object())["neighbours"].empty());
  EXPECT_EQ(stats()["nf"]["expired"], 1);
}

TEST_F(Neighbours, UnconfirmedEntriesAgeOut) {
  make(with_neighbour_settings(R"({"reachable_s": 5, "stale_s": 10, "size": 16})"));
  run({arp_frame(2, kWanMac, kH2Mac, "10.2.0.2", "10.2.0.1")}, 2);
  advance(6);
  // In use after reachable_s: asked again, still sent.
  RouterOutput r = run({to_h2(1)}, 1);
  ASSERT_EQ(r.sent.size(), 2u);
  expect_arp_request(r.sent[0], "10.2.0.2");
  expect_routed_to_h2(r.sent[1], to_h2(1));
  advance(5);
  // Aging looks at a few slots per batch: a small table is gone through in a few.
  for (int i = 0; i < 20; ++i) run({arp_frame(1, kBroadcast, kH1Mac, "10.1.0.2", "10.1.0.9")}, 1);
  EXPECT_TRUE(command("neighbours", json::object())["neighbours"].empty());
  EXPECT_EQ(stats()["nf"]["expired"], 1);
}

TEST_F(Neighbours, StaticEntriesNeedNoResolution) {
  json c = two_interfaces();
  c["neighbours"] = json::parse(R"([{"address": "10.2.0.2", "mac": "02:00:00:00:02:02", "interface": "wan"}])");
  make(c);
  const RouterOutput r = run({to_h2(1)}, 1);
  ASSERT_EQ(r.sent.size(), 1u);
  expect_routed_to_h2(r.sent[0], to_h2(1));
  const json n = command("neighbours", json::object())["neighbours"];
  ASSERT_EQ(n.size(), 1u);
  EXPECT_EQ(n[0]["state"], "static");
}

TEST_F(Neighbours, Ipv6NextHopIsSolicitedAndReleasedByTheAdvertisement) {
  const Bytes p = build_packet(from_h1(v6(udp("", "", 1000, 53), "2001:db8:1::2", "2001:db8:2::2")));
  RouterOutput r = run({p}, 1);
  EXPECT_EQ(r.held, 1);
  ASSERT_EQ(r.sent.size(), 1u);
  const Bytes& ns = r.sent[0].bytes;
  EXPECT_EQ(r.sent[0].port, 2);
  ASSERT_EQ(ns.size(), 14u + 40 + 32);
  EXPECT_EQ(mac_of(ns, 0), (Mac{0x33, 0x33, 0xff, 0, 0, 2}));
  EXPECT_TRUE(std::equal(ns.begin() + 38, ns.begin() + 54, Ipv6Addr::parse("ff02::1:ff00:2").b.begin()));
  EXPECT_EQ(ns[54], 135);
  EXPECT_EQ(get16(ns, 56), expected_l4_checksum(ns, 14, 54, ns.size(), true, 58));
  EXPECT_TRUE(std::equal(ns.begin() + 62, ns.begin() + 78, Ipv6Addr::parse("2001:db8:2::2").b.begin()));
  EXPECT_EQ(mac_of(ns, 80), kWanMac) << "source link-layer address option";

  r = run({nd_frame(136, kWanMac, kH2Mac, "2001:db8:2::2", "2001:db8:2::1", "2001:db8:2::2")}, 2);
  EXPECT_EQ(r.dropped("neighbour_answer"), 1);
  ASSERT_EQ(r.sent.size(), 1u);
  const Bytes& out = r.sent[0].bytes;
  EXPECT_EQ(mac_of(out, 0), kH2Mac);
  EXPECT_EQ(out[14 + 7], p[14 + 7] - 1) << "hop limit";
  EXPECT_EQ(get16(out, 54 + 6), get16(p, 54 + 6)) << "UDP checksum (hop limit is not in it)";
}

TEST_F(Neighbours, WhatOneWorkerLearnsTheOthersUse) {
  make(two_interfaces(), 2);
  EXPECT_EQ(run({to_h2(1)}, 1, 0).held, 1);
  // The answer arrives on worker 1; worker 0 hears of it at its next batch.
  RouterOutput r = run({arp_frame(2, kWanMac, kH2Mac, "10.2.0.2", "10.2.0.1")}, 2, 1);
  EXPECT_TRUE(r.sent.empty());
  r = run({to_h2(2)}, 1, 0);
  ASSERT_EQ(r.sent.size(), 2u);
  expect_routed_to_h2(r.sent[0], to_h2(1));
  expect_routed_to_h2(r.sent[1], to_h2(2));
}

}  // namespace
}  // namespace sluice::test
