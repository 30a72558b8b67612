#include "dataplane/port/port_spec.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <string>

#include "common/error.h"

namespace sluice {
namespace {

struct Expected {
  const char* spec;
  const char* name;
  PortKind kind;
  const char* text;
  const char* devargs;
  const char* interface;
  const char* devargs_2_queues;
};

class GoodSpec : public ::testing::TestWithParam<Expected> {};

TEST_P(GoodSpec, Parses) {
  const Expected& e = GetParam();
  PortSpec port = parse_port_spec(e.spec);
  EXPECT_EQ(port.name, e.name);
  EXPECT_EQ(port.kind, e.kind);
  EXPECT_EQ(port.text, e.text);
  EXPECT_EQ(port.devargs, e.devargs);
  EXPECT_EQ(port.interface, e.interface);
  EXPECT_EQ(port.devargs_for(2), e.devargs_2_queues);
  EXPECT_EQ(port.devargs_for(0), e.devargs);
}

INSTANTIATE_TEST_SUITE_P(
    AllForms, GoodSpec,
    ::testing::Values(
        Expected{"veth:sw-a", "sw-a", PortKind::kernel, "veth:sw-a",
                 "net_af_packet_sw-a,iface=sw-a", "sw-a", "net_af_packet_sw-a,iface=sw-a,qpairs=2"},
        Expected{"kernel:eth1", "eth1", PortKind::kernel, "kernel:eth1",
                 "net_af_packet_eth1,iface=eth1", "eth1", "net_af_packet_eth1,iface=eth1,qpairs=2"},
        Expected{"up=veth:sw-a", "up", PortKind::kernel, "veth:sw-a", "net_af_packet_up,iface=sw-a",
                 "sw-a", "net_af_packet_up,iface=sw-a,qpairs=2"},
        Expected{"afxdp:sw-b", "sw-b", PortKind::afxdp, "afxdp:sw-b",
                 "net_af_xdp_sw-b,iface=sw-b,start_queue=0", "sw-b",
                 "net_af_xdp_sw-b,iface=sw-b,start_queue=0,queue_count=2"},
        Expected{"vhost:/run/vm1.sock", "vm1", PortKind::vhost, "vhost:/run/vm1.sock",
                 "net_vhost_vm1,iface=/run/vm1.sock,client=0", "",
                 "net_vhost_vm1,iface=/run/vm1.sock,client=0,queues=2"},
        Expected{"vm=vhost:vhost-user", "vm", PortKind::vhost, "vhost:vhost-user",
                 "net_vhost_vm,iface=vhost-user,client=0", "",
                 "net_vhost_vm,iface=vhost-user,client=0,queues=2"},
        Expected{"pci:0000:03:00.0", "pci-03-00-0", PortKind::pci, "pci:0000:03:00.0",
                 "0000:03:00.0", "", "0000:03:00.0"},
        Expected{"pci:3B:1f.7", "pci-3b-1f-7", PortKind::pci, "pci:3B:1f.7", "0000:3b:1f.7", "",
                 "0000:3b:1f.7"},
        Expected{"nic=pci:0001:03:00.1,txq_inline_max=0", "nic", PortKind::pci,
                 "pci:0001:03:00.1,txq_inline_max=0", "0001:03:00.1,txq_inline_max=0", "",
                 "0001:03:00.1,txq_inline_max=0"},
        Expected{"pcap:/data/in.pcap", "in", PortKind::pcap, "pcap:/data/in.pcap",
                 "net_pcap_in,rx_pcap=/data/in.pcap,infinite_rx=1", "",
                 "net_pcap_in,rx_pcap=/data/in.pcap,infinite_rx=1"},
        Expected{"pcap:rx=a.pcap,tx=/tmp/b.pcap", "a", PortKind::pcap,
                 "pcap:rx=a.pcap,tx=/tmp/b.pcap", "net_pcap_a,rx_pcap=a.pcap,tx_pcap=/tmp/b.pcap",
                 "", "net_pcap_a,rx_pcap=a.pcap,tx_pcap=/tmp/b.pcap"},
        Expected{"pcap:tx=/tmp/out.pcap", "out", PortKind::pcap, "pcap:tx=/tmp/out.pcap",
                 "net_pcap_out,tx_pcap=/tmp/out.pcap", "", "net_pcap_out,tx_pcap=/tmp/out.pcap"},
        Expected{"cap=pcap:tx=/tmp/o.pcap,rx=/tmp/i.pcap", "cap", PortKind::pcap,
                 "pcap:tx=/tmp/o.pcap,rx=/tmp/i.pcap",
                 "net_pcap_cap,rx_pcap=/tmp/i.pcap,tx_pcap=/tmp/o.pcap", "",
                 "net_pcap_cap,rx_pcap=/tmp/i.pcap,tx_pcap=/tmp/o.pcap"},
        Expected{"ring:r0", "r0", PortKind::ring, "ring:r0", "net_ring_r0", "", "net_ring_r0"},
        Expected{"loop=ring:abcdefgh", "loop", PortKind::ring, "ring:abcdefgh", "net_ring_abcdefgh",
                 "", "net_ring_abcdefgh"},
        Expected{"null", "null", PortKind::null, "null", "net_null_null,no-rx=1", "",
                 "net_null_null,no-rx=1"},
        Expected{"n2=null", "n2", PortKind::null, "null", "net_null_n2,no-rx=1", "",
                 "net_null_n2,no-rx=1"},
        Expected{"net_tap0,iface=tap0", "net_tap0", PortKind::devargs, "net_tap0,iface=tap0",
                 "net_tap0,iface=tap0", "", "net_tap0,iface=tap0"},
        Expected{"eth_null0", "eth_null0", PortKind::devargs, "eth_null0", "eth_null0", "",
                 "eth_null0"},
        Expected{"x=net_null0,size=64", "x", PortKind::devargs, "net_null0,size=64",
                 "net_null0,size=64", "", "net_null0,size=64"},
        Expected{"A.b_c-901234567=null", "A.b_c-901234567", PortKind::null, "null",
                 "net_null_A.b_c-901234567,no-rx=1", "", "net_null_A.b_c-901234567,no-rx=1"}));

struct Bad {
  const char* spec;
  const char* message;
};

class BadSpec : public ::testing::TestWithParam<Bad> {};

TEST_P(BadSpec, IsRejectedWithExactMessage) {
  const Bad& b = GetParam();
  try {
    parse_port_spec(b.spec);
    FAIL() << "accepted " << b.spec;
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), b.message);
    EXPECT_EQ(e.code(), EINVAL);
    EXPECT_EQ(e.path(), b.spec);
  }
}

INSTANTIATE_TEST_SUITE_P(
    AllForms, BadSpec,
    ::testing::Values(
        Bad{"", "port spec \"\": empty spec"}, Bad{"up=", "port spec \"up=\": nothing after NAME="},
        Bad{"foo:bar",
            "port spec \"foo:bar\": unknown port type \"foo\" (expected veth, kernel, afxdp, "
            "vhost, "
            "pci, pcap, ring, null or net_... devargs)"},
        Bad{"bogus",
            "port spec \"bogus\": not a port spec (expected veth:IFACE, kernel:IFACE, afxdp:IFACE, "
            "vhost:PATH, pci:ADDRESS, pcap:FILE, ring:NAME, null or net_... devargs)"},
        Bad{"veth", "port spec \"veth\": \"veth\" needs an argument after ':'"},
        Bad{"veth:", "port spec \"veth:\": empty interface name"},
        Bad{"afxdp:", "port spec \"afxdp:\": empty interface name"},
        Bad{"veth:abcdefghijklmnop",
            "port spec \"veth:abcdefghijklmnop\": interface name \"abcdefghijklmnop\" is longer "
            "than 15 characters"},
        Bad{"kernel:a/b", "port spec \"kernel:a/b\": interface name \"a/b\" contains '/'"},
        Bad{"veth:a,b", "port spec \"veth:a,b\": interface name \"a,b\" contains ','"},
        Bad{"veth:..", "port spec \"veth:..\": \"..\" is not an interface name"},
        Bad{"veth:9eth",
            "port spec \"veth:9eth\": default port name \"9eth\" must start with a letter: give "
            "the port a NAME= prefix"},
        Bad{"1x=null", "port spec \"1x=null\": port name \"1x\" must start with a letter"},
        Bad{"=null", "port spec \"=null\": port name \"\" is empty"},
        Bad{"a b=null",
            "port spec \"a b=null\": port name \"a b\" contains ' ' (allowed: letters, digits, "
            "'_', '.', '-')"},
        Bad{"abcdefghijklmnop=null",
            "port spec \"abcdefghijklmnop=null\": port name \"abcdefghijklmnop\" is longer than 15 "
            "characters"},
        Bad{"vhost:", "port spec \"vhost:\": empty socket path"},
        Bad{"vhost:/tmp/a,b",
            "port spec \"vhost:/tmp/a,b\": socket path \"/tmp/a,b\" contains ',', which DPDK "
            "devargs cannot carry"},
        Bad{"vhost:/tmp/2.sock",
            "port spec \"vhost:/tmp/2.sock\": default port name \"2\" must start with a letter: "
            "give the port a NAME= prefix"},
        Bad{"pci:", "port spec \"pci:\": bad PCI address \"\": expected DDDD:BB:DD.F"},
        Bad{"pci:03:00",
            "port spec \"pci:03:00\": bad PCI address \"03:00\": expected DDDD:BB:DD.F"},
        Bad{"pci:0000:03:20.0",
            "port spec \"pci:0000:03:20.0\": bad PCI address \"0000:03:20.0\": expected "
            "DDDD:BB:DD.F"},
        Bad{"pci:0000:03:00.8",
            "port spec \"pci:0000:03:00.8\": bad PCI address \"0000:03:00.8\": expected "
            "DDDD:BB:DD.F"},
        Bad{"pci:000g:03:00.0",
            "port spec \"pci:000g:03:00.0\": bad PCI address \"000g:03:00.0\": expected "
            "DDDD:BB:DD.F"},
        Bad{"pci:0:03:00.0",
            "port spec \"pci:0:03:00.0\": bad PCI address \"0:03:00.0\": expected DDDD:BB:DD.F"},
        Bad{"pci:03:00.0,",
            "port spec \"pci:03:00.0,\": empty driver devargs after the PCI address"},
        Bad{"pci:0001:03:00.0",
            "port spec \"pci:0001:03:00.0\": default port name \"pci-0001-03-00-0\" is longer "
            "than 15 characters: give the port a NAME= prefix"},
        Bad{"pcap:", "port spec \"pcap:\": empty pcap file"},
        Bad{"pcap:a,b.pcap",
            "port spec \"pcap:a,b.pcap\": pcap file \"a,b.pcap\" contains ',', which DPDK devargs "
            "cannot carry"},
        Bad{"pcap:rx=a,rx=b", "port spec \"pcap:rx=a,rx=b\": rx= given twice"},
        Bad{"pcap:rx=a,foo=b",
            "port spec \"pcap:rx=a,foo=b\": unknown pcap option \"foo\" (expected rx=FILE, "
            "tx=FILE)"},
        Bad{"pcap:rx=", "port spec \"pcap:rx=\": empty rx file"},
        Bad{"pcap:rx=a,tx", "port spec \"pcap:rx=a,tx\": empty tx file"},
        Bad{"pcap:/tmp/7.pcap",
            "port spec \"pcap:/tmp/7.pcap\": default port name \"7\" must start with a letter: "
            "give the port a NAME= prefix"},
        Bad{"ring:", "port spec \"ring:\": empty ring name"},
        Bad{"ring:abcdefghi",
            "port spec \"ring:abcdefghi\": ring name \"abcdefghi\" is longer than 8 characters "
            "(DPDK's net_ring limit)"},
        Bad{"ring:a/b",
            "port spec \"ring:a/b\": ring name \"a/b\" contains '/' (allowed: letters, digits, "
            "'_', '.', '-')"},
        Bad{"null:x", "port spec \"null:x\": \"null\" takes no argument"},
        Bad{"net_vhost_long_name,iface=/tmp/x",
            "port spec \"net_vhost_long_name,iface=/tmp/x\": default port name "
            "\"net_vhost_long_name\" is longer than 15 characters: give the port a NAME= prefix"}));

TEST(PortKindName, NamesEveryKind) {
  EXPECT_STREQ(port_kind_name(PortKind::kernel), "kernel");
  EXPECT_STREQ(port_kind_name(PortKind::afxdp), "afxdp");
  EXPECT_STREQ(port_kind_name(PortKind::vhost), "vhost");
  EXPECT_STREQ(port_kind_name(PortKind::pci), "pci");
  EXPECT_STREQ(port_kind_name(PortKind::pcap), "pcap");
  EXPECT_STREQ(port_kind_name(PortKind::ring), "ring");
  EXPECT_STREQ(port_kind_name(PortKind::null), "null");
  EXPECT_STREQ(port_kind_name(PortKind::devargs), "devargs");
}

TEST(PortNameProblem, ExplainsEachRule) {
  EXPECT_EQ(port_name_problem("uplink"), "");
  EXPECT_EQ(port_name_problem("a"), "");
  EXPECT_EQ(port_name_problem(""), "is empty");
  EXPECT_EQ(port_name_problem("abcdefghijklmnop"), "is longer than 15 characters");
  EXPECT_EQ(port_name_problem("_x"), "must start with a letter");
  EXPECT_EQ(port_name_problem("x:y"), "contains ':' (allowed: letters, digits, '_', '.', '-')");
}

}  // namespace
}  // namespace sluice
