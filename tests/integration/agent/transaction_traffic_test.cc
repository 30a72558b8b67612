// A transaction under traffic: while a thread keeps injecting one UDP flow on
// port 1, transactions committed over real HTTP swap the whole rule set,
// version i (i = 1, 2, ...) being
//   table 0:  ip,in_port=1 -> set ipv4_src 10.1.<i>, goto_table:T
//   table T:  any          -> set eth_src 02:00:00:00:<i>, output:P
// with T=1, P=2 for odd i and T=2, P=3 for even i, the other table's rule
// deleted in the same transaction. A packet that saw table 0 of one version
// and table T of another carries two different tags, or misses (and is
// dropped); so every packet out must be exactly the frame of one version i,
// out of that version's port, and packets out == packets in. Each commit is
// sent only once the previous version has carried traffic and packets are
// queued on port 1, so every commit lands while the worker is classifying.
#include <rte_ring.h>

#include <algorithm>
#include <atomic>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "tests/integration/agent/agent_fixture.h"
#include "tests/support/packet_builder.h"

namespace sluice::test {
namespace {

using nlohmann::json;

constexpr unsigned kVersions = 200;   // transactions committed under traffic
constexpr unsigned kPerVersion = 16;  // packets out of a version before the next commit
constexpr unsigned kBacklog = 64;     // packets queued on port 1 when a commit is sent

PacketSpec flow() {
  PacketSpec s;
  s.proto = 17;
  s.sport = 1000;
  s.dport = 2000;
  s.payload = 18;
  return s;
}

// The frame version `tag` makes of flow().
Bytes tagged(unsigned tag) {
  PacketSpec s = flow();
  const auto high = static_cast<uint8_t>(tag >> 8), low = static_cast<uint8_t>(tag);
  s.src = {0x02, 0, 0, 0, high, low};
  s.ip_src = 0x0a010000u | tag;
  return build_packet(s);
}

unsigned out_port(unsigned version) {
  return version % 2 ? 2 : 3;
}

json transaction(unsigned version) {
  const unsigned table = out_port(version) - 1, other = 3 - table;
  const std::string tag = std::to_string(version >> 8) + "." + std::to_string(version & 0xff);
  char mac[18];
  std::snprintf(mac, sizeof mac, "02:00:00:00:%02x:%02x", version >> 8, version & 0xff);
  return {
      {"ops",
       {{{"op", "add"},
         {"rule", "table=0,priority=10,ip,in_port=1,actions=set_field:10.1." + tag +
                      "->ipv4_src,goto_table:" + std::to_string(table)}},
        {{"op", "add"},
         {"rule", "table=" + std::to_string(table) + ",priority=10,actions=set_field:" + mac +
                      "->eth_src,output:" + std::to_string(out_port(version))}},
        {{"op", "delete_strict"}, {"rule", "table=" + std::to_string(other) + ",priority=10"}}}}};
}

// What came out of the switch, checked packet by packet as it arrives.
struct Observed {
  uint64_t mixed = 0;      // not the exact frame of any one version on its port
  uint64_t backwards = 0;  // an older version after a newer one on the same port
  std::set<unsigned> versions;
  std::string first_problem;
};

class TransactionTrafficTest : public AgentTest {
 protected:
  void SetUp() override {
    AgentTest::SetUp();
    for (unsigned v = 0; v <= kVersions; ++v) expected_.push_back(tagged(v));
  }

  // Waits (up to 20 s: CI runs other tests beside it on two cores) until
  // version `v` has sent kPerVersion packets and
  // kBacklog packets wait on port 1; false on timeout.
  bool traffic_on(unsigned v) const {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (out_by_version_[v].load(std::memory_order_relaxed) < kPerVersion ||
           rte_ring_count(ports_[0].rx) < kBacklog) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      std::this_thread::yield();
    }
    return true;
  }

  // Sends flow() on port 1 until `stop`; returns how many frames the switch took.
  uint64_t inject(const std::atomic<bool>& stop) {
    const Bytes frame = build_packet(flow());
    uint64_t sent = 0;
    while (!stop.load(std::memory_order_relaxed)) {
      rte_mbuf* m = to_mbuf(pool_, frame);
      if (m == nullptr) {  // every mbuf in flight: let the switch and drain() catch up
        std::this_thread::yield();
        continue;
      }
      while (rte_ring_enqueue(ports_[0].rx, m) != 0) std::this_thread::yield();
      ++sent;
    }
    return sent;
  }

  // Takes and checks what ports 1-3 send until `stop` and nothing is left.
  void drain(const std::atomic<bool>& stop, Observed& seen) {
    unsigned last[4] = {0, 0, 0, 0};
    for (bool more = true; more || !stop.load(std::memory_order_acquire);) {
      more = false;
      for (unsigned port = 1; port <= 3; ++port) {
        rte_mbuf* burst[32];
        const unsigned n = rte_ring_dequeue_burst(ports_[port - 1].tx,
                                                  reinterpret_cast<void**>(burst), 32, nullptr);
        more = more || n > 0;
        for (unsigned i = 0; i < n; ++i) {
          check(port, from_mbuf(burst[i]), last[port], seen);
          rte_pktmbuf_free(burst[i]);
        }
      }
      if (!more) std::this_thread::yield();
    }
  }

  void check(unsigned port, const Bytes& frame, unsigned& last, Observed& seen) {
    out_.fetch_add(1, std::memory_order_relaxed);
    const unsigned tag = frame.size() >= 12 ? unsigned(frame[10]) << 8 | frame[11] : 0;
    const bool exact =
        tag >= 1 && tag <= kVersions && port == out_port(tag) && frame == expected_[tag];
    if (!exact) {
      if (seen.mixed++ == 0)
        seen.first_problem = "port " + std::to_string(port) +
                             ": a frame of no one version (eth_src tag " + std::to_string(tag) +
                             ")";
      return;
    }
    seen.versions.insert(tag);
    out_by_version_[tag].fetch_add(1, std::memory_order_relaxed);
    if (tag < last) ++seen.backwards;
    last = std::max(last, tag);
  }

  std::vector<Bytes> expected_;  // by version: the frame it makes of flow()
  // Written by drain(), read by the test thread.
  std::atomic<uint64_t> out_{0};
  std::vector<std::atomic<uint32_t>> out_by_version_ =
      std::vector<std::atomic<uint32_t>>(kVersions + 1);
};

// The traffic threads; stopped and joined on every way out of the test.
struct Traffic {
  std::atomic<bool> stop_injecting{false}, stop_draining{false};
  std::thread injector, drainer;
  void join() {
    stop_injecting = true;
    if (injector.joinable()) injector.join();
    stop_draining = true;
    if (drainer.joinable()) drainer.join();
  }
  ~Traffic() { join(); }
};

TEST_F(TransactionTrafficTest, EveryPacketSeesTheWholeOldOrTheWholeNewVersion) {
  // Version 1 replaces the default "normal" rule.
  json first = transaction(1);
  first["ops"].push_back({{"op", "delete_strict"}, {"rule", "table=0,priority=0"}});
  ASSERT_EQ(call(verb::post, "/v1/transactions", first.dump()).status, 200u);

  Observed seen;
  uint64_t injected = 0;
  Traffic traffic;
  traffic.injector = std::thread([&] { injected = inject(traffic.stop_injecting); });
  traffic.drainer = std::thread([&] { drain(traffic.stop_draining, seen); });

  const std::string failure = pump([&]() -> std::string {
    HttpClient client(address_);
    for (unsigned v = 2; v <= kVersions; ++v) {
      if (!traffic_on(v - 1)) return "no traffic through version " + std::to_string(v - 1);
      HttpReply reply = client.request(verb::post, "/v1/transactions", transaction(v).dump());
      if (reply.status != 200)
        return "version " + std::to_string(v) + ": " + std::to_string(reply.status) + " " +
               reply.body + reply.error;
    }
    return traffic_on(kVersions) ? "" : "no traffic through the last version";
  });
  traffic.stop_injecting = true;
  traffic.injector.join();
  EXPECT_EQ(failure, "");
  settle(injected);
  // settle() saw every frame received; wait (bounded) for the last ones out.
  for (int i = 0; i < 5000 && out_.load() < injected; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  traffic.join();

  EXPECT_EQ(seen.mixed, 0u) << seen.first_problem;
  EXPECT_EQ(seen.backwards, 0u) << "a worker went back to an older version";
  EXPECT_EQ(out_.load(), injected);
  for (const PortReport& port : datapath_->port_reports())
    for (unsigned r = 0; r < kDropReasons; ++r)
      EXPECT_EQ(port.totals.drops[r], 0u) << port.name << " dropped for " << kDropReasonNames[r];
  EXPECT_EQ(seen.versions.size(), kVersions) << injected << " packets";
  RecordProperty("packets", std::to_string(injected));
  RecordProperty("versions_seen", std::to_string(seen.versions.size()));
}

}  // namespace
}  // namespace sluice::test
