// The switch's data plane: mbuf pool, ports, MAC table and forwarding
// workers, wired together. Requires a live Eal.
//
// Thread-safety: every method runs on the control thread (the main lcore).
// Ports may be added and removed while the workers forward: the new PortView
// is published and the old one reclaimed after an RCU grace period; a removed
// port is stopped only after every worker has stopped using it.
#pragma once

#include <rte_mempool.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "dataplane/config/switch_config.h"
#include "dataplane/flow/pipeline.h"
#include "dataplane/l2/mac_table.h"
#include "dataplane/nf/nf_manager.h"
#include "dataplane/port/port.h"
#include "dataplane/rcu/rcu.h"
#include "dataplane/stats/counters.h"
#include "dataplane/worker/worker.h"

namespace sluice {

struct PortReport {
  std::string name;
  uint16_t number;
  std::string spec;
  std::string driver;
  bool link_up;
  PortTotals totals;
};

struct WorkerReport {
  unsigned lcore;
  uint64_t packets, bursts, busy_cycles, idle_cycles;
};

struct MacReport {
  std::string mac;  // aa:bb:cc:dd:ee:ff
  uint16_t port;    // port number
  uint32_t age_s;
};

struct DatapathOptions {
  unsigned workers = 0;        // 0: one per EAL worker lcore
  unsigned mbufs = 0;          // 0: sized from ports and queues
  uint32_t mac_aging_s = 300;
  std::size_t mac_capacity = 1 << 16;
  bool keep_offloads = false;  // leave kernel interfaces' offloads alone
  PipelineConfig flows;        // flow table sizes
  uint32_t packet_in_rate = 1000;  // packet-ins per second per worker
};

class Datapath {
 public:
  // Creates the pool, the flow pipeline and the workers (not yet running).
  // The pipeline starts with table 0 holding "priority=0,actions=normal", so
  // the switch is a MAC-learning L2 switch until rules say otherwise (as Open
  // vSwitch's default flow). Throws sluice::Error if there is no worker lcore
  // or no memory for the pool.
  explicit Datapath(const DatapathOptions& options);
  ~Datapath();  // stops workers, closes ports
  Datapath(const Datapath&) = delete;
  Datapath& operator=(const Datapath&) = delete;

  // Launches the workers on their lcores. Idempotent.
  void start();
  // Stops the workers and waits for them. Idempotent.
  void stop();

  // Adds a port (hot if running). Kernel interfaces get their offloads turned
  // off unless keep_offloads; warnings about the veth peer are returned.
  // Throws sluice::Error (bad spec, missing interface, duplicate name, driver
  // failure); on error nothing changes.
  std::vector<std::string> add_port(const PortSpec& spec);
  // Removes a port by name. Throws sluice::Error if there is no such port.
  void remove_port(const std::string& name);

  std::vector<PortReport> port_reports() const;
  std::vector<WorkerReport> worker_reports() const;
  std::vector<MacReport> mac_reports() const;
  // Packets the controller action punted, oldest first (at most `max`).
  std::vector<PacketIn> take_packet_ins(std::size_t max = 256) {
    return channel_->take_packet_ins(max);
  }
  // Sends `frame` out of port `port_number` (through worker 0's TX queue).
  // Throws sluice::Error: ENOENT no such port; EINVAL a frame shorter than an
  // Ethernet header or longer than an mbuf; EAGAIN the queue to the worker is
  // full; ENOMEM no mbuf.
  void packet_out(uint16_t port_number, const std::vector<uint8_t>& frame);

  // Ages the MAC table and frees retired snapshots; call about once a second.
  void housekeeping();
  // Seconds on the clock the workers use for MAC aging.
  uint32_t now_s() const;

  MacTable& macs() { return macs_; }
  Pipeline& pipeline() { return *pipeline_; }
  NfManager& nfs() { return *nfs_; }
  const NfManager& nfs() const { return *nfs_; }
  const Pipeline& pipeline() const { return *pipeline_; }
  unsigned worker_count() const { return static_cast<unsigned>(workers_.size()); }
  const Port* find_port(const std::string& name) const;

 private:
  struct Slot {
    std::unique_ptr<Port> port;
    PortTotals baseline;  // worker counters when the port was added
  };
  void publish();
  PortTotals sum_counters(uint16_t port_id) const;

  DatapathOptions options_;
  rte_mempool* pool_ = nullptr;
  MacTable macs_;
  std::unique_ptr<Rcu> rcu_;
  std::unique_ptr<Pipeline> pipeline_;
  std::unique_ptr<NfManager> nfs_;
  std::unique_ptr<ControllerChannel> channel_;
  ForwardingContext context_;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::vector<Slot> slots_;  // sorted by port number
  bool running_ = false;
};

}  // namespace sluice
