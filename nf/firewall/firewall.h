// The stateful firewall NF: ordered allow/deny/reject rules (rte_acl) in
// front of per-worker connection tracking, so that "allow out, deny in"
// behaves like a real firewall. Semantics, per packet:
//   1. Parse (packet_parser.h). Malformed: drop (truncated, bad_header).
//      Non-first fragments and non-IP frames: per "fragments" / "non_ip".
//      ICMPv6 router/neighbour discovery: forward (unless "ipv6_nd": "rules").
//   2. A packet of a tracked connection (either direction) is forwarded if it
//      is valid in the connection's state (conn_state.h), without the rules;
//      an ICMP error quoting a tracked connection is forwarded as related.
//   3. Otherwise the first matching rule, or the default policy, decides:
//      allow   forward, and track the connection (TCP only from a SYN, unless
//              "tcp_loose"; ICMP only echo requests); table full: drop
//      deny    drop
//      reject  send a TCP RST / ICMP unreachable back out of the input port
//              on gate kReply (reject_reply.h); the packet itself is consumed
// Gates and drop reasons: firewall_names.h. Configuration: firewall_config.h.
//
// Thread-safety: as NetworkFunction. Each worker owns its ConnectionTable;
// the configuration is an RCU-published FirewallVersion.
#pragma once

#include <rte_common.h>

#include <memory>
#include <vector>

#include "nf/firewall/connection_table.h"
#include "nf/firewall/firewall_names.h"
#include "nf/firewall/firewall_version.h"
#include "nf/sdk/network_function.h"
#include "nf/sdk/worker_counter.h"

namespace sluice::nf {

// One worker's firewall state, owned by that worker.
struct alignas(RTE_CACHE_LINE_SIZE) FirewallWorker {
  FirewallWorker(const char* name, uint32_t capacity, int socket_id)
      : table(name, capacity, socket_id) {}

  ConnectionTable table;
  WorkerCounter created, expired, related, replies;
};

class Firewall final : public NetworkFunction {
 public:
  static constexpr NfClassInfo kInfo{
      "firewall", "stateful firewall: ordered allow/deny/reject rules with connection tracking",
      true, kFirewallGates, kFwDropNames};

  // Slots of the connection table looked at for expiry after each batch.
  static constexpr unsigned kExpiryBudget = 64;
  // ... and before a new connection finds the table full.
  static constexpr unsigned kFullSweepBudget = 256;
  // connections(): most entries per page, most slots scanned per call.
  static constexpr unsigned kMaxPage = 1000;
  static constexpr uint64_t kMaxScan = 1u << 16;

  explicit Firewall(const NfInit& init);
  ~Firewall() override;

  void process(const BatchContext& ctx, const PacketBatch& batch,
               GateOutput& out) noexcept override;

  // "conntrack.size" cannot change (EINVAL): it sizes tables allocated at init.
  void reconfigure(const nlohmann::json& config) override;
  nlohmann::json config() const override;
  // {"generation", "rules": [{"index", "name", "action", "hits"}],
  //  "default": {"action", "hits"}, "conntrack": {"active", "capacity",
  //  "created", "expired", "related", "rejects_sent"}}
  nlohmann::json stats() const override;
  // Each entry: {"worker", "proto", "src", "sport", "dst", "dport", "state",
  // "expires_in_s", "packets_original", "packets_reply", "rule"}; src is the
  // side that opened the connection; ICMP echo: the identifier as ports.
  nlohmann::json connections(uint64_t cursor, unsigned limit) const override;

 private:
  Reclaimer& reclaimer_;
  const unsigned worker_count_;
  const int socket_id_;
  uint64_t generation_ = 1;
  std::vector<std::unique_ptr<FirewallWorker>> workers_;
  Published<FirewallVersion> version_;
};

}  // namespace sluice::nf
