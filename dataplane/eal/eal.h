// RAII over DPDK's Environment Abstraction Layer.
//
// One Eal object per process; constructing a second throws. The constructor
// adds defaults the user did not set, each only if absent from `args`:
//   --no-pci plus nothing else, when `pci_devices` is empty (never touch a NIC
//     the user did not name); otherwise `-a ADDR` for each PCI device;
//   --no-huge, when no 2 MiB/1 GiB hugepages are reserved and mounted (a
//     notice says so: vhost-user ports then cannot work);
//   -m 1024 with --no-huge (given or added), unless -m or --socket-mem is set;
//   unless the user passed --file-prefix or --in-memory, nothing is left
//     behind: --in-memory with hugepages; without them (it is refused there)
//     a per-process --file-prefix with --no-shconf --no-telemetry, whose runtime directory
//     is removed at exit.
// Throws sluice::Error with a message naming what to fix (hugepages, lcores,
// a busy file prefix) when rte_eal_init fails.
#pragma once

#include <string>
#include <vector>

namespace sluice {

struct HugepageStatus {
  bool usable = false;       // pages reserved and hugetlbfs mounted
  unsigned long free_pages = 0;
  std::string detail;        // one line for the user
};

// What the kernel offers right now (reads /sys and /proc/mounts).
HugepageStatus probe_hugepages();

class Eal {
 public:
  Eal(std::vector<std::string> args, const std::vector<std::string>& pci_devices);
  ~Eal();
  Eal(const Eal&) = delete;
  Eal& operator=(const Eal&) = delete;

  bool hugepages() const { return hugepages_; }
  // The full argument list passed to rte_eal_init (for logs).
  const std::vector<std::string>& args() const { return args_; }

 private:
  std::vector<std::string> args_;
  bool hugepages_ = false;
  std::string runtime_dir_;  // removed at exit when we chose the prefix
};

}  // namespace sluice
