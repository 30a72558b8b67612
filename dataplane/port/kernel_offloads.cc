#include "dataplane/port/kernel_offloads.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/ethtool.h>
#include <linux/net_namespace.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/route/link.h>
#include <netlink/socket.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <set>
#include <thread>
#include <utility>

#include "common/error.h"

namespace sluice {
namespace {

struct OffloadGroup {
  const char* name;
  std::array<const char*, 5> features;
};

constexpr std::array<OffloadGroup, 8> kGroups{{
    {"tx-checksumming",
     {"tx-checksum-ipv4", "tx-checksum-ipv6", "tx-checksum-ip-generic", "tx-checksum-sctp",
      "tx-checksum-fcoe-crc"}},
    {"scatter-gather", {"tx-scatter-gather", "tx-scatter-gather-fraglist"}},
    {"tcp-segmentation-offload",
     {"tx-tcp-segmentation", "tx-tcp-ecn-segmentation", "tx-tcp-mangleid-segmentation",
      "tx-tcp6-segmentation", "tx-tcp-accecn-segmentation"}},
    {"tx-udp-segmentation", {"tx-udp-segmentation"}},
    {"generic-segmentation-offload", {"tx-generic-segmentation"}},
    {"generic-receive-offload", {"rx-gro"}},
    {"large-receive-offload", {"rx-lro"}},
    {"rx-checksumming", {"rx-checksum"}},
}};

constexpr std::array<const char*, 3> kPeerGroups{"tx-checksumming", "tcp-segmentation-offload",
                                                 "generic-segmentation-offload"};

class UniqueFd {
 public:
  explicit UniqueFd(int fd = -1) : fd_(fd) {}
  UniqueFd(UniqueFd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept {
    std::swap(fd_, other.fd_);
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }

 private:
  int fd_;
};

[[noreturn]] void throw_errno(const std::string& ifname, const char* what, int err) {
  if (err == ENODEV)
    throw Error("no such interface " + ifname + ": create it or check the name", err, ifname);
  if (err == EPERM)
    throw Error("cannot " + std::string(what) + " offloads of " + ifname +
                    ": operation not permitted (run as root or with CAP_NET_ADMIN, or pass "
                    "--keep-offloads)",
                err, ifname);
  throw Error("cannot " + std::string(what) + " offloads of " + ifname + ": " + std::strerror(err),
              err, ifname);
}

class Ethtool {
 public:
  explicit Ethtool(const std::string& ifname) : ifname_(ifname) {
    if (ifname.empty() || ifname.size() >= IFNAMSIZ) throw_errno(ifname, "read", ENODEV);
    sock_ = UniqueFd(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    if (sock_.get() < 0) throw_errno(ifname, "read", errno);
  }

  int call(void* data) const {
    ifreq ifr{};
    std::memcpy(ifr.ifr_name, ifname_.data(), ifname_.size());
    ifr.ifr_data = static_cast<char*>(data);
    int rc = ::ioctl(sock_.get(), SIOCETHTOOL, &ifr);
    return rc < 0 ? -errno : rc;
  }

 private:
  std::string ifname_;
  UniqueFd sock_;
};

struct Features {
  std::vector<std::string> names;
  std::vector<ethtool_get_features_block> blocks;

  std::optional<std::size_t> index(const char* name) const {
    for (std::size_t i = 0; i < names.size(); ++i)
      if (names[i] == name) return i;
    return std::nullopt;
  }
  static std::uint32_t bit(std::size_t i) { return 1u << (i % 32); }
  bool active(std::size_t i) const { return blocks[i / 32].active & bit(i); }
  bool changeable(std::size_t i) const { return blocks[i / 32].available & bit(i); }
};

Features read_features(const Ethtool& et, const std::string& ifname) {
  std::vector<std::uint64_t> buf(8);
  auto* info = reinterpret_cast<ethtool_sset_info*>(buf.data());
  info->cmd = ETHTOOL_GSSET_INFO;
  info->sset_mask = 1ULL << ETH_SS_FEATURES;
  if (int rc = et.call(info); rc < 0) throw_errno(ifname, "read", -rc);
  if (!(info->sset_mask & (1ULL << ETH_SS_FEATURES))) throw_errno(ifname, "read", EOPNOTSUPP);
  const std::uint32_t count = info->data[0];

  Features f;
  buf.assign((sizeof(ethtool_gstrings) + count * ETH_GSTRING_LEN) / 8 + 1, 0);
  auto* strings = reinterpret_cast<ethtool_gstrings*>(buf.data());
  strings->cmd = ETHTOOL_GSTRINGS;
  strings->string_set = ETH_SS_FEATURES;
  strings->len = count;
  if (int rc = et.call(strings); rc < 0) throw_errno(ifname, "read", -rc);
  for (std::uint32_t i = 0; i < count; ++i) {
    const char* s = reinterpret_cast<const char*>(strings->data) + i * ETH_GSTRING_LEN;
    f.names.emplace_back(s, strnlen(s, ETH_GSTRING_LEN));
  }

  const std::uint32_t nblocks = (count + 31) / 32;
  buf.assign((sizeof(ethtool_gfeatures) + nblocks * sizeof(ethtool_get_features_block)) / 8 + 1, 0);
  auto* gf = reinterpret_cast<ethtool_gfeatures*>(buf.data());
  gf->cmd = ETHTOOL_GFEATURES;
  gf->size = nblocks;
  if (int rc = et.call(gf); rc < 0) throw_errno(ifname, "read", -rc);
  f.blocks.assign(gf->features, gf->features + nblocks);
  return f;
}

std::vector<std::string> groups_on(const Features& f) {
  std::vector<std::string> on;
  for (const auto& group : kGroups) {
    for (const char* feature : group.features) {
      if (!feature) continue;
      auto i = f.index(feature);
      if (i && f.active(*i)) {
        on.emplace_back(group.name);
        break;
      }
    }
  }
  return on;
}

struct DirCloser {
  void operator()(DIR* d) const { ::closedir(d); }
};

using NlSock = std::unique_ptr<nl_sock, decltype(&nl_socket_free)>;
using NlLink = std::unique_ptr<rtnl_link, decltype(&rtnl_link_put)>;
using NlMsg = std::unique_ptr<nl_msg, decltype(&nlmsg_free)>;

NlSock route_socket(const std::string& ifname) {
  NlSock sock(nl_socket_alloc(), nl_socket_free);
  if (!sock)
    throw Error("cannot inspect " + ifname + " through rtnetlink: out of memory", ENOMEM, ifname);
  if (int err = nl_connect(sock.get(), NETLINK_ROUTE); err < 0)
    throw Error("cannot inspect " + ifname + " through rtnetlink: " + nl_geterror(err), 0, ifname);
  return sock;
}

struct NsidReply {
  std::int32_t nsid = -1;
  bool acked = false;
};

int nsid_reply(nl_msg* msg, void* arg) {
  nlattr* tb[NETNSA_MAX + 1];
  if (nlmsg_parse(nlmsg_hdr(msg), sizeof(rtgenmsg), tb, NETNSA_MAX, nullptr) == 0 &&
      tb[NETNSA_NSID])
    static_cast<NsidReply*>(arg)->nsid = static_cast<std::int32_t>(nla_get_u32(tb[NETNSA_NSID]));
  return NL_OK;
}

int nsid_ack(nl_msg*, void* arg) {
  static_cast<NsidReply*>(arg)->acked = true;
  return NL_STOP;
}

// The id this netns gives the namespace `ns_fd` refers to, or -1. Reads up to
// the ACK: nl_wait_for_ack() would return after the reply and leave the ACK
// queued for the next request.
std::int32_t nsid_of(nl_sock* sock, int ns_fd) {
  NlMsg msg(nlmsg_alloc_simple(RTM_GETNSID, NLM_F_REQUEST), nlmsg_free);
  if (!msg) return -1;
  rtgenmsg hdr{};
  hdr.rtgen_family = AF_UNSPEC;
  if (nlmsg_append(msg.get(), &hdr, sizeof hdr, NLMSG_ALIGNTO) < 0 ||
      nla_put_u32(msg.get(), NETNSA_FD, static_cast<std::uint32_t>(ns_fd)) < 0)
    return -1;
  NsidReply reply;
  nl_socket_modify_cb(sock, NL_CB_VALID, NL_CB_CUSTOM, nsid_reply, &reply);
  nl_socket_modify_cb(sock, NL_CB_ACK, NL_CB_CUSTOM, nsid_ack, &reply);
  if (nl_send_auto(sock, msg.get()) < 0) return -1;
  while (!reply.acked) {
    if (nl_recvmsgs_default(sock) < 0) return -1;
  }
  return reply.nsid;
}

struct PeerNetns {
  UniqueFd fd;
  std::string label;  // "netns h1" or "the netns of pid 42"
  std::string exec;   // command prefix that runs inside it
};

std::optional<PeerNetns> find_netns(std::int32_t nsid) {
  NlSock sock(nl_socket_alloc(), nl_socket_free);
  if (!sock || nl_connect(sock.get(), NETLINK_ROUTE) < 0) return std::nullopt;

  std::set<std::pair<dev_t, ino_t>> seen;
  struct stat st {};
  if (::stat("/proc/self/ns/net", &st) == 0) seen.emplace(st.st_dev, st.st_ino);

  auto try_path = [&](const std::string& path, std::string label,
                      std::string exec) -> std::optional<PeerNetns> {
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (fd.get() < 0 || ::fstat(fd.get(), &st) != 0) return std::nullopt;
    if (!seen.emplace(st.st_dev, st.st_ino).second) return std::nullopt;
    if (nsid_of(sock.get(), fd.get()) != nsid) return std::nullopt;
    return PeerNetns{std::move(fd), std::move(label), std::move(exec)};
  };

  auto scan = [&](const char* dir, bool pids) -> std::optional<PeerNetns> {
    std::unique_ptr<DIR, DirCloser> d(::opendir(dir));
    if (!d) return std::nullopt;
    while (dirent* e = ::readdir(d.get())) {
      std::string entry = e->d_name;
      if (entry == "." || entry == "..") continue;
      if (pids && entry.find_first_not_of("0123456789") != std::string::npos) continue;
      auto found = pids ? try_path(std::string(dir) + "/" + entry + "/ns/net",
                                   "the netns of pid " + entry, "nsenter -t " + entry + " -n ")
                        : try_path(std::string(dir) + "/" + entry, "netns " + entry,
                                   "ip netns exec " + entry + " ");
      if (found) return found;
    }
    return std::nullopt;
  };

  if (auto found = scan("/run/netns", false)) return found;
  return scan("/proc", true);
}

struct PeerState {
  std::string name;
  std::vector<std::string> on;
  std::string error;
};

PeerState inspect_peer(int ifindex) {
  PeerState state;
  char name[IF_NAMESIZE] = {};
  if (!if_indextoname(static_cast<unsigned>(ifindex), name)) {
    state.error =
        "no interface with index " + std::to_string(ifindex) + ": " + std::strerror(errno);
    return state;
  }
  state.name = name;
  try {
    state.on = active_offloads(state.name);
  } catch (const Error& e) {
    state.error = e.what();
  }
  return state;
}

PeerState inspect_peer_in(int ns_fd, int ifindex) {
  PeerState state;
  std::thread worker([&] {
    if (::setns(ns_fd, CLONE_NEWNET) != 0) {
      state.error = std::string("cannot enter it: ") + std::strerror(errno);
      return;
    }
    try {
      state = inspect_peer(ifindex);
    } catch (const std::exception& e) {
      state.error = e.what();
    }
  });
  worker.join();
  return state;
}

std::string fix_command(const std::string& exec, const std::string& peer) {
  return exec + "ethtool -K " + peer + " tx off tso off gso off";
}

}  // namespace

bool kernel_interface_exists(const std::string& ifname) {
  return !ifname.empty() && ifname.size() < IF_NAMESIZE && if_nametoindex(ifname.c_str()) != 0;
}

std::vector<std::string> active_offloads(const std::string& ifname) {
  Ethtool et(ifname);
  return groups_on(read_features(et, ifname));
}

std::vector<std::string> disable_kernel_offloads(const std::string& ifname) {
  Ethtool et(ifname);
  Features before = read_features(et, ifname);

  const std::uint32_t nblocks = static_cast<std::uint32_t>(before.blocks.size());
  std::vector<std::uint64_t> buf(
      (sizeof(ethtool_sfeatures) + nblocks * sizeof(ethtool_set_features_block)) / 8 + 1, 0);
  auto* sf = reinterpret_cast<ethtool_sfeatures*>(buf.data());
  sf->cmd = ETHTOOL_SFEATURES;
  sf->size = nblocks;
  bool any = false;
  for (const auto& group : kGroups) {
    for (const char* feature : group.features) {
      if (!feature) continue;
      auto i = before.index(feature);
      if (i && before.changeable(*i) && before.active(*i)) {
        sf->features[*i / 32].valid |= Features::bit(*i);
        any = true;
      }
    }
  }
  if (!any) return {};
  if (int rc = et.call(sf); rc < 0) throw_errno(ifname, "change", -rc);

  std::vector<std::string> was_on = groups_on(before);
  std::vector<std::string> now_on = groups_on(read_features(et, ifname));
  std::vector<std::string> changed;
  for (const auto& g : was_on)
    if (std::find(now_on.begin(), now_on.end(), g) == now_on.end()) changed.push_back(g);
  return changed;
}

std::vector<std::string> peer_offload_warnings(const std::string& ifname) {
  if (!kernel_interface_exists(ifname))
    throw Error("no such interface " + ifname + ": create it or check the name", ENODEV, ifname);
  NlSock sock = route_socket(ifname);
  rtnl_link* raw = nullptr;
  if (int err = rtnl_link_get_kernel(sock.get(), 0, ifname.c_str(), &raw); err < 0)
    throw Error("cannot inspect " + ifname + " through rtnetlink: " + nl_geterror(err), 0, ifname);
  NlLink link(raw, rtnl_link_put);
  const char* type = rtnl_link_get_type(link.get());
  if (!type || std::strcmp(type, "veth") != 0) return {};
  const int peer_index = rtnl_link_get_link(link.get());
  if (peer_index <= 0) return {};

  std::int32_t nsid = -1;
  PeerState peer;
  std::string where, exec;
  if (rtnl_link_get_link_netnsid(link.get(), &nsid) < 0 || nsid < 0) {
    peer = inspect_peer(peer_index);
  } else {
    auto netns = find_netns(nsid);
    if (!netns)
      return {"peer of " + ifname + " (ifindex " + std::to_string(peer_index) + " in netns id " +
              std::to_string(nsid) +
              ") is in a network namespace that is neither under /run/netns nor used by a "
              "process: cannot check its offloads; inside that namespace run: " +
              fix_command("", "<peer>")};
    peer = inspect_peer_in(netns->fd.get(), peer_index);
    where = " in " + netns->label;
    exec = netns->exec;
  }

  const std::string peer_name = peer.name.empty() ? "<peer>" : peer.name;
  if (!peer.error.empty())
    return {"peer of " + ifname + " (" + peer_name + where + ") could not be checked (" +
            peer.error + "); to be safe run: " + fix_command(exec, peer_name)};

  std::string on;
  for (const char* g : kPeerGroups) {
    if (std::find(peer.on.begin(), peer.on.end(), g) != peer.on.end())
      on += (on.empty() ? "" : ", ") + std::string(g);
  }
  if (on.empty()) return {};
  return {"peer of " + ifname + " (" + peer.name + where + ") still has " + on +
          " on: TCP through the switch will stall; run: " + fix_command(exec, peer.name)};
}

}  // namespace sluice
