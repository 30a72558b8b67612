#include <gtest/gtest.h>

#include "common/error.h"
#include "common/rules/json.h"
#include "common/rules/nf_names.h"
#include "common/rules/text.h"

namespace sluice {
namespace {

using nlohmann::json;

std::pair<std::string, std::string> error_of(const char* text) {
  try {
    rule_from_json(json::parse(text));
  } catch (const Error& e) {
    return {e.path(), e.what()};
  }
  return {"", "(no error)"};
}

TEST(RuleJson, ParsesTheIssueExample) {
  Rule r = rule_from_json(json::parse(
      R"({"table":0,"priority":100,"cookie":7,"match":{"in_port":1,"eth_type":2048,"ip_proto":6,
          "ipv4_dst":"10.0.0.0/24","tcp_dst":"1000-1999"},"actions":[{"type":"output","port":2}]})"));
  EXPECT_EQ(r, parse_rule("priority=100,cookie=7,in_port=1,tcp,nw_dst=10.0.0.0/24,"
                          "tcp_dst=1000-1999,actions=output:2"));
  json back = rule_to_json(r);
  EXPECT_EQ(back["match"]["tcp_dst"], "1000-1999");
  EXPECT_EQ(back["match"]["ipv4_dst"], "10.0.0.0/24");
  EXPECT_EQ(back["match"]["eth_type"], 2048);
  EXPECT_EQ(back["actions"], json::parse(R"([{"type":"output","port":2}])"));
}

TEST(RuleJson, RoundTripsThroughText) {
  const char* rules[] = {
      "table=3,priority=7,cookie=0x2a,idle_timeout=10,ip,ip_dscp=46,ipv4_src=192.168.1.0/24,"
      "actions=dec_ttl,set_field:10.1.2.3->ipv4_src,set_field:12->ip_dscp,meter:4,group:9,"
      "controller:128,nf:3,goto_table:5",
      "table=1,priority=1,vlan_vid=10,vlan_pcp=5,actions=pop_vlan,push_vlan:0x8100,"
      "set_field:20->vlan_vid,flood",
      "icmp6,icmpv6_type=135,metadata=0x10/0xf0,reg3=7,eth_src=00:00:00:00:00:01,"
      "actions=write_metadata:0x5/0xff,load:9->reg2,set_field:fe80::2->ipv6_src,controller",
      "vlan_vid=none,actions=normal",
  };
  for (const char* text : rules) {
    SCOPED_TRACE(text);
    Rule r = parse_rule(text);
    json j = rule_to_json(r);
    EXPECT_EQ(rule_from_json(json::parse(j.dump())), r) << j.dump();
  }
}

TEST(RuleJson, NfInstanceByNameOrNumber) {
  nf_names::add("fw", 3);
  const Rule by_name = rule_from_json(json::parse(R"({"actions":[{"type":"nf","instance":"fw"}]})"));
  const Rule by_number = rule_from_json(json::parse(R"({"actions":[{"type":"nf","instance":3}]})"));
  EXPECT_EQ(by_name, by_number);
  nf_names::remove("fw");
  EXPECT_EQ(error_of(R"({"actions":[{"type":"output","port":2},{"type":"nf","instance":"fw"}]})"),
            std::make_pair(std::string("/actions/1/instance"),
                           std::string("/actions/1/instance: no network-function instance named "
                                       "'fw'")));
}

TEST(RuleJson, ErrorsCarryJsonPointers) {
  EXPECT_EQ(error_of(R"({"match":{"tcp_dst":80}})"),
            std::make_pair(std::string("/match/tcp_dst"),
                           std::string("/match/tcp_dst: tcp_dst requires eth_type=0x0800 or "
                                       "0x86dd and ip_proto=6")));
  EXPECT_EQ(error_of(R"({"match":{"eth_type":2048,"ip_proto":6,"tcp_dst":"9-3"}})").first,
            "/match/tcp_dst");
  EXPECT_EQ(
      error_of(R"({"match":{"nope":1}})"),
      std::make_pair(std::string("/match/nope"), std::string("/match/nope: unknown field 'nope'")));
  EXPECT_EQ(error_of(R"({"priority":70000})"),
            std::make_pair(std::string("/priority"),
                           std::string("/priority: 70000 is above the maximum 65535")));
  EXPECT_EQ(error_of(R"({"priority":-1})").first, "/priority");
  EXPECT_EQ(error_of(R"({"prio":1})"),
            std::make_pair(std::string("/prio"), std::string("/prio: unknown member 'prio'")));
  EXPECT_EQ(error_of(R"({"actions":[{"type":"output"}]})"),
            std::make_pair(std::string("/actions/0/port"),
                           std::string("/actions/0/port: missing member 'port'")));
  EXPECT_EQ(error_of(R"({"actions":[{"type":"output","port":1},{"type":"teleport"}]})").first,
            "/actions/1/type");
  EXPECT_EQ(error_of(R"({"actions":[{"type":"output","port":1,"extra":1}]})").first,
            "/actions/0/extra");
  EXPECT_EQ(error_of(R"({"table":1,"actions":[{"type":"goto_table","table":1}]})"),
            std::make_pair(std::string("/actions/0"),
                           std::string("/actions/0: goto_table: table 1 must be after table 1 "
                                       "and below 32")));
  EXPECT_EQ(error_of(R"({"match":{"ipv4_dst":"10.0.0.1"}})").first, "/match/ipv4_dst");
  EXPECT_EQ(error_of(R"({"match":{"eth_type":2048,"ipv4_dst":7.5}})").second,
            "/match/ipv4_dst: expected a number or a string");
  EXPECT_EQ(
      error_of(R"({"match":{"nw_dst":"10.0.0.1","ipv4_dst":"10.0.0.2","eth_type":2048}})").first,
      "/match/nw_dst");
}

}  // namespace
}  // namespace sluice
