#include "dataplane/worker/worker.h"

#include <rte_cycles.h>
#include <rte_ethdev.h>

#include <algorithm>

#include "dataplane/flow/flow_processor.h"
#include "dataplane/worker/flow_sink.h"

namespace sluice {

Worker::Worker(unsigned index, unsigned lcore, ForwardingContext& context, FlowWorker& flows)
    : index_(index), lcore_(lcore), context_(context), flows_(flows) {}

int Worker::run() {
  context_.rcu->register_thread(index_);
  const uint64_t hz = rte_get_tsc_hz();
  uint64_t last = rte_rdtsc();
  while (context_.running.load(std::memory_order_relaxed)) {
    const uint64_t before = loop_.packets.read();
    view_ = context_.ports.load(std::memory_order_acquire);
    nfs_ = context_.nfs.load(std::memory_order_acquire);
    send_injected();
    poll(*view_, *context_.pipeline->current(), last, static_cast<uint32_t>(last / hz));
    flush(*view_);
    view_ = nullptr;
    nfs_ = nullptr;
    context_.rcu->quiescent(index_);
    const uint64_t now = rte_rdtsc();
    (loop_.packets.read() != before ? loop_.busy_cycles : loop_.idle_cycles).add(now - last);
    last = now;
  }
  context_.rcu->unregister_thread(index_);
  return 0;
}

void Worker::poll(const PortView& view, const PipelineVersion& flows, uint64_t tsc,
                  uint32_t now_s) noexcept {
  if (index_ >= view.rx.size()) return;
  rte_mbuf* burst[kBurst];
  for (const PortView::RxQueue& rxq : view.rx[index_]) {
    const uint16_t n = rte_eth_rx_burst(rxq.port_id, rxq.queue, burst, kBurst);
    if (n == 0) continue;
    PortCounters& in = ports_[rxq.port_id];
    FlowSink sink(*this, rxq.port_id, view.number[rxq.port_id], tsc, now_s);
    const uint16_t in_port = view.number[rxq.port_id];
    const uint64_t bytes = process_burst(flows_, flows, burst, n, in_port, tsc, sink);
    in.rx_packets.add(n);
    in.rx_bytes.add(bytes);
    loop_.packets.add(n);
    loop_.bursts.add(1);
    if (!nf_stage_.empty()) nf_stage_.run(nfs_, index_, in_port, tsc, flows_, flows, sink);
  }
}

void Worker::send_injected() noexcept {
  rte_mbuf* pkts[kBurst];
  const unsigned n = context_.channel->take_injected(index_, pkts, kBurst);
  for (unsigned i = 0; i < n; ++i) output(pkts[i]->port, pkts[i]);
}

void Worker::output_run(uint16_t port_id, rte_mbuf** pkts, uint16_t n, uint64_t bytes) noexcept {
  if (!view_->has(port_id)) {
    for (uint16_t i = 0; i < n; ++i) drop(port_id, pkts[i], DropReason::port_down);
    return;
  }
  TxBuffer& buffer = tx_[port_id];
  if (buffer.count == 0 && n == kBurst) return tx_send_port(*view_, port_id, pkts, n, bytes);
  if (buffer.count == 0 && n > 0) dirty_[dirty_count_++] = port_id;
  if (buffer.count + n <= kBurst) {
    std::copy_n(pkts, n, buffer.pkts + buffer.count);
    buffer.count = static_cast<uint16_t>(buffer.count + n);
    buffer.bytes += bytes;
    return;
  }
  for (uint16_t i = 0; i < n; ++i) {
    if (buffer.count == kBurst) tx_flush_port(*view_, port_id);  // stays in dirty_
    buffer.pkts[buffer.count++] = pkts[i];
    buffer.bytes += pkts[i]->pkt_len;
  }
}

void Worker::flood(uint16_t in_port_id, rte_mbuf* m) noexcept {
  const auto& ids = view_->port_ids;
  const uint16_t copies = static_cast<uint16_t>(ids.size() - (view_->has(in_port_id) ? 1 : 0));
  if (copies == 0) {
    drop(in_port_id, m, DropReason::no_other_port);
    return;
  }
  // Every copy is the same read-only mbuf; each TX completion drops one reference.
  if (copies > 1) rte_mbuf_refcnt_update(m, static_cast<int16_t>(copies - 1));
  for (uint16_t id : ids) {
    if (id != in_port_id) output(id, m);
  }
}

void Worker::drop(uint16_t port_id, rte_mbuf* m, DropReason reason) noexcept {
  ports_[port_id < RTE_MAX_ETHPORTS ? port_id : 0].drop(reason);
  rte_pktmbuf_free(m);
}

void Worker::tx_send_port(const PortView& view, uint16_t port_id, rte_mbuf** pkts, uint16_t n,
                          uint64_t bytes) noexcept {
  const uint16_t queue = static_cast<uint16_t>(index_ % view.tx_queues[port_id]);
  rte_spinlock_t* lock =
      view.tx_queues[port_id] < context_.workers ? &context_.tx_locks[port_id][queue] : nullptr;
  tx_send(pkts, n, bytes, port_id, queue, lock, ports_[port_id]);
}

void Worker::tx_flush_port(const PortView& view, uint16_t port_id) noexcept {
  TxBuffer& buffer = tx_[port_id];
  if (buffer.count == 0) return;
  tx_send_port(view, port_id, buffer.pkts, buffer.count, buffer.bytes);
  buffer.count = 0;
  buffer.bytes = 0;
}

void Worker::flush(const PortView& view) noexcept {
  for (uint16_t i = 0; i < dirty_count_; ++i) tx_flush_port(view, dirty_[i]);
  dirty_count_ = 0;
}

}  // namespace sluice
