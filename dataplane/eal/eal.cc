#include "dataplane/eal/eal.h"

#include <rte_eal.h>
#include <rte_errno.h>

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

#include "common/error.h"

namespace sluice {
namespace {

std::atomic<bool> eal_alive{false};

bool has_arg(const std::vector<std::string>& args, std::string_view flag) {
  return std::any_of(args.begin(), args.end(), [&](const std::string& a) {
    return a == flag || a.rfind(std::string(flag) + "=", 0) == 0;
  });
}

unsigned long read_number(const char* path) {
  std::ifstream in(path);
  unsigned long value = 0;
  in >> value;
  return value;
}

std::string explain_init_failure(int err) {
  std::string why = err != 0 ? strerror(err) : "unknown error";
  switch (err) {
    case ENOMEM:
      return "EAL init failed (" + why +
             "): not enough hugepage memory. Reserve pages (echo 512 > "
             "/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages; mount -t hugetlbfs nodev "
             "/dev/hugepages) or pass -- --no-huge -m 1024";
    case EALREADY:
      return "EAL init failed: EAL already initialised in this process";
    case EACCES:
      return "EAL init failed (" + why + "): run as root (hugepages and kernel ports need it)";
    case EINVAL:
      return "EAL init failed: invalid EAL arguments (see the EAL messages above; -l lists lcores "
             "that must exist on this machine)";
    case EBUSY:
      return "EAL init failed (" + why +
             "): another DPDK process uses this --file-prefix; give this one its own";
    default:
      return "EAL init failed (" + why + "); see the EAL messages above";
  }
}

}  // namespace

HugepageStatus probe_hugepages() {
  HugepageStatus status;
  status.free_pages = read_number("/sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages") +
                      read_number("/sys/kernel/mm/hugepages/hugepages-1048576kB/free_hugepages");
  std::ifstream mounts("/proc/mounts");
  std::string line;
  bool mounted = false;
  while (std::getline(mounts, line)) {
    if (line.find(" hugetlbfs ") != std::string::npos) mounted = true;
  }
  status.usable = mounted && status.free_pages > 0;
  if (status.usable) {
    status.detail = std::to_string(status.free_pages) + " free hugepages";
  } else if (!mounted) {
    status.detail = "hugetlbfs is not mounted (mount -t hugetlbfs nodev /dev/hugepages)";
  } else {
    status.detail =
        "no free hugepages (echo 512 > /sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages)";
  }
  return status;
}

Eal::Eal(std::vector<std::string> args, const std::vector<std::string>& pci_devices) {
  if (eal_alive.exchange(true)) throw Error("EAL is already initialised in this process", EALREADY);
  args_.push_back("sluiced");
  for (const auto& device : pci_devices) {
    args_.push_back("-a");
    args_.push_back(device);
  }
  if (pci_devices.empty() && !has_arg(args, "--no-pci") && !has_arg(args, "-a") &&
      !has_arg(args, "--allow")) {
    args_.push_back("--no-pci");
  }
  hugepages_ = !has_arg(args, "--no-huge");
  if (hugepages_) {
    HugepageStatus huge = probe_hugepages();
    if (!huge.usable) {
      std::fprintf(stderr,
                   "sluiced: notice: %s; running with --no-huge (slower; vhost-user ports need "
                   "hugepages)\n",
                   huge.detail.c_str());
      args_.push_back("--no-huge");
      hugepages_ = false;
    }
  }
  if (!hugepages_ && !has_arg(args, "-m") && !has_arg(args, "--socket-mem")) {
    args_.push_back("-m");  // EAL's --no-huge default (64 MiB) is too small for the pool
    args_.push_back("1024");
  }
  if (!has_arg(args, "--file-prefix") && !has_arg(args, "--in-memory")) {
    if (hugepages_) {
      args_.push_back("--in-memory");
    } else {
      // --in-memory needs hugepages; without them, a private prefix with no
      // shared config and no telemetry socket leaves only an empty runtime
      // directory, removed at exit.
      runtime_dir_ = "/var/run/dpdk/sluice-" + std::to_string(getpid());
      args_.push_back("--file-prefix=sluice-" + std::to_string(getpid()));
      args_.push_back("--no-shconf");
      args_.push_back("--no-telemetry");
    }
  }
  args_.insert(args_.end(), args.begin(), args.end());

  std::vector<char*> argv;
  for (auto& a : args_) argv.push_back(a.data());
  argv.push_back(nullptr);
  if (rte_eal_init(static_cast<int>(args_.size()), argv.data()) < 0) {
    int err = rte_errno;
    eal_alive = false;
    throw Error(explain_init_failure(err), err);
  }
}

Eal::~Eal() {
  rte_eal_cleanup();
  if (!runtime_dir_.empty()) rmdir(runtime_dir_.c_str());
  eal_alive = false;
}

}  // namespace sluice
