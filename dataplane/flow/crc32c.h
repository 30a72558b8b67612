// CRC32-C of 8 bytes for the exact-match cache hashes, with the SSE4.2
// instruction the build targets (-march=corei7, DPDK's baseline).
// rte_hash_crc_8byte() computes the same value but checks on every call
// which implementation to run, which costs more than the instruction.
//
// Thread-safety: pure function.
#pragma once

#include <nmmintrin.h>

#include <cstdint>

#ifndef __SSE4_2__
#error "sluice's data path is built for SSE4.2 (meson.build: -march=corei7)"
#endif

namespace sluice {

inline uint32_t crc32c_8byte(uint64_t data, uint32_t init) {
  return static_cast<uint32_t>(_mm_crc32_u64(init, data));
}

}  // namespace sluice
