// The network-function SDK: the contract between sluice's data plane (the
// host) and a network function (NF) class, built in or loaded as a plugin
// (plugin_abi.h). Models: BESS modules (one batch method, output gates) and
// VPP plugins (named drop reasons, versioned registration).
//
// Life of an instance. Control-path calls come from one control thread at a
// time; data-path calls from the forwarding workers, concurrently with them.
//   1. create   NfFactory::create(NfInit) parses and validates the JSON
//               configuration and allocates everything the instance will ever
//               need on the data path, including per-worker state for
//               NfInit::workers workers (one cache-line aligned block each,
//               owned by that worker). Bad configuration: throws sluice::Error
//               (message, errno, JSON pointer of the offending field).
//   2. process  Workers call process() with batches (batch.h). Worker w only
//               ever passes ctx.worker == w, so per-worker state needs no lock.
//   3. reconfigure, config, stats, connections, command: control thread, safe while
//               workers run. reconfigure() validates, builds a new immutable
//               version and publishes it (reclaimer.h); it either applies
//               completely or throws sluice::Error and changes nothing.
//   4. destroy  The host first makes the instance unreachable to workers and
//               waits for a grace period, then deletes it.
//
// Errors: the data path counts (a named drop reason per dropped packet); the
// control path throws sluice::Error (common/error.h); nothing else is thrown
// on purpose (std::bad_alloc may escape from control-path calls).
#pragma once

#include <rte_rcu_qsbr.h>

#include <cerrno>
#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <string_view>

#include "common/error.h"
#include "nf/sdk/batch.h"
#include "nf/sdk/reclaimer.h"

namespace sluice::nf {

// What an NF class is, known before any instance exists. Constant data: a
// plugin defines it as a constexpr object (no static initializer).
struct NfClassInfo {
  const char* name;                           // class name, as in "class": "firewall" ([a-z0-9_-]+)
  const char* summary;                        // one line for listings
  bool keeps_flow_state;                      // true: per-flow state lives in per-worker tables, so
                                              // the host must keep a flow on one worker (RSS), and
                                              // connections() lists it
  std::span<const char* const> gates;         // gate names, index = gate (<= kMaxGates)
  std::span<const char* const> drop_reasons;  // reason names, index = reason (<= kMaxDropReasons)
};

// Everything an instance is created with.
struct NfInit {
  std::string_view instance;     // instance name, unique in the switch
  unsigned workers;              // W >= 1; ctx.worker is always < W
  int socket_id;                 // NUMA socket for data-path memory (SOCKET_ID_ANY = -1)
  const nlohmann::json& config;  // the class's JSON configuration
  Reclaimer& reclaimer;          // defers frees past a grace period; outlives the instance
  // The workers' RCU domain (the one behind `reclaimer`), for DPDK tables
  // with a QSBR hook of their own (rte_lpm_rcu_qsbr_add, rte_hash_rcu_qsbr_add)
  // that are changed in place while workers read them. Every thread that
  // calls process() is registered in it and reports quiescent states only
  // between process() calls, never inside one. The NF may attach tables to
  // it and, on the control thread, call rte_rcu_qsbr_start / check /
  // synchronize; it never registers threads or reports quiescent states.
  // Outlives the instance. nullptr: the host has none; change data-path
  // state only by publishing new versions (reclaimer.h).
  rte_rcu_qsbr* rcu = nullptr;
};

class NetworkFunction {
 public:
  virtual ~NetworkFunction() = default;

  // Data path. Processes one batch; see batch.h for the per-packet contract.
  // Reads the current configuration version once, at the start.
  virtual void process(const BatchContext& ctx, const PacketBatch& batch,
                       GateOutput& out) noexcept = 0;

  // Control path (see above). reconfigure() takes the same JSON as create.
  virtual void reconfigure(const nlohmann::json& config) = 0;
  // The configuration in force, in the form reconfigure() accepts.
  virtual nlohmann::json config() const = 0;
  // Class-specific statistics (the host adds packets in/out, drops by reason
  // and cycles per packet itself). Summed over workers; may lag by an update.
  virtual nlohmann::json stats() const = 0;
  // Tracked flows, for classes with keeps_flow_state: at most `limit` of them
  // starting at `cursor` (0 = first), as {"connections": [...], "next": N or
  // null}. The scan is bounded, so a page may be short while "next" is not
  // null. Default: throws sluice::Error with ENOTSUP.
  virtual nlohmann::json connections(uint64_t cursor, unsigned limit) const;
  // A class-specific control command (a router's "add_routes", say) with
  // JSON arguments and result, as BESS modules have: control thread, safe
  // while workers run, all or nothing like reconfigure(). The class documents
  // its commands. Unknown command: throws sluice::Error with ENOTSUP
  // (the default for every name).
  virtual nlohmann::json command(std::string_view name, const nlohmann::json& args);
};

// Makes instances of one class. Implementations are stateless constant
// objects (constexpr-constructible), so a plugin needs no static initializer.
class NfFactory {
 public:
  virtual const NfClassInfo& info() const noexcept = 0;
  // Throws sluice::Error on bad configuration.
  virtual std::unique_ptr<NetworkFunction> create(const NfInit& init) const = 0;

 protected:
  constexpr NfFactory() = default;
  ~NfFactory() = default;
};

// The typed factory: Nf has `static constexpr NfClassInfo kInfo` and a
// constructor taking `const NfInit&`.
template <class Nf>
class NfFactoryOf final : public NfFactory {
 public:
  constexpr NfFactoryOf() = default;
  const NfClassInfo& info() const noexcept override { return Nf::kInfo; }
  std::unique_ptr<NetworkFunction> create(const NfInit& init) const override {
    return std::make_unique<Nf>(init);
  }
};

inline nlohmann::json NetworkFunction::connections(uint64_t, unsigned) const {
  throw Error("this network function keeps no per-flow state", ENOTSUP);
}

inline nlohmann::json NetworkFunction::command(std::string_view name, const nlohmann::json&) {
  throw Error("this network function has no command '" + std::string(name) + "'", ENOTSUP);
}

}  // namespace sluice::nf
