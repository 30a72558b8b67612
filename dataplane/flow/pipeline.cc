#include "dataplane/flow/pipeline.h"

#include <rte_cycles.h>

#include <algorithm>
#include <cerrno>
#include <deque>
#include <set>

#include "common/error.h"
#include "common/rules/text.h"

namespace sluice {
namespace {

bool cookie_ok(uint64_t cookie, const FlowMod& op) {
  return (cookie & op.cookie_mask) == (op.rule.cookie & op.cookie_mask);
}

Error at_op(size_t i, const Error& e) {
  return Error(e.what(), e.code(), "/ops/" + std::to_string(i) + e.path());
}

void check_bucket_actions(const ActionList& actions, const std::string& path) {
  Rule r;
  r.actions = actions;
  for (size_t i = 0; i < actions.size(); ++i) {
    ActionType t = actions[i].type;
    if (t == ActionType::goto_table || t == ActionType::group)
      throw Error(std::string(action_name(t)) + " is not allowed in a group bucket", EINVAL,
                  path + "/" + std::to_string(i));
    if (t == ActionType::set_field || t == ActionType::dec_ttl)
      r.actions[i] = Action::simple(ActionType::pop_vlan);
  }
  // Header prerequisites cannot be checked without a match: edits of absent
  // headers are skipped at run time. The rest is checked as for rules.
  if (auto p = check_rule(r)) throw Error(p->message, EINVAL, path + p->where.substr(8));
}

}  // namespace

const char* removed_reason_name(RemovedReason r) {
  switch (r) {
    case RemovedReason::idle_timeout:
      return "idle_timeout";
    case RemovedReason::hard_timeout:
      return "hard_timeout";
    case RemovedReason::deleted:
      return "delete";
  }
  return "?";
}

// One rule identity a transaction touches: the live rule before the commit
// and what it is after.
struct Pipeline::Staged {
  RuleIdentity id;             // its match outlives the commit (an op's or base's)
  size_t pos = 0;              // its entry in live_: base's, or a placeholder
  FlowRule* base = nullptr;    // the live rule with this identity before the commit
  const Rule* rule = nullptr;  // after: an op's rule, base->rule or an edit; nullptr = absent
  bool movable = false;        // `rule` may be moved from (an edit, or an owned op's)
  bool keep_counters = false;  // a modify of `base`: keep id, counters and age
};

// What a transaction does, before it is applied: staged identities in the
// order they were first touched (fresh rules get their seq in that order;
// live_ entries name theirs in LiveRule::staged).
struct Pipeline::Overlay {
  std::vector<Staged> staged;
  std::deque<Rule> edited;  // rules a modify changed
};

Pipeline::Pipeline(Rcu& rcu, PipelineConfig config)
    : rcu_(rcu), config_(config), tsc_hz_(config.tsc_hz ? config.tsc_hz : rte_get_tsc_hz()) {
  for (unsigned t = 0; t < kMaxTables; ++t)
    tables_[t] = std::make_unique<TupleSpaceClassifier>(static_cast<uint8_t>(t));
  for (unsigned s = kMaxMeters; s > 0; --s)
    free_meter_slots_.push_back(static_cast<uint16_t>(s - 1));
  version_.store(build_version(1), std::memory_order_release);
}

Pipeline::~Pipeline() {
  rcu_.drain();
  delete version_.load();
  for (auto& f : pending_garbage_) f();
  live_.for_each([](const RuleIdentity&, const LiveRule& e) { delete e.rule; });
  for (auto& [z, fresh] : zombies_) delete z;
  // Classifiers free their hashes and buckets as they go.
}

FlowWorker& Pipeline::add_worker(unsigned rcu_thread_id) {
  for (auto& w : workers_)
    if (w->thread_id() == rcu_thread_id)
      throw Error("flow pipeline: worker " + std::to_string(rcu_thread_id) + " exists", EEXIST);
  workers_.push_back(
      std::make_unique<FlowWorker>(rcu_thread_id, config_.max_rules,
                                   config_.signature_emc_entries, config_.emc_entries));
  return *workers_.back();
}

uint32_t Pipeline::alloc_id() {
  if (!free_ids_.empty()) {
    uint32_t id = free_ids_.back();
    free_ids_.pop_back();
    return id;
  }
  return next_id_++;
}

void Pipeline::free_id(uint32_t id) {
  for (auto& w : workers_) w->reset_counter(id);
  free_ids_.push_back(id);
}

PipelineVersion* Pipeline::build_version(uint64_t generation) const {
  auto* v = new PipelineVersion;
  v->generation = generation;
  for (unsigned t = 0; t < kMaxTables; ++t) {
    v->tables[t].miss = misses_[t];
    v->tables[t].subtables = tables_[t]->snapshot();
  }
  for (const auto& [id, g] : groups_) v->groups.push_back(g);
  for (const auto& [id, m] : meters_) v->meters.push_back(m);
  return v;
}

void Pipeline::stage(const FlowMod& op, const RuleIdentity& id, bool owned, Overlay& overlay,
                     std::map<uint32_t, std::shared_ptr<const GroupDef>>& groups,
                     std::map<uint32_t, MeterRef>& meters,
                     std::array<TableMiss, kMaxTables>& misses) {
  // The staged entry of `id`, made from the live rule on first touch; nullptr
  // when `id` is neither staged nor live and `create` is false.
  // A fresh identity gets a placeholder entry in live_ (room reserved by
  // apply()), so that one probe finds live and staged rules alike.
  auto entry = [&](const RuleIdentity& id, bool create) -> Staged* {
    size_t pos = live_.find(id);
    if (pos != RuleIndex::npos && live_.at(pos).value.staged != LiveRule::kNotStaged)
      return &overlay.staged[live_.at(pos).value.staged];
    if (pos == RuleIndex::npos && !create) return nullptr;
    const auto index = static_cast<uint32_t>(overlay.staged.size());
    Staged& s = overlay.staged.emplace_back();
    if (pos != RuleIndex::npos) {
      s.id = live_.at(pos).key;
      s.base = live_.at(pos).value.rule;
      s.rule = &s.base->rule;
      s.keep_counters = true;
      live_.at(pos).value.staged = index;
    } else {
      s.id = id;
      pos = live_.insert(id, {nullptr, index});
    }
    s.pos = pos;
    return &s;
  };
  // Identities of the current (staged) rules of `table` selected by `op`.
  auto select = [&](uint8_t table) {
    std::vector<RuleIdentity> out;
    live_.for_each([&](const RuleIdentity& id, const LiveRule& e) {
      if (id.table != table) return;
      const Rule* r =
          e.staged == LiveRule::kNotStaged ? &e.rule->rule : overlay.staged[e.staged].rule;
      if (r && covers(op.rule.match, r->match) && cookie_ok(r->cookie, op)) out.push_back(id);
    });
    return out;
  };
  auto modify = [&](Staged& s) {
    Rule& next = overlay.edited.emplace_back(*s.rule);
    next.actions = op.rule.actions;
    validate_rule(next);
    s.rule = &next;
    s.movable = true;
  };

  switch (op.op) {
    case FlowMod::Op::add: {
      validate_rule(op.rule);
      Staged* s = entry(id, true);
      s->rule = &op.rule;
      s->movable = owned;
      s->keep_counters = false;
      break;
    }
    case FlowMod::Op::modify_strict:
    case FlowMod::Op::remove_strict: {
      if (op.rule.table >= kMaxTables) throw Error("table out of range", EINVAL, "/table");
      Staged* s = entry(id, false);
      if (s == nullptr || !s->rule || !cookie_ok(s->rule->cookie, op)) break;
      if (op.op == FlowMod::Op::remove_strict)
        s->rule = nullptr;
      else
        modify(*s);
      break;
    }
    case FlowMod::Op::modify:
    case FlowMod::Op::remove: {
      if (op.rule.table >= kMaxTables) throw Error("table out of range", EINVAL, "/table");
      for (const RuleIdentity& selected : select(op.rule.table)) {
        Staged* s = entry(selected, true);
        if (op.op == FlowMod::Op::remove)
          s->rule = nullptr;
        else
          modify(*s);
      }
      break;
    }
    case FlowMod::Op::set_miss:
      validate_miss(op.rule.table, op.miss);
      misses[op.rule.table] = op.miss;
      break;
    case FlowMod::Op::set_group: {
      if (op.group.type == GroupType::select && op.group.buckets.empty())
        throw Error("a select group needs at least one bucket", EINVAL, "/group/buckets");
      for (size_t b = 0; b < op.group.buckets.size(); ++b)
        check_bucket_actions(op.group.buckets[b], "/group/buckets/" + std::to_string(b));
      groups[op.group.id] = std::make_shared<const GroupDef>(op.group);
      break;
    }
    case FlowMod::Op::remove_group:
      groups.erase(op.id);
      break;
    case FlowMod::Op::set_meter: {
      MeterRef m{};
      auto it = meters.find(op.id);
      if (it != meters.end()) {
        m.slot = it->second.slot;
      } else {
        std::set<uint16_t> used;
        for (const auto& [id, mr] : meters) used.insert(mr.slot);
        if (used.size() >= kMaxMeters) throw Error("too many meters", ENOSPC, "/meter");
        uint16_t slot = 0;
        while (used.count(slot)) ++slot;
        m.slot = slot;
      }
      m.id = op.id;
      rte_meter_srtcm_params p{op.meter.cir, op.meter.cbs, op.meter.ebs};
      if (op.meter.cir == 0 || op.meter.cbs == 0 ||
          rte_meter_srtcm_profile_config(&m.profile, &p) != 0)
        throw Error("meter: cir and cbs must be positive", EINVAL, "/meter");
      m.epoch = 0;  // assigned on apply
      meters[op.id] = m;
      break;
    }
    case FlowMod::Op::remove_meter:
      meters.erase(op.id);
      break;
  }
}

CommitResult Pipeline::apply(const Transaction& txn, bool owned) {
  rcu_.reclaim();
  while (removed_.size() > kMaxQueuedRemoved) {
    removed_.pop_front();
    ++removed_dropped_;
  }
  // Room for a placeholder per add: staged positions in live_ stay valid
  // until the commit ends.
  // The identities of add and strict ops, hashed up front so that the
  // probe of op i+kAhead can start loading while op i is staged.
  constexpr size_t kAhead = 8;
  const std::vector<FlowMod>& ops = txn.ops();
  std::vector<RuleIdentity> ids(ops.size());
  size_t adds = 0;
  for (size_t i = 0; i < ops.size(); ++i) {
    FlowMod::Op o = ops[i].op;
    adds += o == FlowMod::Op::add;
    if (o == FlowMod::Op::add || o == FlowMod::Op::modify_strict || o == FlowMod::Op::remove_strict)
      ids[i] = RuleIdentity::of(ops[i].rule.table, ops[i].rule.priority, ops[i].rule.match);
  }
  live_.reserve(adds);
  Overlay overlay;
  overlay.staged.reserve(txn.size());
  // Before anything is applied: staged entries leave live_ as they were.
  auto unstage = [&] {
    for (const Staged& s : overlay.staged) {
      if (s.base)
        live_.at(s.pos).value.staged = LiveRule::kNotStaged;
      else
        live_.erase(s.pos);
    }
  };
  auto groups = groups_;
  auto meters = meters_;
  auto misses = misses_;
  // References to groups and meters must resolve in the resulting state.
  auto check_refs = [&](const Rule& r) {
    for (size_t a = 0; a < r.actions.size(); ++a) {
      const Action& act = r.actions[a];
      bool missing = (act.type == ActionType::group && !groups.count(act.arg)) ||
                     (act.type == ActionType::meter && !meters.count(act.arg));
      if (missing)
        throw Error(std::string(action_name(act.type)) + " " + std::to_string(act.arg) +
                        " does not exist (" + format_rule(r) + ")",
                    ENOENT, "/actions/" + std::to_string(a));
    }
  };
  try {
    for (size_t i = 0; i < ops.size(); ++i) {
      if (i + kAhead < ops.size() && ids[i + kAhead].match != nullptr)
        live_.prefetch(ids[i + kAhead]);
      try {
        stage(ops[i], ids[i], owned, overlay, groups, meters, misses);
      } catch (const Error& e) {
        throw at_op(i, e);
      }
    }
    size_t fresh = 0;
    for (const Staged& s : overlay.staged) {
      if (!s.rule) continue;
      check_refs(*s.rule);
      if (!(s.base && s.keep_counters)) ++fresh;
    }
    if (groups.size() != groups_.size() || meters.size() != meters_.size())
      live_.for_each([&](const RuleIdentity&, const LiveRule& e) {
        if (e.staged == LiveRule::kNotStaged) check_refs(e.rule->rule);
      });
    if (fresh > free_ids_.size() + (config_.max_rules - next_id_))
      throw Error("flow tables full: " + std::to_string(config_.max_rules) + " rules", ENOSPC);
  } catch (...) {
    unstage();
    throw;
  }

  // Apply: new rules invisible until the next generation is published.
  const PipelineVersion* old = current();
  uint64_t gen = old->generation + 1;
  uint64_t now = rte_get_tsc_cycles();
  CommitResult result;
  result.generation = gen;
  Garbage garbage;
  // Rules removed at `gen`, and whether their id is freed with them (not when
  // a modify keeps it).
  std::vector<std::pair<FlowRule*, bool>> unlink;
  struct Applied {
    const Staged* staged;
    FlowRule* added;  // inserted rule, or nullptr
  };
  std::vector<Applied> applied;
  applied.reserve(overlay.staged.size());
  // Flow-removed records of deleted rules: each gets its rule's Rule once no
  // reader can see the rule any more.
  std::vector<std::pair<FlowRemoved*, FlowRule*>> records;
  size_t removed_before = removed_.size();
  // The new rules, compiled before any is inserted so that each subtable can
  // make room for all of its new rules at once; null where nothing changes.
  std::vector<std::unique_ptr<FlowRule>> made(overlay.staged.size());
  for (size_t k = 0; k < overlay.staged.size(); ++k) {
    Staged& s = overlay.staged[k];
    if (!s.rule) continue;
    if (s.base && s.keep_counters && (s.rule == &s.base->rule || *s.rule == s.base->rule)) {
      s.rule = &s.base->rule;  // an unchanged modify
      continue;
    }
    made[k] = std::make_unique<FlowRule>();
    if (s.movable)  // an edit of ours, or an op of a transaction the caller gave up
      made[k]->rule = std::move(const_cast<Rule&>(*s.rule));
    else
      made[k]->rule = *s.rule;
    compile_flow_rule(*made[k]);
  }
  try {
    reserve_subtables(made, garbage);
    for (size_t k = 0; k < overlay.staged.size(); ++k) {
      Staged& s = overlay.staged[k];
      bool keep = s.base && s.keep_counters;
      if (s.rule && !made[k]) continue;  // unchanged
      applied.push_back({&s, nullptr});
      if (s.base) {
        s.base->removed_gen.store(gen, std::memory_order_relaxed);
        unlink.push_back({s.base, !(keep && s.rule)});
        if (!s.rule) {
          FlowRemoved& rec = removed_.emplace_back();
          records.push_back({&rec, s.base});
          rec.reason = RemovedReason::deleted;
          uint64_t last_hit;
          count(*s.base, rec.packets, rec.bytes, last_hit);
          rec.duration_s = double(now - s.base->install_tsc) / tsc_hz_;
          ++result.removed;
        }
      }
      if (!s.rule) continue;  // its entry goes once nothing can fail
      std::unique_ptr<FlowRule>& r = made[k];
      r->id = keep ? s.base->id : alloc_id();
      r->seq = keep ? s.base->seq : next_seq_++;
      r->install_tsc = keep ? s.base->install_tsc : now;
      r->added_gen = gen;
      try {
        tables_[r->table]->insert(r.get(), garbage, rcu_);
      } catch (...) {
        if (!keep) free_id(r->id);
        throw;
      }
      ++(keep ? result.modified : result.added);
      applied.back().added = r.release();
      // The entry now names the new rule by the new rule's match (the op's
      // may have been moved from).
      live_.at(s.pos) = {s.id.at(applied.back().added->rule.match),
                         {applied.back().added, LiveRule::kNotStaged}};
    }
  } catch (...) {
    // DPDK could not allocate (ENOMEM): undo. Inserted rules become invisible
    // at every generation and are unlinked by the next commit.
    for (const Applied& a : applied) {
      if (a.added) {
        a.added->removed_gen.store(a.added->added_gen, std::memory_order_relaxed);
        zombies_.push_back({a.added, !(a.staged->base && a.staged->keep_counters)});
      }
      if (a.staged->base)
        a.staged->base->removed_gen.store(kNeverRemoved, std::memory_order_relaxed);
    }
    for (const Staged& s : overlay.staged)
      if (s.base) live_.at(s.pos) = {s.id.at(s.base->rule.match), {s.base, LiveRule::kNotStaged}};
    unstage();
    removed_.resize(removed_before);
    for (auto& f : garbage) pending_garbage_.push_back(std::move(f));
    throw;
  }
  for (const Staged& s : overlay.staged) {
    if (!s.rule)
      live_.erase(s.pos);  // removed, or added and removed again
    else
      live_.at(s.pos).value.staged = LiveRule::kNotStaged;  // an unchanged modify
  }
  misses_ = misses;
  groups_ = std::move(groups);
  for (auto& [id, m] : meters) {
    if (m.epoch != 0) continue;  // untouched by this transaction
    auto it = meters_.find(id);
    bool same = it != meters_.end() && it->second.slot == m.slot &&
                memcmp(&it->second.profile, &m.profile, sizeof m.profile) == 0;
    m.epoch = same ? it->second.epoch : ++meter_epoch_;
  }
  meters_ = std::move(meters);

  // Publish, then wait until every worker has moved on.
  version_.store(build_version(gen), std::memory_order_release);
  rcu_.synchronize();
  delete old;
  // Workers now skip the deleted rules (invisible at `gen`) without reading
  // their actions, so the Rules can move; unlinking needs the compiled match only.
  for (const auto& [rec, r] : records) rec->rule = std::move(r->rule);
  for (auto& f : garbage) f();
  for (auto& f : pending_garbage_) f();
  pending_garbage_.clear();

  // Unlink what no reader can see any more; free it (hash slots, buckets,
  // rules, ids) after one more grace period.
  for (const auto& [z, fresh_id] : zombies_) unlink.push_back({z, fresh_id});
  zombies_.clear();
  if (!unlink.empty()) {
    Garbage unlinked;
    for (const auto& [r, free] : unlink) tables_[r->table]->remove(r, unlinked);
    rcu_.retire([this, unlink = std::move(unlink), unlinked = std::move(unlinked)] {
      for (const auto& f : unlinked) f();
      for (const auto& [r, free] : unlink) {
        if (free) free_id(r->id);
        delete r;
      }
    });
  }
  Garbage empty;
  for (auto& t : tables_) t->take_empty(empty);
  if (!empty.empty()) {
    const PipelineVersion* prev = current();
    version_.store(build_version(gen), std::memory_order_release);  // same rules, fewer subtables
    rcu_.retire([prev, empty = std::move(empty)] {
      delete prev;
      for (auto& f : empty) f();
    });
  }
  return result;
}

void Pipeline::count(const FlowRule& r, uint64_t& packets, uint64_t& bytes,
                     uint64_t& last_hit_tsc) const {
  packets = bytes = last_hit_tsc = 0;
  for (const auto& w : workers_) {
    const RuleCounter& c = w->counter(r.id);
    packets += c.packets.load(std::memory_order_relaxed);
    bytes += c.bytes.load(std::memory_order_relaxed);
    last_hit_tsc = std::max(last_hit_tsc, c.last_hit.load(std::memory_order_relaxed));
  }
}

void Pipeline::reserve_subtables(const std::vector<std::unique_ptr<FlowRule>>& rules,
                                 Garbage& garbage) {
  // New rules by (table, mask); consecutive rules usually share one. Past
  // kMaxTracked distinct masks the rest grow step by step.
  constexpr size_t kMaxTracked = 64;
  constexpr uint32_t kWorthIt = 256;  // a new subtable starts with room for this many
  struct Count {
    const FlowRule* first;
    uint32_t n;
  };
  std::vector<Count> counts;
  for (const auto& r : rules) {
    if (!r) continue;
    auto same = [&](const Count& c) {
      return c.first->table == r->table && c.first->mask == r->mask;
    };
    if (!counts.empty() && same(counts.back())) {
      ++counts.back().n;
      continue;
    }
    auto it = std::find_if(counts.begin(), counts.end(), same);
    if (it != counts.end())
      ++it->n;
    else if (counts.size() < kMaxTracked)
      counts.push_back({r.get(), 1});
  }
  for (const Count& c : counts)
    if (c.n >= kWorthIt) tables_[c.first->table]->reserve(c.first->mask, c.n, garbage, rcu_);
}

FlowStats Pipeline::stats_of(const FlowRule& r) const {
  FlowStats s;
  s.rule = r.rule;
  s.id = r.id;
  count(r, s.packets, s.bytes, s.last_hit_tsc);
  s.duration_s = double(rte_get_tsc_cycles() - r.install_tsc) / tsc_hz_;
  return s;
}

std::vector<FlowStats> Pipeline::dump(std::optional<uint8_t> table) const {
  std::vector<const FlowRule*> rules;
  live_.for_each([&](const RuleIdentity&, const LiveRule& e) {
    if (!table || e.rule->table == *table) rules.push_back(e.rule);
  });
  std::sort(rules.begin(), rules.end(), [](const FlowRule* a, const FlowRule* b) {
    return a->table != b->table ? a->table < b->table : a->beats(*b);
  });
  std::vector<FlowStats> out;
  out.reserve(rules.size());
  for (const FlowRule* r : rules) out.push_back(stats_of(*r));
  return out;
}

std::vector<FlowRemoved> Pipeline::expire(uint64_t now_tsc) {
  Transaction txn;
  std::vector<RemovedReason> reasons;
  live_.for_each([&](const RuleIdentity&, const LiveRule& e) {
    const FlowRule* r = e.rule;
    const Rule& rule = r->rule;
    std::optional<RemovedReason> why;
    if (rule.hard_timeout && now_tsc >= r->install_tsc + rule.hard_timeout * tsc_hz_)
      why = RemovedReason::hard_timeout;
    if (!why && rule.idle_timeout) {
      uint64_t packets, bytes, last_hit;
      count(*r, packets, bytes, last_hit);
      uint64_t last = std::max(r->install_tsc, last_hit);
      if (now_tsc >= last + rule.idle_timeout * tsc_hz_) why = RemovedReason::idle_timeout;
    }
    if (!why) return;
    txn.remove(rule.table, rule.match, true, rule.priority);
    reasons.push_back(*why);
  });
  if (txn.empty()) return {};
  size_t before = removed_.size();
  // Strict removes are applied in order; overlay iteration order differs, so
  // match the records back by identity.
  std::vector<RuleIdentity> ids;
  for (const FlowMod& op : txn.ops())
    ids.push_back(RuleIdentity::of(op.rule.table, op.rule.priority, op.rule.match));
  commit(txn);
  std::vector<FlowRemoved> out;
  for (size_t i = before; i < removed_.size(); ++i) {
    FlowRemoved& rec = removed_[i];
    RuleIdentity id = RuleIdentity::of(rec.rule.table, rec.rule.priority, rec.rule.match);
    for (size_t k = 0; k < ids.size(); ++k)
      if (ids[k] == id) rec.reason = reasons[k];
    out.push_back(rec);
  }
  return out;
}

std::vector<FlowRemoved> Pipeline::take_removed() {
  std::vector<FlowRemoved> out(removed_.begin(), removed_.end());
  removed_.clear();
  return out;
}

TraceResult Pipeline::trace(const rte_mbuf* m, uint16_t in_port) const {
  FlowKey key;
  ParseStatus st = extract_flow_key(m, in_port, key);
  TraceResult r = trace(key);
  r.parse = st;
  return r;
}

TraceResult Pipeline::trace(const FlowKey& start) const {
  const PipelineVersion& v = *current();
  TraceResult out;
  FlowKey key = start;
  unsigned t = 0;
  for (;;) {
    const auto& table = v.tables[t];
    TraceStep step;
    step.table = static_cast<uint8_t>(t);
    step.key = key;
    const FlowRule* r = TupleSpaceClassifier::lookup(table.subtables.data(), table.subtables.size(),
                                                     key, v.generation);
    if (r == nullptr) {
      step.miss = table.miss;
      out.steps.push_back(step);
      switch (table.miss.kind) {
        case MissKind::goto_table:
          t = table.miss.next_table;
          continue;
        case MissKind::normal:
          out.actions.push_back(Action::simple(ActionType::normal));
          break;
        case MissKind::controller:
          out.actions.push_back(Action::simple(ActionType::controller, kControllerMaxLenAll));
          break;
        case MissKind::drop:
          out.dropped_on_miss = true;
          break;
      }
      return out;
    }
    step.rule = r->rule;
    step.rule_id = r->id;
    out.steps.push_back(step);
    for (const Action& a : r->rule.actions)
      if (a.type != ActionType::goto_table) out.actions.push_back(a);
    if (r->edits_key) apply_key_effects(r->actions, r->n_actions, key);
    if (r->goto_table < 0) return out;
    t = static_cast<unsigned>(r->goto_table);
  }
}

uint64_t Pipeline::worker_stat(std::atomic<uint64_t> FlowWorkerStats::*stat) const {
  uint64_t sum = 0;
  for (const auto& w : workers_) sum += (w->stats.*stat).load(std::memory_order_relaxed);
  return sum;
}

}  // namespace sluice
