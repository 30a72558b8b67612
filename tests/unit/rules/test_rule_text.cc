#include <gtest/gtest.h>

#include "common/error.h"
#include "common/rules/nf_names.h"
#include "common/rules/text.h"

namespace sluice {
namespace {

std::string error_of(const std::string& text) {
  try {
    parse_rule(text);
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

std::string path_of(const std::string& text) {
  try {
    parse_rule(text);
  } catch (const Error& e) {
    return e.path();
  }
  return "(no error)";
}

TEST(RuleText, ParsesTheIssueExample) {
  Rule r = parse_rule(
      "table=0,priority=100,in_port=1,tcp,nw_dst=10.0.0.0/24,tp_dst=80,"
      "actions=set_field:aa:bb:cc:dd:ee:ff->eth_dst,output:2");
  EXPECT_EQ(r.table, 0);
  EXPECT_EQ(r.priority, 100);
  EXPECT_TRUE(r.match.is_exact(Field::in_port));
  EXPECT_EQ(r.match.get(Field::in_port).value, 1u);
  EXPECT_EQ(r.match.get(Field::eth_type).value, 0x0800u);
  EXPECT_EQ(r.match.get(Field::ip_proto).value, 6u);
  EXPECT_EQ(r.match.get(Field::ipv4_dst).value, 0x0a000000u);
  EXPECT_EQ(r.match.get(Field::ipv4_dst).mask, 0xffffff00u);
  EXPECT_EQ(r.match.get(Field::tcp_dst).value, 80u);
  ASSERT_EQ(r.actions.size(), 2u);
  EXPECT_EQ(r.actions[0], Action::set(Field::eth_dst, u128{0xaabbccddeeffULL}));
  EXPECT_EQ(r.actions[1], Action::output(2));
  EXPECT_EQ(format_rule(r),
            "table=0,priority=100,tcp,in_port=1,ipv4_dst=10.0.0.0/24,tcp_dst=80,"
            "actions=set_field:aa:bb:cc:dd:ee:ff->eth_dst,output:2");
}

TEST(RuleText, AliasesAndRanges) {
  Rule r = parse_rule("udp6,dl_src=00:11:22:33:44:55,tp_src=1000-1999,ipv6_dst=2001:db8::/32");
  EXPECT_EQ(r.match.get(Field::eth_type).value, 0x86ddu);
  EXPECT_EQ(r.match.get(Field::eth_src).value, u128{0x001122334455ULL});
  EXPECT_TRUE(r.match.get(Field::udp_src).range);
  EXPECT_EQ(r.match.get(Field::udp_src).lo, 1000);
  EXPECT_EQ(r.match.get(Field::udp_src).hi, 1999);
  EXPECT_EQ(r.match.get(Field::ipv6_dst).mask, ~u128{0} << 96);
  EXPECT_TRUE(r.actions.empty());
  EXPECT_EQ(format_rule(r),
            "table=0,priority=32768,udp6,eth_src=00:11:22:33:44:55,ipv6_dst=2001:db8::/32,"
            "udp_src=1000-1999,actions=drop");
}

TEST(RuleText, RoundTripsEveryActionAndField) {
  const char* rules[] = {
      "table=3,priority=7,cookie=0x2a,idle_timeout=10,hard_timeout=60,ip,ip_dscp=46,"
      "ipv4_src=192.168.1.0/255.255.0.255,actions=dec_ttl,set_field:10.1.2.3->ipv4_src,"
      "set_field:12->ip_dscp,meter:4,group:9,controller:128,nf:3,goto_table:5",
      "table=1,priority=1,vlan_vid=10,vlan_pcp=5,actions=pop_vlan,push_vlan:0x88a8,"
      "set_field:20->vlan_vid,set_field:3->vlan_pcp,flood",
      "table=0,priority=2,arp,arp_op=1,arp_spa=10.0.0.1,arp_tpa=10.0.0.0/8,actions=normal",
      "table=0,priority=3,icmp6,icmpv6_type=135,icmpv6_code=0,metadata=0x10/0xf0,reg3=0x7,"
      "actions=write_metadata:0x5/0xff,load:0x9->reg2,controller",
      "table=0,priority=4,tcp,tcp_flags=0x2/0x12,tcp_src=0x400/0xfc00,tcp_dst=22,"
      "actions=set_field:8080->tcp_dst,output:1,output:2",
      "table=0,priority=5,sctp6,sctp_dst=5-9,ipv6_src=fe80::1,actions=set_field:::1->ipv6_dst,drop",
      "table=0,priority=6,vlan_vid=none,eth_dst=01:00:00:00:00:00/01:00:00:00:00:00,"
      "actions=flood",
      "table=0,priority=8,vlan_vid=0/0x1000,actions=drop",
  };
  for (const char* text : rules) {
    SCOPED_TRACE(text);
    if (std::string(text).find("drop") != std::string::npos &&
        std::string(text).find("->ipv6_dst,drop") != std::string::npos) {
      EXPECT_EQ(error_of(text).find("drop must be the only action") != std::string::npos, true);
      continue;
    }
    Rule r = parse_rule(text);
    std::string printed = format_rule(r);
    Rule again = parse_rule(printed);
    EXPECT_EQ(again, r) << printed;
    EXPECT_EQ(format_rule(again), printed);
  }
}

TEST(RuleText, VlanNoneAndPresent) {
  Rule none = parse_rule("vlan_vid=none,actions=drop");
  EXPECT_EQ(none.match.get(Field::vlan_vid).value, 0u);
  EXPECT_EQ(none.match.get(Field::vlan_vid).mask, 0x1fffu);
  Rule any = parse_rule("vlan_vid=0x1000/0x1000,actions=drop");
  EXPECT_EQ(any.match.get(Field::vlan_vid).value, 0x1000u);
  EXPECT_EQ(any.match.get(Field::vlan_vid).mask, 0x1000u);
}

TEST(RuleText, PrerequisiteErrorsNameTheFieldAndToken) {
  EXPECT_EQ(error_of("priority=5,tcp_dst=80,actions=output:1"),
            "column 12: 'tcp_dst=80': tcp_dst requires eth_type=0x0800 or 0x86dd and ip_proto=6");
  EXPECT_EQ(path_of("priority=5,tcp_dst=80,actions=output:1"), "/match/tcp_dst");
  EXPECT_EQ(error_of("ip,nw_proto=17,tcp_src=1"),
            "column 16: 'tcp_src=1': tcp_src requires eth_type=0x0800 or 0x86dd and ip_proto=6");
  EXPECT_EQ(error_of("ipv6,nw_dst=10.0.0.1"),
            "column 6: 'nw_dst=10.0.0.1': ipv4_dst requires eth_type=0x0800");
  EXPECT_EQ(error_of("vlan_pcp=3"),
            "column 1: 'vlan_pcp=3': vlan_pcp requires a VLAN tag (vlan_vid other than none)");
  EXPECT_EQ(error_of("arp_op=1"), "column 1: 'arp_op=1': arp_op requires eth_type=0x0806");
  EXPECT_EQ(error_of("udp,icmp_type=3"),
            "column 5: 'icmp_type=3': icmpv4_type requires eth_type=0x0800 and ip_proto=1");
  EXPECT_EQ(error_of("in_port=1,tp_dst=80"),
            "column 11: 'tp_dst=80': tp_dst requires ip_proto 6, 17 or 132 (write tcp, udp or "
            "sctp before it)");
  EXPECT_EQ(error_of("ip_dscp=1"),
            "column 1: 'ip_dscp=1': ip_dscp requires eth_type=0x0800 or 0x86dd");
}

TEST(RuleText, ValueAndSyntaxErrors) {
  EXPECT_EQ(error_of("tcp,tcp_dst=2000-1000"),
            "column 5: 'tcp_dst=2000-1000': range 2000-1000 is empty (low end above high end)");
  EXPECT_EQ(error_of("tcp,nw_dst=10.0.0.300"),
            "column 5: 'nw_dst=10.0.0.300': '10.0.0.300' is not a valid ipv4_dst");
  EXPECT_EQ(error_of("ip,nw_dst=10.0.0.0/33"),
            "column 4: 'nw_dst=10.0.0.0/33': '33' is not a valid mask");
  EXPECT_EQ(error_of("in_port=1, bogus=2"), "column 12: 'bogus=2': unknown field 'bogus'");
  EXPECT_EQ(error_of("in_port=1,in_port=2"), "column 11: 'in_port=2': in_port given twice");
  EXPECT_EQ(error_of("table=40"), "column 1: 'table=40': 40 is above the maximum 31");
  EXPECT_EQ(error_of("ip_proto=6/0x0f,ip"), "(no error)");
  EXPECT_EQ(error_of("tcp,actions=output:1,frobnicate"),
            "column 22: 'frobnicate': unknown action 'frobnicate'");
  EXPECT_EQ(path_of("tcp,actions=output:1,frobnicate"), "/actions/1");
  EXPECT_EQ(error_of("table=2,actions=goto_table:1"),
            "column 17: 'goto_table:1': goto_table: table 1 must be after table 2 and below 32");
  EXPECT_EQ(error_of("actions=goto_table:3,output:1"),
            "column 9: 'goto_table:3': goto_table: must be the last action");
  EXPECT_EQ(error_of("actions=set_field:10.0.0.1->nw_dst"),
            "column 9: 'set_field:10.0.0.1->nw_dst': set_field: setting ipv4_dst requires "
            "eth_type=0x0800");
  EXPECT_EQ(error_of("actions=set_field:5->vlan_vid"),
            "column 9: 'set_field:5->vlan_vid': set_field: setting vlan_vid requires a VLAN tag "
            "(vlan_vid other than none, or push_vlan first)");
  EXPECT_EQ(error_of("actions=push_vlan:0x800"),
            "column 9: 'push_vlan:0x800': push_vlan: TPID must be 0x8100 or 0x88a8");
  EXPECT_EQ(error_of("actions=load:1->eth_dst"),
            "column 9: 'load:1->eth_dst': load writes registers reg0..reg7; use set_field for "
            "eth_dst");
  EXPECT_EQ(error_of("arp,actions=dec_ttl"),
            "column 13: 'dec_ttl': dec_ttl: requires eth_type=0x0800 or 0x86dd (ip or ipv6)");
  EXPECT_EQ(error_of("tcp,udp"), "column 5: 'udp': conflicts with an earlier eth_type or ip_proto");
}

// nf:NAME resolves to the number of the instance registered under NAME when
// the rule is parsed; the rule keeps (and prints) the number.
TEST(RuleText, NfActionTakesAnInstanceNameOrNumber) {
  nf_names::add("fw", 7);
  const Rule r = parse_rule("priority=5,actions=nf:fw,output:2");
  ASSERT_EQ(r.actions.size(), 2u);
  EXPECT_EQ(r.actions[0], Action::simple(ActionType::nf, 7));
  EXPECT_EQ(parse_rule("actions=nf:7").actions[0], r.actions[0]);
  EXPECT_EQ(format_rule(parse_rule("actions=nf:fw")), format_rule(parse_rule("actions=nf:7")));
  EXPECT_EQ(error_of("actions=nf:nat"),
            "column 9: 'nf:nat': no network-function instance named 'nat'");
  EXPECT_EQ(path_of("actions=nf:nat"), "/actions/0");
  nf_names::remove("fw");
  EXPECT_EQ(error_of("actions=nf:fw"), "column 9: 'nf:fw': no network-function instance named 'fw'");
}

TEST(RuleText, FlowsFileSkipsCommentsAndNamesTheLine) {
  std::vector<Rule> rules = parse_rules(
      "# lab flows\n\ntable=0,priority=1,actions=normal\n  \n"
      "table=0,priority=2,arp,actions=flood\r\n");
  ASSERT_EQ(rules.size(), 2u);
  EXPECT_EQ(rules[1].priority, 2);
  try {
    parse_rules("actions=normal\n# x\nip,tp_dst=80,actions=normal\n");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(),
                 "line 3: column 4: 'tp_dst=80': tp_dst requires ip_proto 6, 17 or 132 (write "
                 "tcp, udp or sctp before it)");
  }
}

}  // namespace
}  // namespace sluice
