// Pipeline: the multi-table flow pipeline (kMaxTables tables, goto_table,
// per-table miss behaviour), its control API and the published version the
// forwarding workers read.
//
// Publication: commit() inserts new rules invisible (next generation), marks
// removed ones, builds a new immutable PipelineVersion and publishes it with
// one release store; every packet classified against one version sees all of
// a transaction or none of it. commit() then waits for a grace period
// (Rcu::synchronize) so that when it returns every worker is on the new
// version; unlinked rules and replaced structures are freed after a further
// grace period (Rcu::retire, run by maintain() / the next commit).
//
// Thread-safety: one control thread calls everything except current(), which
// forwarding workers call (then they must report Rcu::quiescent() regularly
// and hold no pointer from the version across it). add_worker() must happen
// before that worker starts.
#pragma once

#include <rte_mbuf.h>

#include <atomic>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <unordered_map>
#include <vector>

#include "dataplane/flow/flow_extract.h"
#include "dataplane/flow/flow_worker.h"
#include "dataplane/flow/rule_identity_map.h"
#include "dataplane/flow/transaction.h"
#include "dataplane/rcu/rcu.h"

namespace sluice {

struct PipelineConfig {
  uint32_t max_rules = 1u << 18;  // rule ids (counter slots); per worker 32 B each
  // Exact-match cache entries per worker (rounded down to a power of two):
  // for common frames 64 B each, enough to hold 100k flows; for the others
  // 128 B each.
  unsigned signature_emc_entries = 1u << 18;
  unsigned emc_entries = 8192;
  uint64_t tsc_hz = 0;            // 0: rte_get_tsc_hz()
};

struct CommitResult {
  uint64_t generation = 0;  // the version now visible
  uint32_t added = 0, modified = 0, removed = 0;
};

enum class RemovedReason : uint8_t { idle_timeout, hard_timeout, deleted };
const char* removed_reason_name(RemovedReason r);

// A flow-removed event, for the event stream.
struct FlowRemoved {
  Rule rule;
  RemovedReason reason = RemovedReason::deleted;
  uint64_t packets = 0, bytes = 0;
  double duration_s = 0;
};

struct FlowStats {
  Rule rule;
  uint32_t id = 0;  // stable while the rule lives (modify keeps it)
  uint64_t packets = 0, bytes = 0;
  uint64_t last_hit_tsc = 0;  // 0 = never
  double duration_s = 0;
};

struct TraceStep {
  uint8_t table = 0;
  std::optional<Rule> rule;  // the matched rule, or nullopt on a miss
  uint32_t rule_id = 0;
  TableMiss miss;  // on a miss: what the table did
  FlowKey key{};   // the key this table matched against
};

struct TraceResult {
  ParseStatus parse = ParseStatus::ok;
  std::vector<TraceStep> steps;
  ActionList actions;  // what the packet gets, in order (goto removed, miss appended)
  bool dropped_on_miss = false;
};

class Pipeline {
 public:
  // `rcu` must outlive the pipeline; its readers are the forwarding workers.
  explicit Pipeline(Rcu& rcu, PipelineConfig config = {});
  // Waits for a grace period and frees everything. No worker may read after.
  ~Pipeline();
  Pipeline(const Pipeline&) = delete;
  Pipeline& operator=(const Pipeline&) = delete;

  // Data path: the current version (acquire load). Valid until the caller's
  // next Rcu::quiescent().
  const PipelineVersion* current() const { return version_.load(std::memory_order_acquire); }

  // Control: a worker context for RCU thread `rcu_thread_id`, owned by the
  // pipeline. Throws sluice::Error (EEXIST) if that id already has one.
  FlowWorker& add_worker(unsigned rcu_thread_id);

  // Control: applies `txn` all-or-nothing. Throws sluice::Error (EINVAL,
  // path "/ops/N/..." naming the operation and field) on invalid input, or
  // ENOSPC when max_rules would be exceeded, ENOENT for a reference to a
  // missing group/meter, or ENOMEM when DPDK cannot allocate a hash; nothing
  // visible is changed then. Returns once every worker reads the new version.
  CommitResult commit(const Transaction& txn) { return apply(txn, false); }
  // The same, moving the rules out of `txn` instead of copying them. After an
  // error txn is intact unless the error is ENOMEM.
  CommitResult commit(Transaction&& txn) { return apply(txn, true); }
  // Single-operation shorthands (same errors).
  CommitResult add(Rule r) { return commit(Transaction().add(std::move(r))); }

  // Control: removes rules whose idle or hard timeout passed at `now_tsc`.
  std::vector<FlowRemoved> expire(uint64_t now_tsc);
  // Control: the flow-removed records (deletions and expiries) since the last
  // call, oldest first. At most kMaxQueuedRemoved are kept; older ones are
  // dropped and counted in removed_dropped().
  std::vector<FlowRemoved> take_removed();
  static constexpr size_t kMaxQueuedRemoved = 65536;
  uint64_t removed_dropped() const { return removed_dropped_; }

  // Control: every rule (of `table`, or of all tables), counters summed over
  // workers; by table, then priority (highest first).
  std::vector<FlowStats> dump(std::optional<uint8_t> table = std::nullopt) const;
  // Control: the path of a packet through the tables at the current version,
  // without touching counters, caches or meters.
  TraceResult trace(const rte_mbuf* m, uint16_t in_port) const;
  TraceResult trace(const FlowKey& key) const;

  // Control: frees what retired structures are past their grace period.
  void maintain() { rcu_.reclaim(); }
  uint64_t generation() const { return current()->generation; }
  size_t rule_count() const { return live_.size(); }
  uint64_t tsc_hz() const { return tsc_hz_; }
  // Sum of one worker statistic over workers.
  uint64_t worker_stat(std::atomic<uint64_t> FlowWorkerStats::*stat) const;

 private:
  struct Staged;
  struct Overlay;
  // A live rule; during a commit also a rule it stages (placeholders of
  // fresh identities have no rule yet).
  struct LiveRule {
    static constexpr uint32_t kNotStaged = UINT32_MAX;
    FlowRule* rule = nullptr;
    uint32_t staged = kNotStaged;  // index into the commit's staged identities
  };
  // Live rules by identity; each key's match is the FlowRule's own (between
  // commits).
  using RuleIndex = RuleIdentityMap<LiveRule>;

  // commit(); `owned`: the caller gave txn up, its rules may be moved from.
  CommitResult apply(const Transaction& txn, bool owned);
  // `id`: the identity of op.rule (add and strict ops).
  void stage(const FlowMod& op, const RuleIdentity& id, bool owned, Overlay& overlay,
             std::map<uint32_t, std::shared_ptr<const GroupDef>>& groups,
             std::map<uint32_t, MeterRef>& meters, std::array<TableMiss, kMaxTables>& misses);
  // Lets each subtable that gets many of `rules` (null entries skipped) grow
  // once for all of them. Throws sluice::Error (ENOMEM).
  void reserve_subtables(const std::vector<std::unique_ptr<FlowRule>>& rules, Garbage& garbage);
  PipelineVersion* build_version(uint64_t generation) const;
  uint32_t alloc_id();
  void free_id(uint32_t id);
  FlowStats stats_of(const FlowRule& r) const;
  // stats_of() without the rule copy.
  void count(const FlowRule& r, uint64_t& packets, uint64_t& bytes, uint64_t& last_hit_tsc) const;

  Rcu& rcu_;
  PipelineConfig config_;
  uint64_t tsc_hz_;
  std::atomic<const PipelineVersion*> version_{nullptr};

  // Control thread state.
  std::array<std::unique_ptr<TupleSpaceClassifier>, kMaxTables> tables_;
  std::array<TableMiss, kMaxTables> misses_{};
  std::map<uint32_t, std::shared_ptr<const GroupDef>> groups_;
  std::map<uint32_t, MeterRef> meters_;
  std::vector<uint16_t> free_meter_slots_;
  uint32_t meter_epoch_ = 0;
  RuleIndex live_;
  std::vector<uint32_t> free_ids_;
  uint32_t next_id_ = 0;
  uint64_t next_seq_ = 1;
  std::vector<std::unique_ptr<FlowWorker>> workers_;
  std::deque<FlowRemoved> removed_;  // at most kMaxQueuedRemoved
  uint64_t removed_dropped_ = 0;
  // Left by a commit that failed half-way (ENOMEM): invisible rules to unlink
  // (with "frees its id") and frees to run, both after the next publish.
  std::vector<std::pair<FlowRule*, bool>> zombies_;
  Garbage pending_garbage_;
};

}  // namespace sluice
