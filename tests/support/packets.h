// Test support: building and reading Ethernet frames in mbufs.
#pragma once

#include <rte_ether.h>
#include <rte_mbuf.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

namespace sluice::test {

// IEEE 802 local experimental EtherType: any payload is well formed, so L2
// tests are not subject to IP header validation.
inline constexpr uint16_t kExperimental = 0x88b5;

inline std::vector<uint8_t> ethernet_frame(uint64_t dst, uint64_t src, uint16_t ether_type,
                                           std::size_t length = 64) {
  // Built full-size, then cut to `length` (shorter makes a truncated frame).
  std::vector<uint8_t> frame(std::max<std::size_t>(length, 14), 0);
  for (std::size_t i = 0; i < 6; ++i) {
    frame[i] = static_cast<uint8_t>(dst >> (40 - 8 * i));
    frame[6 + i] = static_cast<uint8_t>(src >> (40 - 8 * i));
  }
  frame[12] = static_cast<uint8_t>(ether_type >> 8);
  frame[13] = static_cast<uint8_t>(ether_type);
  for (std::size_t i = 14; i < frame.size(); ++i) frame[i] = static_cast<uint8_t>(i);
  frame.resize(length);
  return frame;
}

inline rte_mbuf* to_mbuf(rte_mempool* pool, const std::vector<uint8_t>& bytes) {
  rte_mbuf* m = rte_pktmbuf_alloc(pool);
  if (m == nullptr) return nullptr;
  char* data = rte_pktmbuf_append(m, static_cast<uint16_t>(bytes.size()));
  std::memcpy(data, bytes.data(), bytes.size());
  return m;
}

inline std::vector<uint8_t> from_mbuf(const rte_mbuf* m) {
  const auto* data = rte_pktmbuf_mtod(m, const uint8_t*);
  return std::vector<uint8_t>(data, data + m->data_len);
}

}  // namespace sluice::test
