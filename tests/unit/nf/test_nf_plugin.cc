// NF plugins: the firewall built as sluice_nf_firewall.so loads and runs;
// a plugin for another ABI is refused from its descriptor alone (its factory
// would abort the test); other malformed plugins, duplicates and directories
// fail with exact errors; the .so exports only its descriptor and has no
// static initializer. Paths come from meson (environment variables).
#include <elf.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>

#include "common/error.h"
#include "nf/host/plugin_loader.h"
#include "tests/unit/nf/firewall_fixture.h"

namespace sluice::test {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

std::string env_path(const char* name) {
  const char* v = std::getenv(name);
  if (v == nullptr) ADD_FAILURE() << name << " not set (run through meson test)";
  return v ? v : "";
}

const std::string& firewall_so() {
  static const std::string p = env_path("SLUICE_NF_FIREWALL_PLUGIN");
  return p;
}
const std::string& wrong_abi_so() {
  static const std::string p = env_path("SLUICE_NF_WRONG_ABI_PLUGIN");
  return p;
}
const std::string& not_a_plugin_so() {
  static const std::string p = env_path("SLUICE_NF_NOT_A_PLUGIN");
  return p;
}

// What the loader says of wrong_abi_plugin.so, after its path.
std::string wrong_abi_message() {
  return ": built against NF ABI version " + std::to_string(nf::kNfAbiVersion + 1) +
         ", this sluice provides version " + std::to_string(nf::kNfAbiVersion) +
         "; rebuild the plugin against this sluice's nf/sdk";
}

// A fresh directory holding copies of the given files.
class TempDir {
 public:
  explicit TempDir(std::initializer_list<std::pair<std::string, std::string>> files) {
    char tmpl[] = "/tmp/sluice_nf_plugins_XXXXXX";
    path_ = mkdtemp(tmpl);
    for (const auto& [from, name] : files) fs::copy_file(from, path_ / name);
  }
  ~TempDir() { fs::remove_all(path_); }
  std::string str() const { return path_.string(); }

 private:
  fs::path path_;
};

class Plugins : public FirewallFixture {
 protected:
  void SetUp() override { registry = nf::NfRegistry(); }  // no built-ins
};

TEST_F(Plugins, FirewallPluginLoadsAndRuns) {
  EXPECT_EQ(registry.add_plugin(firewall_so()), "firewall");
  EXPECT_EQ(registry.classes()[0]["origin"], firewall_so());
  make(json::parse(R"({"rules": [{"action": "allow", "proto": "udp", "dst_port": 53}]})"));
  EXPECT_TRUE(send(udp("10.0.0.1", "10.0.0.2", 1, 53)).forwarded());
  EXPECT_EQ(send(udp("10.0.0.1", "10.0.0.2", 1, 54)).drop, "default_deny");
  EXPECT_EQ(send(tcp("10.0.0.1", "10.0.0.2", 1, 54, kSyn | kFin)).drop, "invalid");
  EXPECT_EQ(hits(0), 1u);
  EXPECT_EQ(fw->connections(0, 10)["connections"].size(), 1u);
  fw->reconfigure(json::parse(R"({"default": "allow"})"));
  EXPECT_TRUE(send(udp("10.0.0.1", "10.0.0.2", 1, 54)).forwarded());
}

TEST_F(Plugins, PluginErrorsReachTheHostAsErrors) {
  registry.add_plugin(firewall_so());
  expect_error([&] { make(json::parse(R"({"default": "maybe"})")); },
               "firewall config: /default: must be \"allow\", \"deny\" or \"reject\"", EINVAL);
}

TEST_F(Plugins, InstancesKeepThePluginLoaded) {
  registry.add_plugin(firewall_so());
  make(json::parse(R"({"default": "allow"})"));
  fw->reconfigure(json::parse(R"({"default": "deny"})"));  // one deferred free of plugin code
  registry = nf::NfRegistry();
  EXPECT_EQ(send(udp("10.0.0.1", "10.0.0.2", 1, 54)).drop, "default_deny");
  fw.reset();
}

TEST_F(Plugins, WrongAbiIsRefusedBeforeAnyOfItsCodeRuns) {
  expect_error([&] { registry.add_plugin(wrong_abi_so()); },
               "NF plugin " + wrong_abi_so() +
                   wrong_abi_message(),
               ENOEXEC);
  EXPECT_TRUE(registry.classes().empty());
}

TEST_F(Plugins, MalformedPlugins) {
  expect_error([&] { registry.add_plugin(not_a_plugin_so()); },
               "NF plugin " + not_a_plugin_so() +
                   ": not a sluice NF plugin (it does not export sluice_nf_descriptor_v1)",
               ENOEXEC);
  expect_error([&] { registry.add_plugin("/nonexistent/x.so"); },
               "NF plugin /nonexistent/x.so: no such file", ENOENT);
  TempDir dir({});
  const std::string junk = dir.str() + "/junk.so";
  std::ofstream(junk) << "not an ELF file";
  try {
    registry.add_plugin(junk);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()).rfind("NF plugin " + junk + ": cannot load: ", 0), 0u)
        << e.what();
    EXPECT_EQ(e.code(), ELIBBAD);
  }
}

TEST_F(Plugins, DescriptorChecks) {
  const sluice_nf_descriptor good = {
      nf::kNfPluginMagic, nf::kNfAbiVersion, nf::kDpdkVersion, nf::kJsonVersion, "x", nullptr};
  auto check = [](sluice_nf_descriptor d) { return [d] { nf::check_descriptor(d, "p.so"); }; };
  sluice_nf_descriptor d = good;
  d.magic = 0x7f454c46;
  expect_error(check(d),
               "NF plugin p.so: sluice_nf_descriptor_v1 has the wrong magic number (not a sluice "
               "NF plugin)",
               ENOEXEC);
  d = good;
  d.dpdk_version = RTE_VERSION_NUM(23, 11, 0, 0);
  expect_error(check(d),
               "NF plugin p.so: built against DPDK 23.11, this sluice uses DPDK " +
                   std::to_string(RTE_VER_YEAR) + "." + std::to_string(RTE_VER_MONTH) +
                   "; rebuild the plugin",
               ENOEXEC);
  d = good;
  d.json_version = 30900;
  expect_error(check(d),
               "NF plugin p.so: built against nlohmann_json 3.9, this sluice uses " +
                   std::to_string(NLOHMANN_JSON_VERSION_MAJOR) + "." +
                   std::to_string(NLOHMANN_JSON_VERSION_MINOR) + "; rebuild the plugin",
               ENOEXEC);
  d = good;
  expect_error(check(d), "NF plugin p.so: descriptor has no class name or no factory", ENOEXEC);
}

TEST_F(Plugins, DuplicateClassIsRefused) {
  registry = nf::NfRegistry::with_builtins();
  expect_error([&] { registry.add_plugin(firewall_so()); },
               "NF class 'firewall' from " + firewall_so() + " is already registered (built-in)",
               EEXIST);
}

TEST_F(Plugins, DirectoryLoadsAllOrNothing) {
  {
    TempDir dir({{firewall_so(), "a_firewall.so"}, {wrong_abi_so(), "b_wrong.so"}});
    expect_error([&] { registry.add_plugin_directory(dir.str()); },
                 "NF plugin " + dir.str() +
                     "/b_wrong.so" + wrong_abi_message(),
                 ENOEXEC);
    EXPECT_TRUE(registry.classes().empty()) << "the good plugin was not kept either";
  }
  {
    TempDir dir({{firewall_so(), "a.so"}, {firewall_so(), "b.so"}});
    expect_error([&] { registry.add_plugin_directory(dir.str()); },
                 "NF class 'firewall' is offered by two plugins in " + dir.str(), EEXIST);
  }
  TempDir dir({{firewall_so(), "firewall.so"}, {not_a_plugin_so(), "README.txt"}});
  EXPECT_EQ(registry.add_plugin_directory(dir.str()), std::vector<std::string>{"firewall"});
  expect_error([&] { registry.add_plugin_directory("/nonexistent"); },
               "NF plugin directory /nonexistent cannot be read: No such file or directory",
               ENOENT);
}

// The ELF sections of a shared object, read from the file.
class ElfFile {
 public:
  explicit ElfFile(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    bytes_.assign(std::istreambuf_iterator<char>(in), {});
  }
  const Elf64_Shdr* section(const char* name) const {
    const auto* eh = at<Elf64_Ehdr>(0);
    const auto* names = shdr(eh->e_shstrndx);
    for (unsigned i = 0; i < eh->e_shnum; ++i) {
      const Elf64_Shdr* s = shdr(i);
      if (std::string(&bytes_[names->sh_offset + s->sh_name]) == name) return s;
    }
    return nullptr;
  }
  // Names of the symbols the object defines and exports.
  std::set<std::string> exported() const {
    std::set<std::string> out;
    const Elf64_Shdr* dynsym = section(".dynsym");
    const Elf64_Shdr* dynstr = section(".dynstr");
    for (size_t off = 0; off < dynsym->sh_size; off += sizeof(Elf64_Sym)) {
      const auto* sym = at<Elf64_Sym>(dynsym->sh_offset + off);
      const unsigned bind = ELF64_ST_BIND(sym->st_info);
      if (sym->st_shndx != SHN_UNDEF && bind != STB_LOCAL && sym->st_name != 0)
        out.insert(&bytes_[dynstr->sh_offset + sym->st_name]);
    }
    return out;
  }

 private:
  template <class T>
  const T* at(size_t off) const {
    return reinterpret_cast<const T*>(&bytes_[off]);
  }
  const Elf64_Shdr* shdr(unsigned i) const {
    const auto* eh = at<Elf64_Ehdr>(0);
    return at<Elf64_Shdr>(eh->e_shoff + i * sizeof(Elf64_Shdr));
  }
  std::vector<char> bytes_;
};

TEST_F(Plugins, ExportsOnlyTheDescriptorAndHasNoStaticInitializers) {
  for (const std::string& path : {firewall_so(), env_path("SLUICE_NF_ROUTER_PLUGIN")}) {
    SCOPED_TRACE(path);
    const ElfFile so(path);
    EXPECT_EQ(so.exported(), std::set<std::string>{"sluice_nf_descriptor_v1"});
    const Elf64_Shdr* init = so.section(".init_array");
    ASSERT_NE(init, nullptr);
    EXPECT_EQ(init->sh_size, sizeof(void*))
        << "only the C runtime's frame_dummy: a plugin must not run code at dlopen";
    EXPECT_EQ(so.section(".ctors"), nullptr);
  }
}

}  // namespace
}  // namespace sluice::test
