// Test support: a Sink that records where every packet went (with its bytes)
// and frees it, so tests can assert exact packets and dispositions.
#pragma once

#include <rte_mbuf.h>

#include <string>
#include <vector>

#include "dataplane/stats/drop_reason.h"
#include "tests/unit/flow/eal_env.h"

namespace sluice::test {

struct Event {
  std::string kind;  // output, flood, normal, controller, nf, drop
  uint32_t arg = 0;  // port, nf instance, table (controller), DropReason
  uint64_t cookie = 0;
  Bytes bytes;
};

struct RecordingSink {
  std::vector<Event> events;
  unsigned copies = 0;
  bool fail_copies = false;

  void record(const char* kind, uint32_t arg, rte_mbuf* m, uint64_t cookie = 0) {
    events.push_back({kind, arg, cookie, mbuf_bytes(m)});
    rte_pktmbuf_free(m);
  }
  void output(uint16_t port, rte_mbuf* m) { record("output", port, m); }
  void flood(rte_mbuf* m) { record("flood", 0, m); }
  void normal(rte_mbuf* m) { record("normal", 0, m); }
  void controller(rte_mbuf* m, uint8_t table, uint64_t cookie) {
    record("controller", table, m, cookie);
  }
  void nf(uint32_t instance, rte_mbuf* m, const NfContinuation&) { record("nf", instance, m); }
  void drop(rte_mbuf* m, DropReason why) { record("drop", static_cast<uint32_t>(why), m); }
  rte_mbuf* copy(const rte_mbuf* m) {
    if (fail_copies) return nullptr;
    ++copies;
    return rte_pktmbuf_copy(m, test_pool(), 0, UINT32_MAX);
  }
};

}  // namespace sluice::test
