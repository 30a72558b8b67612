// Test support: a pipeline over an RCU domain, and helpers to classify packets
// built with packet_builder.h.
#pragma once

#include <gtest/gtest.h>

#include <memory>

#include "common/rules/text.h"
#include "dataplane/flow/pipeline.h"
#include "tests/support/packet_builder.h"
#include "tests/unit/flow/eal_env.h"

namespace sluice::test {

class FlowFixture : public ::testing::Test {
 protected:
  // Room for the tests' rules, small caches.
  static PipelineConfig config() {
    PipelineConfig cfg;
    cfg.max_rules = 1u << 14;
    cfg.signature_emc_entries = 1024;
    cfg.emc_entries = 1024;
    return cfg;
  }
  void SetUp() override {
    rcu = std::make_unique<Rcu>(8);
    pipeline = std::make_unique<Pipeline>(*rcu, config());
  }
  void TearDown() override {
    pipeline.reset();
    rcu.reset();
  }

  CommitResult add(const char* text) { return pipeline->add(parse_rule(text)); }

  TraceResult trace(const PacketSpec& s, uint16_t in_port = 1) {
    rte_mbuf* m = make_mbuf(build_packet(s));
    TraceResult r = pipeline->trace(m, in_port);
    rte_pktmbuf_free(m);
    return r;
  }
  // Cookie of the rule table 0 picks for the packet, or -1 on a miss.
  int64_t cookie_of(const PacketSpec& s, uint16_t in_port = 1, size_t step = 0) {
    TraceResult r = trace(s, in_port);
    if (r.steps.size() <= step || !r.steps[step].rule) return -1;
    return static_cast<int64_t>(r.steps[step].rule->cookie);
  }

  std::unique_ptr<Rcu> rcu;
  std::unique_ptr<Pipeline> pipeline;
};

}  // namespace sluice::test
