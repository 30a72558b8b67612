// Reconfigure while workers forward: two worker threads run batches through
// one firewall while the control thread publishes new rule sets (freed
// after an RCU grace period, as sluiced does with dataplane/rcu), lists
// connections and reads statistics. Rule set A allows ICMP type 13 and
// denies 15; B the opposite. Every batch carries one of each, so a batch
// judged by one version forwards exactly one of them: both or neither would
// be a half-applied configuration. Built twice: plain and with
// AddressSanitizer (which also catches a version freed too early).
#include <atomic>
#include <thread>

#include "dataplane/nf/rcu_reclaimer.h"
#include "dataplane/rcu/rcu.h"
#include "tests/unit/nf/firewall_fixture.h"

namespace sluice::test {
namespace {

using nlohmann::json;

constexpr unsigned kWorkers = 2;

// Rule set `allowed_type` allows that ICMP type, denies the other; TCP to
// port 80 is always allowed (and tracked); 40 filler rules make each build
// take real work.
json rule_set(int allowed_type) {
  json rules = json::array();
  for (int i = 0; i < 40; ++i)
    rules.push_back({{"action", "deny"}, {"proto", "udp"}, {"dst_port", 1000 + i}});
  rules.push_back({{"action", "allow"}, {"proto", "icmp"}, {"icmp_type", allowed_type}});
  rules.push_back({{"action", "allow"}, {"proto", "tcp"}, {"dst_port", 80}});
  // SYNs expire after 0.5 s of the workers' clocks (500 batches): the table
  // of 4096 never fills.
  return {{"rules", rules}, {"conntrack", {{"size", 4096}, {"timeouts", {{"tcp_syn", 0.5}}}}}};
}

struct WorkerResult {
  uint64_t batches = 0, saw_a = 0, saw_b = 0, mixed = 0, tcp_lost = 0;
};

TEST(FirewallConcurrency, ReconfigureWhileWorkersForward) {
  Rcu rcu(kWorkers);
  RcuReclaimer reclaimer(rcu);
  nf::NfRegistry registry = nf::NfRegistry::with_builtins();
  auto fw = registry.create("firewall", {"fw", rule_set(13), kWorkers, -1}, reclaimer);

  const Bytes type13 = build_packet(icmp("10.0.0.1", "10.0.0.2", 13));
  const Bytes type15 = build_packet(icmp("10.0.0.1", "10.0.0.2", 15));
  std::atomic<bool> stop{false};
  std::atomic<unsigned> ready{0};
  std::vector<WorkerResult> results(kWorkers);
  std::vector<std::thread> workers;
  for (unsigned w = 0; w < kWorkers; ++w) {
    workers.emplace_back([&, w] {
      rcu.register_thread(w);
      ready.fetch_add(1);
      nf::GateOutput out;
      WorkerResult& r = results[w];
      uint64_t clock = 1'000'000'000;
      for (uint16_t round = 0; !stop.load(std::memory_order_relaxed); ++round) {
        nf::PacketBatch batch;
        batch.push(make_mbuf(type13));
        batch.push(make_mbuf(type15));
        // New TCP connections churn this worker's table (and its expiry).
        batch.push(make_mbuf(build_packet(tcp("10.0.1.1", "10.0.2.2", round, 80, kSyn))));
        if (batch.pkts[0] == nullptr || batch.pkts[1] == nullptr || batch.pkts[2] == nullptr) {
          ADD_FAILURE() << "mbuf pool exhausted";
          break;
        }
        clock += 1'000'000;
        fw->process({w, 1, clock}, batch, out);
        bool a = false, b = false;
        unsigned forwarded_tcp = 0;
        for (uint16_t i = 0; i < out.count(nf::kForward); ++i) {
          rte_mbuf* m = out.packets(nf::kForward)[i];
          a = a || m == batch.pkts[0];
          b = b || m == batch.pkts[1];
          forwarded_tcp += m == batch.pkts[2];
          rte_pktmbuf_free(m);
        }
        ++r.batches;
        if (a == b) ++r.mixed;
        r.saw_a += a;
        r.saw_b += b;
        r.tcp_lost += forwarded_tcp != 1;
        rcu.quiescent(w);
      }
      rcu.unregister_thread(w);
    });
  }
  while (ready.load() < kWorkers) std::this_thread::yield();

  uint64_t listed = 0;
  for (int gen = 0; gen < 200; ++gen) {
    fw->reconfigure(rule_set(gen % 2 ? 13 : 15));
    rcu.reclaim();
    listed += fw->connections(gen * 97ull, 100)["connections"].size();
    (void)fw->stats();
  }
  stop = true;
  for (auto& t : workers) t.join();
  rcu.drain();

  uint64_t batches = 0;
  for (unsigned w = 0; w < kWorkers; ++w) {
    const WorkerResult& r = results[w];
    EXPECT_EQ(r.mixed, 0u) << "worker " << w;
    EXPECT_EQ(r.tcp_lost, 0u) << "worker " << w;
    EXPECT_GT(r.batches, 0u);
    batches += r.batches;
  }
  EXPECT_GT(results[0].saw_a + results[1].saw_a, 0u);
  EXPECT_GT(results[0].saw_b + results[1].saw_b, 0u);
  const json s = fw->stats();
  EXPECT_EQ(s["packets_in"], 3 * batches);
  EXPECT_EQ(s["nf"]["generation"], 201);
  EXPECT_GT(listed, 0u);
}

}  // namespace
}  // namespace sluice::test
