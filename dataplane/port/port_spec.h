// Port specifications: what a user types to name a port, turned into the
// DPDK devargs that create it.
//
// Accepted forms of a spec (an optional "NAME=" prefix names the port):
//   veth:IFACE | kernel:IFACE   kernel interface through net_af_packet
//   afxdp:IFACE                 kernel interface through net_af_xdp
//   vhost:PATH                  vhost-user server socket for a VM (net_vhost)
//   pci:DDDD:BB:DD.F[,k=v...]   a PCI NIC (the address, allow-listed to EAL);
//                               "BB:DD.F" means domain 0000; k=v are driver
//                               devargs passed through
//   pcap:FILE                   replay FILE in a loop (rx) and drop tx
//   pcap:rx=FILE,tx=FILE        net_pcap with explicit files (either may be
//                               left out: no rx means rx returns nothing, no tx
//                               means tx drops)
//   ring:NAME                   net_ring port (rings created by the port); a
//                               loopback: what is sent comes back on rx
//   null                        net_null: rx returns nothing, tx drops
//   net_xxx[,k=v...] | eth_xxx[,k=v...]
//                               raw DPDK devargs, passed through unchanged
//
// The NAME= prefix is recognised when the text before the first '=' contains
// neither ':' nor ','. So "up=veth:a" names the port "up", while
// "pcap:rx=a.pcap" and "net_null0,size=64" have no prefix.
//
// Port names: 1 to 15 characters from [A-Za-z0-9_.-], the first a letter (so a
// name is never mistaken for a port number in a flow rule). Without NAME= the
// name is derived from the spec:
//   veth/kernel/afxdp  the interface name
//   vhost              the socket file's basename without its extension
//   pci                "pci-BB-DD-F" for domain 0000, else "pci-DDDD-BB-DD-F"
//                      (16 characters: too long, so such a port needs NAME=)
//   pcap               the rx file's (else the tx file's) basename without
//                      its extension
//   ring               the ring name
//   null               "null" (the config layer rejects duplicate names, so a
//                      second null port needs NAME=)
//   raw devargs        the text before the first ','
// A derived name that breaks the rules is an error asking for NAME=.
//
// Devargs produced (<name> is the port name; queue counts are added by
// devargs_for()):
//   veth/kernel  net_af_packet_<name>,iface=IFACE
//   afxdp        net_af_xdp_<name>,iface=IFACE,start_queue=0
//   vhost        net_vhost_<name>,iface=PATH,client=0
//   pci          DDDD:BB:DD.F[,k=v...]   (lower-case hex)
//   pcap:FILE    net_pcap_<name>,rx_pcap=FILE,infinite_rx=1   (net_pcap drops
//                tx when it has an rx stream and no tx stream)
//   pcap:rx=,tx= net_pcap_<name>[,rx_pcap=A][,tx_pcap=B]
//   ring:NAME    net_ring_NAME   (DPDK 22.11 names the rings
//                "ETH_RXTX<i>_net_ring_NAME" within 28 characters, so NAME is
//                at most 8 characters)
//   null         net_null_<name>
#pragma once

#include <string>
#include <string_view>

namespace sluice {

enum class PortKind { kernel, afxdp, vhost, pci, pcap, ring, null, devargs };

// "kernel", "afxdp", "vhost", "pci", "pcap", "ring", "null", "devargs".
const char* port_kind_name(PortKind kind);

struct PortSpec {
  std::string name;  // unique, user-visible; defaults derived from the spec
  PortKind kind = PortKind::devargs;
  std::string text;       // the spec as the user wrote it (without NAME=)
  std::string devargs;    // rte_dev_probe() argument without a queue count;
                          // for pci the bus address (plus any k=v)
  std::string interface;  // kernel interface name for kernel/afxdp, else empty

  // The devargs to probe with, asking for `queues` RX/TX queue pairs where the
  // driver takes a queue count in its devargs: af_packet (qpairs=N), af_xdp
  // (queue_count=N), vhost (queues=N). Other drivers take their queue count
  // from rte_eth_dev_configure() only, so their devargs come back unchanged.
  // `queues` 0 adds nothing (the driver's default).
  std::string devargs_for(unsigned queues) const;
};

// Parses one spec. Throws sluice::Error (code EINVAL, path = the spec text)
// with a message that quotes the spec and says what is wrong:
//   - empty spec, or unknown prefix ("foo:x", "bare-word")
//   - bad NAME (empty, too long, bad character, starts with a non-letter) or a
//     derived default name that breaks the rules (asks for NAME=)
//   - empty interface, interface name longer than 15 characters, or one with
//     '/', ':', ',', '=' or blanks in it
//   - empty path or file, or one containing ',' (devargs cannot carry it)
//   - bad PCI address (not DDDD:BB:DD.F / BB:DD.F in hex, device > 1f,
//     function > 7)
//   - pcap:rx=,tx= with an unknown key, a key given twice, or an empty value
//   - empty, too long (> 8) or badly formed ring name
//   - anything after "null"
PortSpec parse_port_spec(std::string_view text);

// Same as parse_port_spec("NAME=" + spec) with NAME = `name`, but error
// messages quote `spec` as given. Also throws when `spec` carries a NAME=
// prefix of its own ("names the port twice").
PortSpec parse_port_spec(std::string_view spec, std::string_view name);

// Returns an empty string when `name` is a valid port name, else the reason it
// is not (e.g. "must start with a letter"), for callers composing messages.
std::string port_name_problem(std::string_view name);

}  // namespace sluice
