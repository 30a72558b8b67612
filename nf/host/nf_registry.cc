#include "nf/host/nf_registry.h"

#include <cerrno>

#include "common/error.h"
#include "nf/host/plugin_loader.h"

namespace sluice::nf {

void NfRegistry::check_free(const std::string& name, const std::string& origin) const {
  auto it = classes_.find(name);
  if (it != classes_.end())
    throw Error("NF class '" + name + "' from " + origin + " is already registered (" +
                    it->second.origin + ")",
                EEXIST, origin);
}

void NfRegistry::add(const NfFactory& factory, std::shared_ptr<const void> library,
                     std::string origin) {
  std::string name = factory.info().name;
  check_free(name, origin);
  classes_.emplace(std::move(name), Entry{&factory, std::move(library), std::move(origin)});
}

std::string NfRegistry::add_plugin(const std::string& path) {
  LoadedPlugin plugin = load_plugin(path);
  std::string name = plugin.factory->info().name;
  add(*plugin.factory, std::move(plugin.library), path);
  return name;
}

std::vector<std::string> NfRegistry::add_plugin_directory(const std::string& dir) {
  std::vector<LoadedPlugin> loaded;
  std::vector<std::string> names;
  for (const std::string& path : plugin_files(dir)) {
    loaded.push_back(load_plugin(path));
    std::string name = loaded.back().factory->info().name;
    check_free(name, path);
    for (const std::string& earlier : names)
      if (earlier == name)
        throw Error("NF class '" + name + "' is offered by two plugins in " + dir, EEXIST, path);
    names.push_back(std::move(name));
  }
  for (LoadedPlugin& plugin : loaded) {
    std::string origin = plugin.library->path();
    add(*plugin.factory, std::move(plugin.library), std::move(origin));
  }
  return names;
}

const NfFactory* NfRegistry::find(std::string_view class_name) const {
  auto it = classes_.find(class_name);
  return it == classes_.end() ? nullptr : it->second.factory;
}

nlohmann::json NfRegistry::classes() const {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& [name, entry] : classes_) {
    const NfClassInfo& info = entry.factory->info();
    list.push_back({{"name", name},
                    {"summary", info.summary},
                    {"keeps_flow_state", info.keeps_flow_state},
                    {"gates", std::vector<std::string>(info.gates.begin(), info.gates.end())},
                    {"drop_reasons",
                     std::vector<std::string>(info.drop_reasons.begin(), info.drop_reasons.end())},
                    {"origin", entry.origin}});
  }
  return list;
}

std::unique_ptr<NfInstance> NfRegistry::create(std::string_view class_name,
                                               const NfInstanceSpec& spec,
                                               Reclaimer& reclaimer) const {
  auto it = classes_.find(class_name);
  if (it == classes_.end())
    throw Error("no NF class '" + std::string(class_name) + "'", ENOENT, "/class");
  return std::make_unique<NfInstance>(*it->second.factory, spec, reclaimer, it->second.library);
}

}  // namespace sluice::nf
