#include "common/rules/json.h"

#include <cerrno>

#include "common/error.h"
#include "common/rules/nf_names.h"

namespace sluice {
namespace {

using nlohmann::json;

[[noreturn]] void fail(const std::string& path, const std::string& msg) {
  throw Error(path + ": " + msg, EINVAL, path);
}

uint64_t unsigned_member(const json& j, const std::string& path, uint64_t max) {
  if (j.is_string()) {
    auto n = parse_number(j.get<std::string>());
    if (n && *n <= max) return *n;
  }
  if (!j.is_number_unsigned() && !(j.is_number_integer() && j.get<int64_t>() >= 0))
    fail(path, "expected a non-negative integer");
  uint64_t v = j.get<uint64_t>();
  if (v > max) fail(path, std::to_string(v) + " is above the maximum " + std::to_string(max));
  return v;
}

void set_match_value(Match& m, Field f, const json& j, const std::string& path) {
  const FieldInfo& fi = field_info(f);
  std::string s;
  if (j.is_number_unsigned() || (j.is_number_integer() && j.get<int64_t>() >= 0))
    s = std::to_string(j.get<uint64_t>());
  else if (j.is_string())
    s = j.get<std::string>();
  else
    fail(path, "expected a number or a string");
  size_t slash = s.find('/'), dash = s.find('-');
  if (slash != s.npos) {
    auto v = parse_field_value(f, s.substr(0, slash));
    auto mask = parse_field_mask(f, s.substr(slash + 1));
    if (!v || !mask || *mask == 0) fail(path, "'" + s + "' is not a valid masked " + fi.name);
    m.set_masked(f, *v, *mask);
  } else if (fi.range_ok && dash != s.npos && dash > 0) {
    auto lo = parse_number(s.substr(0, dash)), hi = parse_number(s.substr(dash + 1));
    if (!lo || !hi || *lo > 0xffff || *hi > 0xffff || *lo > *hi)
      fail(path, "'" + s + "' is not a port range LO-HI with LO <= HI <= 65535");
    m.set_range(f, static_cast<uint16_t>(*lo), static_cast<uint16_t>(*hi));
  } else {
    auto v = parse_field_value(f, s);
    if (!v) fail(path, "'" + s + "' is not a valid " + fi.name);
    m.set_exact(f, *v);
  }
}

json match_value(Field f, const FieldMatch& fm) {
  const FieldInfo& fi = field_info(f);
  if (fm.range) return std::to_string(fm.lo) + "-" + std::to_string(fm.hi);
  bool exact = fm.mask == field_full_mask(f);
  bool numeric = fi.format == FieldFormat::decimal || fi.format == FieldFormat::hex;
  if (exact && numeric && f != Field::vlan_vid) return static_cast<uint64_t>(fm.value);
  if (exact && f == Field::vlan_vid && fm.value != 0)
    return static_cast<uint64_t>(fm.value & 0xfff);
  std::string s = format_field_value(f, fm.value);
  if (!exact) s += "/" + format_field_mask(f, fm.mask);
  return s;
}

void check_members(const json& j, const std::string& base, std::initializer_list<const char*> ok) {
  for (auto it = j.begin(); it != j.end(); ++it) {
    bool found = false;
    for (const char* k : ok) found = found || it.key() == k;
    if (!found) fail(base + "/" + it.key(), "unknown member '" + it.key() + "'");
  }
}

const json& member(const json& j, const std::string& base, const char* key) {
  auto it = j.find(key);
  if (it == j.end()) fail(base + "/" + key, std::string("missing member '") + key + "'");
  return *it;
}

}  // namespace

Match match_from_json(const json& j, const std::string& base) {
  if (!j.is_object()) fail(base, "expected an object of field: value");
  Match m;
  for (auto it = j.begin(); it != j.end(); ++it) {
    std::string path = base + "/" + it.key();
    auto f = field_by_name(it.key());
    if (!f) fail(path, "unknown field '" + it.key() + "'");
    if (m.has(*f)) fail(path, std::string(field_info(*f).name) + " given twice (alias)");
    set_match_value(m, *f, it.value(), path);
  }
  return m;
}

json match_to_json(const Match& m) {
  json j = json::object();
  for (unsigned i = 0; i < kFieldCount; ++i) {
    Field f = static_cast<Field>(i);
    if (m.has(f)) j[field_info(f).name] = match_value(f, m.get(f));
  }
  return j;
}

ActionList actions_from_json(const json& j, const std::string& base) {
  if (!j.is_array()) fail(base, "expected an array of actions");
  ActionList out;
  for (size_t i = 0; i < j.size(); ++i) {
    std::string p = base + "/" + std::to_string(i);
    const json& a = j[i];
    if (!a.is_object()) fail(p, "expected an object with a \"type\"");
    const json& type = member(a, p, "type");
    if (!type.is_string()) fail(p + "/type", "expected a string");
    std::string t = type.get<std::string>();
    auto num = [&](const char* key, uint64_t max) {
      return unsigned_member(member(a, p, key), p + "/" + key, max);
    };
    Action act;
    if (t == "output") {
      check_members(a, p, {"type", "port"});
      act = Action::output(static_cast<uint32_t>(num("port", 0xffff)));
    } else if (t == "flood" || t == "normal" || t == "drop" || t == "pop_vlan" || t == "dec_ttl") {
      check_members(a, p, {"type"});
      act.type = t == "flood"      ? ActionType::flood
                 : t == "normal"   ? ActionType::normal
                 : t == "drop"     ? ActionType::drop
                 : t == "pop_vlan" ? ActionType::pop_vlan
                                   : ActionType::dec_ttl;
    } else if (t == "controller") {
      check_members(a, p, {"type", "max_len"});
      act = Action::simple(ActionType::controller,
                           a.contains("max_len") ? static_cast<uint32_t>(num("max_len", 0xffff))
                                                 : kControllerMaxLenAll);
    } else if (t == "push_vlan") {
      check_members(a, p, {"type", "ethertype"});
      act = Action::simple(ActionType::push_vlan, static_cast<uint32_t>(num("ethertype", 0xffff)));
    } else if (t == "group" || t == "meter" || t == "goto_table" || t == "nf") {
      const char* key = t == "group"   ? "group_id"
                        : t == "meter" ? "meter_id"
                        : t == "nf"    ? "instance"
                                       : "table";
      check_members(a, p, {"type", key});
      ActionType at = t == "group"   ? ActionType::group
                      : t == "meter" ? ActionType::meter
                      : t == "nf"    ? ActionType::nf
                                     : ActionType::goto_table;
      if (t == "nf" && member(a, p, key).is_string()) {
        const std::string name = member(a, p, key).get<std::string>();
        auto number = nf_names::find(name);
        if (!number) fail(p + "/instance", "no network-function instance named '" + name + "'");
        act = Action::simple(at, *number);
      } else {
        act = Action::simple(
            at, static_cast<uint32_t>(num(key, t == "goto_table" ? 0xff : 0xffffffff)));
      }
    } else if (t == "write_metadata") {
      check_members(a, p, {"type", "value", "mask"});
      act = Action::write_metadata(num("value", ~uint64_t{0}),
                                   a.contains("mask") ? num("mask", ~uint64_t{0}) : ~uint64_t{0});
    } else if (t == "set_reg" || t == "set_field") {
      const char* fkey = t == "set_reg" ? "reg" : "field";
      check_members(a, p, {"type", fkey, "value"});
      const json& fj = member(a, p, fkey);
      auto f = fj.is_string() ? field_by_name(fj.get<std::string>()) : std::nullopt;
      if (!f) fail(p + "/" + fkey, "expected a field name");
      if (t == "set_reg") {
        if (*f < Field::reg0 || *f > Field::reg7) fail(p + "/reg", "expected reg0..reg7");
        act = Action::load(*f, static_cast<uint32_t>(num("value", 0xffffffff)));
      } else {
        const json& vj = member(a, p, "value");
        std::optional<u128> v;
        if (*f == Field::vlan_vid || vj.is_number()) {
          uint64_t n = num("value", *f == Field::vlan_vid ? 0xfff : ~uint64_t{0});
          v = n;
          if ((*v & ~field_full_mask(*f)) != 0) v.reset();
        } else if (vj.is_string()) {
          v = parse_field_value(*f, vj.get<std::string>());
        }
        if (!v) fail(p + "/value", std::string("not a valid ") + field_info(*f).name);
        act = Action::set(*f, *v);
      }
    } else {
      fail(p + "/type", "unknown action type '" + t + "'");
    }
    out.push_back(act);
  }
  return out;
}

json actions_to_json(const ActionList& actions) {
  json out = json::array();
  for (const Action& a : actions) {
    json j = {{"type", action_name(a.type)}};
    switch (a.type) {
      case ActionType::output:
        j["port"] = a.arg;
        break;
      case ActionType::controller:
        j["max_len"] = a.arg;
        break;
      case ActionType::push_vlan:
        j["ethertype"] = a.arg;
        break;
      case ActionType::group:
        j["group_id"] = a.arg;
        break;
      case ActionType::meter:
        j["meter_id"] = a.arg;
        break;
      case ActionType::goto_table:
        j["table"] = a.arg;
        break;
      case ActionType::nf:
        j["instance"] = a.arg;
        break;
      case ActionType::write_metadata:
        j["value"] = static_cast<uint64_t>(a.value);
        j["mask"] = a.mask;
        break;
      case ActionType::set_reg:
        j["reg"] = field_info(a.field).name;
        j["value"] = static_cast<uint64_t>(a.value);
        break;
      case ActionType::set_field: {
        j["field"] = field_info(a.field).name;
        FieldFormat fmt = field_info(a.field).format;
        if (a.field == Field::vlan_vid || fmt == FieldFormat::decimal || fmt == FieldFormat::hex)
          j["value"] = static_cast<uint64_t>(a.value);
        else
          j["value"] = format_field_value(a.field, a.value);
        break;
      }
      default:
        break;
    }
    out.push_back(std::move(j));
  }
  return out;
}

Rule rule_from_json(const json& j) {
  if (!j.is_object()) fail("", "a rule is a JSON object");
  check_members(
      j, "", {"table", "priority", "cookie", "idle_timeout", "hard_timeout", "match", "actions"});
  Rule r;
  if (j.contains("table"))
    r.table = static_cast<uint8_t>(unsigned_member(j["table"], "/table", kMaxTables - 1));
  if (j.contains("priority"))
    r.priority = static_cast<uint16_t>(unsigned_member(j["priority"], "/priority", 0xffff));
  if (j.contains("cookie")) r.cookie = unsigned_member(j["cookie"], "/cookie", ~uint64_t{0});
  if (j.contains("idle_timeout"))
    r.idle_timeout =
        static_cast<uint32_t>(unsigned_member(j["idle_timeout"], "/idle_timeout", 0xffffffff));
  if (j.contains("hard_timeout"))
    r.hard_timeout =
        static_cast<uint32_t>(unsigned_member(j["hard_timeout"], "/hard_timeout", 0xffffffff));
  if (j.contains("match")) r.match = match_from_json(j["match"], "/match");
  if (j.contains("actions")) r.actions = actions_from_json(j["actions"], "/actions");
  if (auto p = check_rule(r)) fail(p->where, p->message);
  return r;
}

json rule_to_json(const Rule& r) {
  return {{"table", r.table},
          {"priority", r.priority},
          {"cookie", r.cookie},
          {"idle_timeout", r.idle_timeout},
          {"hard_timeout", r.hard_timeout},
          {"match", match_to_json(r.match)},
          {"actions", actions_to_json(r.actions)}};
}

TableMiss miss_from_json(const json& j, const std::string& base) {
  const json* type = &j;
  if (j.is_object()) {
    check_members(j, base, {"type", "table"});
    type = &member(j, base, "type");
  } else if (!j.is_string()) {
    fail(base, "expected {\"type\":\"drop\"|\"normal\"|\"controller\"|\"goto_table\"}");
  }
  const std::string path = j.is_object() ? base + "/type" : base;
  if (!type->is_string()) fail(path, "expected a string");
  const std::string t = type->get<std::string>();
  TableMiss miss;
  if (t == "drop") {
    miss.kind = MissKind::drop;
  } else if (t == "normal") {
    miss.kind = MissKind::normal;
  } else if (t == "controller") {
    miss.kind = MissKind::controller;
  } else if (t == "goto_table") {
    if (!j.is_object()) fail(base, "goto_table needs {\"type\":\"goto_table\",\"table\":N}");
    miss.kind = MissKind::goto_table;
    miss.next_table =
        static_cast<uint8_t>(unsigned_member(member(j, base, "table"), base + "/table", kMaxTables - 1));
  } else {
    fail(path, "unknown miss type '" + t + "' (drop, normal, controller, goto_table)");
  }
  if (miss.kind != MissKind::goto_table && j.is_object() && j.contains("table"))
    fail(base + "/table", "only goto_table takes a table");
  return miss;
}

json miss_to_json(const TableMiss& miss) {
  json j = {{"type", miss_name(miss.kind)}};
  if (miss.kind == MissKind::goto_table) j["table"] = miss.next_table;
  return j;
}

}  // namespace sluice
