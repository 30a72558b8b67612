#include "dataplane/datapath.h"

#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>

#include <algorithm>
#include <cstdio>
#include <cstring>

#include "common/error.h"
#include "common/rules/text.h"
#include "dataplane/port/kernel_offloads.h"

namespace sluice {
namespace {

constexpr unsigned kDefaultMbufs = 65535;
constexpr unsigned kMbufCache = 256;

int launch_worker(void* worker) { return static_cast<Worker*>(worker)->run(); }

}  // namespace

Datapath::Datapath(const DatapathOptions& options)
    : options_(options), macs_(options.mac_capacity, options.mac_aging_s) {
  std::vector<unsigned> lcores;
  unsigned lcore;
  RTE_LCORE_FOREACH_WORKER(lcore) { lcores.push_back(lcore); }
  if (lcores.empty()) {
    throw Error("no worker lcore: give EAL at least two lcores (for example -- -l 0-1)", EINVAL);
  }
  unsigned count = options.workers ? options.workers : static_cast<unsigned>(lcores.size());
  if (count > lcores.size() || count > kMaxWorkers) {
    throw Error("--workers " + std::to_string(count) + " but only " +
                    std::to_string(lcores.size()) + " worker lcores: widen EAL's -l",
                EINVAL);
  }
  const unsigned mbufs = options.mbufs ? options.mbufs : kDefaultMbufs;
  pool_ = rte_pktmbuf_pool_create("sluice_mbufs", mbufs, kMbufCache, 0,
                                  RTE_MBUF_DEFAULT_BUF_SIZE, static_cast<int>(rte_socket_id()));
  if (pool_ == nullptr) {
    throw Error("cannot create a pool of " + std::to_string(mbufs) +
                    " mbufs: " + strerror(rte_errno) +
                    " (give EAL more memory with -m, reserve more hugepages, or lower --mbufs)",
                rte_errno);
  }
  rcu_ = std::make_unique<Rcu>(count);
  pipeline_ = std::make_unique<Pipeline>(*rcu_, options.flows);
  pipeline_->add(parse_rule("table=0,priority=0,actions=normal"));
  channel_ = std::make_unique<ControllerChannel>(count, options.packet_in_rate);
  nfs_ = std::make_unique<NfManager>(*rcu_, context_.nfs, count, static_cast<int>(rte_socket_id()));
  context_.macs = &macs_;
  context_.channel = channel_.get();
  context_.pipeline = pipeline_.get();
  context_.pool = pool_;
  context_.rcu = rcu_.get();
  context_.workers = count;
  for (auto& port_locks : context_.tx_locks) {
    for (auto& lock : port_locks) rte_spinlock_init(&lock);
  }
  for (unsigned i = 0; i < count; ++i) {
    workers_.push_back(
        std::make_unique<Worker>(i, lcores[i], context_, pipeline_->add_worker(i)));
  }
  publish();
}

Datapath::~Datapath() {
  stop();
  slots_.clear();
  delete context_.ports.exchange(nullptr);
  nfs_.reset();
  pipeline_.reset();
  channel_.reset();
  rcu_.reset();
  rte_mempool_free(pool_);
}

void Datapath::start() {
  if (running_) return;
  context_.running = true;
  for (auto& worker : workers_) {
    int rc = rte_eal_remote_launch(launch_worker, worker.get(), worker->lcore());
    if (rc != 0) {
      stop();
      throw Error("cannot launch worker on lcore " + std::to_string(worker->lcore()), -rc);
    }
  }
  running_ = true;
}

void Datapath::stop() {
  context_.running = false;
  for (auto& worker : workers_) rte_eal_wait_lcore(worker->lcore());
  running_ = false;
}

void Datapath::publish() {
  auto view = std::make_unique<PortView>();
  view->rx.resize(workers_.size());
  for (const Slot& slot : slots_) {
    const Port& port = *slot.port;
    view->port_ids.push_back(port.id());
    view->tx_queues[port.id()] = port.tx_queues();
    view->number[port.id()] = port.number();
    if (port.number() <= PortView::kMaxPortNumber) view->id_of_number[port.number()] = port.id();
    for (uint16_t q = 0; q < port.rx_queues(); ++q) {
      view->rx[q % workers_.size()].push_back({port.id(), q});
    }
  }
  const PortView* old = context_.ports.exchange(view.release(), std::memory_order_acq_rel);
  if (old == nullptr) return;
  if (running_) {
    rcu_->synchronize();
  }
  delete old;
}

std::vector<std::string> Datapath::add_port(const PortSpec& spec) {
  if (find_port(spec.name) != nullptr) {
    throw Error("port name " + spec.name + " is taken: choose another NAME=", EEXIST);
  }
  if (slots_.size() >= RTE_MAX_ETHPORTS) {
    throw Error("no room for port " + spec.name + ": at most " +
                    std::to_string(RTE_MAX_ETHPORTS) + " ports",
                ENOSPC);
  }
  std::vector<std::string> warnings;
  if ((spec.kind == PortKind::kernel || spec.kind == PortKind::afxdp) && !options_.keep_offloads &&
      kernel_interface_exists(spec.interface)) {
    disable_kernel_offloads(spec.interface);
    warnings = peer_offload_warnings(spec.interface);
  }
  uint16_t number = 1;
  for (const Slot& slot : slots_) {
    if (slot.port->number() == number) ++number;
  }
  auto port = std::make_unique<Port>(spec, number, worker_count(), pool_);
  const uint16_t id = port->id();
  Slot slot{std::move(port), sum_counters(id)};
  auto at = std::find_if(slots_.begin(), slots_.end(),
                         [&](const Slot& s) { return s.port->number() > number; });
  slots_.insert(at, std::move(slot));
  publish();
  return warnings;
}

void Datapath::remove_port(const std::string& name) {
  auto it = std::find_if(slots_.begin(), slots_.end(),
                         [&](const Slot& s) { return s.port->name() == name; });
  if (it == slots_.end()) throw Error("no port named " + name, ENOENT);
  Slot gone = std::move(*it);
  slots_.erase(it);
  publish();  // after this no worker polls or sends on it
  macs_.flush_port(gone.port->id());
}

const Port* Datapath::find_port(const std::string& name) const {
  for (const Slot& slot : slots_) {
    if (slot.port->name() == name) return slot.port.get();
  }
  return nullptr;
}

PortTotals Datapath::sum_counters(uint16_t port_id) const {
  PortTotals totals;
  for (const auto& worker : workers_) totals.add(worker->port_counters(port_id));
  return totals;
}

std::vector<PortReport> Datapath::port_reports() const {
  std::vector<PortReport> reports;
  for (const Slot& slot : slots_) {
    const Port& port = *slot.port;
    reports.push_back({port.name(), port.number(), port.spec().text, port.driver(),
                       port.link_up(), sum_counters(port.id()) - slot.baseline});
  }
  return reports;
}

std::vector<WorkerReport> Datapath::worker_reports() const {
  std::vector<WorkerReport> reports;
  for (const auto& worker : workers_) {
    const WorkerCounters& c = worker->loop_counters();
    reports.push_back({worker->lcore(), c.packets.read(), c.bursts.read(), c.busy_cycles.read(),
                       c.idle_cycles.read()});
  }
  return reports;
}

void Datapath::packet_out(uint16_t port_number, const std::vector<uint8_t>& frame) {
  const Port* port = nullptr;
  for (const Slot& slot : slots_) {
    if (slot.port->number() == port_number) port = slot.port.get();
  }
  if (port == nullptr) throw Error("no port number " + std::to_string(port_number), ENOENT, "/port");
  if (frame.size() < RTE_ETHER_HDR_LEN || frame.size() > RTE_MBUF_DEFAULT_DATAROOM) {
    throw Error("a frame is 14 to " + std::to_string(RTE_MBUF_DEFAULT_DATAROOM) + " bytes, got " +
                    std::to_string(frame.size()),
                EINVAL, "/hex");
  }
  rte_mbuf* m = rte_pktmbuf_alloc(pool_);
  if (m == nullptr) throw Error("no mbuf free for packet-out", ENOMEM);
  std::memcpy(rte_pktmbuf_append(m, static_cast<uint16_t>(frame.size())), frame.data(),
              frame.size());
  channel_->inject(m, port->id());
}

std::vector<MacReport> Datapath::mac_reports() const {
  std::vector<MacReport> reports;
  for (const MacTable::Entry& e : macs_.dump(now_s())) {
    uint16_t number = 0;
    for (const Slot& slot : slots_) {
      if (slot.port->id() == e.port) number = slot.port->number();
    }
    char text[18];
    std::snprintf(text, sizeof(text), "%02x:%02x:%02x:%02x:%02x:%02x",
                  static_cast<unsigned>(e.mac >> 40) & 0xff, static_cast<unsigned>(e.mac >> 32) & 0xff,
                  static_cast<unsigned>(e.mac >> 24) & 0xff, static_cast<unsigned>(e.mac >> 16) & 0xff,
                  static_cast<unsigned>(e.mac >> 8) & 0xff, static_cast<unsigned>(e.mac) & 0xff);
    if (number != 0) reports.push_back({text, number, e.age_s});
  }
  return reports;
}

uint32_t Datapath::now_s() const { return static_cast<uint32_t>(rte_rdtsc() / rte_get_tsc_hz()); }

void Datapath::housekeeping() {
  macs_.age(now_s());
  pipeline_->expire(rte_rdtsc());
  rcu_->reclaim();
}

}  // namespace sluice
