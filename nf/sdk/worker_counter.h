// NF SDK, counters: a 64-bit counter written by one forwarding worker and
// read by the control thread, which sums over workers. A write is a relaxed
// load and store (no locked instruction); a read may be one update behind.
#pragma once

#include <atomic>
#include <cstdint>

namespace sluice::nf {

class WorkerCounter {
 public:
  void add(uint64_t n = 1) noexcept {
    value_.store(value_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }
  uint64_t read() const noexcept { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> value_{0};
};

}  // namespace sluice::nf
