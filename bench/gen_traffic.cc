// sluice-gen-traffic: writes a classic pcap of 64-byte (60 bytes + FCS on the
// wire) Ethernet/IPv4/UDP frames spread round-robin over N distinct 5-tuple
// flows, and optionally a flow-rule file in sluice's OVS-like text that the
// traffic hits. Used by scripts/bench; see bench/README.md.
//
// Flow i (0 <= i < 2^20) is, by construction unique per /29 of either address:
//   nw_src = 10.0.0.0   + (i << 3) + 1      (inside 10.0.0.0/9)
//   nw_dst = 10.128.0.0 + (i << 3) + 2      (inside 10.128.0.0/9)
//   tp_src = 1024 + i % 64512,  tp_dst = 5000 + i % 1000
// Packet p belongs to flow p % N, so every flow appears packets / N times.

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <iterator>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace sluice {
namespace {

constexpr uint32_t kMaxFlows = 1u << 20;
constexpr size_t kFrameLen = 60;  // 64 on the wire with the FCS
constexpr size_t kEthLen = 14, kIpLen = 20, kUdpLen = 8;
constexpr uint32_t kSrcBase = 0x0a000000;  // 10.0.0.0
constexpr uint32_t kDstBase = 0x0a800000;  // 10.128.0.0

using Mac = std::array<uint8_t, 6>;

struct Options {
  std::string out;
  uint32_t flows = 1;
  std::optional<uint64_t> packets;
  Mac eth_src{0x02, 0x00, 0x00, 0x00, 0x00, 0x01};
  Mac eth_dst{0x02, 0x00, 0x00, 0x00, 0x00, 0x02};
  std::string rules;                 // rule file: one rule per flow
  std::optional<uint32_t> wildcard;  // K: masked rules instead of exact ones
  uint32_t masks = 16;
  uint32_t out_port = 2;
};

struct Flow {
  uint32_t src, dst;
  uint16_t sport, dport;
};

Flow flow_of(uint32_t i) {
  return {kSrcBase + (i << 3) + 1, kDstBase + (i << 3) + 2, static_cast<uint16_t>(1024 + i % 64512),
          static_cast<uint16_t>(5000 + i % 1000)};
}

[[noreturn]] void usage_error(const std::string& msg) {
  throw std::invalid_argument(msg);
}

const char* usage() {
  return "usage: sluice-gen-traffic -o FILE.pcap [OPTIONS]\n"
         "  -o, --out FILE            pcap file to write (required)\n"
         "      --flows N             distinct UDP 5-tuples, 1..1048576 (default 1)\n"
         "      --packets M           frames in the file, a multiple of N (default: the\n"
         "                            smallest multiple of N that is >= 1024)\n"
         "      --eth-src MAC         source MAC (default 02:00:00:00:00:01)\n"
         "      --eth-dst MAC         destination MAC (default 02:00:00:00:00:02)\n"
         "      --rules FILE          write one exact 5-tuple rule per flow to FILE\n"
         "      --wildcard-rules K    write K masked rules instead, one per flow (--flows\n"
         "                            defaults to K and must equal it)\n"
         "      --masks M             distinct masks of those rules, 1..16 (default 16)\n"
         "      --out-port N          output port of every rule (default 2)\n"
         "  -h, --help                print this help\n";
}

uint64_t parse_uint(std::string_view flag, std::string_view s, uint64_t lo, uint64_t hi) {
  uint64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || end != s.data() + s.size() || v < lo || v > hi)
    usage_error(std::string(flag) + ": '" + std::string(s) + "' is not a number in " +
                std::to_string(lo) + ".." + std::to_string(hi));
  return v;
}

Mac parse_mac(std::string_view flag, std::string_view s) {
  Mac mac{};
  unsigned b[6];
  char tail;
  if (s.size() != 17 || std::sscanf(std::string(s).c_str(), "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0],
                                    &b[1], &b[2], &b[3], &b[4], &b[5], &tail) != 6)
    usage_error(std::string(flag) + ": '" + std::string(s) + "' is not a MAC (xx:xx:xx:xx:xx:xx)");
  for (int k = 0; k < 6; ++k) mac[k] = static_cast<uint8_t>(b[k]);
  return mac;
}

Options parse_args(int argc, char** argv) {
  Options o;
  bool have_masks = false, have_flows = false;
  for (int k = 1; k < argc; ++k) {
    std::string_view arg = argv[k];
    if (arg == "-h" || arg == "--help") {
      std::cout << usage();
      std::exit(0);
    }
    if (k + 1 >= argc) usage_error(std::string(arg) + ": unknown option or missing value");
    std::string_view v = argv[++k];
    if (arg == "-o" || arg == "--out") {
      o.out = v;
    } else if (arg == "--flows") {
      o.flows = static_cast<uint32_t>(parse_uint(arg, v, 1, kMaxFlows));
      have_flows = true;
    } else if (arg == "--packets") {
      o.packets = parse_uint(arg, v, 1, 1u << 26);
    } else if (arg == "--eth-src") {
      o.eth_src = parse_mac(arg, v);
    } else if (arg == "--eth-dst") {
      o.eth_dst = parse_mac(arg, v);
    } else if (arg == "--rules") {
      o.rules = v;
    } else if (arg == "--wildcard-rules") {
      o.wildcard = static_cast<uint32_t>(parse_uint(arg, v, 1, kMaxFlows));
    } else if (arg == "--masks") {
      o.masks = static_cast<uint32_t>(parse_uint(arg, v, 1, 16));
      have_masks = true;
    } else if (arg == "--out-port") {
      o.out_port = static_cast<uint32_t>(parse_uint(arg, v, 1, 0xffff));
    } else {
      usage_error(std::string(arg) + ": unknown option");
    }
  }
  if (o.out.empty()) usage_error("--out FILE is required");
  if (have_masks && !o.wildcard) usage_error("--masks needs --wildcard-rules K");
  if (o.wildcard) {
    if (o.rules.empty()) usage_error("--wildcard-rules needs --rules FILE");
    if (!have_flows) o.flows = *o.wildcard;
    if (o.flows != *o.wildcard)
      usage_error("--wildcard-rules " + std::to_string(*o.wildcard) + " needs --flows " +
                  std::to_string(*o.wildcard) + " (one flow per rule, each rule hit)");
    if (*o.wildcard < o.masks)
      usage_error("--wildcard-rules " + std::to_string(*o.wildcard) + " is fewer than --masks " +
                  std::to_string(o.masks) + " (every mask needs a rule)");
  }
  if (o.packets && *o.packets % o.flows != 0)
    usage_error("--packets " + std::to_string(*o.packets) + " is not a multiple of --flows " +
                std::to_string(o.flows) + " (every flow must appear equally often)");
  return o;
}

void put16(uint8_t* p, uint16_t v) {
  p[0] = static_cast<uint8_t>(v >> 8);
  p[1] = static_cast<uint8_t>(v);
}

void put32(uint8_t* p, uint32_t v) {
  put16(p, static_cast<uint16_t>(v >> 16));
  put16(p + 2, static_cast<uint16_t>(v));
}

// One's-complement sum of big-endian 16-bit words, not yet folded.
uint32_t sum16(const uint8_t* p, size_t len, uint32_t sum = 0) {
  for (size_t k = 0; k + 1 < len; k += 2) sum += static_cast<uint32_t>(p[k] << 8 | p[k + 1]);
  if (len & 1) sum += static_cast<uint32_t>(p[len - 1] << 8);
  return sum;
}

uint16_t fold(uint32_t sum) {
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(~sum);
}

// Builds the 60-byte frame of `f`: IPv4 total length 46, UDP length 26 with
// an 18-byte zero payload; both checksums are correct.
std::array<uint8_t, kFrameLen> build_frame(const Options& o, const Flow& f) {
  std::array<uint8_t, kFrameLen> frame{};
  uint8_t* eth = frame.data();
  std::copy(o.eth_dst.begin(), o.eth_dst.end(), eth);
  std::copy(o.eth_src.begin(), o.eth_src.end(), eth + 6);
  put16(eth + 12, 0x0800);

  uint8_t* ip = eth + kEthLen;
  const uint16_t ip_len = kFrameLen - kEthLen;
  ip[0] = 0x45;
  put16(ip + 2, ip_len);
  put16(ip + 6, 0x4000);  // DF
  ip[8] = 64;
  ip[9] = 17;
  put32(ip + 12, f.src);
  put32(ip + 16, f.dst);
  put16(ip + 10, fold(sum16(ip, kIpLen)));

  uint8_t* udp = ip + kIpLen;
  const uint16_t udp_len = ip_len - kIpLen;
  put16(udp, f.sport);
  put16(udp + 2, f.dport);
  put16(udp + 4, udp_len);
  // Pseudo-header: addresses, protocol, UDP length.
  uint32_t sum = sum16(ip + 12, 8);
  sum += 17 + udp_len;
  uint16_t csum = fold(sum16(udp, udp_len, sum));
  put16(udp + 6, csum == 0 ? 0xffff : csum);
  return frame;
}

void put_le32(std::ostream& out, uint32_t v) {
  const char b[4] = {static_cast<char>(v), static_cast<char>(v >> 8), static_cast<char>(v >> 16),
                     static_cast<char>(v >> 24)};
  out.write(b, 4);
}

void put_le16(std::ostream& out, uint16_t v) {
  const char b[2] = {static_cast<char>(v), static_cast<char>(v >> 8)};
  out.write(b, 2);
}

std::ofstream open_out(const std::string& file) {
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  if (!out) throw std::runtime_error(file + ": cannot create it: " + std::strerror(errno));
  return out;
}

void close_out(std::ofstream& out, const std::string& file) {
  out.close();
  if (!out) throw std::runtime_error(file + ": write failed");
}

// Classic pcap (microsecond timestamps, LINKTYPE_ETHERNET), host little-endian.
void write_pcap(const Options& o, uint64_t packets) {
  std::vector<std::array<uint8_t, kFrameLen>> frames;
  frames.reserve(o.flows);
  for (uint32_t i = 0; i < o.flows; ++i) frames.push_back(build_frame(o, flow_of(i)));

  std::ofstream out = open_out(o.out);
  put_le32(out, 0xa1b2c3d4);
  put_le16(out, 2);
  put_le16(out, 4);
  put_le32(out, 0);      // thiszone
  put_le32(out, 0);      // sigfigs
  put_le32(out, 65535);  // snaplen
  put_le32(out, 1);      // LINKTYPE_ETHERNET
  for (uint64_t p = 0; p < packets; ++p) {
    put_le32(out, static_cast<uint32_t>(p / 1000000));
    put_le32(out, static_cast<uint32_t>(p % 1000000));
    put_le32(out, kFrameLen);
    put_le32(out, kFrameLen);
    const auto& frame = frames[p % o.flows];
    out.write(reinterpret_cast<const char*>(frame.data()), frame.size());
  }
  close_out(out, o.out);
}

std::string ipv4(uint32_t a) {
  return std::to_string(a >> 24) + "." + std::to_string(a >> 16 & 0xff) + "." +
         std::to_string(a >> 8 & 0xff) + "." + std::to_string(a & 0xff);
}

std::string prefix(uint32_t a, unsigned len) {
  uint32_t mask = len == 0 ? 0 : ~0u << (32 - len);
  return ipv4(a & mask) + "/" + std::to_string(len);
}

std::string hex(unsigned v) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "0x%04x", v);
  return buf;
}

void write_exact_rules(const Options& o) {
  std::ofstream out = open_out(o.rules);
  for (uint32_t i = 0; i < o.flows; ++i) {
    Flow f = flow_of(i);
    out << "table=0,priority=100,udp,nw_src=" << ipv4(f.src) << ",nw_dst=" << ipv4(f.dst)
        << ",tp_src=" << f.sport << ",tp_dst=" << f.dport << ",actions=output:" << o.out_port
        << '\n';
  }
  close_out(out, o.rules);
}

// The wildcard masks: address prefix lengths (0: field absent) and an
// optional L4 port match. Every mask keeps one address at /29 or longer, so
// each rule matches exactly its own flow (see the header comment).
enum class PortMatch { none, sport, dport, sport_fc00, dport_ff00 };
struct WildcardMask {
  unsigned src_len, dst_len;
  PortMatch port;
};
constexpr WildcardMask kWildcardMasks[] = {
    {32, 0, PortMatch::none},       {31, 0, PortMatch::none},       {30, 0, PortMatch::none},
    {29, 0, PortMatch::none},       {0, 32, PortMatch::none},       {0, 31, PortMatch::none},
    {0, 30, PortMatch::none},       {0, 29, PortMatch::none},       {29, 16, PortMatch::none},
    {8, 29, PortMatch::none},       {30, 0, PortMatch::dport},      {0, 30, PortMatch::sport},
    {32, 0, PortMatch::sport_fc00}, {0, 31, PortMatch::dport_ff00}, {29, 29, PortMatch::none},
    {31, 24, PortMatch::none},
};
static_assert(std::size(kWildcardMasks) == 16, "--masks allows 1..16");

std::string wildcard_match(const WildcardMask& m, const Flow& f) {
  std::string s;
  if (m.src_len) s += ",nw_src=" + prefix(f.src, m.src_len);
  if (m.dst_len) s += ",nw_dst=" + prefix(f.dst, m.dst_len);
  switch (m.port) {
    case PortMatch::none:
      break;
    case PortMatch::sport:
      s += ",tp_src=" + std::to_string(f.sport);
      break;
    case PortMatch::dport:
      s += ",tp_dst=" + std::to_string(f.dport);
      break;
    case PortMatch::sport_fc00:
      s += ",tp_src=" + hex(f.sport & 0xfc00u) + "/0xfc00";
      break;
    case PortMatch::dport_ff00:
      s += ",tp_dst=" + hex(f.dport & 0xff00u) + "/0xff00";
      break;
  }
  return s;
}

// Rule i uses mask i % masks; masks get distinct priorities (100 + mask) so
// the classifier's subtables have distinct maximum priorities.
void write_wildcard_rules(const Options& o) {
  std::ofstream out = open_out(o.rules);
  for (uint32_t i = 0; i < o.flows; ++i) {
    unsigned m = i % o.masks;
    out << "table=0,priority=" << 100 + m << ",udp" << wildcard_match(kWildcardMasks[m], flow_of(i))
        << ",actions=output:" << o.out_port << '\n';
  }
  close_out(out, o.rules);
}

int run(int argc, char** argv) {
  Options o = parse_args(argc, argv);
  uint64_t packets =
      o.packets.value_or((std::max<uint64_t>(1024, o.flows) + o.flows - 1) / o.flows * o.flows);
  write_pcap(o, packets);
  std::cerr << "sluice-gen-traffic: " << o.out << ": " << packets << " frames of " << kFrameLen
            << " bytes, " << o.flows << " flow(s)\n";
  if (o.wildcard) {
    write_wildcard_rules(o);
    std::cerr << "sluice-gen-traffic: " << o.rules << ": " << o.flows << " wildcard rule(s) over "
              << o.masks << " mask(s)\n";
  } else if (!o.rules.empty()) {
    write_exact_rules(o);
    std::cerr << "sluice-gen-traffic: " << o.rules << ": " << o.flows << " exact rule(s)\n";
  }
  return 0;
}

}  // namespace
}  // namespace sluice

int main(int argc, char** argv) {
  try {
    return sluice::run(argc, argv);
  } catch (const std::invalid_argument& e) {
    std::cerr << "sluice-gen-traffic: " << e.what() << " (see --help)\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "sluice-gen-traffic: " << e.what() << "\n";
    return 1;
  }
}
