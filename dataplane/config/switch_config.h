// sluiced's configuration: command line and JSON config file.
//
// Command line (flags override the config file; ports from both are kept,
// file first):
//   sluiced [OPTIONS] [-- EAL-ARGS...]
//     -p, --port [NAME=]SPEC   add a port (repeatable; see port_spec.h)
//     -c, --config FILE        JSON config file (format below)
//     -w, --workers N          forwarding workers (default: one per EAL worker lcore)
//         --eal "ARGS"         EAL arguments as one string (split on blanks)
//         --mac-aging SECONDS  MAC learning entry lifetime (default 300)
//         --stats-interval SECONDS  print port counters every SECONDS (0: only on SIGUSR1)
//         --mbufs N            mbuf pool size (default: sized from ports and queues)
//         --keep-offloads      do not turn off checksum/TSO/GSO on kernel ports
//         --flows FILE         flow table to load at start
//     -h, --help               print usage and exit
//     -V, --version            print version and exit
//
// Config file:
//   { "ports": ["veth:sw-a", {"name": "uplink", "spec": "pci:0000:03:00.0"}],
//     "workers": 1, "mac_aging": 300, "stats_interval": 0, "mbufs": 16384,
//     "keep_offloads": false, "flows": "rules.txt", "eal": ["-l", "0-1"] }
// Unknown keys and wrong types are errors naming the JSON path.
#pragma once

#include <string>
#include <vector>

#include "dataplane/port/port_spec.h"

namespace sluice {

struct SwitchConfig {
  std::vector<PortSpec> ports;
  std::vector<std::string> eal_args;  // as given; defaults are added at EAL init
  unsigned workers = 0;               // 0: one per EAL worker lcore
  unsigned mac_aging_s = 300;
  unsigned stats_interval_s = 0;
  unsigned mbufs = 0;  // 0: sized from ports and queues
  bool keep_offloads = false;
  std::string flows_file;
  bool show_help = false;
  bool show_version = false;
};

// Usage text printed by --help.
const char* switch_usage();

// Parses argv (argv[0] is the program). Reads the config file named by
// --config. Throws sluice::Error naming the flag, file or JSON path that is
// wrong; port names must be unique (the error names the duplicate).
SwitchConfig parse_switch_config(int argc, const char* const* argv);

// Parses a config file's JSON text into `config` (used by the above).
void apply_config_json(const std::string& json_text, SwitchConfig& config);

}  // namespace sluice
