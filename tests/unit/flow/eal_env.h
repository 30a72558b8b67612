// Test support: brings up DPDK EAL without hugepages or PCI, in memory only
// and without shared config files; the empty runtime directory is removed at
// exit, so nothing is left in /dev/hugepages or /var/run/dpdk.
#pragma once

#include <gtest/gtest.h>
#include <rte_eal.h>
#include <rte_mbuf.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

namespace sluice::test {

inline rte_mempool*& test_pool() {
  static rte_mempool* pool = nullptr;
  return pool;
}

// Initialises EAL with a unique file prefix and `memory_mb` of memory;
// aborts the test binary on failure.
inline void init_eal(const char* prefix, unsigned memory_mb = 256) {
  std::string file_prefix = std::string("--file-prefix=") + prefix;
  const std::string memory = std::to_string(memory_mb);
  const char* argv[] = {"test",
                        "--no-huge",
                        "-m",
                        memory.c_str(),
                        "--no-pci",
                        "--no-shconf",
                        file_prefix.c_str(),
                        "-l",
                        "0",
                        "--no-telemetry",
                        "--log-level=error"};
  int argc = sizeof argv / sizeof argv[0];
  if (rte_eal_init(argc, const_cast<char**>(argv)) < 0) {
    fprintf(stderr, "rte_eal_init failed\n");
    abort();
  }
  test_pool() =
      rte_pktmbuf_pool_create("test_pool", 4095, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
  if (test_pool() == nullptr) {
    fprintf(stderr, "cannot create mempool\n");
    abort();
  }
}

inline rte_mbuf* make_mbuf(const std::vector<uint8_t>& bytes) {
  rte_mbuf* m = rte_pktmbuf_alloc(test_pool());
  if (m == nullptr) return nullptr;
  char* p = rte_pktmbuf_append(m, static_cast<uint16_t>(bytes.size()));
  if (p == nullptr) {
    rte_pktmbuf_free(m);
    return nullptr;
  }
  memcpy(p, bytes.data(), bytes.size());
  return m;
}

inline std::vector<uint8_t> mbuf_bytes(const rte_mbuf* m) {
  std::vector<uint8_t> out(m->pkt_len);
  const void* p = rte_pktmbuf_read(m, 0, m->pkt_len, out.data());
  if (p != out.data()) memcpy(out.data(), p, m->pkt_len);
  return out;
}

}  // namespace sluice::test

// Each EAL test binary defines its main with this macro; SLUICE_EAL_MEMORY_MB
// (if defined) sets the EAL memory.
#ifndef SLUICE_EAL_MEMORY_MB
#define SLUICE_EAL_MEMORY_MB 256
#endif
#define SLUICE_EAL_TEST_MAIN(prefix)                       \
  int main(int argc, char** argv) {                        \
    ::testing::InitGoogleTest(&argc, argv);                \
    ::sluice::test::init_eal(prefix, SLUICE_EAL_MEMORY_MB); \
    int rc = RUN_ALL_TESTS();                        \
    std::string dir = rte_eal_get_runtime_dir();     \
    rte_eal_cleanup();                               \
    rmdir(dir.c_str()); /* empty with --no-shconf */ \
    return rc;                                       \
  }
