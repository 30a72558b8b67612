// One immutable version of a firewall's configuration, as workers see it:
// the settings, the compiled rules and their hit counters. Published with
// Published<FirewallVersion>; replaced whole by reconfigure().
//
// Thread-safety: immutable after construction except the hit counters, which
// worker w writes only in row w (RuleHits).
#pragma once

#include <rte_common.h>

#include <array>
#include <memory>

#include "nf/firewall/acl_rule_set.h"
#include "nf/firewall/firewall_config.h"
#include "nf/sdk/worker_counter.h"

namespace sluice::nf {

// Hits per rule per worker; index rules.size() counts the default policy.
// Rows are padded to whole cache lines.
class RuleHits {
 public:
  RuleHits(unsigned workers, size_t rules)
      : workers_(workers),
        lines_per_row_((rules + 1 + kPerLine - 1) / kPerLine),
        lines_(std::make_unique<Line[]>(workers * lines_per_row_)) {}

  void hit(unsigned worker, size_t index) noexcept {
    lines_[worker * lines_per_row_ + index / kPerLine].cells[index % kPerLine].add();
  }
  uint64_t total(size_t index) const noexcept {
    uint64_t sum = 0;
    for (unsigned w = 0; w < workers_; ++w)
      sum += lines_[w * lines_per_row_ + index / kPerLine].cells[index % kPerLine].read();
    return sum;
  }

 private:
  static constexpr size_t kPerLine = RTE_CACHE_LINE_SIZE / sizeof(WorkerCounter);
  struct alignas(RTE_CACHE_LINE_SIZE) Line {
    std::array<WorkerCounter, kPerLine> cells;
  };
  unsigned workers_;
  size_t lines_per_row_;
  std::unique_ptr<Line[]> lines_;
};

struct FirewallVersion {
  FirewallVersion(FirewallConfig c, unsigned workers, int socket_id, uint64_t gen)
      : config(std::move(c)),
        acl(config.rules, socket_id),
        hits(workers, config.rules.size()),
        generation(gen) {}

  size_t default_index() const { return config.rules.size(); }

  const FirewallConfig config;
  const AclRuleSet acl;
  mutable RuleHits hits;
  const uint64_t generation;
};

}  // namespace sluice::nf
