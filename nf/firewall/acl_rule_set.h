// The firewall's ordered rules compiled into DPDK rte_acl tries, one per IP
// version: classify() returns the first matching rule for each packet of a
// batch (rte_acl's multi-field search; rule order becomes priority).
//
// Built on the control thread (build can take milliseconds for thousands of
// rules), never modified afterwards, so any number of workers may classify
// concurrently. Freed only after an RCU grace period (it is part of a
// published FirewallVersion).
#pragma once

#include <rte_acl.h>

#include <cstdint>
#include <vector>

#include "nf/firewall/firewall_config.h"
#include "nf/firewall/packet_parser.h"

namespace sluice::nf {

// The search keys rte_acl reads: every field in network byte order; the
// first field one byte, the rest in groups of four bytes (rte_acl's layout).
struct AclKey4 {
  uint8_t proto;
  uint8_t pad[3];
  uint32_t src, dst;
  uint16_t sport, dport;
  uint32_t in_port;
};
struct AclKey6 {
  uint8_t proto;
  uint8_t pad[3];
  uint8_t src[16], dst[16];
  uint16_t sport, dport;
  uint32_t in_port;
};
union AclKey {
  AclKey4 v4;
  AclKey6 v6;
};

// Fills the key for a parsed packet (family 4 or 6) that came in on `in_port`.
void make_acl_key(const FirewallPacket& fp, uint16_t in_port, AclKey& key) noexcept;

class AclRuleSet {
 public:
  // Compiles `rules` for NUMA socket `socket_id`. Throws sluice::Error when
  // rte_acl cannot build them (ENOMEM and the like).
  AclRuleSet(const std::vector<FirewallRule>& rules, int socket_id);
  ~AclRuleSet();
  AclRuleSet(const AclRuleSet&) = delete;
  AclRuleSet& operator=(const AclRuleSet&) = delete;

  // Data path. For each of `n` (<= 32) keys of one family, writes the index
  // of the first matching rule plus one to results, or 0 for no match.
  void classify(uint8_t family, const uint8_t** keys, uint32_t* results, uint32_t n) const noexcept;

 private:
  rte_acl_ctx* ctx4_ = nullptr;  // nullptr: no IPv4 rule
  rte_acl_ctx* ctx6_ = nullptr;
};

}  // namespace sluice::nf
