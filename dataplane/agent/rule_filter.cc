#include "dataplane/agent/rule_filter.h"

#include <algorithm>
#include <cerrno>

#include "common/error.h"
#include "common/rules/text.h"

namespace sluice {
namespace {

[[noreturn]] void fail(const std::string& key, const std::string& message) {
  throw Error("?" + key + ": " + message, EINVAL, "?" + key);
}

uint64_t number(const std::string& key, const std::string& text, uint64_t max) {
  auto n = parse_number(text);
  if (!n || *n > max) fail(key, "'" + text + "' is not a number 0.." + std::to_string(max));
  return *n;
}

}  // namespace

RuleFilter rule_filter_from_query(const Request& request,
                                  std::initializer_list<const char*> allowed) {
  RuleFilter f;
  bool has_cookie = false, has_mask = false;
  for (const auto& [key, value] : request.query) {
    if (std::none_of(allowed.begin(), allowed.end(), [&](const char* a) { return key == a; })) {
      std::string known;
      for (const char* a : allowed) known += std::string(known.empty() ? "" : ", ") + a;
      fail(key, "unknown query parameter (known: " + known + ")");
    }
    if (key == "table") {
      f.table = static_cast<uint8_t>(number(key, value, kMaxTables - 1));
    } else if (key == "priority") {
      f.priority = static_cast<uint16_t>(number(key, value, 0xffff));
    } else if (key == "cookie") {
      f.cookie = number(key, value, ~uint64_t{0});
      has_cookie = true;
    } else if (key == "cookie_mask") {
      f.cookie_mask = number(key, value, ~uint64_t{0});
      has_mask = true;
    } else if (key == "strict") {
      if (value != "true" && value != "false") fail(key, "expected true or false");
      f.strict = value == "true";
    } else if (key == "match") {
      Rule parsed;
      try {
        parsed = parse_rule(value);
      } catch (const Error& e) {
        fail(key, e.what());
      }
      Rule only_match;
      only_match.match = parsed.match;
      if (!(parsed == only_match))
        fail(key, "give only match fields here (table, priority and cookie are parameters)");
      f.match = parsed.match;
    }
  }
  if (has_mask && !has_cookie) fail("cookie_mask", "cookie_mask needs a cookie");
  if (has_cookie && !has_mask) f.cookie_mask = ~uint64_t{0};
  return f;
}

bool rule_selected(const RuleFilter& f, const Rule& rule) {
  if (f.priority && rule.priority != *f.priority) return false;
  if ((rule.cookie & f.cookie_mask) != (f.cookie & f.cookie_mask)) return false;
  return f.strict ? rule.match == f.match : covers(f.match, rule.match);
}

}  // namespace sluice
