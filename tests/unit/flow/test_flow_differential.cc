// Differential test: random rule sets and random packets; the data-path
// classification (resolve_path over the published version, and the
// exact-match cache) must agree exactly with a linear-scan reference built
// here from the rule model and the packet's own fields.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <set>

#include "dataplane/flow/flow_processor.h"
#include "tests/unit/flow/flow_fixture.h"
#include "tests/unit/flow/test_sink.h"

namespace sluice {
namespace {

using test::PacketSpec;

struct RefRule {
  Rule rule;
  uint64_t seq;
};

// Field values of a packet, computed from its spec (not from FlowKey).
std::array<u128, kFieldCount> fields_of(const PacketSpec& s, uint16_t in_port) {
  std::array<u128, kFieldCount> f{};
  auto mac = [](const test::Mac& m) {
    u128 v = 0;
    for (uint8_t b : m) v = (v << 8) | b;
    return v;
  };
  auto set = [&f](Field x, u128 v) { f[static_cast<unsigned>(x)] = v; };
  set(Field::in_port, in_port);
  set(Field::eth_src, mac(s.src));
  set(Field::eth_dst, mac(s.dst));
  set(Field::eth_type, s.eth_type);
  if (!s.vlan_tcis.empty()) {
    set(Field::vlan_vid, 0x1000 | (s.vlan_tcis[0] & 0xfff));
    set(Field::vlan_pcp, s.vlan_tcis[0] >> 13);
  }
  auto l4 = [&](bool v6) {
    switch (s.proto) {
      case 6:
        set(Field::tcp_src, s.sport);
        set(Field::tcp_dst, s.dport);
        break;
      case 17:
        set(Field::udp_src, s.sport);
        set(Field::udp_dst, s.dport);
        break;
      case 1:
        set(Field::icmpv4_type, s.icmp_type);
        set(Field::icmpv4_code, s.icmp_code);
        break;
      case 58:
        if (v6) {
          set(Field::icmpv6_type, s.icmp_type);
          set(Field::icmpv6_code, s.icmp_code);
        }
        break;
    }
  };
  if (s.eth_type == 0x0800) {
    set(Field::ip_proto, s.proto);
    set(Field::ip_dscp, s.dscp);
    set(Field::ipv4_src, s.ip_src);
    set(Field::ipv4_dst, s.ip_dst);
    l4(false);
  } else if (s.eth_type == 0x86dd) {
    set(Field::ip_proto, s.proto);
    set(Field::ip_dscp, s.dscp);
    u128 a = 0, b = 0;
    for (int i = 0; i < 16; ++i) {
      a = (a << 8) | s.ip6_src.b[i];
      b = (b << 8) | s.ip6_dst.b[i];
    }
    set(Field::ipv6_src, a);
    set(Field::ipv6_dst, b);
    l4(true);
  } else if (s.eth_type == 0x0806) {
    set(Field::arp_op, s.arp_op);
    set(Field::arp_spa, s.ip_src);
    set(Field::arp_tpa, s.ip_dst);
  }
  return f;
}

class Gen {
 public:
  explicit Gen(uint32_t seed) : rng_(seed) {}
  int pick(int n) { return std::uniform_int_distribution<int>(0, n - 1)(rng_); }
  bool coin(int percent) { return pick(100) < percent; }
  template <class T, size_t N>
  T one(const T (&a)[N]) {
    return a[pick(N)];
  }

  static constexpr test::Mac kMacs[] = {
      {2, 0, 0, 0, 0, 1}, {2, 0, 0, 0, 0, 2}, {1, 0, 0x5e, 0, 0, 9}};
  static constexpr uint32_t kIps[] = {0x0a000001, 0x0a000002, 0x0a000101, 0x0a010001, 0xc0a80001};
  static constexpr uint16_t kPorts[] = {80, 443, 1000, 1500, 2000, 53};
  static constexpr uint16_t kVids[] = {10, 20, 30};

  static u128 mac(const test::Mac& m) {
    u128 v = 0;
    for (uint8_t b : m) v = (v << 8) | b;
    return v;
  }
  static u128 v6(int i) { return (u128{0x20010db8} << 96) | (u128(i & 1) << 64) | u128(i); }

  u128 prefix(unsigned bits, unsigned len) {
    return len == 0 ? 0 : (((u128{1} << bits) - 1) & ~((u128{1} << (bits - len)) - 1));
  }

  void port_field(Match& m, Field f) {
    switch (pick(4)) {
      case 0:
        return;
      case 1:
        m.set_exact(f, one(kPorts));
        return;
      case 2:
        m.set_masked(f, one(kPorts) & 0xff00, 0xff00);
        return;
      default: {
        uint16_t a = static_cast<uint16_t>(pick(2100)), b = static_cast<uint16_t>(pick(2100));
        m.set_range(f, std::min(a, b), std::max(a, b));
      }
    }
  }

  Rule rule() {
    Rule r;
    Match& m = r.match;
    r.priority = static_cast<uint16_t>(1 + pick(4));
    r.actions = {Action::output(static_cast<uint32_t>(pick(4)))};
    if (coin(30)) m.set_exact(Field::in_port, 1 + pick(3));
    if (coin(20)) m.set_exact(Field::eth_dst, mac(one(kMacs)));
    if (coin(10)) m.set_masked(Field::eth_dst, u128{1} << 40, u128{1} << 40);
    int vl = pick(6);
    if (vl == 1) m.set_exact(Field::vlan_vid, 0);
    if (vl == 2) m.set_exact(Field::vlan_vid, 0x1000 | one(kVids));
    if (vl == 3) m.set_masked(Field::vlan_vid, 0x1000, 0x1000);
    if (vl == 2 && coin(30)) m.set_exact(Field::vlan_pcp, pick(2));
    switch (pick(5)) {
      case 0:
        break;
      case 1:
      case 2: {  // IPv4
        m.set_exact(Field::eth_type, 0x0800);
        static constexpr unsigned kLens[] = {8, 16, 24, 31, 32};
        if (coin(40)) m.set_masked(Field::ipv4_src, one(kIps), prefix(32, one(kLens)));
        if (coin(40)) m.set_masked(Field::ipv4_dst, one(kIps), prefix(32, one(kLens)));
        if (coin(15)) m.set_exact(Field::ip_dscp, pick(2) * 46);
        int p = pick(4);
        if (p == 1 || p == 2) {
          uint8_t proto = p == 1 ? 6 : 17;
          m.set_exact(Field::ip_proto, proto);
          port_field(m, proto == 6 ? Field::tcp_src : Field::udp_src);
          port_field(m, proto == 6 ? Field::tcp_dst : Field::udp_dst);
        } else if (p == 3) {
          m.set_exact(Field::ip_proto, 1);
          if (coin(50)) m.set_exact(Field::icmpv4_type, pick(2) * 8);
        }
        break;
      }
      case 3: {  // IPv6
        m.set_exact(Field::eth_type, 0x86dd);
        if (coin(40)) m.set_masked(Field::ipv6_src, v6(pick(3)), prefix(128, pick(2) ? 64 : 128));
        if (coin(40)) m.set_masked(Field::ipv6_dst, v6(pick(3)), prefix(128, pick(2) ? 64 : 128));
        int p = pick(3);
        if (p == 1) {
          m.set_exact(Field::ip_proto, 6);
          port_field(m, Field::tcp_dst);
        } else if (p == 2) {
          m.set_exact(Field::ip_proto, 58);
          if (coin(50)) m.set_exact(Field::icmpv6_type, 128 + pick(2));
        }
        break;
      }
      default: {  // ARP
        m.set_exact(Field::eth_type, 0x0806);
        if (coin(50)) m.set_exact(Field::arp_op, 1 + pick(2));
        if (coin(40)) m.set_masked(Field::arp_tpa, one(kIps), prefix(32, 24));
      }
    }
    return r;
  }

  PacketSpec packet(uint16_t& in_port) {
    PacketSpec s;
    in_port = static_cast<uint16_t>(1 + pick(3));
    s.dst = one(kMacs);
    if (coin(50)) s.vlan_tcis = {static_cast<uint16_t>(pick(2) << 13 | one(kVids))};
    int l3 = pick(4);
    s.eth_type = l3 == 0 ? 0x88cc : l3 == 1 ? 0x0800 : l3 == 2 ? 0x86dd : 0x0806;
    s.ip_src = one(kIps) ^ (coin(30) ? static_cast<uint32_t>(pick(4)) : 0);
    s.ip_dst = one(kIps) ^ (coin(30) ? static_cast<uint32_t>(pick(4)) << 8 : 0);
    s.dscp = static_cast<uint8_t>(coin(30) ? 46 : 0);
    s.arp_op = static_cast<uint16_t>(1 + pick(2));
    auto six = [&](int i) {
      test::Ipv6Addr a;
      u128 v = v6(i);
      for (int k = 0; k < 16; ++k) a.b[k] = static_cast<uint8_t>(v >> (8 * (15 - k)));
      return a;
    };
    s.ip6_src = six(pick(3));
    s.ip6_dst = six(pick(3));
    static constexpr uint8_t kP4[] = {6, 17, 1}, kP6[] = {6, 17, 58};
    s.proto = l3 == 2 ? one(kP6) : one(kP4);
    s.sport = coin(50) ? one(kPorts) : static_cast<uint16_t>(pick(2200));
    s.dport = coin(50) ? one(kPorts) : static_cast<uint16_t>(pick(2200));
    s.icmp_type = static_cast<uint8_t>(s.proto == 58 ? 128 + pick(2) : pick(2) * 8);
    return s;
  }

 private:
  std::mt19937 rng_;
};

const Rule* reference_lookup(const std::vector<RefRule>& rules, const PacketSpec& s,
                             uint16_t in_port) {
  auto f = fields_of(s, in_port);
  const RefRule* best = nullptr;
  for (const RefRule& r : rules) {
    if (!r.rule.match.matches(f)) continue;
    if (!best || r.rule.priority > best->rule.priority ||
        (r.rule.priority == best->rule.priority && r.seq < best->seq))
      best = &r;
  }
  return best ? &best->rule : nullptr;
}

std::string identity(const Rule& r) {
  return std::to_string(r.priority) + "|" + format_match(r.match);
}

class Differential : public test::FlowFixture {};

TEST_F(Differential, RandomRulesAndPacketsAgreeWithLinearScan) {
  Gen gen(12345);
  std::vector<RefRule> ref;
  uint64_t seq = 0;
  KeyCache emc(256);
  size_t checked = 0, matched = 0, emc_hits = 0;
  for (int round = 0; round < 40; ++round) {
    std::vector<FlowKey> round_keys;
    Transaction txn;
    std::set<std::string> touched;
    int ops = 1 + gen.pick(round < 5 ? 60 : 25);
    for (int i = 0; i < ops; ++i) {
      int what = gen.pick(10);
      if ((what < 6 && ref.size() < 60) || ref.empty()) {
        Rule r = gen.rule();
        if (r.match.empty()) continue;  // a catch-all would hide misses
        ASSERT_FALSE(check_rule(r).has_value()) << format_rule(r);
        if (!touched.insert(identity(r)).second) continue;
        txn.add(r);
        std::erase_if(ref, [&](const RefRule& x) { return identity(x.rule) == identity(r); });
        ref.push_back({r, ++seq});
      } else {
        size_t k = static_cast<size_t>(gen.pick(static_cast<int>(ref.size())));
        Rule victim = ref[k].rule;
        if (!touched.insert(identity(victim)).second) continue;
        if (what < 8) {
          txn.remove(0, victim.match, true, victim.priority);
          ref.erase(ref.begin() + static_cast<long>(k));
        } else {
          Rule mod = victim;
          mod.actions = {Action::output(99)};
          txn.modify(mod, true);
          ref[k].rule.actions = mod.actions;
        }
      }
    }
    pipeline->commit(txn);
    ASSERT_EQ(pipeline->rule_count(), ref.size());
    const PipelineVersion& v = *pipeline->current();
    for (int p = 0; p < 300; ++p) {
      uint16_t in_port;
      PacketSpec s = gen.packet(in_port);
      rte_mbuf* m = test::make_mbuf(test::build_packet(s));
      ASSERT_NE(m, nullptr);
      FlowKey key;
      ASSERT_EQ(extract_flow_key(m, in_port, key), ParseStatus::ok);
      rte_pktmbuf_free(m);
      uint32_t h = ArrivalKey(key).hash();
      FlowKey walk = key;
      FlowPath path;
      resolve_path(v, walk, path);
      const Rule* want = reference_lookup(ref, s, in_port);
      const Rule* got = path.n ? &path.rules[0]->rule : nullptr;
      ASSERT_EQ(got == nullptr, want == nullptr) << "round " << round << " packet " << p;
      if (want) {
        ASSERT_EQ(*got, *want) << format_rule(*got) << "\nvs reference\n" << format_rule(*want);
        ++matched;
      }
      // The cache returns the same path for this generation, nothing for others.
      FlowPath cached;
      if (emc.lookup(ArrivalKey(key), h, v.generation, cached)) {
        ++emc_hits;
        ASSERT_EQ(cached.n, path.n);
        if (path.n) {
          ASSERT_EQ(cached.rules[0], path.rules[0]);
        }
      }
      emc.insert(ArrivalKey(key), h, v.generation, path);
      ASSERT_TRUE(emc.lookup(ArrivalKey(key), h, v.generation, cached));
      ASSERT_FALSE(emc.lookup(ArrivalKey(key), h, v.generation + 1, cached));
      round_keys.push_back(key);
      ++checked;
    }
    // The bulk walk the workers use agrees with the one-packet walk.
    for (size_t base = 0; base < round_keys.size(); base += TupleSpaceClassifier::kBulk) {
      const unsigned count = static_cast<unsigned>(
          std::min<size_t>(TupleSpaceClassifier::kBulk, round_keys.size() - base));
      FlowKey walks[TupleSpaceClassifier::kBulk];
      FlowKey* walk_ptrs[TupleSpaceClassifier::kBulk];
      FlowPath paths[TupleSpaceClassifier::kBulk];
      FlowPath* path_ptrs[TupleSpaceClassifier::kBulk];
      for (unsigned j = 0; j < count; ++j) {
        walks[j] = round_keys[base + j];
        walk_ptrs[j] = &walks[j];
        path_ptrs[j] = &paths[j];
      }
      resolve_paths(v, walk_ptrs, count, path_ptrs);
      for (unsigned j = 0; j < count; ++j) {
        FlowKey one = round_keys[base + j];
        FlowPath expected;
        resolve_path(v, one, expected);
        ASSERT_EQ(paths[j].n, expected.n) << "round " << round << " packet " << base + j;
        ASSERT_EQ(paths[j].missed, expected.missed);
        for (unsigned t = 0; t < expected.n; ++t) ASSERT_EQ(paths[j].rules[t], expected.rules[t]);
      }
    }
  }
  EXPECT_EQ(checked, 12000u);
  // The generator must produce both outcomes often, or the test proves little.
  EXPECT_GT(matched, checked / 5);
  EXPECT_LT(matched, checked * 19 / 20);
  EXPECT_GT(emc_hits, 100u);
  RecordProperty("matched", static_cast<int>(matched));
}

// Two tables: table 0 rules write reg0/metadata and go to table 1 (or stop),
// table 0 misses go to table 1; table 1 rules match on reg0/metadata too.
TEST_F(Differential, MultiTableWalkAgreesWithReference) {
  Gen gen(777);
  std::vector<RefRule> ref;
  uint64_t seq = 0;
  pipeline->commit(Transaction().set_miss(0, {MissKind::goto_table, 1}));
  size_t two_step = 0, checked = 0;
  for (int round = 0; round < 20; ++round) {
    Transaction txn;
    std::set<std::string> touched;
    for (int i = 0; i < 15; ++i) {
      Rule r = gen.rule();
      r.table = static_cast<uint8_t>(gen.pick(2));
      if (r.table == 0) {
        r.actions.clear();
        if (gen.coin(60)) r.actions.push_back(Action::load(Field::reg0, gen.pick(3)));
        if (gen.coin(40)) r.actions.push_back(Action::write_metadata(gen.pick(4) << 4, 0xf0));
        r.actions.push_back(gen.coin(70) ? Action::simple(ActionType::goto_table, 1)
                                         : Action::output(1));
      } else {
        if (gen.coin(40)) r.match.set_exact(Field::reg0, gen.pick(3));
        if (gen.coin(30)) r.match.set_masked(Field::metadata, gen.pick(4) << 4, 0xf0);
      }
      ASSERT_FALSE(check_rule(r).has_value()) << format_rule(r);
      std::string key = std::to_string(r.table) + "/" + identity(r);
      if (!touched.insert(key).second) continue;
      txn.add(r);
      std::erase_if(ref, [&](const RefRule& x) {
        return x.rule.table == r.table && identity(x.rule) == identity(r);
      });
      ref.push_back({r, ++seq});
    }
    pipeline->commit(txn);
    const PipelineVersion& v = *pipeline->current();
    for (int p = 0; p < 300; ++p) {
      uint16_t in_port;
      PacketSpec s = gen.packet(in_port);
      rte_mbuf* m = test::make_mbuf(test::build_packet(s));
      FlowKey key;
      ASSERT_EQ(extract_flow_key(m, in_port, key), ParseStatus::ok);
      rte_pktmbuf_free(m);
      FlowPath path;
      resolve_path(v, key, path);
      // Reference walk.
      auto f = fields_of(s, in_port);
      std::vector<const Rule*> want;
      bool want_missed = false;
      for (uint8_t t = 0; t < 2;) {
        const RefRule* best = nullptr;
        for (const RefRule& r : ref)
          if (r.rule.table == t && r.rule.match.matches(f) &&
              (!best || r.rule.priority > best->rule.priority ||
               (r.rule.priority == best->rule.priority && r.seq < best->seq)))
            best = &r;
        if (!best) {
          want_missed = t == 1;  // table 0 misses go to table 1; table 1 misses drop
          ++t;
          continue;
        }
        want.push_back(&best->rule);
        bool next = false;
        for (const Action& a : best->rule.actions) {
          if (a.type == ActionType::set_reg) f[static_cast<unsigned>(a.field)] = a.value;
          if (a.type == ActionType::write_metadata) {
            u128& md = f[static_cast<unsigned>(Field::metadata)];
            md = (md & ~u128{a.mask}) | (a.value & a.mask);
          }
          next = next || a.type == ActionType::goto_table;
        }
        if (!next) break;
        ++t;
      }
      ASSERT_EQ(path.n, want.size()) << "round " << round << " packet " << p;
      for (size_t i = 0; i < want.size(); ++i) ASSERT_EQ(path.rules[i]->rule, *want[i]);
      ASSERT_EQ(path.missed, want_missed);
      if (want_missed) {
        ASSERT_EQ(path.miss_table, 1);
      }
      two_step += want.size() == 2;
      ++checked;
    }
  }
  EXPECT_EQ(checked, 6000u);
  EXPECT_GT(two_step, checked / 10);
}

// A RecordingSink that also takes stretches bound for one port, as the
// worker's sink does, and checks the bytes they come with.
struct StretchSink : test::RecordingSink {
  unsigned stretches = 0, wrong_bytes = 0;
  void output_run(uint16_t port, rte_mbuf** pkts, uint16_t n, uint64_t bytes) {
    ++stretches;
    for (uint16_t i = 0; i < n; ++i) bytes -= pkts[i]->pkt_len;
    wrong_bytes += bytes != 0;
    for (uint16_t i = 0; i < n; ++i) output(port, pkts[i]);
  }
};

// Bursts against single packets: the same traffic through two pipelines
// with the same rules, one in bursts of 1 to 70 packets, one a packet at a
// time (no runs, no open run). Each frame must meet the same fate (kind,
// port, bytes), each rule the same counters, and each stretch handed over
// for one port must come with its packets' bytes. The traffic is a few flows
// from two ports, each at several lengths (a run is one signature, so frames
// of different lengths share runs), mostly in runs of one flow, with an
// uncommon frame (VLAN-tagged) and a runt now and then, and the rules
// change between bursts now and then.
TEST_F(Differential, BurstsMeetTheFatesOfSinglePackets) {
  Rcu single_rcu(8);
  Pipeline single(single_rcu, config());
  FlowWorker& burst_worker = pipeline->add_worker(0);
  FlowWorker& single_worker = single.add_worker(0);
  auto add_both = [&](const std::string& text) {
    pipeline->add(parse_rule(text));
    single.add(parse_rule(text));
  };
  std::mt19937 rng(2026);
  auto pick = [&](unsigned n) { return static_cast<unsigned>(rng() % n); };
  const char* const actions[] = {"output:2", "output:3", "dec_ttl,output:4", "drop",
                                 "set_field:46->ip_dscp,output:5"};
  // A rule for one flow from one port, or now and then for all of a port's.
  auto random_rule = [&](unsigned priority) {
    const std::string match = pick(4) == 0 ? ",ip"
                                           : std::string(pick(2) ? ",udp" : ",tcp") +
                                                 ",tp_dst=" + std::to_string(1 + pick(3));
    return "priority=" + std::to_string(priority) + ",in_port=" + std::to_string(1 + pick(2)) +
           match + ",actions=" + actions[pick(5)];
  };
  for (unsigned r = 0; r < 12; ++r) add_both(random_rule(10));
  add_both("priority=1,actions=output:6");
  std::vector<test::Bytes> flows;  // [flow][length]
  constexpr unsigned kLengths = 3;
  for (uint8_t proto : {uint8_t{6}, uint8_t{17}})
    for (uint16_t dport = 1; dport <= 3; ++dport)
      for (size_t payload : {18u, 50u, 400u}) {
        PacketSpec spec;
        spec.proto = proto;
        spec.dport = dport;
        spec.tcp_flags = 0x10;
        spec.payload = payload;
        flows.push_back(test::build_packet(spec));
      }
  PacketSpec tagged;
  tagged.vlan_tcis = {7};
  const test::Bytes uncommon = test::build_packet(tagged), runt(10, 0xab);
  // What leaves does in arrival order; what is dropped in any order
  // (a burst drops the frames that do not parse first).
  auto fates = [](const std::vector<test::Event>& events) {
    std::vector<std::tuple<std::string, uint32_t, test::Bytes>> leaving, dropped;
    for (const test::Event& e : events)
      (e.kind == "drop" ? dropped : leaving).emplace_back(e.kind, e.arg, e.bytes);
    std::sort(dropped.begin(), dropped.end());
    return std::pair(leaving, dropped);
  };
  StretchSink burst_sink;  // output_run: the burst path's hand-over
  test::RecordingSink single_sink;
  size_t frames = 0, bursts_over_a_stage = 0;
  unsigned flow = 0;
  for (int b = 0; b < 3000; ++b) {
    if (pick(8) == 0) add_both(random_rule(11 + static_cast<unsigned>(b)));  // it takes over
    const auto in_port = static_cast<uint16_t>(1 + pick(2));
    const unsigned n = 1 + pick(70);
    std::vector<rte_mbuf*> burst, singles;
    for (unsigned k = 0; k < n; ++k) {
      const unsigned what = pick(100);
      if (what < 25) flow = pick(static_cast<unsigned>(flows.size()) / kLengths);
      const test::Bytes& frame = what == 0 ? runt
                                 : what == 1
                                     ? uncommon
                                     : flows[flow * kLengths + (pick(4) == 0 ? pick(3) : 0)];
      burst.push_back(test::make_mbuf(frame));
      singles.push_back(test::make_mbuf(frame));
      ASSERT_NE(burst.back(), nullptr);
      ASSERT_NE(singles.back(), nullptr);
    }
    burst_sink.events.clear();
    single_sink.events.clear();
    process_burst(burst_worker, *pipeline->current(), burst.data(), static_cast<uint16_t>(n),
                  in_port, 1000, burst_sink);
    for (rte_mbuf* m : singles)
      process_packet(single_worker, *single.current(), m, in_port, 1000, single_sink);
    ASSERT_EQ(burst_sink.events.size(), n) << "burst " << b;
    ASSERT_TRUE(fates(burst_sink.events) == fates(single_sink.events)) << "burst " << b;
    frames += n;
    bursts_over_a_stage += n > detail::BurstStage::kMax;
  }
  const std::vector<FlowStats> got = pipeline->dump(), want = single.dump();
  ASSERT_EQ(got.size(), want.size());
  uint64_t counted = 0;
  for (size_t i = 0; i < got.size(); ++i) {
    ASSERT_EQ(got[i].rule, want[i].rule);
    EXPECT_EQ(got[i].packets, want[i].packets) << format_rule(got[i].rule);
    EXPECT_EQ(got[i].bytes, want[i].bytes) << format_rule(got[i].rule);
    counted += got[i].packets;
  }
  // Most frames met a rule that still lives (an add over a rule resets it).
  EXPECT_GT(counted, frames / 2);
  EXPECT_GT(bursts_over_a_stage, 500u);
  EXPECT_EQ(burst_sink.wrong_bytes, 0u);
  EXPECT_GT(burst_sink.stretches, 3000u);
  // The burst path took its shortcuts: most frames were not looked up.
  EXPECT_GT(pipeline->worker_stat(&FlowWorkerStats::emc_hits),
            5 * pipeline->worker_stat(&FlowWorkerStats::emc_misses));
}

}  // namespace
}  // namespace sluice

SLUICE_EAL_TEST_MAIN("sluice_test_flow_differential")
