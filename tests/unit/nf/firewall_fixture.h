// Test support for network functions: a reclaimer for single-threaded
// tests, an exact-error check, and a fixture that runs crafted packets (packet_builder.h) through
// a firewall instance with an injected clock and says where each one went.
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common/error.h"
#include "nf/firewall/firewall.h"
#include "nf/host/nf_registry.h"
#include "tests/support/packet_builder.h"
#include "tests/unit/flow/eal_env.h"

namespace sluice::test {

// Frees at once: correct only when no worker runs concurrently.
class ImmediateReclaimer final : public nf::Reclaimer {
 public:
  void defer(std::function<void()> free) override {
    ++deferred;
    free();
  }
  int deferred = 0;
};

// `f` throws sluice::Error with exactly this message and errno.
inline void expect_error(const std::function<void()>& f, const std::string& message, int code) {
  try {
    f();
    ADD_FAILURE() << "no error, expected: " << message;
  } catch (const Error& e) {
    EXPECT_EQ(e.what(), message);
    EXPECT_EQ(e.code(), code);
  }
}

// Where one packet went: a gate with its bytes, or a drop reason.
struct Verdict {
  int gate = -1;     // -1: dropped
  std::string drop;  // the reason, when dropped
  Bytes bytes;       // the packet as emitted

  bool forwarded() const { return gate == static_cast<int>(nf::kForward); }
};

inline PacketSpec tcp(const char* src, const char* dst, uint16_t sport, uint16_t dport,
                      uint8_t flags) {
  PacketSpec s;
  s.ip_src = ip4(src);
  s.ip_dst = ip4(dst);
  s.proto = 6;
  s.sport = sport;
  s.dport = dport;
  s.tcp_flags = flags;
  return s;
}

inline PacketSpec udp(const char* src, const char* dst, uint16_t sport, uint16_t dport) {
  PacketSpec s = tcp(src, dst, sport, dport, 0);
  s.proto = 17;
  return s;
}

inline PacketSpec icmp(const char* src, const char* dst, uint8_t type, uint8_t code = 0) {
  PacketSpec s = tcp(src, dst, 0, 0, 0);
  s.proto = 1;
  s.icmp_type = type;
  s.icmp_code = code;
  return s;
}

// The same packet over IPv6.
inline PacketSpec v6(PacketSpec s, const char* src, const char* dst) {
  s.eth_type = 0x86dd;
  s.ip6_src = Ipv6Addr::parse(src);
  s.ip6_dst = Ipv6Addr::parse(dst);
  if (s.proto == 1) s.proto = 58;
  return s;
}

// The same packet the other way (addresses, ports and MACs swapped).
inline PacketSpec reverse(PacketSpec s, uint8_t flags) {
  std::swap(s.src, s.dst);
  std::swap(s.ip_src, s.ip_dst);
  std::swap(s.ip6_src, s.ip6_dst);
  std::swap(s.sport, s.dport);
  s.tcp_flags = flags;
  return s;
}

inline constexpr uint8_t kSyn = 0x02, kAck = 0x10, kFin = 0x01, kRst = 0x04, kPsh = 0x08;

class FirewallFixture : public ::testing::Test {
 protected:
  static constexpr uint64_t kSecond = 1'000'000'000;

  void make(const nlohmann::json& config, unsigned workers = 1) {
    nf::NfInstanceSpec spec;
    spec.name = "fw";
    spec.config = config;
    spec.workers = workers;
    fw = registry.create("firewall", spec, reclaimer);
  }

  // Runs packets as one batch from `in_port` on `worker`; one verdict each,
  // in batch order (gates are matched back to inputs by mbuf identity, or
  // by elimination for a reply in a fresh mbuf).
  std::vector<Verdict> run(const std::vector<Bytes>& packets, uint16_t in_port = 1,
                           unsigned worker = 0) {
    nf::PacketBatch batch;
    for (const Bytes& p : packets) batch.push(make_mbuf(p));
    const nf::BatchContext ctx{worker, in_port, now};
    fw->process(ctx, batch, out);
    std::vector<Verdict> verdicts(packets.size());
    std::vector<bool> seen(packets.size(), false);
    for (unsigned g = 0; g < nf::kMaxGates; ++g) {
      for (uint16_t k = 0; k < out.count(g); ++k) {
        rte_mbuf* m = out.packets(g)[k];
        size_t i = 0;
        while (i < packets.size() && batch.pkts[i] != m) ++i;
        if (i == packets.size()) i = first_unseen(seen, g);
        seen[i] = true;
        verdicts[i].gate = static_cast<int>(g);
        verdicts[i].bytes = mbuf_bytes(m);
        rte_pktmbuf_free(m);
      }
    }
    if (packets.size() == 1 && !seen[0]) verdicts[0].drop = last_drop();
    return verdicts;
  }
  Verdict send(const PacketSpec& s, uint16_t in_port = 1, unsigned worker = 0) {
    return run({build_packet(s)}, in_port, worker)[0];
  }
  Verdict send_bytes(const Bytes& b, uint16_t in_port = 1) { return run({b}, in_port)[0]; }

  void advance(double seconds) { now += static_cast<uint64_t>(seconds * 1e9); }

  nlohmann::json stats() const { return fw->stats(); }
  uint64_t dropped(const char* reason) const { return stats()["drops"][reason].get<uint64_t>(); }
  uint64_t hits(size_t rule) const { return stats()["nf"]["rules"][rule]["hits"].get<uint64_t>(); }
  uint64_t active() const { return stats()["nf"]["conntrack"]["active"].get<uint64_t>(); }

  nf::NfRegistry registry = nf::NfRegistry::with_builtins();
  ImmediateReclaimer reclaimer;
  std::unique_ptr<nf::NfInstance> fw;
  nf::GateOutput out;
  uint64_t now = 1000 * kSecond;

 private:
  std::string last_drop() const {
    for (unsigned r = 0; r < fw->info().drop_reasons.size(); ++r)
      if (out.drops(r) != 0) return fw->info().drop_reasons[r];
    return out.contract_errors() ? "contract_error" : "";
  }
  static size_t first_unseen(const std::vector<bool>& seen, unsigned gate) {
    for (size_t i = 0; i < seen.size(); ++i)
      if (!seen[i]) return i;
    ADD_FAILURE() << "more packets out than in on gate " << gate;
    return 0;
  }
};

}  // namespace sluice::test
