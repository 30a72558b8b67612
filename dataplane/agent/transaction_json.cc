#include "dataplane/agent/transaction_json.h"

#include <cerrno>
#include <nlohmann/json.hpp>
#include <set>

#include "common/rules/json.h"
#include "common/rules/text.h"

namespace sluice {
namespace {

using nlohmann::json;

[[noreturn]] void fail(const std::string& path, const std::string& message) {
  throw Error(path.empty() ? message : path + ": " + message, EINVAL, path);
}

// `e` (path relative to a sub-document) re-rooted at `base`.
Error rerooted(const Error& e, const std::string& base) {
  std::string message = e.what();
  const std::string old_prefix = e.path() + ": ";
  if (!e.path().empty() && message.rfind(old_prefix, 0) == 0)
    message = message.substr(old_prefix.size());
  const std::string path = base + e.path();
  return Error(path.empty() ? message : path + ": " + message, e.code(), path);
}

uint64_t cookie_mask_of(const json& op, const std::string& base) {
  return op.contains("cookie_mask") ? json_unsigned(op["cookie_mask"], base + "/cookie_mask",
                                                    ~uint64_t{0})
                                    : 0;
}

const json& required(const json& j, const std::string& base, const char* key) {
  auto it = j.find(key);
  if (it == j.end()) fail(base + "/" + key, std::string("missing member '") + key + "'");
  return *it;
}

std::optional<uint64_t> generation_of(const json& body) {
  if (!body.contains("generation")) return std::nullopt;
  return json_unsigned(body["generation"], "/generation", ~uint64_t{0});
}

void add_op(FlowRequest& request, const std::string& base, const json& op) {
  if (!op.is_object()) fail(base, "an operation is an object {\"op\":...}");
  const json& kind = required(op, base, "op");
  if (!kind.is_string()) fail(base + "/op", "expected a string");
  const std::string name = kind.get<std::string>();
  FlowRequest::Origin origin{base, base + "/rule", false};
  Transaction& txn = request.txn;
  if (name == "add" || name == "modify" || name == "modify_strict" || name == "delete" ||
      name == "delete_strict") {
    const bool add = name == "add";
    if (add)
      json_known_members(op, base, {"op", "rule"});
    else
      json_known_members(op, base, {"op", "rule", "cookie_mask"});
    const json& rj = required(op, base, "rule");
    origin.text = rj.is_string();
    Rule rule = rule_from_json_or_text(rj, origin.rule);
    const bool strict = name.ends_with("_strict");
    if (add) {
      txn.add(std::move(rule));
    } else if (name.starts_with("modify")) {
      txn.modify(std::move(rule), strict, cookie_mask_of(op, base));
    } else {
      if (!rule.actions.empty() || (rj.is_object() && rj.contains("actions")))
        fail(origin.rule + (origin.text ? "" : "/actions"), "a delete takes no actions");
      txn.remove(rule.table, rule.match, strict, rule.priority, rule.cookie,
                 cookie_mask_of(op, base));
    }
  } else if (name == "set_miss") {
    json_known_members(op, base, {"op", "table", "miss"});
    const auto table = static_cast<uint8_t>(
        json_unsigned(required(op, base, "table"), base + "/table", kMaxTables - 1));
    const TableMiss miss = miss_from_json(required(op, base, "miss"), base + "/miss");
    try {
      validate_miss(table, miss);
    } catch (const Error& e) {
      throw rerooted(e, base);
    }
    txn.set_miss(table, miss);
  } else if (name == "set_group") {
    json_known_members(op, base, {"op", "group"});
    origin.rule = base + "/group";
    txn.set_group(group_from_json(required(op, base, "group"), base + "/group"));
  } else if (name == "set_meter") {
    json_known_members(op, base, {"op", "meter"});
    origin.rule = base + "/meter";
    const MeterSpec m = meter_from_json(required(op, base, "meter"), base + "/meter");
    txn.set_meter(m.id, m.config);
    request.meters.emplace_back(m.id, m.config);
  } else if (name == "delete_group" || name == "delete_meter") {
    json_known_members(op, base, {"op", "id"});
    const auto id =
        static_cast<uint32_t>(json_unsigned(required(op, base, "id"), base + "/id", 0xffffffff));
    if (name == "delete_group") {
      txn.remove_group(id);
    } else {
      txn.remove_meter(id);
      request.meters.emplace_back(id, std::nullopt);
    }
  } else {
    fail(base + "/op",
         "unknown op '" + name +
             "' (add, modify, modify_strict, delete, delete_strict, set_miss, set_group, "
             "delete_group, set_meter, delete_meter)");
  }
  request.origins.push_back(origin);
}

}  // namespace

Rule rule_from_json_or_text(const json& j, const std::string& path) {
  if (j.is_string()) {
    try {
      return parse_rule(j.get<std::string>());
    } catch (const Error& e) {
      throw Error(path + ": " + e.what(), e.code() ? e.code() : EINVAL, path);
    }
  }
  if (!j.is_object()) fail(path, "a rule is an object or a string in the text form");
  try {
    return rule_from_json(j);
  } catch (const Error& e) {
    throw rerooted(e, path);
  }
}

FlowRequest transaction_from_json(const json& body) {
  if (!body.is_object()) fail("", "expected an object {\"ops\":[...]}");
  json_known_members(body, "", {"generation", "ops"});
  FlowRequest request;
  request.generation = generation_of(body);
  const json& ops = required(body, "", "ops");
  if (!ops.is_array()) fail("/ops", "expected an array of operations");
  for (size_t i = 0; i < ops.size(); ++i) add_op(request, "/ops/" + std::to_string(i), ops[i]);
  return request;
}

FlowRequest rules_from_json(const json& body) {
  FlowRequest request;
  if (body.is_object() && body.contains("text")) {
    json_known_members(body, "", {"text", "generation"});
    request.generation = generation_of(body);
    if (!body["text"].is_string()) fail("/text", "expected a string, one rule per line");
    std::vector<Rule> rules;
    try {
      rules = parse_rules(body["text"].get<std::string>());
    } catch (const Error& e) {
      throw Error(std::string("/text: ") + e.what(), EINVAL, "/text");
    }
    for (Rule& r : rules) {
      request.txn.add(std::move(r));
      request.origins.push_back({"/text", "/text", true});
    }
  } else if (body.is_object() && body.contains("rules")) {
    json_known_members(body, "", {"rules", "generation"});
    request.generation = generation_of(body);
    const json& rules = body["rules"];
    if (!rules.is_array()) fail("/rules", "expected an array of rules");
    for (size_t i = 0; i < rules.size(); ++i) {
      const std::string path = "/rules/" + std::to_string(i);
      request.txn.add(rule_from_json_or_text(rules[i], path));
      request.origins.push_back({path, path, rules[i].is_string()});
    }
  } else {
    request.txn.add(rule_from_json_or_text(body, ""));
    request.origins.push_back({"", "", body.is_string()});
  }
  return request;
}

Error commit_error(const Error& e, const FlowRequest& request, const PipelineVersion& version) {
  const auto& ops = request.txn.ops();
  if (e.code() == ENOENT) {
    // Replay the group and meter changes to find who refers to what is gone.
    std::set<uint32_t> groups, meters;
    for (const auto& g : version.groups) groups.insert(g->id);
    for (const auto& m : version.meters) meters.insert(m.id);
    for (const FlowMod& op : ops) {
      if (op.op == FlowMod::Op::set_group) groups.insert(op.group.id);
      if (op.op == FlowMod::Op::remove_group) groups.erase(op.id);
      if (op.op == FlowMod::Op::set_meter) meters.insert(op.id);
      if (op.op == FlowMod::Op::remove_meter) meters.erase(op.id);
    }
    for (size_t i = 0; i < ops.size(); ++i) {
      if (ops[i].op != FlowMod::Op::add && ops[i].op != FlowMod::Op::modify &&
          ops[i].op != FlowMod::Op::modify_strict)
        continue;
      const ActionList& actions = ops[i].rule.actions;
      for (size_t a = 0; a < actions.size(); ++a) {
        const bool group = actions[a].type == ActionType::group;
        const bool meter = actions[a].type == ActionType::meter;
        if ((group && !groups.count(actions[a].arg)) || (meter && !meters.count(actions[a].arg))) {
          const FlowRequest::Origin& o = request.origins[i];
          const std::string path = o.text ? o.rule : o.rule + "/actions/" + std::to_string(a);
          return Error(path + ": " + (group ? "group " : "meter ") +
                           std::to_string(actions[a].arg) + " does not exist",
                       EINVAL, path);
        }
      }
    }
    for (size_t i = 0; i < ops.size(); ++i) {
      if (ops[i].op == FlowMod::Op::remove_group || ops[i].op == FlowMod::Op::remove_meter) {
        const bool group = ops[i].op == FlowMod::Op::remove_group;
        if ((group && groups.count(ops[i].id)) || (!group && meters.count(ops[i].id))) continue;
        const std::string path = request.origins[i].op.empty() ? "" : request.origins[i].op + "/id";
        return Error((path.empty() ? "" : path + ": ") + std::string(group ? "group " : "meter ") +
                         std::to_string(ops[i].id) + " is still in use: " + e.what(),
                     EINVAL, path);
      }
    }
    return Error(e.what(), EINVAL, "");
  }
  // "/ops/N/rest" from Pipeline::commit: N indexes request.txn.
  const std::string& p = e.path();
  if (p.rfind("/ops/", 0) != 0) return e;
  const size_t end = p.find('/', 5);
  const size_t i = std::stoul(p.substr(5, end == std::string::npos ? std::string::npos : end - 5));
  if (i >= ops.size()) return e;
  std::string rest = end == std::string::npos ? "" : p.substr(end);
  const FlowRequest::Origin& o = request.origins[i];
  std::string path;
  switch (ops[i].op) {
    case FlowMod::Op::set_meter:
      path = o.rule + (rest.rfind("/meter", 0) == 0 ? rest.substr(6) : rest);
      break;
    case FlowMod::Op::set_miss:
    case FlowMod::Op::remove_group:
    case FlowMod::Op::remove_meter:
      path = o.op + rest;
      break;
    case FlowMod::Op::set_group: {
      // "/group/buckets/B/A" -> GROUP + "/buckets/B/actions/A"
      if (rest.rfind("/group", 0) == 0) rest = rest.substr(6);
      const std::string prefix = "/buckets/";
      if (rest.rfind(prefix, 0) == 0) {
        const size_t slash = rest.find('/', prefix.size());
        if (slash != std::string::npos) rest.insert(slash, "/actions");
      }
      path = o.rule + rest;
      break;
    }
    default:
      path = o.text ? o.rule : o.rule + rest;
      break;
  }
  std::string message = e.what();
  if (!p.empty() && message.rfind(p + ": ", 0) == 0) message = message.substr(p.size() + 2);
  return Error(path.empty() ? message : path + ": " + message, e.code(), path);
}

}  // namespace sluice
