#include "dataplane/port/port.h"

#include <rte_bus.h>
#include <rte_dev.h>
#include <rte_errno.h>
#include <rte_ethdev.h>

#include <algorithm>
#include <cstring>

#include "common/error.h"
#include "dataplane/port/kernel_offloads.h"

namespace sluice {
namespace {

constexpr uint16_t kRxDescriptors = 1024;
constexpr uint16_t kTxDescriptors = 1024;

std::string device_name_of(const PortSpec& spec) {
  return spec.devargs.substr(0, spec.devargs.find(','));
}

Error port_error(const PortSpec& spec, const std::string& what, int err) {
  return Error("port " + spec.name + " (" + spec.text + "): " + what +
                   (err ? std::string(": ") + strerror(err) : std::string()),
               err);
}

}  // namespace

Port::Port(PortSpec spec, uint16_t number, unsigned queues, rte_mempool* pool)
    : spec_(std::move(spec)), number_(number), device_name_(device_name_of(spec_)) {
  probe(queues);
  try {
    configure(queues, pool);
  } catch (...) {
    release();
    throw;
  }
}

void Port::probe(unsigned queues) {
  if ((spec_.kind == PortKind::kernel || spec_.kind == PortKind::afxdp) &&
      !kernel_interface_exists(spec_.interface)) {
    throw port_error(spec_,
                     "no such interface " + spec_.interface +
                         ": create it (ip link add ... type veth peer ...) or check the name",
                     ENODEV);
  }
  if (rte_eth_dev_get_port_by_name(device_name_.c_str(), &id_) == 0) return;  // adopt
  std::string devargs = spec_.devargs_for(queues);
  int rc = rte_dev_probe(devargs.c_str());
  if (rc < 0) {
    std::string hint = "the driver refused the device (see the PMD messages above)";
    if (spec_.kind == PortKind::vhost) hint = "vhost-user needs hugepages and a writable socket path";
    if (spec_.kind == PortKind::pci) hint = "is the NIC bound to vfio-pci (dpdk-devbind.py)?";
    throw port_error(spec_, "cannot create device " + device_name_ + "; " + hint, -rc);
  }
  probed_ = true;
  if (rte_eth_dev_get_port_by_name(device_name_.c_str(), &id_) != 0) {
    throw port_error(spec_, "device " + device_name_ + " probed but no ethdev appeared", ENODEV);
  }
}

void Port::configure(unsigned queues, rte_mempool* pool) {
  rte_eth_dev_info info{};
  int rc = rte_eth_dev_info_get(id_, &info);
  if (rc != 0) throw port_error(spec_, "cannot read device info", -rc);
  driver_ = info.driver_name ? info.driver_name : "";
  rx_queues_ = static_cast<uint16_t>(std::max(1u, std::min<unsigned>(queues, info.max_rx_queues)));
  tx_queues_ = static_cast<uint16_t>(std::max(1u, std::min<unsigned>(queues, info.max_tx_queues)));

  rte_eth_conf conf{};
  if (rx_queues_ > 1) {
    conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
    conf.rx_adv_conf.rss_conf.rss_hf =
        (RTE_ETH_RSS_IP | RTE_ETH_RSS_TCP | RTE_ETH_RSS_UDP) & info.flow_type_rss_offloads;
  }
  rc = rte_eth_dev_configure(id_, rx_queues_, tx_queues_, &conf);
  if (rc != 0) throw port_error(spec_, "cannot configure queues", -rc);
  uint16_t rxd = kRxDescriptors, txd = kTxDescriptors;
  rte_eth_dev_adjust_nb_rx_tx_desc(id_, &rxd, &txd);
  int socket = rte_eth_dev_socket_id(id_);
  if (socket < 0) socket = static_cast<int>(rte_socket_id());
  for (uint16_t q = 0; q < rx_queues_; ++q) {
    rc = rte_eth_rx_queue_setup(id_, q, rxd, static_cast<unsigned>(socket), nullptr, pool);
    if (rc != 0) throw port_error(spec_, "cannot set up RX queue " + std::to_string(q), -rc);
  }
  for (uint16_t q = 0; q < tx_queues_; ++q) {
    rc = rte_eth_tx_queue_setup(id_, q, txd, static_cast<unsigned>(socket), nullptr);
    if (rc != 0) throw port_error(spec_, "cannot set up TX queue " + std::to_string(q), -rc);
  }
  rc = rte_eth_dev_start(id_);
  if (rc != 0) throw port_error(spec_, "cannot start", -rc);
  started_ = true;
  rte_eth_promiscuous_enable(id_);  // a switch port takes every frame; some PMDs lack the knob
}

Port::~Port() { release(); }

void Port::release() noexcept {
  if (started_) rte_eth_dev_stop(id_);
  started_ = false;
  if (probed_) {
    rte_eth_dev_close(id_);
    if (spec_.kind != PortKind::pci) rte_eal_hotplug_remove("vdev", device_name_.c_str());
  }
  probed_ = false;
}

std::string Port::mac() const {
  rte_ether_addr addr{};
  if (rte_eth_macaddr_get(id_, &addr) != 0) return {};
  char text[RTE_ETHER_ADDR_FMT_SIZE];
  rte_ether_format_addr(text, sizeof(text), &addr);
  return text;
}

bool Port::link_up() const {
  rte_eth_link link{};
  return rte_eth_link_get_nowait(id_, &link) == 0 && link.link_status == RTE_ETH_LINK_UP;
}

}  // namespace sluice
