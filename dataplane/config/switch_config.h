// sluiced's configuration: command line and JSON config file.
//
// Command line (flags override the config file; ports from both are kept,
// file first; EAL arguments given on the command line replace the file's
// "eal" list, since EAL rejects some options given twice):
//   sluiced [OPTIONS] [-- EAL-ARGS...]
//     -p, --port [NAME=]SPEC   add a port (repeatable; see port_spec.h)
//     -c, --config FILE        JSON config file (format below)
//     -w, --workers N          forwarding workers, 0..127 (default 0: one per
//                              EAL worker lcore)
//         --eal "ARGS"         EAL arguments as one string (split on blanks;
//                              repeatable, appended in order, before those
//                              after --)
//         --mac-aging SECONDS  MAC learning entry lifetime, 1..86400 (default 300)
//         --stats-interval SECONDS  print port counters every SECONDS, 0..86400
//                              (0: only on SIGUSR1)
//         --mbufs N            mbuf pool size, 0 or 1024..16777216 (default 0:
//                              sized from ports and queues)
//         --keep-offloads      do not turn off checksum/TSO/GSO on kernel ports
//         --flows FILE         flow table to load at start
//         --nf-plugin DIR      load every NF plugin (*.so) in DIR (repeatable)
//         --nf NAME=CLASS[:FILE]  create NF instance NAME of CLASS, configured
//                              by the JSON in FILE (default {}); numbered 1, 2,
//                              ... in order, after the config file's (repeatable)
//         --listen ADDR:PORT   REST agent address (default 127.0.0.1:8181; "none": off)
//         --token-file FILE    bearer token the agent requires (mandatory off loopback);
//                              an empty file is an error
//         --stats-format text|json  print those counters as a table (default) or
//                              as one JSON object per line
//         --max-body MIB       REST request body limit, 1..4096 MiB (default 16)
//         --max-routes-body MIB  the same for the router NF's route-table
//                              endpoints, 1..4096 MiB (default 256: 1M routes
//                              are ~48 MB of JSON)
//     -h, --help               print usage and exit
//     -V, --version            print version and exit
// Values are given as "--flag VALUE" or "--flag=VALUE" (long flags), and as
// "-p VALUE" or "-pVALUE" (short flags). Everything after a lone "--" is EAL
// arguments.
//
// Config file:
//   { "ports": ["veth:sw-a", {"name": "uplink", "spec": "pci:0000:03:00.0"}],
//     "workers": 1, "mac_aging": 300, "stats_interval": 0, "mbufs": 16384,
//     "stats_format": "text", "keep_offloads": false, "flows": "rules.txt", "listen":
//     "127.0.0.1:8181", "token_file": "/etc/sluice/token", "max_body": 16,
//     "max_routes_body": 256, "eal": ["-l", "0-1"],
//     "nf_plugins": ["/usr/lib/sluice/nf"],
//     "nfs": [{"name": "fw", "class": "firewall", "number": 1, "config": {...}}] }
// Every key is optional; the value ranges are those of the flags. A port
// object needs "spec"; its optional "name" names the port (then the spec must
// not carry a NAME= prefix too).
// Unknown keys and wrong types are errors naming the JSON path.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "dataplane/port/port_spec.h"

namespace sluice {

// An NF instance to create at start (--nf, "nfs").
struct NfSpec {
  std::string name;
  std::string class_name;
  nlohmann::json config = nlohmann::json::object();
  uint32_t number = 0;  // 0: the lowest free one
  std::string origin;   // the flag or JSON pointer it came from, for errors
};

struct SwitchConfig {
  std::vector<PortSpec> ports;
  std::vector<std::string> eal_args;  // as given; defaults are added at EAL init
  unsigned workers = 0;               // 0: one per EAL worker lcore
  unsigned mac_aging_s = 300;
  unsigned stats_interval_s = 0;
  bool stats_json = false;  // --stats-format json: counters as JSON lines
  unsigned mbufs = 0;       // 0: sized from ports and queues
  bool keep_offloads = false;
  std::string flows_file;
  std::vector<std::string> nf_plugin_dirs;
  std::vector<NfSpec> nfs;
  std::string listen = "127.0.0.1:8181";  // REST agent; "none" turns it off
  std::string token_file;
  std::string token;                   // read from token_file, trailing blanks removed
  unsigned max_body_mib = 16;          // REST request bodies
  unsigned max_routes_body_mib = 256;  // ... on NF route-table endpoints
  bool show_help = false;
  bool show_version = false;
};

// Usage text printed by --help.
const char* switch_usage();

// Parses argv (argv[0] is the program). Reads the config file named by
// --config (after all flags, whatever their order). With --help or --version
// nothing else is validated and the config file is not read.
// Throws sluice::Error (code EINVAL unless said otherwise) whose path() names
// what is wrong and whose message says what to fix:
//   - unknown option, or a positional argument ("EAL arguments go after --")
//     path: the argument as given
//   - a flag without its value, a value on a flag that takes none, a number
//     that is not a decimal integer in range, a bad port spec
//     path: the flag ("--workers")
//   - a config file that cannot be read (code: errno) or is not valid JSON
//     path: "--config"; the message starts with 'config file "FILE": '
//   - anything apply_config_json() rejects; message prefixed as above, path
//     kept (a JSON pointer)
//   - two ports with the same name: 'duplicate port name "x": give each port a
//     distinct NAME= prefix'; two ports on the same kernel interface or DPDK
//     device: 'ports "a" and "b" both use interface sw-a' (or "device X")
//     path: "--port" or the JSON pointer of the later port
SwitchConfig parse_switch_config(int argc, const char* const* argv);

// Parses a config file's JSON text into `config` (used by the above): keys
// present in the JSON overwrite `config`'s fields, ports are appended, "eal"
// replaces eal_args. Throws sluice::Error with code EINVAL, path() the JSON
// pointer of the offending value ("/ports/1/spec", "" for the whole document)
// and a message that starts with that pointer and ": " (nothing for the whole
// document):
//   - not valid JSON (the message gives the byte offset), or not an object
//   - unknown key (the message lists the known ones)
//   - wrong type ('/workers: expected an unsigned integer, got string'; a
//     number that is not an integer is shown: 'got 1.5')
//   - number out of range ('/workers: must be from 0 to 127, got 200')
//   - bad port spec (the message of parse_port_spec follows the pointer)
//   - a port object without "spec", or with "name" and a NAME= prefix both
//   - duplicate port names, or two ports on one interface or device (as above)
void apply_config_json(const std::string& json_text, SwitchConfig& config);

}  // namespace sluice
