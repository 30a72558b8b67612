// Port specifications: what a user types to name a port, turned into the
// DPDK devargs that create it.
//
// Accepted forms of a spec (an optional "NAME=" prefix names the port):
//   veth:IFACE | kernel:IFACE   kernel interface through net_af_packet
//   afxdp:IFACE                 kernel interface through net_af_xdp
//   vhost:PATH                  vhost-user server socket for a VM (net_vhost)
//   pci:DDDD:BB:DD.F            a PCI NIC (the address, allow-listed to EAL)
//   pcap:FILE                   replay FILE in a loop (rx) and drop tx
//   pcap:rx=FILE,tx=FILE        net_pcap with explicit files
//   ring:NAME                   net_ring port (rings created by the port)
//   null                        net_null: rx returns nothing, tx drops
//   net_xxx[,k=v...]            raw DPDK devargs, passed through unchanged
#pragma once

#include <string>
#include <string_view>

namespace sluice {

enum class PortKind { kernel, afxdp, vhost, pci, pcap, ring, null, devargs };

const char* port_kind_name(PortKind kind);

struct PortSpec {
  std::string name;       // unique, user-visible; defaults derived from the spec
  PortKind kind = PortKind::devargs;
  std::string text;       // the spec as the user wrote it (without NAME=)
  std::string devargs;    // rte_dev_probe() argument without a queue count;
                          // for pci the bus address
  std::string interface;  // kernel interface name for kernel/afxdp, else empty

  // The devargs to probe with, asking for `queues` RX/TX queue pairs where the
  // driver takes a queue count in its devargs (af_packet, af_xdp, vhost, null).
  std::string devargs_for(unsigned queues) const;
};

// Parses one spec. Throws sluice::Error with a message that quotes the spec
// and says what is wrong (unknown prefix, empty interface, interface name too
// long, bad PCI address, bad NAME).
PortSpec parse_port_spec(std::string_view text);

}  // namespace sluice
