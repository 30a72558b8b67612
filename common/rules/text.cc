#include "common/rules/text.h"

#include <cerrno>
#include <cstdio>
#include <map>
#include <vector>

#include "common/error.h"
#include "common/rules/nf_names.h"

namespace sluice {
namespace {

struct Token {
  std::string_view text;
  size_t column;  // 1-based
};

[[noreturn]] void fail(const Token& t, const std::string& msg, const std::string& path) {
  throw Error("column " + std::to_string(t.column) + ": '" + std::string(t.text) + "': " + msg,
              EINVAL, path);
}

std::string_view trim(std::string_view s, size_t& col) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
    s.remove_prefix(1);
    ++col;
  }
  while (!s.empty() &&
         (s.back() == ' ' || s.back() == '\t' || s.back() == '\n' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

// Splits `s` (starting at column `col`) on commas.
std::vector<Token> split(std::string_view s, size_t col) {
  std::vector<Token> out;
  size_t start = 0;
  for (size_t i = 0; i <= s.size(); ++i) {
    if (i == s.size() || s[i] == ',') {
      size_t c = col + start;
      std::string_view t = trim(s.substr(start, i - start), c);
      if (!t.empty()) out.push_back({t, c});
      start = i + 1;
    }
  }
  return out;
}

struct Proto {
  const char* name;
  uint16_t eth_type;
  int ip_proto;  // -1: none
};
constexpr Proto kProtos[] = {
    {"ip", 0x0800, -1},   {"ipv6", 0x86dd, -1},   {"arp", 0x0806, -1},   {"tcp", 0x0800, 6},
    {"udp", 0x0800, 17},  {"sctp", 0x0800, 132},  {"icmp", 0x0800, 1},   {"tcp6", 0x86dd, 6},
    {"udp6", 0x86dd, 17}, {"sctp6", 0x86dd, 132}, {"icmp6", 0x86dd, 58},
};

uint64_t number(const Token& t, std::string_view v, uint64_t max, const std::string& path) {
  auto n = parse_number(v);
  if (!n) fail(t, "'" + std::string(v) + "' is not a number", path);
  if (*n > max) fail(t, std::string(v) + " is above the maximum " + std::to_string(max), path);
  return *n;
}

std::string mpath(Field f) {
  return std::string("/match/") + field_info(f).name;
}

void set_field_match(Match& m, Field f, const Token& t, std::string_view v) {
  const FieldInfo& fi = field_info(f);
  std::string path = mpath(f);
  size_t slash = v.find('/');
  if (slash != v.npos) {
    auto val = parse_field_value(f, v.substr(0, slash));
    auto mask = parse_field_mask(f, v.substr(slash + 1));
    if (!val) fail(t, "'" + std::string(v.substr(0, slash)) + "' is not a valid " + fi.name, path);
    if (!mask) fail(t, "'" + std::string(v.substr(slash + 1)) + "' is not a valid mask", path);
    if (mask == u128{0}) fail(t, "a zero mask matches everything; leave the field out", path);
    m.set_masked(f, *val, *mask);
    return;
  }
  size_t dash = v.find('-');
  if (fi.range_ok && dash != v.npos && dash > 0) {
    auto lo = parse_number(v.substr(0, dash)), hi = parse_number(v.substr(dash + 1));
    if (!lo || !hi || *lo > 0xffff || *hi > 0xffff)
      fail(t, "'" + std::string(v) + "' is not a port range LO-HI (0-65535)", path);
    if (*lo > *hi) fail(t, "range " + std::string(v) + " is empty (low end above high end)", path);
    m.set_range(f, static_cast<uint16_t>(*lo), static_cast<uint16_t>(*hi));
    return;
  }
  auto val = parse_field_value(f, v);
  if (!val) fail(t, "'" + std::string(v) + "' is not a valid " + fi.name, path);
  m.set_exact(f, *val);
}

// tp_src/tp_dst resolve by ip_proto, like OVS.
std::optional<Field> resolve_tp(const Match& m, bool src) {
  if (!m.is_exact(Field::ip_proto)) return std::nullopt;
  switch (static_cast<unsigned>(m.get(Field::ip_proto).value)) {
    case 6:
      return src ? Field::tcp_src : Field::tcp_dst;
    case 17:
      return src ? Field::udp_src : Field::udp_dst;
    case 132:
      return src ? Field::sctp_src : Field::sctp_dst;
    default:
      return std::nullopt;
  }
}

std::optional<Field> set_target(std::string_view name, const Match& m) {
  if (name == "tp_src" || name == "tp_dst") return resolve_tp(m, name == "tp_src");
  return field_by_name(name);
}

Action parse_action(const Token& t, const Match& m, const std::string& path) {
  std::string_view s = t.text;
  size_t colon = s.find(':');
  std::string_view name = s.substr(0, colon), arg;
  bool has_arg = colon != s.npos;
  if (has_arg) arg = s.substr(colon + 1);
  auto need_arg = [&](uint64_t max) -> uint32_t {
    if (!has_arg || arg.empty()) fail(t, std::string(name) + " needs an argument", path);
    return static_cast<uint32_t>(number(t, arg, max, path));
  };
  auto no_arg = [&](ActionType type) {
    if (has_arg) fail(t, std::string(name) + " takes no argument", path);
    return Action::simple(type);
  };
  if (!has_arg && parse_number(s))
    return Action::output(static_cast<uint32_t>(number(t, s, 0xffff, path)));
  if (name == "output") return Action::output(need_arg(0xffff));
  if (name == "flood") return no_arg(ActionType::flood);
  if (name == "normal") return no_arg(ActionType::normal);
  if (name == "drop") return no_arg(ActionType::drop);
  if (name == "pop_vlan" || name == "strip_vlan") return no_arg(ActionType::pop_vlan);
  if (name == "dec_ttl") return no_arg(ActionType::dec_ttl);
  if (name == "controller")
    return Action::simple(ActionType::controller,
                          has_arg ? need_arg(0xffff) : kControllerMaxLenAll);
  if (name == "push_vlan") return Action::simple(ActionType::push_vlan, need_arg(0xffff));
  if (name == "group") return Action::simple(ActionType::group, need_arg(0xffffffff));
  if (name == "meter") return Action::simple(ActionType::meter, need_arg(0xffffffff));
  if (name == "goto_table") return Action::simple(ActionType::goto_table, need_arg(0xff));
  if (name == "nf") {
    if (!has_arg || arg.empty() || parse_number(arg))
      return Action::simple(ActionType::nf, need_arg(0xffffffff));
    if (auto number = nf_names::find(arg)) return Action::simple(ActionType::nf, *number);
    fail(t, "no network-function instance named '" + std::string(arg) + "'", path);
  }
  if (name == "write_metadata") {
    if (!has_arg) fail(t, "write_metadata needs VALUE[/MASK]", path);
    size_t slash = arg.find('/');
    uint64_t v = number(t, arg.substr(0, slash), ~uint64_t{0}, path);
    uint64_t mask =
        slash == arg.npos ? ~uint64_t{0} : number(t, arg.substr(slash + 1), ~uint64_t{0}, path);
    return Action::write_metadata(v, mask);
  }
  if (name == "load" || name == "set_field") {
    size_t arrow = arg.rfind("->");
    if (!has_arg || arrow == arg.npos) fail(t, std::string(name) + " needs VALUE->FIELD", path);
    std::string_view target = arg.substr(arrow + 2), value = arg.substr(0, arrow);
    auto f = set_target(target, m);
    if (!f) fail(t, "'" + std::string(target) + "' is not a settable field", path);
    if (name == "load" || (*f >= Field::reg0 && *f <= Field::reg7)) {
      if (*f < Field::reg0 || *f > Field::reg7)
        fail(t, "load writes registers reg0..reg7; use set_field for " + std::string(target), path);
      return Action::load(*f, static_cast<uint32_t>(number(t, value, 0xffffffff, path)));
    }
    std::optional<u128> v;
    if (*f == Field::vlan_vid) {
      auto n = parse_number(value);
      if (n && *n <= 0xfff) v = *n;
    } else {
      v = parse_field_value(*f, value);
    }
    if (!v) fail(t, "'" + std::string(value) + "' is not a valid " + field_info(*f).name, path);
    return Action::set(*f, *v);
  }
  fail(t, "unknown action '" + std::string(name) + "'", path);
}

void append_field(std::string& out, const Match& m, Field f) {
  const FieldMatch& fm = m.get(f);
  out += field_info(f).name;
  out += '=';
  if (fm.range) {
    out += std::to_string(fm.lo) + "-" + std::to_string(fm.hi);
  } else {
    out += format_field_value(f, fm.value);
    if (fm.mask != field_full_mask(f)) out += "/" + format_field_mask(f, fm.mask);
  }
}

}  // namespace

Rule parse_rule(std::string_view text) {
  Rule r;
  size_t actions_at = text.find("actions=");
  std::string_view match_part = text.substr(0, actions_at);
  std::vector<Token> tokens = split(match_part, 1);
  std::map<std::string, Token> where;      // JSON pointer -> token, for validation errors
  std::vector<std::pair<Token, bool>> tp;  // deferred tp_src (true) / tp_dst
  uint64_t seen = 0;
  bool seen_key[5] = {};
  for (const Token& t : tokens) {
    size_t eq = t.text.find('=');
    std::string_view key = t.text.substr(0, eq);
    std::string_view v = eq == t.text.npos ? std::string_view{} : t.text.substr(eq + 1);
    if (eq == t.text.npos) {
      const Proto* p = nullptr;
      for (const auto& pr : kProtos)
        if (key == pr.name) p = &pr;
      if (!p)
        fail(t, "unknown keyword (expected FIELD=VALUE or ip/ipv6/arp/tcp/udp/sctp/icmp)", "");
      if ((r.match.has(Field::eth_type) && r.match.get(Field::eth_type).value != p->eth_type) ||
          (p->ip_proto >= 0 && r.match.has(Field::ip_proto) &&
           r.match.get(Field::ip_proto).value != static_cast<u128>(p->ip_proto)))
        fail(t, "conflicts with an earlier eth_type or ip_proto", "/match/eth_type");
      r.match.set_exact(Field::eth_type, p->eth_type);
      where["/match/eth_type"] = t;
      if (p->ip_proto >= 0) {
        r.match.set_exact(Field::ip_proto, static_cast<u128>(p->ip_proto));
        where["/match/ip_proto"] = t;
      }
      continue;
    }
    if (v.empty()) fail(t, "missing value after '='", "");
    static constexpr const char* kKeys[] = {"table", "priority", "cookie", "idle_timeout",
                                            "hard_timeout"};
    int ki = -1;
    for (int i = 0; i < 5; ++i)
      if (key == kKeys[i]) ki = i;
    if (ki >= 0) {
      std::string path = std::string("/") + kKeys[ki];
      if (seen_key[ki]) fail(t, std::string(key) + " given twice", path);
      seen_key[ki] = true;
      where[path] = t;
      switch (ki) {
        case 0:
          r.table = static_cast<uint8_t>(number(t, v, kMaxTables - 1, path));
          break;
        case 1:
          r.priority = static_cast<uint16_t>(number(t, v, 0xffff, path));
          break;
        case 2:
          r.cookie = number(t, v, ~uint64_t{0}, path);
          break;
        case 3:
          r.idle_timeout = static_cast<uint32_t>(number(t, v, 0xffffffff, path));
          break;
        case 4:
          r.hard_timeout = static_cast<uint32_t>(number(t, v, 0xffffffff, path));
          break;
      }
      continue;
    }
    if (key == "tp_src" || key == "tp_dst") {
      tp.push_back({t, key == "tp_src"});
      continue;
    }
    auto f = field_by_name(key);
    if (!f) fail(t, "unknown field '" + std::string(key) + "'", "");
    uint64_t bit = uint64_t{1} << static_cast<unsigned>(*f);
    if (seen & bit) fail(t, std::string(field_info(*f).name) + " given twice", mpath(*f));
    seen |= bit;
    where[mpath(*f)] = t;
    set_field_match(r.match, *f, t, v);
  }
  for (auto& [t, src] : tp) {
    auto f = resolve_tp(r.match, src);
    if (!f)
      fail(t,
           std::string(src ? "tp_src" : "tp_dst") +
               " requires ip_proto 6, 17 or 132 (write tcp, udp or sctp before it)",
           "");
    uint64_t bit = uint64_t{1} << static_cast<unsigned>(*f);
    if (seen & bit) fail(t, std::string(field_info(*f).name) + " given twice", mpath(*f));
    seen |= bit;
    where[mpath(*f)] = t;
    set_field_match(r.match, *f, t, t.text.substr(t.text.find('=') + 1));
  }
  if (actions_at != text.npos) {
    std::string_view rest = text.substr(actions_at + 8);
    std::vector<Token> acts = split(rest, actions_at + 9);
    for (size_t i = 0; i < acts.size(); ++i) {
      std::string path = "/actions/" + std::to_string(i);
      where[path] = acts[i];
      r.actions.push_back(parse_action(acts[i], r.match, path));
    }
  }
  if (auto p = check_rule(r)) {
    auto it = where.find(p->where);
    if (it != where.end()) fail(it->second, p->message, p->where);
    throw Error(p->message, EINVAL, p->where);
  }
  return r;
}

std::vector<Rule> parse_rules(std::string_view text) {
  std::vector<Rule> out;
  size_t line_no = 0;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == text.npos ? std::string_view{} : text.substr(nl + 1);
    ++line_no;
    size_t first = line.find_first_not_of(" \t\r");
    if (first == line.npos || line[first] == '#') continue;
    try {
      out.push_back(parse_rule(line));
    } catch (const Error& e) {
      throw Error("line " + std::to_string(line_no) + ": " + e.what(), e.code(), e.path());
    }
  }
  return out;
}

std::string format_match(const Match& m) {
  std::string out;
  auto sep = [&] {
    if (!out.empty()) out += ',';
  };
  uint64_t skip = 0;
  if (m.is_exact(Field::eth_type)) {
    uint16_t et = static_cast<uint16_t>(m.get(Field::eth_type).value);
    int proto = m.is_exact(Field::ip_proto) ? static_cast<int>(m.get(Field::ip_proto).value) : -1;
    for (const auto& p : kProtos) {
      if (p.eth_type != et) continue;
      if (p.ip_proto == proto || (p.ip_proto == -1 && out.empty())) {
        out = p.name;
        skip = uint64_t{1} << static_cast<unsigned>(Field::eth_type);
        if (p.ip_proto == proto) skip |= uint64_t{1} << static_cast<unsigned>(Field::ip_proto);
      }
    }
  }
  for (unsigned i = 0; i < kFieldCount; ++i) {
    if (!m.has(static_cast<Field>(i)) || (skip & (uint64_t{1} << i))) continue;
    sep();
    append_field(out, m, static_cast<Field>(i));
  }
  return out;
}

std::string format_actions(const ActionList& actions) {
  if (actions.empty()) return "drop";
  std::string out;
  char buf[64];
  for (const Action& a : actions) {
    if (!out.empty()) out += ',';
    switch (a.type) {
      case ActionType::output:
      case ActionType::group:
      case ActionType::meter:
      case ActionType::goto_table:
      case ActionType::nf:
        out += std::string(action_name(a.type)) + ":" + std::to_string(a.arg);
        break;
      case ActionType::controller:
        out += "controller";
        if (a.arg != kControllerMaxLenAll) out += ":" + std::to_string(a.arg);
        break;
      case ActionType::push_vlan:
        snprintf(buf, sizeof buf, "push_vlan:0x%04x", a.arg);
        out += buf;
        break;
      case ActionType::set_field:
        out += "set_field:";
        out += a.field == Field::vlan_vid ? std::to_string(static_cast<unsigned>(a.value))
                                          : format_field_value(a.field, a.value);
        out += std::string("->") + field_info(a.field).name;
        break;
      case ActionType::set_reg:
        snprintf(buf, sizeof buf, "load:0x%x->%s", static_cast<unsigned>(a.value),
                 field_info(a.field).name);
        out += buf;
        break;
      case ActionType::write_metadata:
        snprintf(buf, sizeof buf, "write_metadata:0x%llx/0x%llx",
                 static_cast<unsigned long long>(a.value), static_cast<unsigned long long>(a.mask));
        out += buf;
        break;
      default:
        out += action_name(a.type);
    }
  }
  return out;
}

std::string format_rule(const Rule& r) {
  std::string out = "table=" + std::to_string(r.table) + ",priority=" + std::to_string(r.priority);
  char buf[40];
  if (r.cookie != 0) {
    snprintf(buf, sizeof buf, ",cookie=0x%llx", static_cast<unsigned long long>(r.cookie));
    out += buf;
  }
  if (r.idle_timeout != 0) out += ",idle_timeout=" + std::to_string(r.idle_timeout);
  if (r.hard_timeout != 0) out += ",hard_timeout=" + std::to_string(r.hard_timeout);
  std::string m = format_match(r.match);
  if (!m.empty()) out += "," + m;
  out += ",actions=" + format_actions(r.actions);
  return out;
}

}  // namespace sluice
