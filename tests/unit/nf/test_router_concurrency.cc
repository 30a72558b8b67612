// Routes changed in place while readers look up (route_table.h), as
// sluiced does it: readers registered in an Rcu (dataplane/rcu) reporting
// quiescent states between rounds, the table's replicas switched under it.
//   - Two reader threads look up random probes in a RouteTable while the
//     test adds and deletes batches of nested prefixes (/8../32, so tbl8
//     groups are allocated and freed all the time). Every result must be
//     the probe's route before or after a change that was under way during
//     the lookup (a batch's prefixes never nest, so each probe has one old
//     and one new route per batch).
//   - A reader that has not passed a quiescent state keeps the replica it
//     may be reading from being written, and holds the change back.
//   - Two workers run packets through a router while the control thread
//     sends add_routes / delete_routes (IPv4 and IPv6, in place, and an add
//     too big for the table, which builds a new version), each followed by
//     a grace period as NfManager::command does; every packet leaves by the
//     old or the new route.
// Built twice: plain and with AddressSanitizer.
#include <atomic>
#include <cstring>
#include <random>
#include <thread>
#include <unordered_map>

#include "dataplane/nf/rcu_reclaimer.h"
#include "dataplane/rcu/rcu.h"
#include "nf/router/route_table.h"
#include "tests/unit/nf/router_fixture.h"

namespace sluice::test {
namespace {

using nf::IpAddress;
using nf::IpPrefix;
using nf::RouteTable;
using nlohmann::json;

constexpr unsigned kReaders = 2;

uint32_t host_order(const IpAddress& a) {
  return static_cast<uint32_t>(a[0]) << 24 | static_cast<uint32_t>(a[1]) << 16 |
         static_cast<uint32_t>(a[2]) << 8 | a[3];
}
IpAddress address(uint32_t a) {
  return {static_cast<uint8_t>(a >> 24), static_cast<uint8_t>(a >> 16),
          static_cast<uint8_t>(a >> 8), static_cast<uint8_t>(a)};
}
IpPrefix prefix(uint32_t a, unsigned len) {
  return {4, static_cast<uint8_t>(len), address(len == 0 ? 0 : a & ~((1ull << (32 - len)) - 1))};
}
bool contains(const IpPrefix& p, uint32_t a) {
  return p.len == 0 || ((host_order(p.addr) ^ a) >> (32 - p.len)) == 0;
}
bool overlap(const IpPrefix& a, const IpPrefix& b) {
  return contains(a, host_order(b.addr)) || contains(b, host_order(a.addr));
}

// A sequence of changes to a set of routes (by index), and the route every
// probe should get after each: expected[state][probe] is the index of the
// longest present prefix holding the probe, or -1. State s is the set after
// s steps. The prefixes of one step never overlap.
struct Plan {
  struct Step {
    bool add = false;
    std::vector<size_t> routes;
  };
  std::vector<IpPrefix> prefixes;
  std::vector<bool> initial;
  std::vector<Step> steps;
  std::vector<uint32_t> probes;
  std::vector<std::vector<int>> expected;

  // Any of states from..to (inclusive) gives the probe `got`.
  bool allowed(size_t probe, uint64_t from, uint64_t to, int got) const {
    for (uint64_t s = from; s <= to && s < expected.size(); ++s)
      if (expected[s][probe] == got) return true;
    return false;
  }
};

// `count` distinct prefixes inside base/base_len, of length min_len..32, a
// third nested in an earlier one; probes inside each and some at random.
Plan make_plan(std::mt19937& rng, size_t count, size_t steps, uint32_t base, unsigned base_len,
               unsigned min_len) {
  Plan plan;
  auto random_in = [&](const IpPrefix& p) {
    const uint32_t host =
        p.len == 32 ? 0 : static_cast<uint32_t>(rng()) & ((1ull << (32 - p.len)) - 1);
    return host_order(p.addr) | host;
  };
  const IpPrefix outer = prefix(base, base_len);
  while (plan.prefixes.size() < count) {
    IpPrefix p;
    if (plan.prefixes.size() > 20 && rng() % 3 == 0) {
      const IpPrefix& in = plan.prefixes[rng() % plan.prefixes.size()];
      if (in.len == 32) continue;
      p = prefix(random_in(in), in.len + 1 + rng() % (32 - in.len));
    } else {
      p = prefix(random_in(outer), min_len + rng() % (33 - min_len));
    }
    if (std::find(plan.prefixes.begin(), plan.prefixes.end(), p) == plan.prefixes.end())
      plan.prefixes.push_back(p);
  }
  for (const IpPrefix& p : plan.prefixes) plan.probes.push_back(random_in(p));
  for (size_t i = 0; i < count / 4; ++i) plan.probes.push_back(random_in(outer));

  // Each probe's covering prefixes, longest first.
  std::vector<std::vector<size_t>> covering(plan.probes.size());
  std::vector<std::vector<size_t>> probes_of(count);
  for (size_t p = 0; p < plan.probes.size(); ++p) {
    for (size_t r = 0; r < count; ++r)
      if (contains(plan.prefixes[r], plan.probes[p])) {
        covering[p].push_back(r);
        probes_of[r].push_back(p);
      }
    std::sort(covering[p].begin(), covering[p].end(),
              [&](size_t a, size_t b) { return plan.prefixes[a].len > plan.prefixes[b].len; });
  }
  std::vector<bool> present(count);
  for (size_t r = 0; r < count; ++r) present[r] = rng() % 2 == 0;
  plan.initial = present;
  auto value = [&](size_t p) {
    for (size_t r : covering[p])
      if (present[r]) return static_cast<int>(r);
    return -1;
  };
  std::vector<int> state(plan.probes.size());
  for (size_t p = 0; p < plan.probes.size(); ++p) state[p] = value(p);
  plan.expected.push_back(state);
  for (size_t s = 0; s < steps; ++s) {
    Plan::Step step;
    step.add = rng() % 2 == 0;
    const size_t want = 1 + rng() % 6;
    for (size_t tries = 0; tries < 50 && step.routes.size() < want; ++tries) {
      const size_t r = rng() % count;
      if (present[r] == step.add) continue;
      bool apart = true;
      for (size_t o : step.routes) apart = apart && !overlap(plan.prefixes[o], plan.prefixes[r]);
      if (apart) step.routes.push_back(r);
    }
    for (size_t r : step.routes) present[r] = step.add;
    for (size_t r : step.routes)
      for (size_t p : probes_of[r]) state[p] = value(p);
    plan.expected.push_back(state);
    plan.steps.push_back(std::move(step));
  }
  return plan;
}

// Where the writer is: every step < done is complete, none >= upto started.
struct Progress {
  std::atomic<uint64_t> done{0}, upto{0};
  std::atomic<uint64_t> lookups{0}, during{0};  // all, and those while a step was under way
  std::atomic<bool> stop{false};

  void begin(uint64_t step) {
    upto.store(step + 1, std::memory_order_relaxed);
    std::atomic_thread_fence(std::memory_order_release);  // before the step's writes
  }
  void end(uint64_t step) { done.store(step + 1, std::memory_order_release); }
  // The states a read between before() and after() may see.
  uint64_t before() const { return done.load(std::memory_order_acquire); }
  uint64_t after() const {
    std::atomic_thread_fence(std::memory_order_acquire);  // the reads happened before
    return upto.load(std::memory_order_relaxed);
  }
  // Lets the readers do some work between two steps (bounded wait).
  void let_readers_run(uint64_t at_least) {
    const uint64_t start = lookups.load();
    for (int i = 0; i < 20000 && lookups.load() - start < at_least; ++i) std::this_thread::yield();
  }
};

struct Failure {
  size_t probe;
  uint64_t from, to;
  int got;
};

// The table's gateway for static route `id` (100.64.0.0/16 holds them all).
IpAddress gateway_of(size_t id) {
  return {100, 64, static_cast<uint8_t>((id + 2) >> 8), static_cast<uint8_t>(id + 2)};
}

nf::RouterConfig gateway_interface() {
  nf::RouterConfig config;
  nf::RouterInterface gw;
  gw.name = "gw";
  gw.port = 1;
  gw.addresses.push_back({prefix(100u << 24 | 64u << 16, 16), {100, 64, 0, 1}});
  config.interfaces = {gw};
  return config;
}

nf::Route table_route(const Plan& plan, size_t id) {
  nf::Route r;
  r.prefix = plan.prefixes[id];
  nf::NextHop h;
  h.has_gateway = true;
  h.interface = 0;
  h.gateway = gateway_of(id);
  r.next_hops.push_back(h);
  return r;
}

TEST(RouteTableConcurrency, LookupsDuringChangesSeeTheOldOrTheNewRoute) {
  std::mt19937 rng(2024);
  // 800 prefixes in 128.0.0.0/2 (away from 100.64.0.0/16), /8 to /32.
  const Plan plan = make_plan(rng, 800, 1500, 128u << 24, 2, 8);
  std::vector<nf::Route> routes;
  for (size_t i = 0; i < plan.prefixes.size(); ++i) routes.push_back(table_route(plan, i));
  nf::RouterConfig config = gateway_interface();
  for (size_t i = 0; i < routes.size(); ++i)
    if (plan.initial[i]) config.routes.push_back(routes[i]);
  Rcu rcu(kReaders);
  RouteTable table(config, SOCKET_ID_ANY, rcu.qsbr());
  ASSERT_TRUE(table.in_place());

  Progress progress;
  std::vector<std::vector<Failure>> failures(kReaders);
  std::vector<std::thread> readers;
  for (unsigned t = 0; t < kReaders; ++t) {
    readers.emplace_back([&, t] {
      rcu.register_thread(t);
      std::mt19937 mine(t);
      while (!progress.stop.load(std::memory_order_relaxed)) {
        uint64_t during = 0;
        for (int i = 0; i < 64; ++i) {
          const size_t p = mine() % plan.probes.size();
          const uint64_t from = progress.before();
          const uint32_t g = table.lookup4(plan.probes[p]);
          int got = -2;  // neither a static route nor none
          if (g == RouteTable::kNoRoute) {
            got = -1;
          } else if (g != RouteTable::kLocal && table.group(g).count == 1 &&
                     table.group(g).hops[0].gateway) {
            const IpAddress& a = table.group(g).hops[0].addr;
            got = (a[2] << 8 | a[3]) - 2;
          }
          const uint64_t to = progress.after();
          during += from != to;
          if (!plan.allowed(p, from, to, got) && failures[t].size() < 10)
            failures[t].push_back({p, from, to, got});
        }
        progress.lookups.fetch_add(64, std::memory_order_relaxed);
        if (during != 0) progress.during.fetch_add(during, std::memory_order_relaxed);
        rcu.quiescent(t);
      }
      rcu.unregister_thread(t);
    });
  }

  for (size_t s = 0; s < plan.steps.size(); ++s) {
    std::vector<const nf::Route*> batch;
    for (size_t r : plan.steps[s].routes) batch.push_back(&routes[r]);
    progress.begin(s);
    if (plan.steps[s].add)
      ASSERT_TRUE(table.change({}, batch)) << "step " << s;
    else
      ASSERT_TRUE(table.change(batch, {})) << "step " << s;
    progress.end(s);
    if (s % 8 == 0) progress.let_readers_run(256);
  }
  progress.stop = true;
  for (auto& r : readers) r.join();

  for (unsigned t = 0; t < kReaders; ++t)
    for (const Failure& f : failures[t])
      ADD_FAILURE() << "reader " << t << ": " << nf::address_text(4, address(plan.probes[f.probe]))
                    << " got route " << f.got << " during steps " << f.from << ".." << f.to
                    << ", expected " << plan.expected[f.from][f.probe] << " or "
                    << plan.expected[std::min<uint64_t>(f.to, plan.steps.size())][f.probe];
  EXPECT_GT(progress.lookups.load(), 50'000u);
  EXPECT_GT(progress.during.load(), 0u) << "no lookup ran during a change";
}

constexpr uint32_t kA = 198u << 24 | 51u << 16 | 100u << 8;  // 198.51.100.0
constexpr uint32_t kB = 203u << 24 | 113u << 8;              // 203.0.113.0

// The FIB's own answer for `ip`, bypassing RouteTable (its miss value
// stays as the FIB returns it).
uint64_t fib_lookup(const rte_fib* fib, uint32_t ip) {
  uint64_t nh = 0;
  EXPECT_EQ(rte_fib_lookup_bulk(const_cast<rte_fib*>(fib), &ip, &nh, 1), 0);
  return nh;
}

// Left-right: a reader that has not passed a quiescent state may still be
// in the replica that was active when it began. The writer switches the
// readers to the changed replica at once but writes the old one only after
// that reader's next quiescent state.
TEST(RouteTableConcurrency, AReaderInsideALookupKeepsItsReplicaFromBeingWritten) {
  Rcu rcu(1);
  nf::RouterConfig config = gateway_interface();
  nf::Route a, b;
  a.prefix = prefix(kA, 25);
  a.next_hops.push_back({true, gateway_of(1), 0});
  b.prefix = prefix(kB, 25);
  b.next_hops.push_back({true, gateway_of(2), 0});
  config.routes = {a};
  RouteTable table(config, SOCKET_ID_ANY, rcu.qsbr());
  const rte_fib* old = table.fib4();
  const uint64_t a_group = fib_lookup(old, kA | 7), miss = fib_lookup(old, kB | 7);
  ASSERT_EQ(a_group, table.lookup4(kA | 7));

  std::atomic<bool> online{false}, leave{false}, changed{false};
  std::thread reader([&] {
    rcu.register_thread(0);  // in a lookup from here until `leave`
    online = true;
    while (!leave) std::this_thread::yield();
    rcu.quiescent(0);
    rcu.unregister_thread(0);
  });
  while (!online) std::this_thread::yield();
  const nf::Route* ra[] = {&a};
  const nf::Route* rb[] = {&b};
  std::thread writer([&] {
    EXPECT_TRUE(table.change(ra, rb));
    changed = true;
  });
  for (int i = 0; i < 5'000'000 && table.fib4() == old; ++i) std::this_thread::yield();
  ASSERT_NE(table.fib4(), old) << "new lookups go to the changed replica";
  EXPECT_NE(table.lookup4(kB | 7), RouteTable::kNoRoute);
  EXPECT_EQ(table.lookup4(kA | 7), RouteTable::kNoRoute);
  for (int i = 0; i < 1000; ++i) std::this_thread::yield();
  EXPECT_FALSE(changed) << "change() waits for the reader";
  EXPECT_EQ(fib_lookup(old, kA | 7), a_group) << "the reader's replica is as it was";
  EXPECT_EQ(fib_lookup(old, kB | 7), miss);

  leave = true;
  writer.join();
  reader.join();
  EXPECT_TRUE(changed);
  EXPECT_EQ(fib_lookup(old, kA | 7), miss) << "after the grace period it has the change too";
  EXPECT_NE(fib_lookup(old, kB | 7), miss);
}

// --- Through the router's commands, with workers forwarding packets. ---

// What NfManager::command does after a command: a grace period, then the
// frees that waited for it.
void after_command(Rcu& rcu) {
  rcu.synchronize();
  rcu.reclaim();
}

// Gateway k (0..15): 10.2.0.(10+k) on wan for k < 8, else 10.1.0.(2+k) on
// lan; MAC 02:00:00:00:0P:(10+k%8), P the port.
std::string gateway_text(int k) {
  return k < 8 ? "10.2.0." + std::to_string(10 + k) : "10.1.0." + std::to_string(2 + k);
}

TEST(RouterConcurrency, EveryPacketTakesTheOldOrTheNewRouteWhileRoutesChange) {
  std::mt19937 rng(7);
  // 300 prefixes in 198.18.0.0/15, /15 to /32; route i via gateway i % 16.
  const Plan plan = make_plan(rng, 300, 200, 198u << 24 | 18u << 16, 15, 15);
  auto route_json = [&](size_t i) {
    return json{{"prefix", nf::prefix_text(plan.prefixes[i])},
                {"via", gateway_text(static_cast<int>(i % 16))}};
  };
  json config = two_interfaces();
  config["neighbours"] = json::array();
  for (int k = 0; k < 16; ++k) {
    char mac[18];
    std::snprintf(mac, sizeof mac, "02:00:00:00:0%d:%02x", k < 8 ? 2 : 1, 10 + k % 8);
    config["neighbours"].push_back(
        {{"address", gateway_text(k)}, {"mac", mac}, {"interface", k < 8 ? "wan" : "lan"}});
  }
  config["routes"] = json::array();
  for (size_t i = 0; i < plan.prefixes.size(); ++i)
    if (plan.initial[i]) config["routes"].push_back(route_json(i));

  Rcu rcu(kReaders);
  RcuReclaimer reclaimer(rcu);
  nf::NfRegistry registry = nf::NfRegistry::with_builtins();
  nf::NfInstanceSpec spec{"r1", config, kReaders, SOCKET_ID_ANY, rcu.qsbr()};
  auto router = registry.create("router", spec, reclaimer);

  std::vector<Bytes> frames;
  std::unordered_map<uint32_t, size_t> probe_of;
  for (size_t p = 0; p < plan.probes.size(); ++p) {
    const std::string dst = nf::address_text(4, address(plan.probes[p]));
    frames.push_back(build_packet(from_h1(udp("10.1.0.2", dst.c_str(), 1, 2))));
    probe_of.emplace(plan.probes[p], p);
  }
  // What a sent packet says about its route: {probe, gateway k or -1}.
  auto decode = [&](uint16_t port, const Bytes& b) -> std::pair<size_t, int> {
    if (port == 1 && mac_of(b, 0) == kH1Mac) {  // ICMP unreachable, quoting the datagram
      auto it = probe_of.find(get32(b, 14 + 20 + 8 + 16));
      return {it == probe_of.end() ? SIZE_MAX : it->second, -1};
    }
    auto it = probe_of.find(get32(b, 14 + 16));
    const int k = b[5] - 10 + (port == 1 ? 8 : 0);
    return {it == probe_of.end() ? SIZE_MAX : it->second, k};
  };
  auto gateway_of_route = [](int route) { return route < 0 ? -1 : route % 16; };

  Progress progress;
  std::vector<std::vector<Failure>> failures(kReaders);
  std::vector<uint64_t> odd(kReaders);
  std::vector<std::thread> workers;
  for (unsigned w = 0; w < kReaders; ++w) {
    workers.emplace_back([&, w] {
      rcu.register_thread(w);
      std::mt19937 mine(w);
      nf::GateOutput out;
      uint64_t clock = 1'000'000'000;
      // The mbufs go round: those sent are refilled for the next batch (a
      // mempool shared by threads that are not EAL lcores has no cache, and
      // its ring spins when a thread is preempted inside it).
      std::vector<rte_mbuf*> spare;
      while (!progress.stop.load(std::memory_order_relaxed)) {
        nf::PacketBatch batch;
        for (int i = 0; i < 8; ++i) {
          const Bytes& f = frames[mine() % frames.size()];
          rte_mbuf* m = nullptr;
          if (!spare.empty()) {
            m = spare.back();
            spare.pop_back();
            rte_pktmbuf_reset(m);
            std::memcpy(rte_pktmbuf_append(m, static_cast<uint16_t>(f.size())), f.data(), f.size());
          } else {
            m = make_mbuf(f);
          }
          batch.push(m);
        }
        clock += 1000;
        const uint64_t from = progress.before();
        router->process({w, 1, clock}, batch, out);
        const uint64_t to = progress.after();
        odd[w] += out.sent() != batch.count;
        for (uint16_t i = 0; i < out.sent(); ++i) {
          const auto [p, k] = decode(out.sent_port(i), mbuf_bytes(out.sent_packet(i)));
          spare.push_back(out.sent_packet(i));
          if (p == SIZE_MAX) {
            ++odd[w];
            continue;
          }
          bool ok = false;
          for (uint64_t s = from; s <= to && s < plan.expected.size() && !ok; ++s)
            ok = gateway_of_route(plan.expected[s][p]) == k;
          if (!ok && failures[w].size() < 10) failures[w].push_back({p, from, to, k});
        }
        progress.lookups.fetch_add(batch.count, std::memory_order_relaxed);
        if (from != to) progress.during.fetch_add(batch.count, std::memory_order_relaxed);
        rcu.quiescent(w);
      }
      for (rte_mbuf* m : spare) rte_pktmbuf_free(m);
      rcu.unregister_thread(w);
    });
  }

  // Besides the plan: IPv6 routes added and deleted (in place), and 1100
  // IPv4 routes out of the probes' way (more than the table has room for),
  // which builds a new version while the workers forward.
  json big = json::array(), big_prefixes = json::array();
  for (int i = 0; i < 1100; ++i) {
    const std::string p =
        "203." + std::to_string(i / 256) + "." + std::to_string(i % 256) + ".0/24";
    big.push_back({{"prefix", p}, {"via", "10.2.0.10"}});
    big_prefixes.push_back(p);
  }
  uint64_t builds = 0, in_place = 0;
  for (size_t s = 0; s < plan.steps.size(); ++s) {
    const Plan::Step& step = plan.steps[s];
    json list = json::array();
    for (size_t r : step.routes) {
      if (step.add)
        list.push_back(route_json(r));
      else
        list.push_back(nf::prefix_text(plan.prefixes[r]));
    }
    progress.begin(s);
    if (step.add)
      router->command("add_routes", {{"routes", list}});
    else
      router->command("delete_routes", {{"prefixes", list}});
    progress.end(s);
    after_command(rcu);
    ++in_place;
    if (s % 50 == 25) {
      router->command("add_routes",
                      {{"routes", {{{"prefix", "2001:db8:99::/48"}, {"interface", "wan"}}}}});
      after_command(rcu);
      router->command("delete_routes", {{"prefixes", {"2001:db8:99::/48"}}});
      after_command(rcu);
      in_place += 2;
    }
    if (s == 60) {
      router->command("add_routes", {{"routes", big}});
      after_command(rcu);
      ++builds;
    }
    if (s == 140) {
      router->command("delete_routes", {{"prefixes", big_prefixes}});
      after_command(rcu);
      ++in_place;
    }
    progress.let_readers_run(64);
  }
  progress.stop = true;
  for (auto& t : workers) t.join();
  rcu.drain();

  for (unsigned w = 0; w < kReaders; ++w) {
    EXPECT_EQ(odd[w], 0u) << "worker " << w << ": a packet not sent, or not one of ours";
    for (const Failure& f : failures[w])
      ADD_FAILURE() << "worker " << w << ": " << nf::address_text(4, address(plan.probes[f.probe]))
                    << " went to gateway " << f.got << " during steps " << f.from << ".." << f.to
                    << ", expected " << gateway_of_route(plan.expected[f.from][f.probe]) << " or "
                    << gateway_of_route(
                           plan.expected[std::min<uint64_t>(f.to, plan.steps.size())][f.probe]);
  }
  EXPECT_GT(progress.lookups.load(), 5'000u);
  EXPECT_GT(progress.during.load(), 0u) << "no packet was routed during a change";
  const json routes = router->stats()["nf"]["routes"];
  EXPECT_EQ(routes["tables_built"], 1 + builds);
  EXPECT_EQ(routes["changed_in_place"], in_place);
  router.reset();
  rcu.drain();
}

}  // namespace
}  // namespace sluice::test
