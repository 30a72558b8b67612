// NF SDK, plugin ABI: how a shared object offers one NF class to sluiced.
//
// A plugin defines exactly one exported symbol, `sluice_nf_descriptor_v1`, a
// constant sluice_nf_descriptor, with SLUICE_NF_PLUGIN(Class). The loader
// (nf/host/plugin_loader.h) dlopens the file, reads that descriptor as plain
// data and refuses the plugin, before calling any of its code, unless
//   - `magic` is kNfPluginMagic,
//   - `abi_version` is this sluice's kNfAbiVersion,
//   - `dpdk_version` and `json_version` name the DPDK release (year.month)
//     and nlohmann_json release (major.minor) this sluice was built with,
// because every type in nf/sdk, rte_mbuf and nlohmann::json cross the boundary.
// Only after that does it call `factory`.
//
// Rules for plugin authors:
//   - Build with -fvisibility=hidden and link with the version script
//     nf/sdk/plugin.map, so that only the descriptor is exported
//     (SLUICE_NF_PLUGIN marks it visible).
//   - No static initializers: dlopen runs a shared object's constructors
//     before the loader can check anything, so namespace-scope objects must be
//     constant-initialized (constexpr/constinit; no std::string, no
//     <iostream>, no __attribute__((constructor)), and no DPDK header that
//     uses RTE_INIT, such as rte_hash_crc.h).
//   - Link DPDK and the C++ runtime dynamically, as sluiced does.
//
// Versioning: kNfAbiVersion changes whenever any nf/sdk type or virtual
// interface changes. The first two descriptor fields keep their offsets in
// every version; a new descriptor layout gets a new symbol name (_v2).
#pragma once

#include <rte_version.h>

#include <cstdint>
#include <nlohmann/json.hpp>

#include "nf/sdk/network_function.h"

namespace sluice::nf {

inline constexpr uint32_t kNfPluginMagic = 0x534c4e46;  // "SLNF"
inline constexpr uint32_t kNfAbiVersion = 3;  // 2: GateOutput::send/hold, command(); 3: NfInit::rcu
inline constexpr uint32_t kDpdkVersion = RTE_VERSION_NUM(RTE_VER_YEAR, RTE_VER_MONTH, 0, 0);
inline constexpr uint32_t kJsonVersion =
    NLOHMANN_JSON_VERSION_MAJOR * 10000 + NLOHMANN_JSON_VERSION_MINOR * 100;

}  // namespace sluice::nf

extern "C" {

struct sluice_nf_descriptor {
  uint32_t magic;                             // kNfPluginMagic
  uint32_t abi_version;                       // kNfAbiVersion the plugin was built against
  uint32_t dpdk_version;                      // kDpdkVersion the plugin was built against
  uint32_t json_version;                      // kJsonVersion the plugin was built against
  const char* name;                           // NF class name; must equal factory()->info().name
  const sluice::nf::NfFactory* (*factory)();  // returns a constant object
};

}  // extern "C"

#define SLUICE_NF_DESCRIPTOR_SYMBOL "sluice_nf_descriptor_v1"

// Defines the plugin's descriptor for NF class `NfClass` (see NfFactoryOf).
// Use once, at namespace scope, in one source file of the plugin.
#define SLUICE_NF_PLUGIN(NfClass)                                                              \
  namespace {                                                                                  \
  constinit const ::sluice::nf::NfFactoryOf<NfClass> sluice_nf_plugin_factory{};               \
  const ::sluice::nf::NfFactory* sluice_nf_plugin_factory_fn() {                               \
    return &sluice_nf_plugin_factory;                                                          \
  }                                                                                            \
  }                                                                                            \
  extern "C" __attribute__((                                                                   \
      visibility("default"))) constinit const sluice_nf_descriptor sluice_nf_descriptor_v1 = { \
      ::sluice::nf::kNfPluginMagic, ::sluice::nf::kNfAbiVersion, ::sluice::nf::kDpdkVersion,   \
      ::sluice::nf::kJsonVersion,   NfClass::kInfo.name,         &sluice_nf_plugin_factory_fn}
