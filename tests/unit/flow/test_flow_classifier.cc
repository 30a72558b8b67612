#include <gtest/gtest.h>

#include <algorithm>

#include "common/error.h"
#include "tests/unit/flow/flow_fixture.h"

namespace sluice {
namespace {

using test::PacketSpec;

class Classifier : public test::FlowFixture {};

std::string commit_error(Pipeline& p, const Transaction& t, std::string* path = nullptr,
                         int* code = nullptr) {
  try {
    p.commit(t);
  } catch (const Error& e) {
    if (path) *path = e.path();
    if (code) *code = e.code();
    return e.what();
  }
  return "(no error)";
}

TEST_F(Classifier, HigherPriorityWinsAndTiesGoToTheOlderRule) {
  add("priority=10,cookie=1,ip,actions=output:1");
  add("priority=20,cookie=2,tcp,actions=output:2");
  add("priority=20,cookie=3,tcp,tcp_dst=80,actions=output:3");
  EXPECT_EQ(cookie_of(PacketSpec{}), 2);  // older of the two at 20
  PacketSpec udp;
  udp.proto = 17;
  EXPECT_EQ(cookie_of(udp), 1);
  add("priority=30,cookie=4,tcp,tcp_dst=80,actions=output:4");
  EXPECT_EQ(cookie_of(PacketSpec{}), 4);
  PacketSpec arp;
  arp.eth_type = 0x0806;
  EXPECT_EQ(cookie_of(arp), -1);
}

TEST_F(Classifier, MasksAndPrefixes) {
  add("priority=5,cookie=16,ip,nw_dst=10.0.0.0/16,actions=output:1");
  add("priority=6,cookie=24,ip,nw_dst=10.0.1.0/24,actions=output:1");
  add("priority=7,cookie=77,eth_dst=01:00:00:00:00:00/01:00:00:00:00:00,actions=flood");
  add("priority=8,cookie=88,ip,nw_src=0.0.0.3/0.0.0.3,actions=output:1");
  PacketSpec s;
  s.ip_dst = test::ip4("10.0.1.9");
  EXPECT_EQ(cookie_of(s), 24);
  s.ip_dst = test::ip4("10.0.2.9");
  EXPECT_EQ(cookie_of(s), 16);
  s.ip_dst = test::ip4("10.1.0.1");
  EXPECT_EQ(cookie_of(s), -1);
  s.dst = {0x01, 0, 0x5e, 0, 0, 1};
  EXPECT_EQ(cookie_of(s), 77);
  s.ip_src = test::ip4("192.168.0.7");  // low bits 11
  EXPECT_EQ(cookie_of(s), 88);
  s.ip_src = test::ip4("192.168.0.6");
  EXPECT_EQ(cookie_of(s), 77);
}

TEST_F(Classifier, NativePortRangesInOneBucket) {
  add("priority=10,cookie=1,tcp,tcp_dst=1000-1999,actions=output:1");
  add("priority=10,cookie=2,tcp,tcp_dst=1500-2999,actions=output:2");
  add("priority=5,cookie=3,tcp,tcp_src=1-1023,tcp_dst=0-65535,actions=output:3");
  PacketSpec s;
  s.sport = 5000;
  for (auto [port, want] : {std::pair{999, -1},
                            {1000, 1},
                            {1499, 1},
                            {1500, 1},
                            {1999, 1},
                            {2000, 2},
                            {2999, 2},
                            {3000, -1}}) {
    s.dport = static_cast<uint16_t>(port);
    EXPECT_EQ(cookie_of(s), want) << port;
  }
  s.sport = 80;
  s.dport = 3000;
  EXPECT_EQ(cookie_of(s), 3);
  // Ranges wildcard the port in the mask: all three rules share one subtable
  // and one bucket, the ranges are checked on the candidates.
  EXPECT_EQ(pipeline->current()->tables[0].subtables.size(), 1u);
}

TEST_F(Classifier, VlanAndInPort) {
  add("priority=10,cookie=1,vlan_vid=none,actions=output:1");
  add("priority=10,cookie=2,in_port=3,vlan_vid=100,actions=output:2");
  add("priority=9,cookie=3,vlan_vid=0x1000/0x1000,actions=output:3");
  PacketSpec s;
  EXPECT_EQ(cookie_of(s, 3), 1);
  s.vlan_tcis = {100};
  EXPECT_EQ(cookie_of(s, 3), 2);
  EXPECT_EQ(cookie_of(s, 4), 3);
}

TEST_F(Classifier, PrerequisitesAreEnforcedWithPaths) {
  Rule r;
  r.match.set_exact(Field::tcp_dst, 80);
  r.actions = {Action::output(1)};
  std::string path;
  EXPECT_EQ(commit_error(*pipeline, Transaction().add(r), &path),
            "tcp_dst requires eth_type=0x0800 or 0x86dd and ip_proto=6");
  EXPECT_EQ(path, "/ops/0/match/tcp_dst");
  EXPECT_EQ(pipeline->rule_count(), 0u);
}

TEST_F(Classifier, GotoTableCarriesRegistersAndMetadata) {
  add("table=0,priority=1,cookie=1,in_port=1,actions=load:7->reg0,write_metadata:0xab/0xff,"
      "goto_table:3");
  add("table=3,priority=1,cookie=2,reg0=7,metadata=0xab/0xff,actions=output:9");
  add("table=3,priority=0,cookie=3,actions=drop");
  TraceResult t = trace(PacketSpec{}, 1);
  ASSERT_EQ(t.steps.size(), 2u);
  EXPECT_EQ(t.steps[0].table, 0);
  EXPECT_EQ(t.steps[1].table, 3);
  ASSERT_TRUE(t.steps[1].rule);
  EXPECT_EQ(t.steps[1].rule->cookie, 2u);
  EXPECT_EQ(t.steps[1].key.regs[0], 7u);
  EXPECT_EQ(format_actions(t.actions), "load:0x7->reg0,write_metadata:0xab/0xff,output:9");
  t = trace(PacketSpec{}, 2);
  ASSERT_EQ(t.steps.size(), 1u);
  EXPECT_TRUE(t.dropped_on_miss);
}

TEST_F(Classifier, SetFieldIsSeenByLaterTables) {
  add("table=0,priority=1,ip,actions=set_field:10.9.9.9->ipv4_dst,goto_table:1");
  add("table=1,priority=1,cookie=5,ip,nw_dst=10.9.9.9,actions=output:1");
  EXPECT_EQ(cookie_of(PacketSpec{}, 1, 1), 5);
}

TEST_F(Classifier, MissBehaviours) {
  Transaction t;
  t.set_miss(0, {MissKind::goto_table, 2}).set_miss(2, {MissKind::controller, 0});
  pipeline->commit(t);
  TraceResult r = trace(PacketSpec{});
  ASSERT_EQ(r.steps.size(), 2u);
  EXPECT_EQ(r.steps[1].table, 2);
  EXPECT_EQ(format_actions(r.actions), "controller");
  pipeline->commit(Transaction().set_miss(2, {MissKind::normal, 0}));
  EXPECT_EQ(format_actions(trace(PacketSpec{}).actions), "normal");
  std::string path;
  EXPECT_EQ(commit_error(*pipeline, Transaction().set_miss(3, {MissKind::goto_table, 1}), &path),
            "miss goto_table must go to a later table below 32");
  EXPECT_EQ(path, "/ops/0/miss/table");
}

TEST_F(Classifier, TransactionIsAllOrNothing) {
  add("priority=1,cookie=1,actions=output:1");
  uint64_t gen = pipeline->generation();
  Transaction t;
  t.add(parse_rule("priority=2,cookie=2,ip,actions=output:2"));
  t.remove(0, Match{}, false);
  Rule bad = parse_rule("priority=3,actions=output:3");
  bad.actions.push_back(Action::simple(ActionType::group, 42));
  t.add(bad);
  std::string path;
  int code = 0;
  EXPECT_EQ(commit_error(*pipeline, t, &path, &code),
            "group 42 does not exist (table=0,priority=3,actions=output:3,group:42)");
  EXPECT_EQ(code, ENOENT);
  EXPECT_EQ(pipeline->generation(), gen);
  EXPECT_EQ(pipeline->rule_count(), 1u);
  EXPECT_EQ(cookie_of(PacketSpec{}), 1);
  // Same transaction minus the bad op: applies in order (add, then remove all).
  Transaction ok;
  ok.add(parse_rule("priority=2,cookie=2,ip,actions=output:2")).remove(0, Match{}, false);
  ok.add(parse_rule("priority=3,cookie=3,actions=output:3"));
  CommitResult res = pipeline->commit(ok);
  EXPECT_EQ(res.generation, gen + 1);
  EXPECT_EQ(res.added, 1u);
  EXPECT_EQ(res.removed, 1u);
  EXPECT_EQ(pipeline->rule_count(), 1u);
  EXPECT_EQ(cookie_of(PacketSpec{}), 3);
}

TEST_F(Classifier, ModifyAndDeleteStrictAndNonStrict) {
  add("priority=10,cookie=0x11,tcp,nw_dst=10.0.0.2,actions=output:1");
  add("priority=20,cookie=0x12,tcp,nw_dst=10.0.0.2,tcp_dst=80,actions=output:1");
  add("priority=30,cookie=0x21,udp,actions=output:1");
  std::vector<FlowStats> before = pipeline->dump();
  // Non-strict modify of everything within "tcp": both TCP rules.
  Rule filter = parse_rule("tcp,actions=output:7");
  CommitResult r = pipeline->commit(Transaction().modify(filter));
  EXPECT_EQ(r.modified, 2u);
  for (const FlowStats& s : pipeline->dump()) {
    bool tcp =
        s.rule.match.is_exact(Field::ip_proto) && s.rule.match.get(Field::ip_proto).value == 6;
    EXPECT_EQ(format_actions(s.rule.actions), tcp ? "output:7" : "output:1");
    for (const FlowStats& b : before)
      if (b.rule.cookie == s.rule.cookie) {
        EXPECT_EQ(b.id, s.id);  // ids (counters) kept
      }
  }
  // Strict modify needs the exact priority and match.
  Rule strict = parse_rule("priority=10,tcp,actions=output:8");
  EXPECT_EQ(pipeline->commit(Transaction().modify(strict, true)).modified, 0u);
  strict = parse_rule("priority=10,tcp,nw_dst=10.0.0.2,actions=output:8");
  EXPECT_EQ(pipeline->commit(Transaction().modify(strict, true)).modified, 1u);
  // Delete by cookie mask.
  Transaction del;
  del.remove(0, Match{}, false, 0, 0x10, 0xf0);
  EXPECT_EQ(pipeline->commit(del).removed, 2u);
  ASSERT_EQ(pipeline->dump().size(), 1u);
  EXPECT_EQ(pipeline->dump()[0].rule.cookie, 0x21u);
  std::vector<FlowRemoved> gone = pipeline->take_removed();
  ASSERT_EQ(gone.size(), 2u);
  EXPECT_EQ(gone[0].reason, RemovedReason::deleted);
  // Non-strict delete with a range filter selects rules inside it only.
  add("priority=1,cookie=0x31,udp,udp_dst=100-200,actions=output:1");
  add("priority=1,cookie=0x32,udp,udp_dst=150,actions=output:1");
  add("priority=1,cookie=0x33,udp,udp_dst=150-300,actions=output:1");
  Match range = parse_rule("udp,udp_dst=100-250").match;
  EXPECT_EQ(pipeline->commit(Transaction().remove(0, range)).removed, 2u);
  EXPECT_EQ(pipeline->rule_count(), 2u);
}

TEST_F(Classifier, AddReplacesSameIdentityAndResetsCounters) {
  add("priority=5,cookie=1,ip,actions=output:1");
  uint32_t id = pipeline->dump()[0].id;
  CommitResult r = add("priority=5,cookie=2,ip,actions=output:2");
  EXPECT_EQ(r.added, 1u);
  ASSERT_EQ(pipeline->rule_count(), 1u);
  EXPECT_NE(pipeline->dump()[0].id, id);
  EXPECT_EQ(cookie_of(PacketSpec{}), 2);
}

TEST_F(Classifier, EmptySubtablesAreDropped) {
  add("priority=5,ip,nw_dst=10.0.0.0/8,actions=output:1");
  add("priority=5,tcp,actions=output:1");
  EXPECT_EQ(pipeline->current()->tables[0].subtables.size(), 2u);
  pipeline->commit(Transaction().remove(0, parse_rule("tcp").match, true, 5));
  EXPECT_EQ(pipeline->current()->tables[0].subtables.size(), 1u);
  pipeline->commit(Transaction().remove(0, Match{}));
  EXPECT_EQ(pipeline->current()->tables[0].subtables.size(), 0u);
  EXPECT_EQ(cookie_of(PacketSpec{}), -1);
}

TEST_F(Classifier, CapacityIsChecked) {
  Transaction t;
  for (int i = 0; i < (1 << 14) + 1; ++i) {
    Rule r = parse_rule("tcp,actions=output:1");
    r.match.set_exact(Field::tcp_dst, static_cast<uint16_t>(i));
    r.match.set_exact(Field::in_port, static_cast<uint16_t>(i >> 16));
    t.add(r);
  }
  int code = 0;
  commit_error(*pipeline, t, nullptr, &code);
  EXPECT_EQ(code, ENOSPC);
  EXPECT_EQ(pipeline->rule_count(), 0u);
}

// Small transactions grow a subtable's hash step by step (x4 from 256); a
// large one makes room for all of its rules at once.
TEST_F(Classifier, SubtablesGrowStepwiseOrOnceForALargeTransaction) {
  auto rule = [](const char* proto, int port) {
    Rule r = parse_rule(std::string(proto) + ",actions=output:1");
    r.cookie = static_cast<uint64_t>(port);
    r.match.set_exact(std::string(proto) == "tcp" ? Field::tcp_dst : Field::udp_src,
                      static_cast<uint16_t>(port));
    return r;
  };
  for (int base = 0; base < 5000; base += 100) {
    Transaction t;
    for (int i = base; i < base + 100; ++i) t.add(rule("tcp", i));
    pipeline->commit(t);
  }
  Transaction large;
  for (int i = 0; i < 5000; ++i) large.add(rule("udp", i));
  pipeline->commit(std::move(large));
  const PipelineVersion::Table& table = pipeline->current()->tables[0];
  ASSERT_EQ(table.subtables.size(), 2u);
  std::vector<uint32_t> capacities;
  for (const SubtableRef& s : table.subtables) capacities.push_back(s.sub->capacity);
  std::sort(capacities.begin(), capacities.end());
  EXPECT_EQ(capacities, (std::vector<uint32_t>{8192, 16384}));  // 5000 + 1/4: once; 256 * 4^3
  PacketSpec s;
  for (int i : {0, 99, 100, 4999}) {
    s.proto = 6;
    s.dport = static_cast<uint16_t>(i);
    EXPECT_EQ(cookie_of(s), i);
    s.proto = 17;
    s.dport = 80;
    s.sport = static_cast<uint16_t>(i);
    EXPECT_EQ(cookie_of(s), i);
  }
}

TEST_F(Classifier, ManyRulesGrowTheSubtableHash) {
  Transaction t;
  for (int i = 0; i < 5000; ++i) {
    Rule r = parse_rule("tcp,actions=output:1");
    r.cookie = static_cast<uint64_t>(i);
    r.match.set_exact(Field::tcp_dst, static_cast<uint16_t>(i));
    t.add(r);
  }
  pipeline->commit(t);
  PacketSpec s;
  for (int i : {0, 1, 4095, 4999}) {
    s.dport = static_cast<uint16_t>(i);
    EXPECT_EQ(cookie_of(s), i);
  }
  s.dport = 5000;
  EXPECT_EQ(cookie_of(s), -1);
}

}  // namespace
}  // namespace sluice

SLUICE_EAL_TEST_MAIN("sluice_test_flow_classifier")
