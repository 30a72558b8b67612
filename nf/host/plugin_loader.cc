#include "nf/host/plugin_loader.h"

#include <dlfcn.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "common/error.h"

namespace sluice::nf {

namespace {

std::string version_text(uint32_t v, int parts_per_100) {
  // kDpdkVersion: year << 24 | month << 16; kJsonVersion: major*10000 + minor*100.
  if (parts_per_100 == 0) return std::to_string(v >> 24) + "." + std::to_string((v >> 16) & 0xff);
  return std::to_string(v / 10000) + "." + std::to_string(v / 100 % 100);
}

[[noreturn]] void refuse(const std::string& path, const std::string& why) {
  throw Error("NF plugin " + path + ": " + why, ENOEXEC, path);
}

}  // namespace

PluginLibrary::PluginLibrary(std::string path) : path_(std::move(path)) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path_, ec))
    throw Error("NF plugin " + path_ + ": no such file", ENOENT, path_);
  handle_ = dlopen(path_.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle_ == nullptr) {
    const char* why = dlerror();
    throw Error("NF plugin " + path_ + ": cannot load: " + (why ? why : "unknown error"), ELIBBAD,
                path_);
  }
}

PluginLibrary::~PluginLibrary() {
  if (handle_ != nullptr) dlclose(handle_);
}

const void* PluginLibrary::symbol(const char* name) const noexcept {
  return dlsym(handle_, name);
}

void check_descriptor(const sluice_nf_descriptor& d, const std::string& path) {
  if (d.magic != kNfPluginMagic)
    refuse(path, std::string(SLUICE_NF_DESCRIPTOR_SYMBOL) +
                     " has the wrong magic number (not a sluice NF plugin)");
  if (d.abi_version != kNfAbiVersion)
    refuse(path, "built against NF ABI version " + std::to_string(d.abi_version) +
                     ", this sluice provides version " + std::to_string(kNfAbiVersion) +
                     "; rebuild the plugin against this sluice's nf/sdk");
  if (d.dpdk_version != kDpdkVersion)
    refuse(path, "built against DPDK " + version_text(d.dpdk_version, 0) +
                     ", this sluice uses DPDK " + version_text(kDpdkVersion, 0) +
                     "; rebuild the plugin");
  if (d.json_version != kJsonVersion)
    refuse(path, "built against nlohmann_json " + version_text(d.json_version, 1) +
                     ", this sluice uses " + version_text(kJsonVersion, 1) +
                     "; rebuild the plugin");
  if (d.name == nullptr || d.name[0] == '\0' || d.factory == nullptr)
    refuse(path, "descriptor has no class name or no factory");
}

LoadedPlugin load_plugin(const std::string& path) {
  auto library = std::make_shared<const PluginLibrary>(path);
  const auto* descriptor =
      static_cast<const sluice_nf_descriptor*>(library->symbol(SLUICE_NF_DESCRIPTOR_SYMBOL));
  if (descriptor == nullptr)
    refuse(path, std::string("not a sluice NF plugin (it does not export ") +
                     SLUICE_NF_DESCRIPTOR_SYMBOL + ")");
  check_descriptor(*descriptor, path);
  // From here on the plugin's code may run.
  const NfFactory* factory = descriptor->factory();
  if (factory == nullptr) refuse(path, "its factory returned nothing");
  const char* made = factory->info().name;
  if (made == nullptr || std::strcmp(made, descriptor->name) != 0)
    refuse(path, std::string("descriptor names class '") + descriptor->name +
                     "' but its factory makes '" + (made ? made : "") + "'");
  return {std::move(library), factory};
}

std::vector<std::string> plugin_files(const std::string& dir) {
  std::error_code ec;
  std::filesystem::directory_iterator it(dir, ec);
  if (ec)
    throw Error("NF plugin directory " + dir + " cannot be read: " + ec.message(), ec.value(), dir);
  std::vector<std::string> files;
  for (const auto& entry : it) {
    if (entry.path().extension() == ".so" && entry.is_regular_file(ec))
      files.push_back(entry.path().string());
  }
  std::sort(files.begin(), files.end());
  return files;
}

}  // namespace sluice::nf
