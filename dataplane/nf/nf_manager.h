// The switch's network-function instances, control side: the class registry
// (built-ins and plugins), the instances by name and number, and the NfSet
// the workers read.
//
// An instance has a name (unique; the REST paths use it) and a number
// 1..kMaxNfNumber (unique; rules say nf:NUMBER, as they say output:PORT).
// create() and remove() publish a new NfSet and return once every worker
// reads it (Rcu::synchronize); a removed instance is destroyed only then, so
// no worker can still be inside it. reconfigure() goes to the instance,
// which publishes a new configuration version without pausing anyone.
// Packets for a number without an instance are dropped as nf_unavailable.
//
// Thread-safety: control thread only. The NfSet is read by the workers.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "dataplane/nf/nf_set.h"
#include "dataplane/nf/rcu_reclaimer.h"
#include "dataplane/rcu/rcu.h"
#include "nf/host/nf_registry.h"

namespace sluice {

class NfManager {
 public:
  // `published` is the ForwardingContext's pointer; `rcu` its workers' domain.
  // Both outlive the manager. Instances get per-worker state for `workers`
  // and the workers' RCU domain (NfInit::rcu).
  NfManager(Rcu& rcu, std::atomic<const NfSet*>& published, unsigned workers, int socket_id);
  // Unpublishes everything, waits a grace period, destroys the instances.
  ~NfManager();
  NfManager(const NfManager&) = delete;
  NfManager& operator=(const NfManager&) = delete;

  nf::NfRegistry& registry() { return registry_; }
  const nf::NfRegistry& registry() const { return registry_; }

  // Creates and publishes an instance of `class_name`; number 0 picks the
  // lowest free one. Throws sluice::Error, nothing changed: EINVAL bad name
  // (path /name) or number (/number) or configuration (/config/...), ENOENT
  // unknown class (/class), EEXIST name or number taken, ENOSPC no free number.
  const nf::NfInstance& create(const std::string& name, const std::string& class_name,
                               const nlohmann::json& config, uint32_t number = 0);
  // Throws sluice::Error: ENOENT no such instance; the class's errors (paths
  // under /config) with nothing changed.
  void reconfigure(const std::string& name, const nlohmann::json& config);
  // Throws sluice::Error (ENOENT) if there is no such instance.
  void remove(const std::string& name);
  // The instance's class-specific command (NetworkFunction::command);
  // returns once every worker has passed a quiescent state since (so each
  // uses what the command changed or published), an old version freed.
  // Throws sluice::Error: ENOENT no such instance (path ""); the class's
  // errors (ENOTSUP for a command it does not have).
  nlohmann::json command(const std::string& name, std::string_view command,
                         const nlohmann::json& args);

  const nf::NfInstance* find(const std::string& name) const;
  // 0 if there is no such instance.
  uint32_t number_of(const std::string& name) const;
  // Instance names by number.
  std::vector<std::string> names() const;
  // {"name", "number", "class", "config"}
  nlohmann::json describe(const std::string& name) const;
  // Every instance's NfInstance::stats() plus its "number", by number.
  nlohmann::json stats() const;

 private:
  struct Entry {
    uint32_t number;
    std::unique_ptr<nf::NfInstance> instance;
  };
  void publish();
  const Entry& entry(const std::string& name) const;

  Rcu& rcu_;
  std::atomic<const NfSet*>& published_;
  unsigned workers_;
  int socket_id_;
  RcuReclaimer reclaimer_;
  nf::NfRegistry registry_ = nf::NfRegistry::with_builtins();
  std::map<std::string, Entry, std::less<>> instances_;
};

}  // namespace sluice
