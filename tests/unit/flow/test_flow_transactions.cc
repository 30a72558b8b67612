// Transactions against a reference model: random batches of adds, strict and
// non-strict modifies and deletes that touch the same rule several times in
// one batch, applied in order to a plain list here; after each commit the
// pipeline's rules, ids (kept by modify), flow-removed records and packet
// decisions must be the model's. A batch with a bad last op changes nothing.
#include <gtest/gtest.h>

#include <map>
#include <random>
#include <set>

#include "common/error.h"
#include "tests/unit/flow/flow_fixture.h"

namespace sluice {
namespace {

using test::PacketSpec;

struct ModelRule {
  Rule rule;
  int64_t id = -1;  // the pipeline's id once known; -1 for a rule added by this batch
};

std::string identity(const Rule& r) {
  return std::to_string(r.table) + "|" + std::to_string(r.priority) + "|" + format_match(r.match);
}

bool cookie_ok(uint64_t cookie, uint64_t want, uint64_t mask) {
  return (cookie & mask) == (want & mask);
}

class Transactions : public test::FlowFixture {
 protected:
  // A rule from a small universe, so that batches hit the same identities.
  Rule random_rule() {
    char text[160];
    std::snprintf(text, sizeof text,
                  "priority=%d,cookie=%d,udp,nw_src=10.0.0.%d%s,actions=output:%d", 1 + pick(2),
                  1 + pick(3), pick(6), pick(3) == 0 ? ",udp_dst=53" : "", 1 + pick(9));
    return parse_rule(text);
  }
  Match random_filter() {
    switch (pick(3)) {
      case 0:
        return parse_rule("udp").match;
      case 1:
        return parse_rule("udp,udp_dst=53").match;
      default:
        return parse_rule("udp,nw_src=10.0.0." + std::to_string(pick(6))).match;
    }
  }
  int pick(int n) { return std::uniform_int_distribution<int>(0, n - 1)(rng); }

  // The model's rules as "identity -> text", and the dump's.
  static std::map<std::string, std::string> texts(const std::vector<ModelRule>& model) {
    std::map<std::string, std::string> out;
    for (const ModelRule& m : model) out[identity(m.rule)] = format_rule(m.rule);
    return out;
  }
  std::map<std::string, std::string> dumped() {
    std::map<std::string, std::string> out;
    for (const FlowStats& s : pipeline->dump()) out[identity(s.rule)] = format_rule(s.rule);
    return out;
  }

  std::mt19937 rng{20261125};
};

TEST_F(Transactions, RepeatedTouchesInOneBatchFollowTheModel) {
  std::vector<ModelRule> model;
  size_t batches_with_repeats = 0;
  for (int round = 0; round < 300; ++round) {
    std::set<std::string> before;
    for (const ModelRule& m : model) before.insert(identity(m.rule));
    Transaction txn;
    std::map<std::string, int> touches;
    int ops = 1 + pick(12);
    for (int i = 0; i < ops; ++i) {
      int what = pick(10);
      uint64_t cookie = static_cast<uint64_t>(1 + pick(3));
      uint64_t cookie_mask = pick(3) == 0 ? ~uint64_t{0} : 0;
      if (what < 4) {
        Rule r = random_rule();
        ++touches[identity(r)];
        std::erase_if(model, [&](const ModelRule& m) { return identity(m.rule) == identity(r); });
        model.push_back({r, -1});
        txn.add(std::move(r));
      } else if (what < 7) {  // strict, on an identity of the universe
        Rule r = random_rule();
        ++touches[identity(r)];
        bool remove = what < 6;
        for (auto it = model.begin(); it != model.end(); ++it) {
          if (identity(it->rule) != identity(r) || !cookie_ok(it->rule.cookie, cookie, cookie_mask))
            continue;
          if (remove)
            model.erase(it);
          else
            it->rule.actions = r.actions;
          break;
        }
        if (remove)
          txn.remove(0, r.match, true, r.priority, cookie, cookie_mask);
        else
          txn.modify((r.cookie = cookie, r), true, cookie_mask);
      } else {  // non-strict
        Match filter = random_filter();
        ActionList actions = {Action::output(static_cast<uint32_t>(10 + pick(5)))};
        bool remove = what < 9;
        std::erase_if(model, [&](ModelRule& m) {
          if (!covers(filter, m.rule.match) || !cookie_ok(m.rule.cookie, cookie, cookie_mask))
            return false;
          ++touches[identity(m.rule)];
          if (remove) return true;
          m.rule.actions = actions;
          return false;
        });
        if (remove) {
          txn.remove(0, filter, false, 0, cookie, cookie_mask);
        } else {
          Rule r;
          r.match = filter;
          r.cookie = cookie;
          r.actions = actions;
          txn.modify(r, false, cookie_mask);
        }
      }
    }
    for (const auto& [id, n] : touches) batches_with_repeats += n > 1;
    if (round % 2) {
      pipeline->commit(std::move(txn));
    } else {
      pipeline->commit(txn);
    }
    ASSERT_EQ(dumped(), texts(model)) << "round " << round;
    // Rules that were live and only modified since (never re-added) keep
    // their id; the others learn theirs.
    std::map<std::string, uint32_t> id_of;
    for (const FlowStats& s : pipeline->dump()) id_of[identity(s.rule)] = s.id;
    for (ModelRule& m : model) {
      if (m.id != -1) {
        EXPECT_EQ(id_of.at(identity(m.rule)), static_cast<uint32_t>(m.id)) << identity(m.rule);
      }
      m.id = id_of.at(identity(m.rule));
    }
    // One flow-removed record per rule that was live before and is gone now.
    size_t gone = 0;
    std::set<std::string> after;
    for (const ModelRule& m : model) after.insert(identity(m.rule));
    for (const std::string& b : before) gone += !after.count(b);
    EXPECT_EQ(pipeline->take_removed().size(), gone) << "round " << round;
  }
  EXPECT_GT(batches_with_repeats, 100u);  // the batches did touch rules repeatedly
}

TEST_F(Transactions, ABadLastOpLeavesEveryTouchedRuleAsItWas) {
  for (int i = 0; i < 6; ++i) pipeline->add(random_rule());
  for (int round = 0; round < 100; ++round) {
    const std::map<std::string, std::string> before = dumped();
    std::vector<FlowStats> stats_before = pipeline->dump();
    const uint64_t gen = pipeline->generation();
    Transaction txn;
    for (int i = 0; i < 8; ++i) {
      Rule r = random_rule();
      switch (pick(3)) {
        case 0:
          txn.add(r);
          break;
        case 1:
          txn.remove(0, r.match, true, r.priority);
          break;
        default:
          txn.modify(r, true);
      }
    }
    txn.add(parse_rule("priority=1,udp,actions=output:1"));
    Rule bad;
    bad.match.set_exact(Field::ipv4_src, 1);  // no eth_type=ip: a prerequisite error
    txn.add(bad);
    EXPECT_THROW(pipeline->commit(std::move(txn)), Error);
    EXPECT_EQ(pipeline->generation(), gen);
    ASSERT_EQ(dumped(), before) << "round " << round;
    std::vector<FlowStats> stats_after = pipeline->dump();
    ASSERT_EQ(stats_after.size(), stats_before.size());
    for (size_t i = 0; i < stats_after.size(); ++i)
      EXPECT_EQ(stats_after[i].id, stats_before[i].id);
    // The same identities stay usable: a good batch over them applies.
    Transaction good;
    Rule r = random_rule();
    good.add(r).remove(0, r.match, true, r.priority).add(r);
    pipeline->commit(good);
    EXPECT_EQ(dumped().count(identity(r)), 1u);
  }
}

}  // namespace
}  // namespace sluice

SLUICE_EAL_TEST_MAIN("sluice_test_flow_transactions")
