// Network functions in the running datapath, through net_ring ports: a
// firewall instance placed by nf:N steers allowed traffic on with the rest of
// the rule's actions, drops denied traffic with its reasons, sends reject
// replies back out of the input port, lets replies of tracked connections
// through; instances chain (nf:1,nf:2,output:3); a rule naming no instance,
// or an instance deleted while forwarding, is a counted nf_unavailable drop.
#include <nlohmann/json.hpp>

#include "common/rules/text.h"
#include "dataplane/flow/transaction.h"
#include "tests/integration/ring_switch_fixture.h"
#include "tests/support/packet_builder.h"

namespace sluice {
namespace {

using json = nlohmann::json;

class NfSwitchTest : public test::RingSwitchTest {
 protected:
  // Ports 1 (ring 0) and 2 (ring 1): "inside" may open TCP to port 80 and
  // ping; telnet is rejected; everything else, and anything opened from
  // port 2, is denied. Replies flow by connection tracking.
  void add_firewall(const std::string& name = "fw") {
    datapath_->nfs().create(name, "firewall", json::parse(R"({
      "default": "deny",
      "rules": [
        {"name": "web", "action": "allow", "in_port": 1, "proto": "tcp", "dst_port": 80},
        {"name": "telnet", "action": "reject", "in_port": 1, "proto": "tcp", "dst_port": 23},
        {"name": "ping", "action": "allow", "in_port": 1, "proto": "icmp", "icmp_type": 8}
      ]})"));
  }
  json nf_stats(const std::string& name) { return datapath_->nfs().find(name)->stats(); }
  uint64_t drops(unsigned port, DropReason why) {
    return totals(port).drops[static_cast<unsigned>(why)];
  }
};

test::Bytes tcp(bool from_inside, uint16_t dport, uint8_t flags, uint16_t sport = 40000) {
  test::PacketSpec s;
  if (!from_inside) {
    std::swap(s.src, s.dst);
    std::swap(s.ip_src, s.ip_dst);
  }
  s.proto = 6;
  s.sport = sport;
  s.dport = dport;
  s.tcp_flags = flags;
  return test::build_packet(s);
}

constexpr uint8_t kSyn = 0x02, kAck = 0x10, kRst = 0x04;

TEST_F(NfSwitchTest, FirewallSteersAllowsDeniesAndRejectsOutOfTheInputPort) {
  add_firewall();
  datapath_->pipeline().add(parse_rule("priority=10,in_port=1,actions=nf:1,output:2"));
  datapath_->pipeline().add(parse_rule("priority=10,in_port=2,actions=nf:1,output:1"));

  const test::Bytes syn80 = tcp(true, 80, kSyn);
  send(0, syn80);
  settle(1);
  EXPECT_EQ(drain(1), std::vector<test::Bytes>{syn80});  // allowed, continues to output:2
  const test::Bytes synack = tcp(false, 40000, kSyn | kAck, 80);
  send(1, synack);
  settle(2);
  EXPECT_EQ(drain(0), std::vector<test::Bytes>{synack});  // the reply of a tracked connection

  send(0, tcp(true, 23, kSyn));  // rejected: a RST back to the sender
  settle(3);
  EXPECT_TRUE(drain(1).empty());
  const auto replies = drain(0);
  ASSERT_EQ(replies.size(), 1u);
  const test::Bytes& rst = replies[0];
  ASSERT_GE(rst.size(), 54u);
  EXPECT_EQ(test::get16(rst, 34), 23u);     // from the port it tried
  EXPECT_EQ(test::get16(rst, 36), 40000u);  // to the sender's port
  EXPECT_EQ(rst[47] & (kRst | kAck), kRst | kAck);
  EXPECT_EQ(totals(0).tx_packets, 2u);

  send(0, tcp(true, 22, kSyn));          // no rule: default deny
  send(1, tcp(false, 80, kSyn, 50000));  // the outside may open nothing
  settle(5);
  EXPECT_TRUE(drain(0).empty());
  EXPECT_TRUE(drain(1).empty());

  const json s = nf_stats("fw");
  EXPECT_EQ(s["packets_in"], 5);
  EXPECT_EQ(s["packets_out"]["forward"], 2);
  EXPECT_EQ(s["packets_out"]["reply"], 1);
  EXPECT_EQ(s["drops"]["default_deny"], 2);
  // The firewall's drops are its own; the switch lost nothing else.
  EXPECT_EQ(drops(0, DropReason::nf_unavailable) + drops(1, DropReason::nf_unavailable), 0u);
  EXPECT_EQ(drops(0, DropReason::action_drop) + drops(1, DropReason::action_drop), 0u);
}

TEST_F(NfSwitchTest, ChainedInstancesEachSeeThePacketThenTheRestOfTheActionsRun) {
  const json allow_all = json::parse(R"({"default": "allow"})");
  datapath_->nfs().create("first", "firewall", allow_all);
  datapath_->nfs().create("second", "firewall", allow_all);
  datapath_->pipeline().add(parse_rule("priority=10,udp,actions=nf:1,nf:2,output:3"));
  test::PacketSpec s;
  s.proto = 17;
  const test::Bytes frame = test::build_packet(s);
  for (int i = 0; i < 4; ++i) send(0, frame);
  settle(4);
  EXPECT_EQ(drain(2), std::vector<test::Bytes>(4, frame));
  EXPECT_TRUE(drain(1).empty());
  EXPECT_EQ(nf_stats("first")["packets_out"]["forward"], 4);
  EXPECT_EQ(nf_stats("second")["packets_in"], 4);
}

TEST_F(NfSwitchTest, CopiesBeforeTheNfActionAndOutputsAfterItGetOnePacketEach) {
  datapath_->nfs().create("fw", "firewall", json::parse(R"({"default": "deny"})"));
  datapath_->pipeline().add(parse_rule("priority=10,udp,actions=output:2,nf:1,output:3"));
  test::PacketSpec s;
  s.proto = 17;
  send(0, test::build_packet(s));
  settle(1);
  EXPECT_EQ(drain(1).size(), 1u);  // output:2 ran before the NF
  EXPECT_TRUE(drain(2).empty());   // the NF denied it: nothing after
  EXPECT_EQ(nf_stats("fw")["drops"]["default_deny"], 1);
}

TEST_F(NfSwitchTest, GroupsAndLaterTablesRunAfterTheNf) {
  datapath_->nfs().create("fw", "firewall", json::parse(R"({"default": "allow"})"));
  GroupDef select{5, GroupType::select, {parse_rule("actions=output:3").actions}};
  GroupDef all{6,
               GroupType::all,
               {parse_rule("actions=output:2").actions, parse_rule("actions=output:3").actions}};
  Transaction t;
  t.set_group(select).set_group(all);
  t.add(parse_rule("table=0,priority=10,udp,actions=nf:1,goto_table:1"));
  t.add(parse_rule("table=1,priority=10,udp,udp_dst=53,actions=group:5"));
  t.add(parse_rule("table=1,priority=10,udp,udp_dst=54,actions=group:6"));
  datapath_->pipeline().commit(t);
  test::PacketSpec s;
  s.proto = 17;
  s.dport = 53;
  const test::Bytes dns = test::build_packet(s);
  s.dport = 54;
  const test::Bytes other = test::build_packet(s);
  send(0, dns);
  send(0, other);
  settle(2);
  EXPECT_EQ(drain(1), std::vector<test::Bytes>{other});
  EXPECT_EQ(drain(2), (std::vector<test::Bytes>{dns, other}));
  EXPECT_EQ(nf_stats("fw")["packets_out"]["forward"], 2);
}

TEST_F(NfSwitchTest, NoSuchInstanceOrOneDeletedWhileForwardingIsACountedDrop) {
  datapath_->pipeline().add(parse_rule("priority=10,in_port=1,actions=nf:7,output:2"));
  send(0, tcp(true, 80, kSyn));
  settle(1);
  EXPECT_TRUE(drain(1).empty());
  EXPECT_EQ(drops(0, DropReason::nf_unavailable), 1u);

  datapath_->nfs().create("late", "firewall", json::parse(R"({"default": "allow"})"), 7);
  send(0, tcp(true, 80, kSyn));
  settle(2);
  EXPECT_EQ(drain(1).size(), 1u);

  datapath_->nfs().remove("late");
  send(0, tcp(true, 80, kSyn));
  settle(3);
  EXPECT_TRUE(drain(1).empty());
  EXPECT_EQ(drops(0, DropReason::nf_unavailable), 2u);
}

// The control thread creates, reconfigures and deletes the instance while the
// worker forwards: every packet is either delivered or an nf_unavailable
// drop, none lost, none twice (an instance is destroyed only after a grace
// period, so no worker is inside it then).
TEST_F(NfSwitchTest, InstancesComeAndGoWhileForwarding) {
  datapath_->pipeline().add(parse_rule("priority=10,in_port=1,actions=nf:1,output:2"));
  test::PacketSpec s;
  s.proto = 17;
  uint64_t sent = 0, delivered = 0;
  for (int round = 0; round < 30; ++round) {
    if (round % 3 == 0) {
      datapath_->nfs().create("fw", "firewall", json::parse(R"({"default": "allow"})"), 1);
    } else if (round % 3 == 1) {
      datapath_->nfs().reconfigure("fw", json::parse(R"({"default": "allow", "rules": [
          {"action": "deny", "proto": "tcp"}]})"));
    }
    for (int i = 0; i < 200; ++i) {
      s.sport = static_cast<uint16_t>(1000 + i);
      send(0, test::build_packet(s));
      ++sent;
    }
    if (round % 3 == 2) datapath_->nfs().remove("fw");
    delivered += drain(1).size();
  }
  settle(sent);
  delivered += drain(1).size();
  const uint64_t unavailable = drops(0, DropReason::nf_unavailable);
  EXPECT_EQ(delivered + unavailable, sent);
  EXPECT_GT(delivered, 0u);
  EXPECT_EQ(totals(1).drops[static_cast<unsigned>(DropReason::tx_full)], 0u);
}

// A router and a firewall in one action list, in either order: what the
// router routes still passes the firewall (nf:r1,nf:fw), and what the
// firewall allows is routed (nf:fw,nf:r1). Denied packets never leave.
class RouterChainTest : public NfSwitchTest,
                        public ::testing::WithParamInterface<const char*> {};

TEST_P(RouterChainTest, RoutedPacketsPassTheFirewallInEitherOrder) {
  // IPv4 only: an IPv6 LPM would double the memory the test EAL needs.
  datapath_->nfs().create("r1", "router", json::parse(R"({
    "interfaces": [
      {"name": "lan", "port": 1, "mac": "02:00:00:00:01:01", "addresses": ["10.1.0.1/24"]},
      {"name": "wan", "port": 2, "mac": "02:00:00:00:02:01", "addresses": ["10.2.0.1/24"]}],
    "neighbours": [{"address": "10.2.0.2", "mac": "02:00:00:00:02:02", "interface": "wan"}]})"));
  datapath_->nfs().create("fw", "firewall", json::parse(R"({"default": "deny",
    "rules": [{"name": "web", "action": "allow", "proto": "tcp", "dst_port": 80}]})"));
  datapath_->pipeline().add(parse_rule(std::string("priority=10,actions=") + GetParam()));

  test::PacketSpec s;
  s.dst = {0x02, 0, 0, 0, 0x01, 0x01};  // the router's lan interface
  s.src = {0x02, 0, 0, 0, 0x01, 0x02};
  s.ip_src = 0x0a010002;  // 10.1.0.2
  s.ip_dst = 0x0a020002;  // 10.2.0.2, behind wan
  s.proto = 6;
  s.dport = 80;
  send(0, test::build_packet(s));
  s.dport = 22;
  send(0, test::build_packet(s));
  settle(2);

  s.dport = 80;
  s.dst = {0x02, 0, 0, 0, 0x02, 0x02};  // routed: the neighbour's MAC, from wan's, TTL 63
  s.src = {0x02, 0, 0, 0, 0x02, 0x01};
  s.ttl = 63;
  EXPECT_EQ(drain(1), std::vector<test::Bytes>{test::build_packet(s)});
  EXPECT_TRUE(drain(0).empty());
  EXPECT_TRUE(drain(2).empty());
  EXPECT_EQ(nf_stats("fw")["drops"]["default_deny"], 1);
  EXPECT_EQ(nf_stats("fw")["packets_in"], 2);
  EXPECT_EQ(nf_stats("r1")["packets_sent"], GetParam() == std::string("nf:r1,nf:fw") ? 2 : 1);
}

INSTANTIATE_TEST_SUITE_P(Orders, RouterChainTest,
                         ::testing::Values("nf:r1,nf:fw", "nf:fw,nf:r1"));

}  // namespace
}  // namespace sluice
