// Every action's effect on real packet bytes; checksums recomputed from
// scratch by the test (packet_builder.h), never by the code under test.
#include <gtest/gtest.h>
#include <rte_cycles.h>

#include <map>
#include <set>

#include "common/error.h"
#include "dataplane/flow/flow_processor.h"
#include "tests/unit/flow/flow_fixture.h"
#include "tests/unit/flow/test_sink.h"

namespace sluice {
namespace {

using test::Bytes;
using test::Event;
using test::PacketSpec;

class Actions : public test::FlowFixture {
 protected:
  void SetUp() override {
    FlowFixture::SetUp();
    worker = &pipeline->add_worker(0);
  }
  // Runs one packet through the pipeline; returns what the sink saw.
  std::vector<Event> run(const Bytes& bytes, uint16_t in_port = 1, uint64_t now = 1000) {
    sink.events.clear();
    rte_mbuf* m = test::make_mbuf(bytes);
    EXPECT_NE(m, nullptr);
    process_burst(*worker, *pipeline->current(), &m, 1, in_port, now, sink);
    return sink.events;
  }
  // Runs `frames` through the pipeline as one burst from `in_port`; each
  // frame's output port in the order the sink saw them (0: not an output).
  std::vector<uint32_t> output_ports(uint16_t in_port, const std::vector<const Bytes*>& frames) {
    std::vector<rte_mbuf*> burst;
    for (const Bytes* b : frames) burst.push_back(test::make_mbuf(*b));
    sink.events.clear();
    process_burst(*worker, *pipeline->current(), burst.data(), static_cast<uint16_t>(burst.size()),
                  in_port, 1000, sink);
    std::vector<uint32_t> ports;
    for (const Event& e : sink.events) ports.push_back(e.kind == "output" ? e.arg : 0);
    return ports;
  }
  // Every rule's packets and bytes are want[cookie] (0 and 0 if absent).
  using RuleCounts = std::map<uint64_t, std::pair<uint64_t, uint64_t>>;
  void expect_rule_counts(const RuleCounts& want) {
    for (const FlowStats& s : pipeline->dump()) {
      const auto it = want.find(s.rule.cookie);
      const auto [packets, bytes] = it == want.end() ? std::pair<uint64_t, uint64_t>{} : it->second;
      EXPECT_EQ(s.packets, packets) << "cookie " << s.rule.cookie;
      EXPECT_EQ(s.bytes, bytes) << "cookie " << s.rule.cookie;
    }
  }
  Bytes run_one(const Bytes& bytes, const char* kind = "output") {
    auto ev = run(bytes);
    EXPECT_EQ(ev.size(), 1u);
    if (ev.size() != 1) return {};
    EXPECT_EQ(ev[0].kind, kind);
    return ev[0].bytes;
  }
  FlowWorker* worker = nullptr;
  test::RecordingSink sink;
};

// A UDP frame to `dport` with `payload` bytes of payload.
Bytes udp_to(uint16_t dport, size_t payload = 6) {
  PacketSpec spec;
  spec.proto = 17;
  spec.dport = dport;
  spec.payload = payload;
  return test::build_packet(spec);
}

// Independent CRC32c (bitwise, reflected polynomial 0x82f63b78).
uint32_t crc32c(const uint8_t* p, size_t n) {
  uint32_t c = 0xffffffff;
  for (size_t i = 0; i < n; ++i) {
    c ^= p[i];
    for (int k = 0; k < 8; ++k) c = (c >> 1) ^ (0x82f63b78 & (0u - (c & 1)));
  }
  return ~c;
}

void expect_checksums_valid(const Bytes& b, size_t l3, bool v6, uint8_t proto) {
  size_t l4 = l3 + (v6 ? 40 : 20);
  size_t end = v6 ? l4 + test::get16(b, l3 + 4) : l3 + test::get16(b, l3 + 2);
  ASSERT_EQ(end, b.size());
  if (!v6) {
    EXPECT_EQ(test::get16(b, l3 + 10), test::expected_ipv4_checksum(b, l3));
  }
  if (proto == 132) {
    Bytes s(b.begin() + static_cast<long>(l4), b.end());
    uint32_t want = 0;
    memcpy(&want, &s[8], 4);
    s[8] = s[9] = s[10] = s[11] = 0;
    uint32_t c = crc32c(s.data(), s.size());
    EXPECT_EQ(b[l4 + 8], c & 0xff);
    EXPECT_EQ(b[l4 + 9], (c >> 8) & 0xff);
    EXPECT_EQ(b[l4 + 10], (c >> 16) & 0xff);
    EXPECT_EQ(b[l4 + 11], c >> 24);
    return;
  }
  int co = test::l4_csum_offset(proto);
  if (co < 0) return;
  EXPECT_EQ(test::get16(b, l4 + static_cast<size_t>(co)),
            test::expected_l4_checksum(b, l3, l4, end, v6, proto));
}

TEST_F(Actions, OutputLeavesBytesAndCounts) {
  add("priority=1,cookie=9,in_port=1,actions=output:2");
  Bytes pkt = test::build_packet(PacketSpec{});
  auto ev = run(pkt);
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].kind, "output");
  EXPECT_EQ(ev[0].arg, 2u);
  EXPECT_EQ(ev[0].bytes, pkt);
  run(pkt, 1, 5000);
  FlowStats st = pipeline->dump()[0];
  EXPECT_EQ(st.packets, 2u);
  EXPECT_EQ(st.bytes, 2 * pkt.size());
  EXPECT_EQ(st.last_hit_tsc, 5000u);
}

TEST_F(Actions, SetEthAddresses) {
  add("priority=1,actions=set_field:aa:bb:cc:dd:ee:ff->eth_dst,set_field:02:00:00:00:00:99->eth_"
      "src,"
      "output:2");
  Bytes pkt = test::build_packet(PacketSpec{});
  Bytes want = pkt;
  Bytes macs = {0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff, 2, 0, 0, 0, 0, 0x99};
  std::copy(macs.begin(), macs.end(), want.begin());
  EXPECT_EQ(run_one(pkt), want);
}

TEST_F(Actions, SetIpv4AddressesFixesIpAndL4Checksums) {
  add("priority=1,ip,actions=set_field:192.168.7.9->ipv4_dst,set_field:172.16.1.2->ipv4_src,"
      "output:2");
  for (uint8_t proto : {6, 17, 1, 132}) {
    SCOPED_TRACE(int(proto));
    PacketSpec s;
    s.proto = proto;
    s.payload = 7;  // odd length
    Bytes out = run_one(test::build_packet(s));
    ASSERT_FALSE(out.empty());
    EXPECT_EQ(test::get16(out, 30), 0xc0a8);
    EXPECT_EQ(test::get16(out, 32), 0x0709);
    EXPECT_EQ(test::get16(out, 26), 0xac10);
    expect_checksums_valid(out, 14, false, proto);
  }
  PacketSpec s;
  s.proto = 17;
  s.udp_zero_checksum = true;
  Bytes out = run_one(test::build_packet(s));
  EXPECT_EQ(test::get16(out, 34 + 6), 0);  // "no checksum" stays so
  EXPECT_EQ(test::get16(out, 24), test::expected_ipv4_checksum(out, 14));
}

TEST_F(Actions, SetIpv6AddressesFixesL4Checksums) {
  add("priority=1,ipv6,actions=set_field:2001:db8:ffff::42->ipv6_src,"
      "set_field:fe80::1234->ipv6_dst,output:2");
  for (uint8_t proto : {6, 17, 58}) {
    SCOPED_TRACE(int(proto));
    PacketSpec s;
    s.eth_type = 0x86dd;
    s.proto = proto;
    Bytes out = run_one(test::build_packet(s));
    ASSERT_FALSE(out.empty());
    EXPECT_EQ(test::get16(out, 22), 0x2001);
    EXPECT_EQ(test::get16(out, 26), 0xffff);
    EXPECT_EQ(test::get16(out, 38 + 14), 0x1234);
    expect_checksums_valid(out, 14, true, proto);
  }
}

TEST_F(Actions, SetL4PortsFixesChecksums) {
  add("priority=1,tcp,actions=set_field:8080->tcp_dst,set_field:1->tcp_src,output:2");
  add("priority=1,udp6,actions=set_field:5353->udp_src,output:2");
  add("priority=1,sctp,actions=set_field:9999->sctp_dst,output:2");
  Bytes out = run_one(test::build_packet(PacketSpec{}));
  EXPECT_EQ(test::get16(out, 34), 1);
  EXPECT_EQ(test::get16(out, 36), 8080);
  expect_checksums_valid(out, 14, false, 6);
  PacketSpec u;
  u.eth_type = 0x86dd;
  u.proto = 17;
  out = run_one(test::build_packet(u));
  EXPECT_EQ(test::get16(out, 54), 5353);
  expect_checksums_valid(out, 14, true, 17);
  PacketSpec sc;
  sc.proto = 132;
  out = run_one(test::build_packet(sc));
  EXPECT_EQ(test::get16(out, 36), 9999);
  expect_checksums_valid(out, 14, false, 132);
}

TEST_F(Actions, SetDscpOnIpv4AndIpv6) {
  add("priority=1,ip,actions=set_field:46->ip_dscp,output:2");
  add("priority=1,ipv6,actions=set_field:10->ip_dscp,output:2");
  PacketSpec s;
  Bytes pkt = test::build_packet(s);
  pkt[15] |= 0x01;  // ECN bits survive
  test::set16(pkt, 24, test::expected_ipv4_checksum(pkt, 14));
  Bytes out = run_one(pkt);
  EXPECT_EQ(out[15], 46 << 2 | 1);
  expect_checksums_valid(out, 14, false, 6);
  s.eth_type = 0x86dd;
  out = run_one(test::build_packet(s));
  uint32_t w = static_cast<uint32_t>(test::get16(out, 14)) << 16 | test::get16(out, 16);
  EXPECT_EQ((w >> 22) & 0x3f, 10u);
  EXPECT_EQ(w >> 28, 6u);
}

TEST_F(Actions, DecTtlAndExpiry) {
  add("priority=1,ip,actions=dec_ttl,output:2");
  add("priority=1,ipv6,actions=dec_ttl,output:2");
  PacketSpec s;
  Bytes out = run_one(test::build_packet(s));
  EXPECT_EQ(out[22], 63);
  expect_checksums_valid(out, 14, false, 6);
  s.ttl = 1;
  auto ev = run(test::build_packet(s));
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].kind, "drop");
  EXPECT_EQ(ev[0].arg, static_cast<uint32_t>(DropReason::ttl_expired));
  s.eth_type = 0x86dd;
  s.ttl = 9;
  out = run_one(test::build_packet(s));
  EXPECT_EQ(out[21], 8);
  s.ttl = 0;
  EXPECT_EQ(run(test::build_packet(s))[0].kind, "drop");
}

TEST_F(Actions, PushSetAndPopVlan) {
  add("priority=1,in_port=1,vlan_vid=none,actions=push_vlan:0x8100,set_field:100->vlan_vid,"
      "set_field:5->vlan_pcp,output:2");
  add("priority=1,in_port=1,vlan_vid=100,actions=pop_vlan,output:3");
  Bytes pkt = test::build_packet(PacketSpec{});
  Bytes want = pkt;
  Bytes tag = {0x81, 0x00, static_cast<uint8_t>(5 << 5), 100};
  want.insert(want.begin() + 12, tag.begin(), tag.end());
  Bytes tagged = run_one(pkt);
  EXPECT_EQ(tagged, want);
  EXPECT_EQ(run_one(tagged), pkt);
}

TEST_F(Actions, MultipleOutputsGetCopiesAsTheyWereAtThatPoint) {
  add("priority=1,actions=output:1,set_field:aa:aa:aa:aa:aa:aa->eth_dst,output:2,controller:60");
  Bytes pkt = test::build_packet(PacketSpec{});
  auto ev = run(pkt);
  ASSERT_EQ(ev.size(), 3u);
  EXPECT_EQ(ev[0].kind, "output");
  EXPECT_EQ(ev[0].bytes, pkt);
  EXPECT_EQ(ev[1].arg, 2u);
  EXPECT_EQ(ev[1].bytes[0], 0xaa);
  EXPECT_EQ(ev[2].kind, "controller");
  EXPECT_EQ(ev[2].bytes.size(), 60u);
  EXPECT_EQ(ev[2].arg, 0u);  // table
  EXPECT_EQ(sink.copies, 2u);
  sink.fail_copies = true;
  ev = run(pkt);
  ASSERT_EQ(ev.size(), 1u);  // the original still goes to the last destination
  EXPECT_EQ(ev[0].kind, "controller");
  EXPECT_EQ(pipeline->worker_stat(&FlowWorkerStats::copy_failures), 2u);
}

TEST_F(Actions, GroupsAllAndSelect) {
  GroupDef all{1,
               GroupType::all,
               {parse_rule("actions=output:1").actions,
                parse_rule("actions=set_field:02:00:00:00:00:77->eth_dst,output:2").actions}};
  GroupDef sel{2,
               GroupType::select,
               {parse_rule("actions=output:10").actions, parse_rule("actions=output:11").actions}};
  Transaction t;
  t.set_group(all).set_group(sel);
  t.add(parse_rule("priority=1,in_port=1,actions=group:1"));
  t.add(parse_rule("priority=1,in_port=2,tcp,actions=group:2"));
  pipeline->commit(t);
  Bytes pkt = test::build_packet(PacketSpec{});
  auto ev = run(pkt, 1);
  ASSERT_EQ(ev.size(), 2u);
  EXPECT_EQ(ev[0].arg, 1u);
  EXPECT_EQ(ev[0].bytes, pkt);
  EXPECT_EQ(ev[1].arg, 2u);
  EXPECT_EQ(ev[1].bytes[5], 0x77);
  std::set<uint32_t> used;
  for (uint16_t sport = 1000; sport < 1064; ++sport) {
    PacketSpec s;
    s.sport = sport;
    Bytes b = test::build_packet(s);
    auto e1 = run(b, 2), e2 = run(b, 2);
    ASSERT_EQ(e1.size(), 1u);
    EXPECT_EQ(e1[0].arg, e2[0].arg);  // a flow sticks to its bucket
    used.insert(e1[0].arg);
  }
  EXPECT_EQ(used, (std::set<uint32_t>{10, 11}));
  std::string err;
  try {
    pipeline->commit(Transaction().remove_group(2));
  } catch (const Error& e) {
    err = e.what();
  }
  EXPECT_EQ(err, "group 2 does not exist (table=0,priority=1,tcp,in_port=2,actions=group:2)");
}

TEST_F(Actions, MeterDropsRedPackets) {
  Transaction t;
  t.set_meter(5, MeterConfig{1000, 200, 0});  // 1000 B/s, 200 B burst
  t.add(parse_rule("priority=1,actions=meter:5,output:2"));
  pipeline->commit(t);
  Bytes pkt = test::build_packet(PacketSpec{});  // 60 bytes
  uint64_t now = rte_get_tsc_cycles();
  int passed = 0, metered = 0;
  for (int i = 0; i < 10; ++i) {
    auto ev = run(pkt, 1, now);
    ASSERT_EQ(ev.size(), 1u);
    if (ev[0].kind == "output") ++passed;
    if (ev[0].kind == "drop" && ev[0].arg == static_cast<uint32_t>(DropReason::meter)) ++metered;
  }
  EXPECT_EQ(passed, 3);  // 3 x 60 B fit the 200 B bucket
  EXPECT_EQ(metered, 7);
  // One second later the bucket has refilled.
  EXPECT_EQ(run(pkt, 1, now + rte_get_tsc_hz())[0].kind, "output");
}

TEST_F(Actions, MissesAndDropsHaveReasons) {
  Bytes pkt = test::build_packet(PacketSpec{});
  auto ev = run(pkt);
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].arg, static_cast<uint32_t>(DropReason::no_match));
  pipeline->commit(Transaction().set_miss(0, {MissKind::controller, 0}));
  EXPECT_EQ(run(pkt)[0].kind, "controller");
  pipeline->commit(Transaction().set_miss(0, {MissKind::normal, 0}));
  EXPECT_EQ(run(pkt)[0].kind, "normal");
  add("priority=1,in_port=1,actions=drop");
  add("priority=1,in_port=2,actions=set_field:aa:aa:aa:aa:aa:aa->eth_dst");
  add("priority=1,in_port=3,actions=nf:7");
  ev = run(pkt, 1);
  EXPECT_EQ(ev[0].kind, "drop");
  EXPECT_EQ(ev[0].arg, static_cast<uint32_t>(DropReason::action_drop));
  EXPECT_EQ(run(pkt, 2)[0].arg, static_cast<uint32_t>(DropReason::action_drop));
  ev = run(pkt, 3);
  EXPECT_EQ(ev[0].kind, "nf");
  EXPECT_EQ(ev[0].arg, 7u);
  Bytes bad = pkt;
  bad[14] = 0x43;
  EXPECT_EQ(run(bad)[0].arg, static_cast<uint32_t>(DropReason::bad_header));
  EXPECT_EQ(run(Bytes(pkt.begin(), pkt.begin() + 30))[0].arg,
            static_cast<uint32_t>(DropReason::truncated));
  EXPECT_EQ(run(Bytes(pkt.begin(), pkt.begin() + 13))[0].arg,
            static_cast<uint32_t>(DropReason::runt));
  EXPECT_STREQ(drop_reason_name(DropReason::ttl_expired), "ttl_expired");
}

TEST_F(Actions, CacheHitsAndStaleEntriesAfterCommit) {
  add("priority=1,cookie=1,tcp,actions=output:1");
  Bytes pkt = test::build_packet(PacketSpec{});
  run(pkt);
  run(pkt);
  EXPECT_EQ(pipeline->worker_stat(&FlowWorkerStats::emc_hits), 1u);
  EXPECT_EQ(pipeline->worker_stat(&FlowWorkerStats::emc_misses), 1u);
  add("priority=2,cookie=2,tcp,actions=output:2");
  auto ev = run(pkt);  // the cached path is stale: the new rule applies
  EXPECT_EQ(ev[0].arg, 2u);
  EXPECT_EQ(pipeline->worker_stat(&FlowWorkerStats::emc_misses), 2u);
}

// Two flows whose hashes share a first slot: the second to arrive is
// cached in its second slot, and a burst of both hits twice, the second
// in the lookup's second round.
TEST_F(Actions, SecondSlotsHitInTheSecondRound) {
  add("priority=1,cookie=1,udp,actions=output:2");
  const SignatureCache& cache = worker->signature_emc;
  auto first_slot = [&](const Bytes& frame) {
    rte_mbuf* m = test::make_mbuf(frame);
    HeaderSignature sig;
    EXPECT_TRUE(header_signature(m, 1, sig));
    rte_pktmbuf_free(m);
    return cache.first_slot(sig.hash());
  };
  std::map<unsigned, uint16_t> dport_of_slot;
  uint16_t a = 0, b = 0;
  for (uint16_t dport = 1; dport < 4096 && b == 0; ++dport) {
    const auto [it, fresh] = dport_of_slot.emplace(first_slot(udp_to(dport)), dport);
    if (!fresh) a = it->second, b = dport;
  }
  ASSERT_NE(b, 0) << "no two flows share a first slot";
  run(udp_to(a));
  run(udp_to(b));
  ASSERT_EQ(pipeline->worker_stat(&FlowWorkerStats::emc_misses), 2u);
  rte_mbuf* burst[2] = {test::make_mbuf(udp_to(a)), test::make_mbuf(udp_to(b))};
  sink.events.clear();
  process_burst(*worker, *pipeline->current(), burst, 2, 1, 1000, sink);
  ASSERT_EQ(sink.events.size(), 2u);
  EXPECT_EQ(sink.events[1].bytes, udp_to(b));
  EXPECT_EQ(pipeline->worker_stat(&FlowWorkerStats::emc_hits), 2u);
  EXPECT_EQ(pipeline->worker_stat(&FlowWorkerStats::emc_misses), 2u);
}

TEST_F(Actions, CountersSurviveUnrelatedUpdatesAndModify) {
  add("priority=1,cookie=1,tcp,actions=output:1");
  Bytes pkt = test::build_packet(PacketSpec{});
  for (int i = 0; i < 3; ++i) run(pkt);
  add("priority=1,cookie=2,udp,actions=output:1");
  pipeline->commit(Transaction().modify(parse_rule("priority=1,tcp,actions=output:4"), true));
  run(pkt);
  for (const FlowStats& s : pipeline->dump()) {
    if (s.rule.cookie == 1) {
      EXPECT_EQ(s.packets, 4u);
      EXPECT_EQ(format_actions(s.rule.actions), "output:4");
    } else {
      EXPECT_EQ(s.packets, 0u);
    }
  }
}

TEST_F(Actions, IdleAndHardTimeoutsExpireRules) {
  uint64_t hz = pipeline->tsc_hz();
  uint64_t t0 = rte_get_tsc_cycles();
  add("priority=1,cookie=1,hard_timeout=5,in_port=1,actions=output:1");
  add("priority=1,cookie=2,idle_timeout=5,in_port=2,actions=output:1");
  add("priority=1,cookie=3,in_port=3,actions=output:1");
  EXPECT_TRUE(pipeline->expire(t0 + 1 * hz).empty());
  Bytes pkt = test::build_packet(PacketSpec{});
  run(pkt, 2, t0 + 4 * hz);  // keeps rule 2 alive until t0 + 9 s
  run(pkt, 1, t0 + 4 * hz);  // a hit does not extend a hard timeout
  std::vector<FlowRemoved> gone = pipeline->expire(t0 + 6 * hz);
  ASSERT_EQ(gone.size(), 1u);
  EXPECT_EQ(gone[0].rule.cookie, 1u);
  EXPECT_EQ(gone[0].reason, RemovedReason::hard_timeout);
  EXPECT_EQ(gone[0].packets, 1u);
  EXPECT_TRUE(pipeline->expire(t0 + 8 * hz).empty());
  gone = pipeline->expire(t0 + 10 * hz);
  ASSERT_EQ(gone.size(), 1u);
  EXPECT_EQ(gone[0].rule.cookie, 2u);
  EXPECT_EQ(gone[0].reason, RemovedReason::idle_timeout);
  EXPECT_EQ(gone[0].bytes, pkt.size());
  EXPECT_STREQ(removed_reason_name(gone[0].reason), "idle_timeout");
  ASSERT_EQ(pipeline->rule_count(), 1u);
  EXPECT_EQ(pipeline->take_removed().size(), 2u);  // queued for the event stream
  EXPECT_EQ(run(pkt, 2)[0].arg, static_cast<uint32_t>(DropReason::no_match));
}

// Whole bursts (two stages of 32, common and other frames, repeats of the
// packet before, malformed frames, one-rule and longer paths, group select)
// end where the same packets end one at a time, port by port in order, the
// first time (caches cold) and the second (caches warm); rule counters count
// every packet once.
TEST_F(Actions, BurstsEndWhereSinglePacketsEnd) {
  GroupDef sel{1,
               GroupType::select,
               {parse_rule("actions=output:3").actions, parse_rule("actions=output:4").actions}};
  Transaction t;
  t.set_group(sel);
  t.add(parse_rule("cookie=1,priority=100,udp,nw_dst=10.0.0.2,actions=output:2"));
  t.add(parse_rule("cookie=2,priority=90,tcp,actions=group:1"));
  t.add(parse_rule("cookie=3,priority=90,ipv6,actions=output:5"));
  t.add(parse_rule("cookie=4,priority=80,icmp,actions=goto_table:1"));
  t.add(parse_rule("cookie=5,table=1,priority=1,actions=output:6"));
  t.add(parse_rule("cookie=6,priority=70,udp,tp_dst=53,actions=set_field:9->udp_src,output:2"));
  pipeline->commit(t);
  FlowWorker& single = pipeline->add_worker(1);

  std::vector<Bytes> frames;
  PacketSpec udp;
  udp.proto = 17;
  PacketSpec dns = udp;
  dns.ip_dst = test::ip4("10.0.0.9");
  dns.dport = 53;
  PacketSpec v6;
  v6.eth_type = 0x86dd;
  v6.proto = 17;
  PacketSpec icmp;
  icmp.proto = 1;
  PacketSpec unmatched = udp;
  unmatched.ip_dst = test::ip4("10.0.0.7");
  for (int i = 0; i < 50; ++i) {
    PacketSpec tcp;
    tcp.sport = static_cast<uint16_t>(1000 + i / 11);
    const PacketSpec* kinds[] = {&udp,  &udp, &tcp,       &tcp,       &v6, &icmp,
                                 &icmp, &dns, &unmatched, &unmatched, &udp};
    Bytes b = test::build_packet(*kinds[i % 11]);
    if (i % 13 == 12) b.resize(30);  // truncated IPv4
    frames.push_back(b);
  }
  // Runs longer than two, which repeats read from a CommonFrameImage:
  // TTLs differ (a repeat); DSCP, the destination or the length does not.
  PacketSpec padded = udp;
  padded.payload = 20;
  PacketSpec marked = padded;
  marked.dscp = 46;
  PacketSpec dns_padded = dns;
  dns_padded.payload = 20;
  PacketSpec longer = padded;
  longer.payload = 21;
  PacketSpec tcp_padded;
  tcp_padded.payload = 20;
  const PacketSpec* runs[] = {&padded, &padded,     &padded,     &marked,     &padded,    &padded,
                              &padded, &dns_padded, &padded,     &padded,     &longer,    &longer,
                              &longer, &tcp_padded, &tcp_padded, &tcp_padded, &tcp_padded};
  for (int i = 0; i < 34; ++i) {
    PacketSpec spec = *runs[i % 17];
    spec.ttl = static_cast<uint8_t>(64 - i);
    frames.push_back(test::build_packet(spec));
  }
  auto by_port = [](const std::vector<Event>& events) {
    std::map<std::pair<std::string, uint32_t>, std::vector<Bytes>> out;
    for (const Event& e : events) out[{e.kind, e.arg}].push_back(e.bytes);
    return out;
  };
  test::RecordingSink one;
  for (const Bytes& b : frames) {
    rte_mbuf* m = test::make_mbuf(b);
    ASSERT_NE(m, nullptr);
    process_packet(single, *pipeline->current(), m, 1, 1000, one);
  }
  const auto want = by_port(one.events);
  ASSERT_EQ(want.size(), 7u) << "output 2..6, no_match and truncated drops";
  for (int round = 0; round < 2; ++round) {
    sink.events.clear();
    std::vector<rte_mbuf*> burst;
    for (const Bytes& b : frames) burst.push_back(test::make_mbuf(b));
    process_burst(*worker, *pipeline->current(), burst.data(), static_cast<uint16_t>(burst.size()),
                  1, 1000, sink);
    ASSERT_EQ(by_port(sink.events), want) << "round " << round;
  }
  std::map<uint64_t, uint64_t> matched;  // cookie -> frames, by the trace API
  for (const Bytes& b : frames) {
    rte_mbuf* m = test::make_mbuf(b);
    for (const TraceStep& step : pipeline->trace(m, 1).steps)
      if (step.rule) ++matched[step.rule->cookie];
    rte_pktmbuf_free(m);
  }
  for (const FlowStats& f : pipeline->dump()) {
    const uint64_t expected = matched[f.rule.cookie];
    ASSERT_GT(expected, 0u) << "cookie " << f.rule.cookie;
    EXPECT_EQ(f.packets, 3 * expected) << "cookie " << f.rule.cookie;
  }
}

// A stage whose packets all leave by one port under one-rule paths is
// handed over whole; the counters still count each rule's packets and
// bytes, runs of the same rule apart or together. A drop or a second port
// in the stage takes the general path, with the same outcome.
TEST_F(Actions, OnePortStagesCountEveryRule) {
  add("cookie=1,priority=10,udp,tp_dst=1,actions=output:2");
  add("cookie=2,priority=10,udp,tp_dst=2,actions=output:2");
  add("cookie=3,priority=10,udp,tp_dst=3,actions=output:3");
  std::vector<Bytes> frames;
  RuleCounts want;
  auto frame = [&](uint16_t dport, size_t payload) {
    frames.push_back(udp_to(dport, payload));
    want[dport].first += 1;
    want[dport].second += frames.back().size();
  };
  // Stage 1 (32): rules 1 and 2 interleaved, runs of 1 to 3, all to port 2.
  for (int i = 0; i < 32; ++i) frame(static_cast<uint16_t>(1 + (i / (1 + i % 3)) % 2), 6 + i % 5);
  // Stage 2: one port too, then stage 3 with a runt and stage 4 with port 3.
  for (int i = 0; i < 32; ++i) frame(1, 6);
  for (int i = 0; i < 8; ++i) frame(2, 6);
  frames.push_back(Bytes(10, 0));
  for (int i = 0; i < 8; ++i) frame(2, 7);
  for (int i = 0; i < 16; ++i) frame(static_cast<uint16_t>(i < 8 ? 3 : 1), 6);
  std::vector<rte_mbuf*> burst;
  for (const Bytes& b : frames) burst.push_back(test::make_mbuf(b));
  sink.events.clear();
  for (size_t base = 0; base < burst.size(); base += 32) {
    const auto n = static_cast<uint16_t>(std::min<size_t>(32, burst.size() - base));
    process_burst(*worker, *pipeline->current(), burst.data() + base, n, 1, 1000, sink);
  }
  std::vector<Bytes> to_2, to_3;
  for (const Event& e : sink.events) {
    if (e.kind == "output") (e.arg == 2 ? to_2 : to_3).push_back(e.bytes);
  }
  std::vector<Bytes> want_2, want_3;
  for (const Bytes& b : frames) {
    if (b.size() < 14) continue;
    (test::get16(b, 36) == 3 ? want_3 : want_2).push_back(b);
  }
  EXPECT_EQ(to_2, want_2);
  EXPECT_EQ(to_3, want_3);
  EXPECT_EQ(sink.events.size(), frames.size());  // the runt is dropped, once
  expect_rule_counts(want);
}

// A burst that ends in a run of identical frames leaves it open: the next
// burst's first frames that are identical take its path unlooked-up. Only
// from the same input port and at the same generation: another port's
// frames, and any frame after a commit, go through the tables.
TEST_F(Actions, RunsContinueIntoTheNextBurstOnlyFromTheSamePortAndGeneration) {
  add("cookie=1,priority=10,in_port=1,udp,tp_dst=1,actions=output:2");
  add("cookie=2,priority=10,in_port=1,udp,tp_dst=2,actions=output:3");
  add("cookie=3,priority=10,in_port=3,udp,tp_dst=2,actions=output:4");
  const Bytes f = udp_to(1, 18), g = udp_to(2, 18);
  using Ports = std::vector<uint32_t>;
  EXPECT_EQ(output_ports(1, {&f, &f, &f, &f}), (Ports{2, 2, 2, 2}));
  EXPECT_EQ(output_ports(1, {&f, &f, &g, &g, &g}), (Ports{2, 2, 3, 3, 3}));
  EXPECT_EQ(output_ports(3, {&g, &g, &g}), (Ports{4, 4, 4})) << "the open run is port 1's";
  EXPECT_EQ(output_ports(3, {&g, &g}), (Ports{4, 4}));
  add("cookie=4,priority=20,in_port=3,udp,actions=output:5");
  EXPECT_EQ(output_ports(3, {&g, &g, &g}), (Ports{5, 5, 5})) << "the open run is stale";
  expect_rule_counts({{1, {6, 6 * f.size()}},
                      {2, {3, 3 * g.size()}},
                      {3, {5, 5 * g.size()}},
                      {4, {3, 3 * g.size()}}});
  EXPECT_EQ(pipeline->worker_stat(&FlowWorkerStats::emc_misses), 4u);
  EXPECT_EQ(pipeline->worker_stat(&FlowWorkerStats::emc_hits), 17u - 4u);
}

// A run is one signature, not one frame image: frames of a flow whose
// lengths differ repeat their run's first packet. The run a burst ends with
// is that packet's, whichever frame of it the burst ends on, so the next
// burst's frames continue it on its rule (not on whatever path the stage's
// storage held before: the first two bursts leave port 3's rule in the
// second packet's place).
TEST_F(Actions, ARunOfFramesOfDifferentLengthsContinuesOnItsFirstPacketsRule) {
  add("cookie=1,priority=10,in_port=1,udp,tp_dst=1,actions=output:2");
  add("cookie=2,priority=10,in_port=1,udp,tp_dst=2,actions=output:3");
  const Bytes f = udp_to(1, 18), f_long = udp_to(1, 50), g = udp_to(2, 18);
  using Ports = std::vector<uint32_t>;
  EXPECT_EQ(output_ports(1, {&f, &g}), (Ports{2, 3}));
  EXPECT_EQ(output_ports(1, {&f, &g}), (Ports{2, 3}));
  EXPECT_EQ(output_ports(1, {&f, &f, &f_long, &f_long}), (Ports{2, 2, 2, 2}));
  EXPECT_EQ(output_ports(1, {&f_long, &f_long, &f}), (Ports{2, 2, 2}));
  expect_rule_counts({{1, {9, 5 * f.size() + 4 * f_long.size()}}, {2, {2, 2 * g.size()}}});
}

}  // namespace
}  // namespace sluice

SLUICE_EAL_TEST_MAIN("sluice_test_flow_actions")
