// Connection tracking through the firewall: "allow out, deny in", the TCP
// life cycle on real segments, UDP and ICMP pseudo-connections, related ICMP
// errors, timeouts on the injected clock, table full, incremental expiry and
// the paginated connection listing.
#include <set>

#include "tests/unit/nf/firewall_fixture.h"

namespace sluice::test {
namespace {

using nlohmann::json;

// Port 1 is inside (10.0.0.0/24), port 2 outside.
constexpr uint16_t kInside = 1, kOutside = 2;

class Conntrack : public FirewallFixture {
 protected:
  void SetUp() override { make(out_not_in()); }
  static json out_not_in(const char* extra = "") {
    return json::parse(std::string(R"({"rules": [
      {"action": "allow", "in_port": 1},
      {"action": "deny", "in_port": 2}
    ], "conntrack": {"size": 64, "timeouts": {"tcp_syn": 5, "tcp_established": 100,
        "tcp_fin": 20, "tcp_closed": 2, "udp": 30, "icmp": 10}})") +
                       extra + "}");
  }
  PacketSpec a_to_b(uint8_t flags) { return tcp("10.0.0.5", "198.51.100.7", 40000, 443, flags); }
  Verdict out(uint8_t flags) { return send(a_to_b(flags), kInside); }
  Verdict in(uint8_t flags) { return send(reverse(a_to_b(0), flags), kOutside); }
  std::string state() {
    const json page = fw->connections(0, 10);
    return page["connections"].empty() ? "none"
                                       : page["connections"][0]["state"].get<std::string>();
  }
};

TEST_F(Conntrack, AllowOutDenyInLikeARealFirewall) {
  EXPECT_EQ(in(kSyn).drop, "deny") << "B cannot open a connection to A";
  EXPECT_TRUE(out(kSyn).forwarded());
  EXPECT_TRUE(in(kSyn | kAck).forwarded()) << "A's connection: B's replies flow";
  EXPECT_TRUE(out(kAck).forwarded());
  EXPECT_TRUE(in(kAck | kPsh).forwarded());
  EXPECT_EQ(hits(0), 1u) << "only the SYN asked the rules";
  EXPECT_EQ(hits(1), 1u);
  EXPECT_EQ(stats()["nf"]["conntrack"]["created"], 1);
}

TEST_F(Conntrack, TcpLifeCycleThroughEveryState) {
  EXPECT_TRUE(out(kSyn).forwarded());
  EXPECT_EQ(state(), "syn_sent");
  EXPECT_EQ(in(kAck).drop, "invalid") << "no ACK before SYN+ACK";
  EXPECT_TRUE(in(kSyn | kAck).forwarded());
  EXPECT_EQ(state(), "syn_received");
  EXPECT_TRUE(out(kAck).forwarded());
  EXPECT_EQ(state(), "established");
  EXPECT_EQ(out(kSyn).drop, "invalid") << "SYN inside an established connection";
  EXPECT_TRUE(in(kFin | kAck).forwarded());
  EXPECT_EQ(state(), "fin_wait");
  EXPECT_TRUE(out(kAck).forwarded());
  EXPECT_TRUE(out(kFin | kAck).forwarded());
  EXPECT_EQ(state(), "closing");
  EXPECT_TRUE(in(kAck).forwarded());
  EXPECT_EQ(state(), "time_wait");
  EXPECT_TRUE(out(kAck).forwarded()) << "retransmitted ACK in time_wait";
  // Port reuse: a new SYN from A asks the rules again and starts over.
  EXPECT_TRUE(out(kSyn).forwarded());
  EXPECT_EQ(state(), "syn_sent");
  EXPECT_EQ(hits(0), 2u);
}

TEST_F(Conntrack, ResetClosesAndOnlyANewSynReopens) {
  out(kSyn);
  in(kSyn | kAck);
  out(kAck);
  EXPECT_TRUE(in(kRst).forwarded());
  EXPECT_EQ(state(), "closed");
  EXPECT_EQ(out(kAck | kPsh).drop, "invalid");
  EXPECT_TRUE(in(kRst | kAck).forwarded());
  EXPECT_EQ(in(kSyn).drop, "deny") << "B reopening asks the rules, which deny it";
  EXPECT_TRUE(out(kSyn).forwarded());
  EXPECT_EQ(state(), "syn_sent");
}

TEST_F(Conntrack, NewTcpConnectionsStartWithSyn) {
  EXPECT_EQ(out(kAck).drop, "invalid");
  EXPECT_EQ(out(kSyn | kFin).drop, "invalid");
  EXPECT_EQ(out(0).drop, "invalid");
  EXPECT_EQ(active(), 0u);
  make(out_not_in(R"(, "tcp_loose": true)"));
  EXPECT_TRUE(out(kAck).forwarded()) << "tcp_loose picks up a connection in the middle";
  EXPECT_EQ(state(), "established");
  EXPECT_TRUE(in(kAck).forwarded());
}

TEST_F(Conntrack, TimeoutsFollowTheState) {
  out(kSyn);
  advance(4.9);
  EXPECT_TRUE(in(kSyn | kAck).forwarded()) << "tcp_syn is 5 s";
  out(kAck);
  advance(99);
  EXPECT_TRUE(in(kAck).forwarded()) << "tcp_established is 100 s, refreshed by each packet";
  advance(99);
  EXPECT_TRUE(out(kAck).forwarded());
  advance(100.5);
  EXPECT_EQ(in(kAck).drop, "deny") << "expired: B's packet is new again";
  EXPECT_EQ(active(), 0u);

  out(kSyn);
  advance(5);
  EXPECT_EQ(in(kSyn | kAck).drop, "deny") << "an unanswered SYN expires after tcp_syn";
}

TEST_F(Conntrack, ClosingTimeouts) {
  out(kSyn);
  in(kSyn | kAck);
  out(kAck);
  out(kFin | kAck);
  advance(19);
  EXPECT_TRUE(in(kAck).forwarded()) << "tcp_fin is 20 s";
  in(kFin | kAck);
  out(kAck);
  EXPECT_EQ(state(), "time_wait");
  advance(1.9);
  EXPECT_TRUE(in(kFin | kAck).forwarded()) << "tcp_closed is 2 s";
  advance(2);
  EXPECT_EQ(in(kFin | kAck).drop, "deny");
}

TEST_F(Conntrack, UdpPseudoConnection) {
  const PacketSpec q = udp("10.0.0.5", "192.0.2.53", 5353, 53);
  EXPECT_EQ(send(reverse(q, 0), kOutside).drop, "deny");
  EXPECT_TRUE(send(q, kInside).forwarded());
  EXPECT_EQ(state(), "unreplied");
  EXPECT_TRUE(send(reverse(q, 0), kOutside).forwarded());
  EXPECT_EQ(state(), "replied");
  advance(29);
  EXPECT_TRUE(send(reverse(q, 0), kOutside).forwarded());
  advance(30);
  EXPECT_EQ(send(reverse(q, 0), kOutside).drop, "deny") << "udp timeout 30 s";
}

TEST_F(Conntrack, IcmpEchoPseudoConnection) {
  const PacketSpec request = icmp("10.0.0.5", "203.0.113.9", 8);
  PacketSpec reply = reverse(request, 0);
  reply.icmp_type = 0;
  EXPECT_EQ(send(reply, kOutside).drop, "deny") << "no request, no reply";
  EXPECT_TRUE(send(request, kInside).forwarded());
  EXPECT_TRUE(send(reply, kOutside).forwarded());
  EXPECT_EQ(state(), "replied");
  PacketSpec ping_in = reverse(request, 0);
  ping_in.icmp_type = 8;  // PacketSpec's echo identifier is always 1
  EXPECT_TRUE(send(ping_in, kOutside).forwarded()) << "same identifier: same pseudo-connection";
  advance(10);
  EXPECT_EQ(send(reply, kOutside).drop, "deny") << "icmp timeout 10 s";
}

TEST_F(Conntrack, Ipv6ConnectionsToo) {
  const PacketSpec syn = v6(a_to_b(kSyn), "2001:db8::5", "2001:db8:ffff::7");
  EXPECT_EQ(send(reverse(syn, kSyn), kOutside).drop, "deny");
  EXPECT_TRUE(send(syn, kInside).forwarded());
  EXPECT_TRUE(send(reverse(syn, kSyn | kAck), kOutside).forwarded());
  const json c = fw->connections(0, 10)["connections"][0];
  EXPECT_EQ(c["src"], "2001:db8::5");
  EXPECT_EQ(c["dst"], "2001:db8:ffff::7");
  EXPECT_EQ(c["state"], "syn_received");
}

// An ICMP error from a router on the way, quoting A's packet.
Bytes icmp_error_about(const PacketSpec& quoted, const char* router, uint8_t type) {
  Bytes inner = build_packet(quoted);
  inner.erase(inner.begin(), inner.begin() + 14);
  inner.resize(20 + 8);  // IP header and 8 bytes, as RFC 792 asks
  PacketSpec e = icmp(router, "10.0.0.5", type, 0);
  e.payload = 0;
  Bytes pkt = build_packet(e);
  const size_t l3 = 14, l4 = 34;
  pkt.insert(pkt.end(), inner.begin(), inner.end());
  set16(pkt, l3 + 2, static_cast<uint16_t>(pkt.size() - l3));
  set16(pkt, l3 + 10, 0);
  set16(pkt, l3 + 10, expected_ipv4_checksum(pkt, l3));
  set16(pkt, l4 + 2, 0);
  set16(pkt, l4 + 2, expected_l4_checksum(pkt, l3, l4, pkt.size(), false, 1));
  return pkt;
}

TEST_F(Conntrack, RelatedIcmpErrorsPass) {
  const PacketSpec q = udp("10.0.0.5", "192.0.2.53", 5353, 53);
  EXPECT_EQ(send_bytes(icmp_error_about(q, "192.0.2.1", 3), kOutside).drop, "deny")
      << "not related to anything yet";
  send(q, kInside);
  EXPECT_TRUE(send_bytes(icmp_error_about(q, "192.0.2.1", 3), kOutside).forwarded());
  EXPECT_TRUE(send_bytes(icmp_error_about(q, "198.18.0.1", 11), kOutside).forwarded())
      << "time exceeded from any router";
  EXPECT_EQ(stats()["nf"]["conntrack"]["related"], 2);
  const PacketSpec other = udp("10.0.0.5", "192.0.2.53", 5353, 54);
  EXPECT_EQ(send_bytes(icmp_error_about(other, "192.0.2.1", 3), kOutside).drop, "deny");
  Bytes cut = icmp_error_about(q, "192.0.2.1", 3);
  cut.resize(cut.size() - 4);  // quoted L4 header cut short
  set16(cut, 16, static_cast<uint16_t>(cut.size() - 14));
  EXPECT_EQ(send_bytes(cut, kOutside).drop, "deny") << "a truncated quote is not related";
}

TEST_F(Conntrack, TableFullIsACountedDrop) {
  for (uint16_t p = 1; p <= 64; ++p)
    ASSERT_TRUE(send(udp("10.0.0.5", "192.0.2.1", p, 9), kInside).forwarded()) << p;
  EXPECT_EQ(active(), 64u);
  EXPECT_EQ(send(udp("10.0.0.5", "192.0.2.1", 65, 9), kInside).drop, "conntrack_full");
  EXPECT_EQ(dropped("conntrack_full"), 1u);
  EXPECT_TRUE(send(reverse(udp("10.0.0.5", "192.0.2.1", 1, 9), 0), kOutside).forwarded())
      << "existing connections still work";
  advance(31);
  EXPECT_TRUE(send(udp("10.0.0.5", "192.0.2.1", 65, 9), kInside).forwarded())
      << "expired entries make room";
}

TEST_F(Conntrack, ExpiryIsIncrementalAndBounded) {
  json config = out_not_in();
  config["conntrack"]["size"] = 256;
  make(config);
  for (uint16_t p = 1; p <= 200; ++p) send(udp("10.0.0.5", "192.0.2.1", p, 9), kInside);
  advance(31);
  // Each batch looks at kExpiryBudget slots of the table's 257: the 200
  // expired entries go over several batches, never all in one.
  send(udp("10.0.0.5", "192.0.2.2", 1, 1), kOutside);  // denied, still sweeps
  const uint64_t after_one = stats()["nf"]["conntrack"]["expired"].get<uint64_t>();
  EXPECT_GT(after_one, 0u);
  EXPECT_LE(after_one, nf::Firewall::kExpiryBudget);
  for (int i = 0; i < 5; ++i) send(udp("10.0.0.5", "192.0.2.2", 1, 1), kOutside);
  EXPECT_EQ(stats()["nf"]["conntrack"]["expired"], 200);
  EXPECT_EQ(active(), 0u);
}

TEST_F(Conntrack, ListingIsPaginated) {
  for (uint16_t p = 1; p <= 10; ++p) send(udp("10.0.0.5", "192.0.2.1", p, 9), kInside);
  std::set<uint16_t> ports;
  json page = fw->connections(0, 4);
  int pages = 1;
  for (;;) {
    EXPECT_LE(page["connections"].size(), 4u);
    for (const json& c : page["connections"]) {
      EXPECT_EQ(c["src"], "10.0.0.5");
      EXPECT_EQ(c["dst"], "192.0.2.1");
      EXPECT_EQ(c["proto"], "udp");
      EXPECT_EQ(c["rule"], 0);
      EXPECT_EQ(c["packets_original"], 1);
      EXPECT_NEAR(c["expires_in_s"].get<double>(), 30.0, 1e-6);
      ports.insert(c["sport"].get<uint16_t>());
    }
    if (page["next"].is_null()) break;
    page = fw->connections(page["next"].get<uint64_t>(), 4);
    ++pages;
  }
  EXPECT_EQ(ports.size(), 10u);
  EXPECT_GE(pages, 3);
  advance(31);
  send(udp("10.0.0.5", "192.0.2.2", 1, 1), kOutside);
  EXPECT_TRUE(fw->connections(0, 1000)["connections"].empty()) << "expired entries are not listed";
}

TEST_F(Conntrack, EachWorkerOwnsItsTable) {
  make(out_not_in(), 2);
  send(a_to_b(kSyn), kInside, 0);
  EXPECT_EQ(send(reverse(a_to_b(0), kSyn | kAck), kOutside, 1).drop, "deny")
      << "worker 1 never saw the SYN (RSS keeps a flow on one worker)";
  EXPECT_TRUE(send(reverse(a_to_b(0), kSyn | kAck), kOutside, 0).forwarded());
  EXPECT_EQ(fw->connections(0, 10)["connections"][0]["worker"], 0);
}

TEST_F(Conntrack, ReplyInTheSameBatchAsTheOpener) {
  // The first packet opens the connection in the rules pass; the reply
  // behind it in the same batch must see it, not the deny rule.
  make(json::parse(R"({"rules": [{"action": "allow", "proto": "udp", "src_port": 1000},
                                  {"action": "deny"}]})"));
  const PacketSpec q = udp("10.0.0.5", "192.0.2.53", 1000, 53);
  const auto both = run({build_packet(q), build_packet(reverse(q, 0))});
  EXPECT_TRUE(both[0].forwarded());
  EXPECT_TRUE(both[1].forwarded()) << "the reply follows the connection opened just before";
  EXPECT_EQ(hits(1), 0u);
}

}  // namespace
}  // namespace sluice::test
