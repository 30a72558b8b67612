#include "dataplane/port/port_spec.h"

#include <cerrno>
#include <cstdio>
#include <optional>

#include "common/error.h"

namespace sluice {
namespace {

constexpr std::size_t kMaxNameLen = 15;
constexpr std::size_t kMaxIfaceLen = 15;
constexpr std::size_t kMaxRingNameLen = 8;

[[noreturn]] void fail(std::string_view spec, const std::string& what) {
  throw Error("port spec \"" + std::string(spec) + "\": " + what, EINVAL, std::string(spec));
}

bool is_letter(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
bool is_digit(char c) {
  return c >= '0' && c <= '9';
}
bool is_name_char(char c) {
  return is_letter(c) || is_digit(c) || c == '_' || c == '.' || c == '-';
}

bool starts_with(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

std::string basename_stem(std::string_view path) {
  auto slash = path.rfind('/');
  if (slash != std::string_view::npos) path.remove_prefix(slash + 1);
  auto dot = path.rfind('.');
  if (dot != std::string_view::npos && dot != 0) path = path.substr(0, dot);
  return std::string(path);
}

void check_interface(std::string_view spec, std::string_view iface) {
  if (iface.empty()) fail(spec, "empty interface name");
  if (iface.size() > kMaxIfaceLen)
    fail(spec, "interface name \"" + std::string(iface) + "\" is longer than 15 characters");
  if (iface == "." || iface == "..")
    fail(spec, "\"" + std::string(iface) + "\" is not an interface name");
  for (char c : iface) {
    if (c == '/' || c == ':' || c == ',' || c == '=' || c == ' ' || c == '\t' || c == '\n')
      fail(spec, "interface name \"" + std::string(iface) + "\" contains '" + c + "'");
  }
}

void check_path(std::string_view spec, std::string_view path, const char* what) {
  if (path.empty()) fail(spec, std::string("empty ") + what);
  for (char c : path) {
    if (c == ',' || c == '=')
      fail(spec, std::string(what) + " \"" + std::string(path) + "\" contains '" + c +
                     "', which DPDK devargs cannot carry");
  }
}

bool parse_hex(std::string_view s, std::size_t digits, unsigned max, unsigned& out) {
  if (s.size() != digits) return false;
  unsigned v = 0;
  for (char c : s) {
    unsigned d;
    if (is_digit(c))
      d = c - '0';
    else if (c >= 'a' && c <= 'f')
      d = c - 'a' + 10;
    else if (c >= 'A' && c <= 'F')
      d = c - 'A' + 10;
    else
      return false;
    v = v * 16 + d;
  }
  if (v > max) return false;
  out = v;
  return true;
}

void parse_pci(std::string_view spec, std::string_view rest, PortSpec& port,
               std::string& default_name) {
  std::string_view addr = rest.substr(0, rest.find(','));
  std::string_view extra =
      addr.size() < rest.size() ? rest.substr(addr.size()) : std::string_view{};
  const std::string bad = "bad PCI address \"" + std::string(addr) + "\": expected DDDD:BB:DD.F";
  unsigned domain = 0, bus = 0, dev = 0, fn = 0;
  std::string_view a = addr;
  auto colon1 = a.find(':');
  auto colon2 = colon1 == std::string_view::npos ? colon1 : a.find(':', colon1 + 1);
  if (colon2 != std::string_view::npos) {
    if (!parse_hex(a.substr(0, colon1), 4, 0xffff, domain)) fail(spec, bad);
    a.remove_prefix(colon1 + 1);
  }
  auto colon = a.find(':');
  auto dot = a.find('.');
  if (colon == std::string_view::npos || dot == std::string_view::npos || dot < colon)
    fail(spec, bad);
  if (!parse_hex(a.substr(0, colon), 2, 0xff, bus) ||
      !parse_hex(a.substr(colon + 1, dot - colon - 1), 2, 0x1f, dev) ||
      !parse_hex(a.substr(dot + 1), 1, 7, fn))
    fail(spec, bad);
  if (extra == ",") fail(spec, "empty driver devargs after the PCI address");
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04x:%02x:%02x.%x", domain, bus, dev, fn);
  port.devargs = std::string(buf) + std::string(extra);
  if (domain == 0)
    std::snprintf(buf, sizeof buf, "pci-%02x-%02x-%x", bus, dev, fn);
  else
    std::snprintf(buf, sizeof buf, "pci-%04x-%02x-%02x-%x", domain, bus, dev, fn);
  default_name = buf;
}

void parse_pcap(std::string_view spec, std::string_view rest, std::string& rx, std::string& tx,
                bool& loop) {
  if (!starts_with(rest, "rx=") && !starts_with(rest, "tx=")) {
    check_path(spec, rest, "pcap file");
    rx = rest;
    loop = true;
    return;
  }
  bool have_rx = false, have_tx = false;
  while (!rest.empty()) {
    std::string_view item = rest.substr(0, rest.find(','));
    rest.remove_prefix(item.size() < rest.size() ? item.size() + 1 : item.size());
    auto eq = item.find('=');
    std::string_view key = item.substr(0, eq);
    std::string_view value =
        eq == std::string_view::npos ? std::string_view{} : item.substr(eq + 1);
    bool* seen;
    std::string* out;
    if (key == "rx") {
      seen = &have_rx;
      out = &rx;
    } else if (key == "tx") {
      seen = &have_tx;
      out = &tx;
    } else {
      fail(spec, "unknown pcap option \"" + std::string(key) + "\" (expected rx=FILE, tx=FILE)");
    }
    if (*seen) fail(spec, std::string(key) + "= given twice");
    if (eq == std::string_view::npos || value.empty())
      fail(spec, "empty " + std::string(key) + " file");
    *seen = true;
    *out = value;
  }
}

}  // namespace

const char* port_kind_name(PortKind kind) {
  switch (kind) {
    case PortKind::kernel:
      return "kernel";
    case PortKind::afxdp:
      return "afxdp";
    case PortKind::vhost:
      return "vhost";
    case PortKind::pci:
      return "pci";
    case PortKind::pcap:
      return "pcap";
    case PortKind::ring:
      return "ring";
    case PortKind::null:
      return "null";
    case PortKind::devargs:
      return "devargs";
  }
  return "unknown";
}

std::string port_name_problem(std::string_view name) {
  if (name.empty()) return "is empty";
  if (name.size() > kMaxNameLen) return "is longer than 15 characters";
  if (!is_letter(name[0])) return "must start with a letter";
  for (char c : name) {
    if (!is_name_char(c))
      return std::string("contains '") + c + "' (allowed: letters, digits, '_', '.', '-')";
  }
  return {};
}

std::string PortSpec::devargs_for(unsigned queues) const {
  if (queues == 0) return devargs;
  switch (kind) {
    case PortKind::kernel:
      return devargs + ",qpairs=" + std::to_string(queues);
    case PortKind::afxdp:
      return devargs + ",queue_count=" + std::to_string(queues);
    case PortKind::vhost:
      return devargs + ",queues=" + std::to_string(queues);
    default:
      return devargs;
  }
}

namespace {

PortSpec parse(std::string_view text, std::optional<std::string_view> given_name) {
  const std::string_view whole = text;
  std::string explicit_name;
  bool named = false;
  auto eq = text.find('=');
  if (eq != std::string_view::npos &&
      text.substr(0, eq).find_first_of(":,") == std::string_view::npos) {
    if (given_name) fail(whole, "the spec names the port (NAME=) and a name is given too");
    explicit_name = text.substr(0, eq);
    named = true;
    text.remove_prefix(eq + 1);
  } else if (given_name) {
    explicit_name = *given_name;
    named = true;
  }
  if (named) {
    if (auto problem = port_name_problem(explicit_name); !problem.empty())
      fail(whole, "port name \"" + explicit_name + "\" " + problem);
  }
  if (text.empty()) fail(whole, named ? "nothing after NAME=" : "empty spec");

  PortSpec port;
  port.text = text;
  std::string default_name;
  auto colon = text.find(':');
  std::string_view prefix = colon == std::string_view::npos ? text : text.substr(0, colon);
  std::string_view rest =
      colon == std::string_view::npos ? std::string_view{} : text.substr(colon + 1);

  if (colon != std::string_view::npos &&
      (prefix == "veth" || prefix == "kernel" || prefix == "afxdp")) {
    check_interface(whole, rest);
    port.kind = prefix == "afxdp" ? PortKind::afxdp : PortKind::kernel;
    port.interface = rest;
    default_name = rest;
  } else if (colon != std::string_view::npos && prefix == "vhost") {
    check_path(whole, rest, "socket path");
    port.kind = PortKind::vhost;
    default_name = basename_stem(rest);
  } else if (colon != std::string_view::npos && prefix == "pci") {
    port.kind = PortKind::pci;
    parse_pci(whole, rest, port, default_name);
  } else if (colon != std::string_view::npos && prefix == "pcap") {
    port.kind = PortKind::pcap;
    std::string rx, tx;
    bool loop = false;
    parse_pcap(whole, rest, rx, tx, loop);
    default_name = basename_stem(rx.empty() ? tx : rx);
    port.devargs = (rx.empty() ? std::string{} : ",rx_pcap=" + rx) +
                   (tx.empty() ? std::string{} : ",tx_pcap=" + tx) + (loop ? ",infinite_rx=1" : "");
  } else if (colon != std::string_view::npos && prefix == "ring") {
    if (rest.empty()) fail(whole, "empty ring name");
    if (rest.size() > kMaxRingNameLen)
      fail(whole, "ring name \"" + std::string(rest) +
                      "\" is longer than 8 characters (DPDK's net_ring limit)");
    for (char c : rest) {
      if (!is_name_char(c))
        fail(whole, "ring name \"" + std::string(rest) + "\" contains '" + c +
                        "' (allowed: letters, digits, '_', '.', '-')");
    }
    port.kind = PortKind::ring;
    port.devargs = "net_ring_" + std::string(rest);
    default_name = rest;
  } else if (prefix == "null") {
    if (colon != std::string_view::npos) fail(whole, "\"null\" takes no argument");
    port.kind = PortKind::null;
    default_name = "null";
  } else if (starts_with(text, "net_") || starts_with(text, "eth_")) {
    port.kind = PortKind::devargs;
    port.devargs = text;
    default_name = text.substr(0, text.find(','));
  } else if (colon == std::string_view::npos &&
             (prefix == "veth" || prefix == "kernel" || prefix == "afxdp" || prefix == "vhost" ||
              prefix == "pci" || prefix == "pcap" || prefix == "ring")) {
    fail(whole, "\"" + std::string(prefix) + "\" needs an argument after ':'");
  } else if (colon != std::string_view::npos) {
    fail(whole, "unknown port type \"" + std::string(prefix) +
                    "\" (expected veth, kernel, afxdp, vhost, pci, pcap, ring, null or net_... "
                    "devargs)");
  } else {
    fail(whole,
         "not a port spec (expected veth:IFACE, kernel:IFACE, afxdp:IFACE, vhost:PATH, "
         "pci:ADDRESS, pcap:FILE, ring:NAME, null or net_... devargs)");
  }

  if (named) {
    port.name = explicit_name;
  } else {
    if (auto problem = port_name_problem(default_name); !problem.empty())
      fail(whole, "default port name \"" + default_name + "\" " + problem +
                      ": give the port a NAME= prefix");
    port.name = default_name;
  }

  switch (port.kind) {
    case PortKind::kernel:
      port.devargs = "net_af_packet_" + port.name + ",iface=" + port.interface;
      break;
    case PortKind::afxdp:
      port.devargs = "net_af_xdp_" + port.name + ",iface=" + port.interface + ",start_queue=0";
      break;
    case PortKind::vhost:
      port.devargs = "net_vhost_" + port.name + ",iface=" + std::string(rest) + ",client=0";
      break;
    case PortKind::pcap:
      port.devargs = "net_pcap_" + port.name + port.devargs;
      break;
    case PortKind::null:
      port.devargs = "net_null_" + port.name + ",no-rx=1";  // a sink: rx returns nothing
      break;
    default:
      break;
  }
  return port;
}

}  // namespace

PortSpec parse_port_spec(std::string_view text) {
  return parse(text, std::nullopt);
}

PortSpec parse_port_spec(std::string_view spec, std::string_view name) {
  return parse(spec, name);
}

}  // namespace sluice
