// Kernel interface helpers for ports attached to a kernel interface (a veth
// end through net_af_packet or net_af_xdp).
//
// Why: with checksum offload, TSO or GSO on, the kernel hands such a port
// packets whose checksums are not filled in or that are larger than the MTU;
// forwarded as they are, the receiver drops them and TCP stalls. sluiced turns
// the offloads off on its own end and warns about the peer end.
//
// Offloads are reported by the names `ethtool -k` prints for them:
//   tx-checksumming               tx-checksum-{ipv4,ipv6,ip-generic,sctp,fcoe-crc}
//   scatter-gather                tx-scatter-gather, tx-scatter-gather-fraglist
//   tcp-segmentation-offload      tx-tcp{,-ecn,-mangleid,6,-accecn}-segmentation
//   tx-udp-segmentation           tx-udp-segmentation
//   generic-segmentation-offload  tx-generic-segmentation
//   generic-receive-offload       rx-gro
//   large-receive-offload         rx-lro
//   rx-checksumming               rx-checksum
// A group is "on" when any of its kernel features is active.
//
// All functions work in the calling thread's network namespace, use the
// SIOCETHTOOL ioctl and rtnetlink directly (no ethtool or ip programs), and
// are control-path only (they allocate, block briefly and throw).
#pragma once

#include <string>
#include <vector>

namespace sluice {

// True if an interface of that name exists in this network namespace.
bool kernel_interface_exists(const std::string& ifname);

// The offload groups above that are currently on, in the order listed above.
// Throws sluice::Error (errno in code(), path = ifname):
//   ENODEV  "no such interface IFNAME: create it or check the name"
//   other   "cannot read offloads of IFNAME: <strerror>"
std::vector<std::string> active_offloads(const std::string& ifname);

// Turns off every offload group above on `ifname` (features the driver does
// not let anyone change are left as they are and not reported). Returns the
// groups that were on before and are off now. Needs CAP_NET_ADMIN.
// Throws sluice::Error (errno in code(), path = ifname):
//   ENODEV  "no such interface IFNAME: create it or check the name"
//   EPERM   "cannot change offloads of IFNAME: operation not permitted (run as
//           root or with CAP_NET_ADMIN, or pass --keep-offloads)"
//   other   "cannot read|change offloads of IFNAME: <strerror>"
std::vector<std::string> disable_kernel_offloads(const std::string& ifname);

// If `ifname` is a veth, checks the other end (its peer), which may live in
// this or another network namespace. Returns one warning per problem, empty if
// none (or if `ifname` is not a veth):
//   - the peer still has tx-checksumming, tcp-segmentation-offload or
//     generic-segmentation-offload on; the warning names the peer, its netns
//     and the command that fixes it, e.g.
//     "peer of sw-a (eth0 in netns h1) still has tx-checksumming,
//      tcp-segmentation-offload on: TCP through the switch will stall; run: ip
//      netns exec h1 ethtool -K eth0 tx off tso off gso off"
//   - the peer's netns cannot be found (it is looked up among /run/netns/*,
//     then among the network namespaces of running processes, by netns id);
//     the warning says so and gives the fix to run inside that namespace.
// A peer in another netns is inspected from a short-lived thread that joins
// that netns, so the caller's namespace is never changed. Needs CAP_SYS_ADMIN
// to enter other namespaces.
// Throws sluice::Error (errno in code(), path = ifname):
//   ENODEV  "no such interface IFNAME: create it or check the name"
//   other   "cannot inspect IFNAME through rtnetlink: <reason>"
std::vector<std::string> peer_offload_warnings(const std::string& ifname);

}  // namespace sluice
