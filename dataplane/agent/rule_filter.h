// Rule selection from query parameters, as GET /v1/tables/{id}/rules and
// DELETE /v1/rules take them:
//   table=T        one table (DELETE: every table when absent)
//   priority=P     only rules of that priority (strict: the priority, default 32768)
//   cookie=C       with cookie_mask=M: rules whose (cookie & M) == (C & M);
//                  cookie without cookie_mask compares all bits
//   match=TEXT     a match in the text form ("tcp,tp_dst=80"); non-strict
//                  (OpenFlow): rules whose match is at least as specific;
//                  strict: exactly that match
//   strict=true|false
// Numbers are decimal or 0x-hex. Errors: sluice::Error EINVAL (422) whose
// path is "?NAME", the offending query parameter.
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <optional>

#include "common/rules/rule.h"
#include "dataplane/agent/router.h"

namespace sluice {

struct RuleFilter {
  std::optional<uint8_t> table;
  std::optional<uint16_t> priority;
  uint64_t cookie = 0;
  uint64_t cookie_mask = 0;  // 0: any cookie
  Match match;               // empty: any rule
  bool strict = false;
};

// Parses the parameters above; any other query parameter than those in
// `allowed` is an error too (a misspelt filter must not select everything).
RuleFilter rule_filter_from_query(const Request& request,
                                  std::initializer_list<const char*> allowed);

// True when `rule` is selected (table not checked).
bool rule_selected(const RuleFilter& filter, const Rule& rule);


}  // namespace sluice
