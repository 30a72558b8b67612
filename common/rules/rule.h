// A flow rule and its validation (OpenFlow-style prerequisites, enforced).
//
// Thread-safety: plain value types; the functions are pure.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "common/rules/action.h"
#include "common/rules/match.h"

namespace sluice {

inline constexpr unsigned kMaxTables = 32;
inline constexpr uint16_t kDefaultPriority = 32768;

struct Rule {
  uint8_t table = 0;
  uint16_t priority = kDefaultPriority;  // higher wins
  uint64_t cookie = 0;                   // controller's id; not unique
  uint32_t idle_timeout = 0;             // seconds without a hit, 0 = never
  uint32_t hard_timeout = 0;             // seconds after install, 0 = never
  Match match;
  ActionList actions;  // empty = drop
  bool operator==(const Rule&) const = default;
};

// What a table does with a packet no rule matches.
enum class MissKind : uint8_t { drop, normal, controller, goto_table };
struct TableMiss {
  MissKind kind = MissKind::drop;
  uint8_t next_table = 0;  // goto_table only; must be > the table
  bool operator==(const TableMiss&) const = default;
};
const char* miss_name(MissKind k);

// A validation failure: `where` is a JSON pointer into the rule's JSON form
// ("/match/tcp_dst", "/actions/1", "/table"), `message` names the field and
// what is missing.
struct RuleProblem {
  std::string where;
  std::string message;
};

// Checks table range, prerequisites of every match field and every set_field
// target, action arguments and ordering (goto last and forward, drop alone,
// VLAN set only with a tag present or pushed). Returns the first problem.
std::optional<RuleProblem> check_rule(const Rule& rule);
// Same, throwing sluice::Error(message, EINVAL, where) on the first problem.
void validate_rule(const Rule& rule);
// Checks a table-miss setting for `table`; throws sluice::Error (EINVAL).
void validate_miss(uint8_t table, const TableMiss& miss);

}  // namespace sluice
