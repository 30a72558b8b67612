// The NF classes this switch can instantiate: built-in classes and classes
// loaded from plugins, by name, each made through its typed factory.
//
// Thread-safety: control thread only. Instances created from a plugin class
// keep the plugin loaded, so a registry may be destroyed before them.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "nf/host/nf_instance.h"

namespace sluice::nf {

class NfRegistry {
 public:
  NfRegistry() = default;  // empty
  // With every built-in class (see builtin_nfs.cc).
  static NfRegistry with_builtins();

  // Adds a class. Throws sluice::Error (EEXIST) when its name is taken.
  void add(const NfFactory& factory, std::shared_ptr<const void> library = {},
           std::string origin = "built-in");
  // Loads one plugin file (see plugin_loader.h) and adds its class; returns
  // the class name. Throws sluice::Error; nothing is added on error.
  std::string add_plugin(const std::string& path);
  // Loads every *.so of `dir` (`--nf-plugin DIR`), all or nothing; returns
  // the class names in file order.
  std::vector<std::string> add_plugin_directory(const std::string& dir);

  const NfFactory* find(std::string_view class_name) const;
  // [{"name", "summary", "keeps_flow_state", "gates", "drop_reasons", "origin"}]
  nlohmann::json classes() const;

  // Creates an instance of `class_name`. Throws sluice::Error: ENOENT for an
  // unknown class, or whatever the class's configuration check says.
  std::unique_ptr<NfInstance> create(std::string_view class_name, const NfInstanceSpec& spec,
                                     Reclaimer& reclaimer) const;

 private:
  struct Entry {
    const NfFactory* factory;
    std::shared_ptr<const void> library;
    std::string origin;  // "built-in" or the plugin's path
  };
  void check_free(const std::string& name, const std::string& origin) const;

  std::map<std::string, Entry, std::less<>> classes_;
};

}  // namespace sluice::nf
