// NF instances created, reconfigured and deleted by the control thread while
// two reader threads run packets through the flow pipeline and the NF stage,
// as forwarding workers do; built with AddressSanitizer over the pipeline,
// the NF host, the firewall and the manager. A worker that could still reach
// a deleted instance, or a version freed too early, is a use-after-free here.
// Every packet must end once: forwarded, or dropped as nf_unavailable.
#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <nlohmann/json.hpp>
#include <thread>
#include <vector>

#include "common/rules/text.h"
#include "dataplane/flow/flow_processor.h"
#include "dataplane/flow/pipeline.h"
#include "dataplane/nf/nf_manager.h"
#include "dataplane/nf/nf_stage.h"
#include "tests/support/packet_builder.h"
#include "tests/unit/flow/eal_env.h"

namespace sluice {
namespace {

constexpr unsigned kReaders = 2;

// Counts where packets went; frees them. nf() stages into the reader's stage.
struct CountingSink {
  NfStage& stage;
  uint64_t forwarded = 0, unavailable = 0, other = 0;

  void output(uint16_t, rte_mbuf* m) { ++forwarded, rte_pktmbuf_free(m); }
  void flood(rte_mbuf* m) { ++other, rte_pktmbuf_free(m); }
  void normal(rte_mbuf* m) { ++other, rte_pktmbuf_free(m); }
  void controller(rte_mbuf* m, uint8_t, uint64_t) { ++other, rte_pktmbuf_free(m); }
  void reply(rte_mbuf* m) { ++other, rte_pktmbuf_free(m); }
  void send(uint16_t, rte_mbuf* m) { ++other, rte_pktmbuf_free(m); }
  void nf(uint32_t instance, rte_mbuf* m, const NfContinuation& next) {
    if (!stage.stage(instance, m, next)) drop(m, DropReason::nf_unavailable);
  }
  void drop(rte_mbuf* m, DropReason why) {
    ++(why == DropReason::nf_unavailable ? unavailable : other);
    rte_pktmbuf_free(m);
  }
  rte_mbuf* copy(const rte_mbuf*) { return nullptr; }
};

TEST(NfConcurrency, InstancesComeAndGoUnderReaders) {
  const unsigned free_before = rte_mempool_avail_count(test::test_pool());
  Rcu rcu(kReaders + 1);
  Pipeline pipeline(rcu);
  pipeline.add(parse_rule("priority=10,udp,actions=nf:1,output:2"));
  std::atomic<const NfSet*> published{nullptr};
  auto nfs = std::make_unique<NfManager>(rcu, published, kReaders, SOCKET_ID_ANY);
  std::vector<FlowWorker*> flows;
  for (unsigned r = 0; r < kReaders; ++r) flows.push_back(&pipeline.add_worker(r + 1));

  test::PacketSpec udp;
  udp.proto = 17;
  const test::Bytes frame = test::build_packet(udp);
  std::atomic<bool> stop{false};
  std::atomic<unsigned> ready{0};
  std::vector<uint64_t> sent(kReaders), forwarded(kReaders), unavailable(kReaders), other(kReaders);
  std::vector<std::thread> readers;
  for (unsigned r = 0; r < kReaders; ++r) {
    readers.emplace_back([&, r] {
      rcu.register_thread(r + 1);
      ready.fetch_add(1);
      auto stage = std::make_unique<NfStage>();
      CountingSink sink{*stage};
      uint64_t tsc = 0;
      while (!stop.load(std::memory_order_relaxed)) {
        const PipelineVersion* v = pipeline.current();
        const NfSet* set = published.load(std::memory_order_acquire);
        rte_mbuf* burst[32];
        uint16_t n = 0;
        while (n < 32 && (burst[n] = test::make_mbuf(frame)) != nullptr) ++n;
        for (uint16_t i = 0; i < n; ++i) process_packet(*flows[r], *v, burst[i], 1, tsc, sink);
        stage->run(set, r, 1, tsc += 1000, *flows[r], *v, sink);
        sent[r] += n;
        rcu.quiescent(r + 1);
      }
      forwarded[r] = sink.forwarded;
      unavailable[r] = sink.unavailable;
      other[r] = sink.other;
      rcu.unregister_thread(r + 1);
    });
  }
  while (ready.load() < kReaders) std::this_thread::yield();
  for (int round = 0; round < 50; ++round) {
    nfs->create("fw", "firewall",
                nlohmann::json::parse(R"({"default": "allow", "conntrack": {"size": 1024}})"), 1);
    nfs->reconfigure(
        "fw",
        nlohmann::json::parse(
            R"({"default": "allow", "conntrack": {"size": 1024}, "rules": [{"action": "deny", "proto": "tcp"}]})"));
    nfs->remove("fw");
    rcu.reclaim();
  }
  nfs->create("fw", "firewall",
              nlohmann::json::parse(R"({"default": "allow", "conntrack": {"size": 1024}})"), 1);
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  stop = true;
  for (auto& t : readers) t.join();
  nfs.reset();

  for (unsigned r = 0; r < kReaders; ++r) {
    EXPECT_GT(sent[r], 0u);
    EXPECT_GT(forwarded[r], 0u) << "reader " << r << " never met an instance";
    EXPECT_EQ(forwarded[r] + unavailable[r], sent[r]) << "reader " << r;
    EXPECT_EQ(other[r], 0u);
  }
  EXPECT_EQ(rte_mempool_avail_count(test::test_pool()), free_before) << "an mbuf leaked";
}

}  // namespace
}  // namespace sluice

SLUICE_EAL_TEST_MAIN("sluice_nf_concurrency")
