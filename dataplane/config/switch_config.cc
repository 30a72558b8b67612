#include "dataplane/config/switch_config.h"

#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <string_view>

#include "common/error.h"

namespace sluice {
namespace {

using nlohmann::json;

struct Range {
  unsigned min;
  unsigned max;
  bool zero_ok;  // 0 allowed besides [min, max]
};

constexpr Range kWorkers{0, 127, true};
constexpr Range kMacAging{1, 86400, false};
constexpr Range kStatsInterval{0, 86400, true};
constexpr Range kMbufs{1024, 16777216, true};
constexpr Range kNfNumber{1, 255, false};
constexpr Range kBodyMib{1, 4096, false};

std::string range_text(const Range& r) {
  std::string span = "from " + std::to_string(r.min) + " to " + std::to_string(r.max);
  return r.zero_ok && r.min > 0 ? "0 or " + span : span;
}

bool in_range(const Range& r, unsigned long long v) {
  return (r.zero_ok && v == 0) || (v >= r.min && v <= r.max);
}

[[noreturn]] void fail_at(const std::string& path, const std::string& what) {
  throw Error(path.empty() ? what : path + ": " + what, EINVAL, path);
}

std::string resource_of(const PortSpec& port) {
  switch (port.kind) {
    case PortKind::kernel:
    case PortKind::afxdp:
      return "interface " + port.interface;
    case PortKind::vhost:
      return "socket " + port.text.substr(port.text.find(':') + 1);
    default:
      return "device " + port.devargs.substr(0, port.devargs.find(','));
  }
}

// Appends `port`, rejecting a name or a resource another port already has.
// `path` is prefixed to the message unless it is a flag.
void add_port(SwitchConfig& config, PortSpec port, const std::string& path) {
  const bool flag = path.rfind("-", 0) == 0;
  auto fail = [&](const std::string& what) {
    throw Error(flag ? what : path + ": " + what, EINVAL, path);
  };
  for (const auto& other : config.ports) {
    if (other.name == port.name)
      fail("duplicate port name \"" + port.name + "\": give each port a distinct NAME= prefix");
    if (resource_of(other) == resource_of(port))
      fail("ports \"" + other.name + "\" and \"" + port.name + "\" both use " + resource_of(port));
  }
  config.ports.push_back(std::move(port));
}

unsigned json_unsigned(const json& value, const std::string& path, const Range& range) {
  if (!value.is_number_integer())
    fail_at(path, "expected an unsigned integer, got " +
                      (value.is_number() ? value.dump() : std::string(value.type_name())));
  if (!value.is_number_unsigned() || !in_range(range, value.get<unsigned long long>()))
    fail_at(path, "must be " + range_text(range) + ", got " + value.dump());
  return value.get<unsigned>();
}

bool json_bool(const json& value, const std::string& path) {
  if (!value.is_boolean())
    fail_at(path, std::string("expected a boolean, got ") + value.type_name());
  return value.get<bool>();
}

std::string json_string(const json& value, const std::string& path) {
  if (!value.is_string()) fail_at(path, std::string("expected a string, got ") + value.type_name());
  return value.get<std::string>();
}

// Whether `format` ("text" or "json") asks for JSON lines.
bool stats_format_is_json(const std::string& format, const std::string& path) {
  if (format != "text" && format != "json")
    fail_at(path, "expected text or json, got \"" + format + "\"");
  return format == "json";
}

bool json_stats_format(const json& value, const std::string& path) {
  if (!value.is_string())
    fail_at(path, std::string("expected \"text\" or \"json\", got ") + value.type_name());
  return stats_format_is_json(value.get<std::string>(), path);
}

PortSpec json_port(const json& value, const std::string& path) {
  if (value.is_string()) {
    try {
      return parse_port_spec(value.get<std::string>());
    } catch (const Error& e) {
      fail_at(path, e.what());
    }
  }
  if (!value.is_object())
    fail_at(path, std::string("expected a spec string or an object, got ") + value.type_name());
  std::optional<std::string> name;
  std::optional<std::string> spec;
  for (const auto& [key, item] : value.items()) {
    const std::string item_path = path + "/" + key;
    if (key == "name")
      name = json_string(item, item_path);
    else if (key == "spec")
      spec = json_string(item, item_path);
    else
      fail_at(item_path, "unknown key (known keys: name, spec)");
  }
  if (!spec) fail_at(path, "missing \"spec\"");
  if (name) {
    auto eq = spec->find('=');
    if (eq != std::string::npos && spec->substr(0, eq).find_first_of(":,") == std::string::npos)
      fail_at(path + "/name", "the spec names the port too (NAME=); give the name once");
    if (auto problem = port_name_problem(*name); !problem.empty())
      fail_at(path + "/name", "port name \"" + *name + "\" " + problem);
  }
  try {
    return name ? parse_port_spec(*spec, *name) : parse_port_spec(*spec);
  } catch (const Error& e) {
    fail_at(path + "/spec", e.what());
  }
}

unsigned flag_unsigned(const std::string& flag, const std::string& value, const Range& range) {
  unsigned long long v = 0;
  const char* end = value.data() + value.size();
  auto [ptr, ec] = std::from_chars(value.data(), end, v);
  if (value.empty() || ec != std::errc() || ptr != end)
    fail_at(flag, "expected an integer " + range_text(range) + ", got \"" + value + "\"");
  if (!in_range(range, v)) fail_at(flag, "must be " + range_text(range) + ", got " + value);
  return static_cast<unsigned>(v);
}

std::vector<std::string> split_blanks(const std::string& text) {
  std::vector<std::string> words;
  std::istringstream in(text);
  std::string word;
  while (in >> word) words.push_back(word);
  return words;
}

// `what` and `flag` name the file in errors ("config file", "--config").
std::string read_file(const std::string& file, const std::string& what, const std::string& flag) {
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    int err = errno;
    throw Error(what + " \"" + file + "\": cannot read it: " + std::strerror(err), err, flag);
  }
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) throw Error(what + " \"" + file + "\": cannot read it", EIO, flag);
  return text.str();
}

// {"name", "class", "config"?, "number"?} of the "nfs" list.
NfSpec json_nf(const json& value, const std::string& path) {
  if (!value.is_object())
    fail_at(path,
            std::string("expected an object {\"name\", \"class\"}, got ") + value.type_name());
  NfSpec nf;
  nf.origin = path;
  for (const auto& [key, member] : value.items()) {
    const std::string at = path + "/" + key;
    if (key == "name") {
      nf.name = json_string(member, at);
    } else if (key == "class") {
      nf.class_name = json_string(member, at);
    } else if (key == "config") {
      if (!member.is_object())
        fail_at(at, std::string("expected an object, got ") + member.type_name());
      nf.config = member;
    } else if (key == "number") {
      nf.number = json_unsigned(member, at, kNfNumber);
    } else {
      fail_at(at, "unknown key (known keys: name, class, config, number)");
    }
  }
  if (nf.name.empty()) fail_at(path + "/name", "missing");
  if (nf.class_name.empty()) fail_at(path + "/class", "missing");
  return nf;
}

// --nf NAME=CLASS[:FILE]
NfSpec flag_nf(const std::string& flag, const std::string& value) {
  const std::size_t eq = value.find('=');
  if (eq == std::string::npos || eq == 0 || eq + 1 == value.size())
    fail_at(flag, "expected NAME=CLASS[:CONFIG-FILE], got \"" + value + "\"");
  NfSpec nf;
  nf.origin = flag + " " + value;
  nf.name = value.substr(0, eq);
  const std::string rest = value.substr(eq + 1);
  const std::size_t colon = rest.find(':');
  nf.class_name = rest.substr(0, colon);
  if (colon != std::string::npos) {
    const std::string file = rest.substr(colon + 1);
    const std::string text = read_file(file, "NF config file", flag);
    try {
      nf.config = json::parse(text);
    } catch (const json::parse_error& e) {
      fail_at(flag, "NF config file \"" + file + "\" is not valid JSON: " + e.what());
    }
  }
  return nf;
}

}  // namespace

const char* switch_usage() {
  return "usage: sluiced [OPTIONS] [-- EAL-ARGS...]\n"
         "  -p, --port [NAME=]SPEC        add a port (repeatable); SPEC is one of\n"
         "                                veth:IFACE kernel:IFACE afxdp:IFACE vhost:PATH\n"
         "                                pci:DDDD:BB:DD.F pcap:FILE pcap:rx=FILE,tx=FILE\n"
         "                                ring:NAME null net_DRIVER[,k=v...]\n"
         "  -c, --config FILE             JSON config file\n"
         "  -w, --workers N               forwarding workers, 0..127 (0: one per worker lcore)\n"
         "      --eal \"ARGS\"              EAL arguments as one string\n"
         "      --mac-aging SECONDS       MAC learning entry lifetime (default 300)\n"
         "      --stats-interval SECONDS  print port counters every SECONDS (0: on SIGUSR1)\n"
         "      --stats-format text|json  counters as a table (default) or JSON lines\n"
         "      --mbufs N                 mbuf pool size (0: sized from ports and queues)\n"
         "      --keep-offloads           keep checksum/TSO/GSO offloads on kernel ports\n"
         "      --flows FILE              flow table to load at start\n"
         "      --nf-plugin DIR           load every NF plugin (*.so) in DIR\n"
         "      --nf NAME=CLASS[:FILE]    create NF instance NAME of CLASS configured by the\n"
         "                                JSON in FILE (rules, --flows too, place it with\n"
         "                                nf:NAME or nf:NUMBER)\n"
         "      --listen ADDR:PORT        REST agent address (default 127.0.0.1:8181; none: off)\n"
         "      --token-file FILE         bearer token the REST agent requires (needed off\n"
         "                                loopback)\n"
         "      --max-body MIB            REST request body limit (default 16)\n"
         "      --max-routes-body MIB     the same for NF route tables (default 256: a\n"
         "                                million routes)\n"
         "  -h, --help                    print this help and exit\n"
         "  -V, --version                 print the version and exit\n";
}

void apply_config_json(const std::string& json_text, SwitchConfig& config) {
  json doc;
  try {
    doc = json::parse(json_text);
  } catch (const json::parse_error& e) {
    std::string what = e.what();
    if (auto close = what.find("] "); close != std::string::npos) what = what.substr(close + 2);
    fail_at("", "not valid JSON: " + what);
  }
  if (!doc.is_object())
    fail_at("", std::string("the config must be a JSON object, got ") + doc.type_name());

  SwitchConfig result = config;
  for (const auto& [key, value] : doc.items()) {
    const std::string path = "/" + key;
    if (key == "ports") {
      if (!value.is_array())
        fail_at(path, std::string("expected an array, got ") + value.type_name());
      for (std::size_t i = 0; i < value.size(); ++i) {
        const std::string port_path = path + "/" + std::to_string(i);
        add_port(result, json_port(value[i], port_path), port_path);
      }
    } else if (key == "workers") {
      result.workers = json_unsigned(value, path, kWorkers);
    } else if (key == "mac_aging") {
      result.mac_aging_s = json_unsigned(value, path, kMacAging);
    } else if (key == "stats_interval") {
      result.stats_interval_s = json_unsigned(value, path, kStatsInterval);
    } else if (key == "mbufs") {
      result.mbufs = json_unsigned(value, path, kMbufs);
    } else if (key == "stats_format") {
      result.stats_json = json_stats_format(value, path);
    } else if (key == "keep_offloads") {
      result.keep_offloads = json_bool(value, path);
    } else if (key == "flows") {
      result.flows_file = json_string(value, path);
    } else if (key == "listen") {
      result.listen = json_string(value, path);
    } else if (key == "token_file") {
      result.token_file = json_string(value, path);
    } else if (key == "max_body") {
      result.max_body_mib = json_unsigned(value, path, kBodyMib);
    } else if (key == "max_routes_body") {
      result.max_routes_body_mib = json_unsigned(value, path, kBodyMib);
    } else if (key == "nf_plugins") {
      if (!value.is_array())
        fail_at(path, std::string("expected an array of strings, got ") + value.type_name());
      for (std::size_t i = 0; i < value.size(); ++i)
        result.nf_plugin_dirs.push_back(json_string(value[i], path + "/" + std::to_string(i)));
    } else if (key == "nfs") {
      if (!value.is_array())
        fail_at(path, std::string("expected an array, got ") + value.type_name());
      for (std::size_t i = 0; i < value.size(); ++i)
        result.nfs.push_back(json_nf(value[i], path + "/" + std::to_string(i)));
    } else if (key == "eal") {
      if (!value.is_array())
        fail_at(path, std::string("expected an array of strings, got ") + value.type_name());
      result.eal_args.clear();
      for (std::size_t i = 0; i < value.size(); ++i)
        result.eal_args.push_back(json_string(value[i], path + "/" + std::to_string(i)));
    } else {
      fail_at(path,
              "unknown key (known keys: ports, workers, mac_aging, stats_interval, stats_format, "
              "mbufs, keep_offloads, flows, listen, token_file, max_body, max_routes_body, eal, "
              "nf_plugins, nfs)");
    }
  }
  config = std::move(result);
}

SwitchConfig parse_switch_config(int argc, const char* const* argv) {
  std::vector<std::string> args;
  for (int i = 1; i < argc; ++i) args.emplace_back(argv[i] ? argv[i] : "");

  SwitchConfig config;
  for (const auto& arg : args) {
    if (arg == "--") break;
    if (arg == "-h" || arg == "--help") config.show_help = true;
    if (arg == "-V" || arg == "--version") config.show_version = true;
  }
  if (config.show_help || config.show_version) return config;

  struct Flag {
    const char* long_name;
    char short_name;
    bool takes_value;
  };
  static constexpr Flag kFlags[] = {
      {"--port", 'p', true},       {"--config", 'c', true},       {"--workers", 'w', true},
      {"--eal", 0, true},          {"--mac-aging", 0, true},      {"--stats-interval", 0, true},
      {"--mbufs", 0, true},        {"--keep-offloads", 0, false}, {"--flows", 0, true},
      {"--stats-format", 0, true}, {"--listen", 0, true},         {"--token-file", 0, true},
      {"--nf-plugin", 0, true},    {"--nf", 0, true},             {"--max-body", 0, true},
      {"--max-routes-body", 0, true},
  };

  std::vector<std::pair<std::string, PortSpec>> cli_ports;
  std::vector<std::string> cli_eal;
  std::vector<std::string> cli_nf_plugins;
  std::vector<NfSpec> cli_nfs;
  std::optional<std::string> config_file;
  std::optional<unsigned> workers, mac_aging, stats_interval, mbufs, max_body, max_routes_body;
  std::optional<std::string> flows, listen, token_file;
  bool keep_offloads = false;
  std::optional<bool> stats_json;

  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--") {
      cli_eal.insert(cli_eal.end(), args.begin() + static_cast<std::ptrdiff_t>(i) + 1, args.end());
      break;
    }
    const Flag* flag = nullptr;
    std::optional<std::string> value;
    if (arg.rfind("--", 0) == 0) {
      std::string name = arg.substr(0, arg.find('='));
      for (const auto& f : kFlags)
        if (name == f.long_name) flag = &f;
      if (!flag) throw Error("unknown option \"" + arg + "\" (see --help)", EINVAL, arg);
      if (name.size() < arg.size()) value = arg.substr(name.size() + 1);
    } else if (arg.size() >= 2 && arg[0] == '-') {
      for (const auto& f : kFlags)
        if (f.short_name == arg[1]) flag = &f;
      if (!flag) throw Error("unknown option \"" + arg + "\" (see --help)", EINVAL, arg);
      if (arg.size() > 2) value = arg.substr(2);
    } else {
      throw Error("unexpected argument \"" + arg + "\" (EAL arguments go after --)", EINVAL, arg);
    }

    const std::string flag_name = flag->long_name;
    if (!flag->takes_value) {
      if (value) fail_at(flag_name, "takes no value");
      keep_offloads = true;
      continue;
    }
    if (!value) {
      if (i + 1 >= args.size()) fail_at(flag_name, "needs a value");
      value = args[++i];
    }

    if (flag_name == "--port") {
      try {
        cli_ports.emplace_back(flag_name, parse_port_spec(*value));
      } catch (const Error& e) {
        fail_at(flag_name, e.what());
      }
    } else if (flag_name == "--config") {
      if (value->empty()) fail_at(flag_name, "needs a file name");
      config_file = *value;
    } else if (flag_name == "--workers") {
      workers = flag_unsigned(flag_name, *value, kWorkers);
    } else if (flag_name == "--eal") {
      auto words = split_blanks(*value);
      cli_eal.insert(cli_eal.end(), words.begin(), words.end());
    } else if (flag_name == "--mac-aging") {
      mac_aging = flag_unsigned(flag_name, *value, kMacAging);
    } else if (flag_name == "--stats-interval") {
      stats_interval = flag_unsigned(flag_name, *value, kStatsInterval);
    } else if (flag_name == "--stats-format") {
      stats_json = stats_format_is_json(*value, flag_name);
    } else if (flag_name == "--mbufs") {
      mbufs = flag_unsigned(flag_name, *value, kMbufs);
    } else if (flag_name == "--flows") {
      if (value->empty()) fail_at(flag_name, "needs a file name");
      flows = *value;
    } else if (flag_name == "--nf-plugin") {
      if (value->empty()) fail_at(flag_name, "needs a directory");
      cli_nf_plugins.push_back(*value);
    } else if (flag_name == "--nf") {
      cli_nfs.push_back(flag_nf(flag_name, *value));
    } else if (flag_name == "--listen") {
      if (value->empty()) fail_at(flag_name, "needs ADDRESS:PORT or none");
      listen = *value;
    } else if (flag_name == "--token-file") {
      if (value->empty()) fail_at(flag_name, "needs a file name");
      token_file = *value;
    } else if (flag_name == "--max-body") {
      max_body = flag_unsigned(flag_name, *value, kBodyMib);
    } else if (flag_name == "--max-routes-body") {
      max_routes_body = flag_unsigned(flag_name, *value, kBodyMib);
    }
  }

  if (config_file) {
    const std::string text = read_file(*config_file, "config file", "--config");
    try {
      apply_config_json(text, config);
    } catch (const Error& e) {
      throw Error("config file \"" + *config_file + "\": " + e.what(), e.code(), e.path());
    }
  }
  for (auto& [path, port] : cli_ports) add_port(config, std::move(port), path);
  if (!cli_eal.empty()) config.eal_args = std::move(cli_eal);
  config.nf_plugin_dirs.insert(config.nf_plugin_dirs.end(), cli_nf_plugins.begin(),
                               cli_nf_plugins.end());
  config.nfs.insert(config.nfs.end(), cli_nfs.begin(), cli_nfs.end());
  if (workers) config.workers = *workers;
  if (mac_aging) config.mac_aging_s = *mac_aging;
  if (stats_interval) config.stats_interval_s = *stats_interval;
  if (mbufs) config.mbufs = *mbufs;
  if (flows) config.flows_file = *flows;
  if (keep_offloads) config.keep_offloads = true;
  if (stats_json) config.stats_json = *stats_json;
  if (listen) config.listen = *listen;
  if (token_file) config.token_file = *token_file;
  if (max_body) config.max_body_mib = *max_body;
  if (max_routes_body) config.max_routes_body_mib = *max_routes_body;
  if (!config.token_file.empty()) {
    std::string token = read_file(config.token_file, "token file", "--token-file");
    token.erase(token.find_last_not_of(" \t\r\n") + 1);
    if (token.empty()) {
      throw Error("token file \"" + config.token_file + "\" is empty: put the bearer token in it",
                  EINVAL, "--token-file");
    }
    config.token = std::move(token);
  }
  return config;
}

}  // namespace sluice
