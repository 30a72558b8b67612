#include "dataplane/nf/nf_manager.h"

#include <cerrno>

#include "common/error.h"
#include "common/rules/nf_names.h"

namespace sluice {
namespace {

// A class's configuration error, its path moved under /config.
Error under_config(const Error& e) {
  const std::string& path = e.path();
  return Error(e.what(), e.code(), path.empty() || path == "/" ? "/config" : "/config" + path);
}

}  // namespace

NfManager::NfManager(Rcu& rcu, std::atomic<const NfSet*>& published, unsigned workers,
                     int socket_id)
    : rcu_(rcu), published_(published), workers_(workers), socket_id_(socket_id), reclaimer_(rcu) {
  publish();
}

NfManager::~NfManager() {
  for (const auto& [name, e] : instances_) nf_names::remove(name);
  delete published_.exchange(nullptr, std::memory_order_acq_rel);
  rcu_.synchronize();
  instances_.clear();
  rcu_.drain();  // the instances' deferred frees, while their plugins are loaded
}

void NfManager::publish() {
  auto set = std::make_unique<NfSet>();
  for (const auto& [name, e] : instances_) set->by_number[e.number] = e.instance.get();
  const NfSet* old = published_.exchange(set.release(), std::memory_order_acq_rel);
  rcu_.synchronize();
  delete old;
}

const nf::NfInstance& NfManager::create(const std::string& name, const std::string& class_name,
                                        const nlohmann::json& config, uint32_t number) {
  if (instances_.count(name) != 0)
    throw Error("NF instance '" + name + "' exists", EEXIST, "/name");
  std::array<bool, kMaxNfNumber + 1> used{};
  for (const auto& [n, e] : instances_) used[e.number] = true;
  if (number > kMaxNfNumber)
    throw Error("NF instance number must be from 1 to " + std::to_string(kMaxNfNumber), EINVAL,
                "/number");
  if (number != 0 && used[number])
    throw Error("NF instance number " + std::to_string(number) + " is taken", EEXIST, "/number");
  for (uint32_t n = 1; number == 0 && n <= kMaxNfNumber; ++n)
    if (!used[n]) number = n;
  if (number == 0)
    throw Error("no free NF instance number (at most " + std::to_string(kMaxNfNumber) + ")", ENOSPC,
                "/number");
  nf::NfInstanceSpec spec{name, config, workers_, socket_id_, rcu_.qsbr()};
  std::unique_ptr<nf::NfInstance> instance;
  try {
    instance = registry_.create(class_name, spec, reclaimer_);
  } catch (const Error& e) {
    if (e.path() == "/class" || e.path() == "/name" || e.path() == "/workers") throw;
    throw under_config(e);
  }
  auto& slot = instances_[name];
  slot = Entry{number, std::move(instance)};
  publish();
  nf_names::add(name, number);
  return *slot.instance;
}

void NfManager::reconfigure(const std::string& name, const nlohmann::json& config) {
  const Entry& e = entry(name);
  try {
    e.instance->reconfigure(config);
  } catch (const Error& e) {
    throw under_config(e);
  }
}

nlohmann::json NfManager::command(const std::string& name, std::string_view command,
                                  const nlohmann::json& args) {
  nlohmann::json result = entry(name).instance->command(command, args);
  // A command may have changed what workers read, in place (a router's IPv4
  // routes) or by publishing a new version: reply once every worker has
  // passed a quiescent state since, so none still uses the old state, and
  // free an old version now rather than at the next housekeeping (a router
  // version holds 64 MiB LPM tables).
  rcu_.synchronize();
  rcu_.reclaim();
  return result;
}

void NfManager::remove(const std::string& name) {
  auto it = instances_.find(name);
  if (it == instances_.end()) throw Error("no NF instance '" + name + "'", ENOENT);
  std::unique_ptr<nf::NfInstance> gone = std::move(it->second.instance);
  instances_.erase(it);
  nf_names::remove(name);
  publish();  // after this no worker can reach `gone`
}

const NfManager::Entry& NfManager::entry(const std::string& name) const {
  auto it = instances_.find(name);
  if (it == instances_.end()) throw Error("no NF instance '" + name + "'", ENOENT);
  return it->second;
}

const nf::NfInstance* NfManager::find(const std::string& name) const {
  auto it = instances_.find(name);
  return it == instances_.end() ? nullptr : it->second.instance.get();
}

uint32_t NfManager::number_of(const std::string& name) const {
  auto it = instances_.find(name);
  return it == instances_.end() ? 0 : it->second.number;
}

std::vector<std::string> NfManager::names() const {
  std::map<uint32_t, std::string> by_number;
  for (const auto& [name, e] : instances_) by_number[e.number] = name;
  std::vector<std::string> out;
  for (auto& [n, name] : by_number) out.push_back(name);
  return out;
}

nlohmann::json NfManager::describe(const std::string& name) const {
  const Entry& e = entry(name);
  return {{"name", name},
          {"number", e.number},
          {"class", e.instance->info().name},
          {"config", e.instance->config()}};
}

nlohmann::json NfManager::stats() const {
  nlohmann::json list = nlohmann::json::array();
  for (const std::string& name : names()) {
    const Entry& e = entry(name);
    nlohmann::json s = e.instance->stats();
    s["number"] = e.number;
    list.push_back(std::move(s));
  }
  return list;
}

}  // namespace sluice
