#include "common/rules/rule.h"

#include <cerrno>
#include <cstdio>

#include "common/error.h"

namespace sluice {
namespace {

bool exact_in(const Match& m, Field f, const uint16_t (&values)[2]) {
  if (!m.is_exact(f)) return false;
  u128 v = m.get(f).value;
  return v == values[0] || (values[1] != 0 && v == values[1]);
}

bool vlan_present(const Match& m) {
  if (!m.has(Field::vlan_vid) || m.get(Field::vlan_vid).range) return false;
  const FieldMatch& fm = m.get(Field::vlan_vid);
  return (fm.mask & kVlanPresent) && (fm.value & kVlanPresent);
}

std::string describe(const Prerequisite* p, unsigned n) {
  std::string s;
  for (unsigned i = 0; i < n; ++i) {
    if (i > 0) s += " and ";
    if (p[i].field == Field::vlan_vid) {
      s += "a VLAN tag (vlan_vid other than none)";
      continue;
    }
    char buf[64];
    const char* name = field_info(p[i].field).name;
    if (p[i].field == Field::eth_type) {
      snprintf(buf, sizeof buf, "%s=0x%04x", name, p[i].values[0]);
      s += buf;
      if (p[i].values[1] != 0) {
        snprintf(buf, sizeof buf, " or 0x%04x", p[i].values[1]);
        s += buf;
      }
    } else {
      snprintf(buf, sizeof buf, "%s=%u", name, p[i].values[0]);
      s += buf;
    }
  }
  return s;
}

// Empty when `f`'s prerequisites hold in `m`; otherwise what is required.
std::string missing_prerequisites(const Match& m, Field f, bool vlan_pushed) {
  unsigned n = 0;
  const Prerequisite* p = field_prerequisites(f, n);
  for (unsigned i = 0; i < n; ++i) {
    bool ok = p[i].field == Field::vlan_vid ? (vlan_pushed || vlan_present(m))
                                            : exact_in(m, p[i].field, p[i].values);
    if (!ok) return describe(p, n);
  }
  return {};
}

bool is_ip(const Match& m) {
  static constexpr uint16_t kIp[2] = {0x0800, 0x86dd};
  return exact_in(m, Field::eth_type, kIp);
}

}  // namespace

const char* miss_name(MissKind k) {
  switch (k) {
    case MissKind::drop:
      return "drop";
    case MissKind::normal:
      return "normal";
    case MissKind::controller:
      return "controller";
    case MissKind::goto_table:
      return "goto_table";
  }
  return "?";
}

std::optional<RuleProblem> check_rule(const Rule& r) {
  if (r.table >= kMaxTables)
    return RuleProblem{"/table", "table " + std::to_string(r.table) + " is out of range (0-" +
                                     std::to_string(kMaxTables - 1) + ")"};
  for (unsigned i = 0; i < kFieldCount; ++i) {
    Field f = static_cast<Field>(i);
    if (!r.match.has(f)) continue;
    std::string need = missing_prerequisites(r.match, f, false);
    if (!need.empty())
      return RuleProblem{std::string("/match/") + field_info(f).name,
                         std::string(field_info(f).name) + " requires " + need};
  }
  bool vlan_pushed = false;
  for (size_t i = 0; i < r.actions.size(); ++i) {
    const Action& a = r.actions[i];
    std::string where = "/actions/" + std::to_string(i);
    auto bad = [&](std::string msg) {
      return RuleProblem{where, std::string(action_name(a.type)) + ": " + msg};
    };
    switch (a.type) {
      case ActionType::output:
        if (a.arg > 0xffff) return bad("port " + std::to_string(a.arg) + " is out of range");
        break;
      case ActionType::controller:
        if (a.arg > 0xffff) return bad("max_len above 65535");
        break;
      case ActionType::drop:
        if (r.actions.size() != 1) return bad("drop must be the only action");
        break;
      case ActionType::set_field: {
        const FieldInfo& fi = field_info(a.field);
        if (!fi.settable) return bad(std::string(fi.name) + " cannot be set");
        u128 width = a.field == Field::vlan_vid ? 0xfff : field_full_mask(a.field);
        if ((a.value & ~width) != 0) return bad("value does not fit " + std::string(fi.name));
        std::string need = missing_prerequisites(r.match, a.field, vlan_pushed);
        if (a.field == Field::vlan_vid && !vlan_pushed && !vlan_present(r.match))
          need = "a VLAN tag (vlan_vid other than none, or push_vlan first)";
        if (!need.empty()) return bad("setting " + std::string(fi.name) + " requires " + need);
        break;
      }
      case ActionType::set_reg:
        if (a.field < Field::reg0 || a.field > Field::reg7) return bad("target is not a register");
        if (a.value > 0xffffffffu) return bad("value does not fit 32 bits");
        break;
      case ActionType::push_vlan:
        if (a.arg != 0x8100 && a.arg != 0x88a8) return bad("TPID must be 0x8100 or 0x88a8");
        vlan_pushed = true;
        break;
      case ActionType::pop_vlan:
        vlan_pushed = false;
        break;
      case ActionType::dec_ttl:
        if (!is_ip(r.match)) return bad("requires eth_type=0x0800 or 0x86dd (ip or ipv6)");
        break;
      case ActionType::goto_table:
        if (i + 1 != r.actions.size()) return bad("must be the last action");
        if (a.arg <= r.table || a.arg >= kMaxTables)
          return bad("table " + std::to_string(a.arg) + " must be after table " +
                     std::to_string(r.table) + " and below " + std::to_string(kMaxTables));
        break;
      case ActionType::write_metadata:
        if (a.value > ~uint64_t{0}) return bad("value does not fit 64 bits");
        break;
      default:
        break;
    }
  }
  return std::nullopt;
}

void validate_rule(const Rule& r) {
  if (auto p = check_rule(r)) throw Error(p->message, EINVAL, p->where);
}

void validate_miss(uint8_t table, const TableMiss& miss) {
  if (table >= kMaxTables) throw Error("table out of range", EINVAL, "/table");
  if (miss.kind == MissKind::goto_table &&
      (miss.next_table <= table || miss.next_table >= kMaxTables))
    throw Error("miss goto_table must go to a later table below " + std::to_string(kMaxTables),
                EINVAL, "/miss/table");
}

}  // namespace sluice
