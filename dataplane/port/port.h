// One switch port: a DPDK ethdev configured with one RX/TX queue pair per
// forwarding worker (fewer if the device has fewer), started and promiscuous.
//
// RAII: the constructor probes (or adopts) the device, configures and starts
// it; the destructor stops and closes it and removes the device if this port
// probed it. Control thread only. Errors throw sluice::Error naming the port
// and what to do.
#pragma once

#include <rte_mempool.h>

#include <cstdint>
#include <string>

#include "dataplane/port/port_spec.h"

namespace sluice {

class Port {
 public:
  // `number` is the user-visible port number (1-based, OpenFlow style).
  // `queues` is how many queue pairs are wanted (the worker count).
  Port(PortSpec spec, uint16_t number, unsigned queues, rte_mempool* pool);
  ~Port();
  Port(const Port&) = delete;
  Port& operator=(const Port&) = delete;

  const PortSpec& spec() const { return spec_; }
  const std::string& name() const { return spec_.name; }
  uint16_t number() const { return number_; }
  uint16_t id() const { return id_; }  // DPDK port id
  uint16_t rx_queues() const { return rx_queues_; }
  uint16_t tx_queues() const { return tx_queues_; }
  const std::string& driver() const { return driver_; }
  std::string mac() const;
  bool link_up() const;

 private:
  void probe(unsigned queues);
  void configure(unsigned queues, rte_mempool* pool);
  void release() noexcept;  // idempotent

  PortSpec spec_;
  uint16_t number_;
  uint16_t id_ = 0;
  uint16_t rx_queues_ = 0;
  uint16_t tx_queues_ = 0;
  bool probed_ = false;   // we created the device, so we remove it
  bool started_ = false;
  std::string device_name_;
  std::string driver_;
};

}  // namespace sluice
