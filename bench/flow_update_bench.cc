// sluice-flow-update-bench: how fast the control thread commits flow rules
// while a worker forwards at full rate, and whether any packet is lost or
// misrouted meanwhile.
//
//   sluice-flow-update-bench --pcap FILE --rules FILE [--rules-per-size N]
//                            [--sizes 1,100,10000] -- EAL ARGS
//
// Ports: 1 "in" replays FILE (net_pcap, infinite_rx), 2 "out" and 3 "trap"
// are net_null sinks. The --rules file (one rule per traffic flow, output:2;
// sluice-gen-traffic --rules) is loaded first. Then, for each transaction
// size S, N rules that match no traffic (UDP from 172.16.0.0/12, output:3)
// are added in transactions of S rules and deleted again in transactions of
// S strict deletes; each phase prints rules/s (Pipeline::commit returns only
// once the worker runs on the new version), the control thread's CPU seconds
// (below the wall seconds when other processes share its core) and the
// forwarding rate during it.
// At the end the worker is stopped and every packet received must have left
// on "out": nothing dropped, nothing on "trap".
#include <rte_cycles.h>
#include <time.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "common/error.h"
#include "common/rules/text.h"
#include "dataplane/datapath.h"
#include "dataplane/eal/eal.h"
#include "dataplane/flow/flow_file.h"

namespace {

using namespace sluice;
using Clock = std::chrono::steady_clock;

struct Options {
  std::string pcap, rules;
  unsigned rules_per_size = 20000;
  std::vector<unsigned> sizes{1, 100, 10000};
  std::vector<std::string> eal;
};

[[noreturn]] void usage(const char* why) {
  std::fprintf(stderr,
               "sluice-flow-update-bench: %s\n"
               "usage: sluice-flow-update-bench --pcap FILE --rules FILE [--rules-per-size N]\n"
               "                                [--sizes 1,100,10000] -- EAL ARGS\n",
               why);
  std::exit(2);
}

Options parse(int argc, char** argv) {
  Options o;
  int i = 1;
  for (; i < argc && std::string(argv[i]) != "--"; ++i) {
    const std::string arg = argv[i];
    if (i + 1 >= argc) usage(("missing value after " + arg).c_str());
    const std::string value = argv[++i];
    if (arg == "--pcap") {
      o.pcap = value;
    } else if (arg == "--rules") {
      o.rules = value;
    } else if (arg == "--rules-per-size") {
      o.rules_per_size = static_cast<unsigned>(std::stoul(value));
    } else if (arg == "--sizes") {
      o.sizes.clear();
      std::stringstream list(value);
      for (std::string item; std::getline(list, item, ',');) o.sizes.push_back(std::stoul(item));
    } else {
      usage(("unknown option " + arg).c_str());
    }
  }
  for (++i; i < argc; ++i) o.eal.emplace_back(argv[i]);
  if (o.pcap.empty() || o.rules.empty()) usage("--pcap and --rules are required");
  return o;
}

// Rule i of the update load: a UDP 5-tuple no traffic flow has.
std::string update_rule(unsigned i) {
  char text[160];
  std::snprintf(text, sizeof text,
                "table=0,priority=100,udp,nw_src=172.%u.%u.%u,nw_dst=192.168.0.1,tp_src=%u,"
                "tp_dst=9,actions=output:3",
                16 + (i >> 16) % 16, (i >> 8) & 0xff, i & 0xff, 1000 + i % 50000);
  return text;
}

PortTotals totals(const Datapath& datapath, uint16_t number) {
  for (const PortReport& r : datapath.port_reports())
    if (r.number == number) return r.totals;
  return {};
}

double thread_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

uint64_t drops(const PortTotals& t) {
  uint64_t n = 0;
  for (uint64_t d : t.drops) n += d;
  return n;
}

// Commits `rules` in transactions of `size`, as adds or strict deletes;
// prints rules/s and the forwarding rate meanwhile.
void phase(Datapath& datapath, const std::vector<Rule>& rules, unsigned size, bool add) {
  std::vector<Transaction> txns;
  for (size_t base = 0; base < rules.size(); base += size) {
    Transaction txn;
    for (size_t i = base; i < std::min(rules.size(), base + size); ++i) {
      if (add) {
        txn.add(rules[i]);
      } else {
        txn.remove(rules[i].table, rules[i].match, true, rules[i].priority);
      }
    }
    txns.push_back(std::move(txn));
  }
  const uint64_t out_before = totals(datapath, 2).tx_packets;
  const auto start = Clock::now();
  const double cpu_start = thread_cpu_seconds();
  for (Transaction& txn : txns) datapath.pipeline().commit(std::move(txn));
  const double cpu = thread_cpu_seconds() - cpu_start;
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  const uint64_t forwarded = totals(datapath, 2).tx_packets - out_before;
  std::printf("%-7s %8u %10zu %10.3f %8.3f %14.0f %12.2f\n", add ? "add" : "delete", size,
              rules.size(), seconds, cpu, rules.size() / seconds, forwarded / seconds / 1e6);
  std::fflush(stdout);
}

int run(const Options& o) {
  Eal eal(o.eal, {});
  DatapathOptions options;
  options.workers = 1;
  Datapath datapath(options);
  datapath.add_port(parse_port_spec("pcap:" + o.pcap, "in"));
  datapath.add_port(parse_port_spec("null", "out"));
  datapath.add_port(parse_port_spec("null", "trap"));
  datapath.pipeline().commit(flow_file_transaction(o.rules));
  datapath.start();
  std::this_thread::sleep_for(std::chrono::seconds(1));

  std::printf("%-7s %8s %10s %10s %8s %14s %12s\n", "phase", "txn size", "rules", "seconds",
              "cpu s", "rules/s", "fwd Mpps");
  for (unsigned size : o.sizes) {
    std::vector<Rule> rules;
    rules.reserve(o.rules_per_size);
    for (unsigned i = 0; i < o.rules_per_size; ++i) rules.push_back(parse_rule(update_rule(i)));
    phase(datapath, rules, size, true);
    phase(datapath, rules, size, false);
  }
  datapath.stop();

  const PortTotals in = totals(datapath, 1), out = totals(datapath, 2), trap = totals(datapath, 3);
  const uint64_t lost = in.rx_packets - out.tx_packets - trap.tx_packets;
  std::printf(
      "\npackets received %llu, forwarded %llu, misrouted (trap) %llu, dropped %llu, "
      "unaccounted %llu\n",
      static_cast<unsigned long long>(in.rx_packets),
      static_cast<unsigned long long>(out.tx_packets),
      static_cast<unsigned long long>(trap.tx_packets),
      static_cast<unsigned long long>(drops(in) + drops(out) + drops(trap)),
      static_cast<unsigned long long>(lost));
  const bool clean = trap.tx_packets == 0 && lost == 0 && drops(in) + drops(out) + drops(trap) == 0;
  std::printf("%s\n", clean ? "no packet lost or misrouted" : "PACKETS LOST OR MISROUTED");
  return clean ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(parse(argc, argv));
  } catch (const sluice::Error& e) {
    std::fprintf(stderr, "sluice-flow-update-bench: %s\n", e.what());
    return 1;
  }
}
