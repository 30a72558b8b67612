// Loads NF plugins: shared objects that export a sluice_nf_descriptor
// (nf/sdk/plugin_abi.h). The descriptor is read and checked as plain data
// before any function of the plugin is called; a mismatched plugin is refused
// with an error that says what to rebuild.
//
// The file is opened with RTLD_NOW | RTLD_LOCAL: an unresolved symbol is a
// load error here rather than a crash on a worker later, and nothing the
// plugin defines can interpose on sluiced's symbols. dlopen itself runs the
// plugin's static constructors, which is why the ABI forbids them.
//
// Thread-safety: control thread only.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "nf/sdk/plugin_abi.h"

namespace sluice::nf {

// RAII over one dlopen handle.
class PluginLibrary {
 public:
  // Throws sluice::Error (ENOENT: no such file; ELIBBAD: dlopen failed).
  explicit PluginLibrary(std::string path);
  ~PluginLibrary();
  PluginLibrary(const PluginLibrary&) = delete;
  PluginLibrary& operator=(const PluginLibrary&) = delete;

  // Address of an exported data symbol, or nullptr.
  const void* symbol(const char* name) const noexcept;
  const std::string& path() const noexcept { return path_; }

 private:
  std::string path_;
  void* handle_ = nullptr;
};

struct LoadedPlugin {
  std::shared_ptr<const PluginLibrary> library;
  const NfFactory* factory = nullptr;
};

// Checks a descriptor read from `path` without calling into it. Throws
// sluice::Error with ENOEXEC naming the mismatch.
void check_descriptor(const sluice_nf_descriptor& descriptor, const std::string& path);

// Opens `path`, checks the descriptor, then asks the plugin for its factory
// and checks that it makes the class the descriptor names. Throws sluice::Error.
LoadedPlugin load_plugin(const std::string& path);

// The plugin files of a `--nf-plugin DIR`: regular files named *.so, sorted.
// Throws sluice::Error when the directory cannot be read.
std::vector<std::string> plugin_files(const std::string& dir);

}  // namespace sluice::nf
