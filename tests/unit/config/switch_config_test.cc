#include "dataplane/config/switch_config.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <fstream>
#include <initializer_list>
#include <string>
#include <vector>

#include "common/error.h"

namespace sluice {
namespace {

using Strings = std::vector<std::string>;

SwitchConfig parse(std::initializer_list<const char*> args) {
  std::vector<const char*> argv{"sluiced"};
  argv.insert(argv.end(), args.begin(), args.end());
  return parse_switch_config(static_cast<int>(argv.size()), argv.data());
}

Strings names(const SwitchConfig& config) {
  Strings out;
  for (const auto& port : config.ports) out.push_back(port.name);
  return out;
}

// Runs `f`, expecting a sluice::Error with exactly `message` and `path`.
template <typename F>
void expect_error(F&& f, const std::string& message, const std::string& path, int code = EINVAL) {
  try {
    f();
    ADD_FAILURE() << "no error; expected: " << message;
  } catch (const Error& e) {
    EXPECT_EQ(e.what(), message);
    EXPECT_EQ(e.path(), path);
    EXPECT_EQ(e.code(), code);
  }
}

class TempFile {
 public:
  explicit TempFile(const std::string& text)
      : path_("/tmp/sluice-config-test-" + std::to_string(::getpid()) + "-" +
              std::to_string(counter_++) + ".json") {
    std::ofstream(path_) << text;
  }
  ~TempFile() { std::remove(path_.c_str()); }
  const std::string& path() const { return path_; }

 private:
  static inline int counter_ = 0;
  std::string path_;
};

TEST(SwitchConfigCli, Defaults) {
  SwitchConfig c = parse({});
  EXPECT_TRUE(c.ports.empty());
  EXPECT_TRUE(c.eal_args.empty());
  EXPECT_EQ(c.workers, 0u);
  EXPECT_EQ(c.mac_aging_s, 300u);
  EXPECT_EQ(c.stats_interval_s, 0u);
  EXPECT_FALSE(c.stats_json);
  EXPECT_EQ(c.mbufs, 0u);
  EXPECT_FALSE(c.keep_offloads);
  EXPECT_EQ(c.flows_file, "");
  EXPECT_FALSE(c.show_help);
  EXPECT_FALSE(c.show_version);
}

TEST(SwitchConfigCli, EveryFlagInBothForms) {
  SwitchConfig c = parse({"-p", "veth:sw-a", "--port=b=veth:sw-b", "-pring:r0", "--port", "null",
                          "-w", "2", "--mac-aging=60", "--stats-interval", "5", "--stats-format",
                          "json", "--mbufs=4096", "--keep-offloads", "--flows", "rules.txt"});
  EXPECT_EQ(names(c), (Strings{"sw-a", "b", "r0", "null"}));
  EXPECT_EQ(c.ports[1].devargs, "net_af_packet_b,iface=sw-b");
  EXPECT_EQ(c.workers, 2u);
  EXPECT_EQ(c.mac_aging_s, 60u);
  EXPECT_EQ(c.stats_interval_s, 5u);
  EXPECT_TRUE(c.stats_json);
  EXPECT_EQ(c.mbufs, 4096u);
  EXPECT_TRUE(c.keep_offloads);
  EXPECT_EQ(c.flows_file, "rules.txt");
  EXPECT_EQ(parse({"--workers=127"}).workers, 127u);
  EXPECT_EQ(parse({"-w0"}).workers, 0u);
  EXPECT_FALSE(parse({"--stats-format=json", "--stats-format", "text"}).stats_json);
}

TEST(SwitchConfigCli, EalArgsFromEalFlagAndAfterDoubleDash) {
  SwitchConfig c = parse({"--eal", " -l 0-1   --no-huge ", "-p", "null", "--eal=-m 512", "--",
                          "--file-prefix", "x", "--", "-p"});
  EXPECT_EQ(c.eal_args,
            (Strings{"-l", "0-1", "--no-huge", "-m", "512", "--file-prefix", "x", "--", "-p"}));
  EXPECT_EQ(names(c), (Strings{"null"}));
}

TEST(SwitchConfigCli, HelpAndVersionWinOverEverythingElse) {
  EXPECT_TRUE(parse({"--bogus", "-h"}).show_help);
  EXPECT_TRUE(parse({"--help"}).show_help);
  EXPECT_TRUE(parse({"-w", "999", "-V"}).show_version);
  EXPECT_TRUE(parse({"--version", "--config", "/nonexistent"}).show_version);
  EXPECT_FALSE(parse({"--", "-h"}).show_help);
}

TEST(SwitchConfigCli, Errors) {
  expect_error([] { parse({"--bogus"}); }, "unknown option \"--bogus\" (see --help)", "--bogus");
  expect_error([] { parse({"--bogus=1"}); }, "unknown option \"--bogus=1\" (see --help)",
               "--bogus=1");
  expect_error([] { parse({"-x"}); }, "unknown option \"-x\" (see --help)", "-x");
  expect_error([] { parse({"foo"}); }, "unexpected argument \"foo\" (EAL arguments go after --)",
               "foo");
  expect_error([] { parse({"--workers"}); }, "--workers: needs a value", "--workers");
  expect_error([] { parse({"-p"}); }, "--port: needs a value", "--port");
  expect_error(
      [] {
        parse({"--workers", "128"});
      },
      "--workers: must be from 0 to 127, got 128", "--workers");
  expect_error(
      [] {
        parse({"-w", "abc"});
      },
      "--workers: expected an integer from 0 to 127, got \"abc\"", "--workers");
  expect_error(
      [] {
        parse({"-w", "-1"});
      },
      "--workers: expected an integer from 0 to 127, got \"-1\"", "--workers");
  expect_error([] { parse({"--workers="}); },
               "--workers: expected an integer from 0 to 127, got \"\"", "--workers");
  expect_error(
      [] {
        parse({"--workers", "99999999999999999999"});
      },
      "--workers: expected an integer from 0 to 127, got \"99999999999999999999\"", "--workers");
  expect_error(
      [] {
        parse({"--mac-aging", "0"});
      },
      "--mac-aging: must be from 1 to 86400, got 0", "--mac-aging");
  expect_error([] { parse({"--stats-interval=86401"}); },
               "--stats-interval: must be from 0 to 86400, got 86401", "--stats-interval");
  expect_error(
      [] {
        parse({"--mbufs", "100"});
      },
      "--mbufs: must be 0 or from 1024 to 16777216, got 100", "--mbufs");
  expect_error([] { parse({"--stats-format=xml"}); },
               "--stats-format: expected text or json, got \"xml\"", "--stats-format");
  expect_error([] { parse({"--keep-offloads=yes"}); }, "--keep-offloads: takes no value",
               "--keep-offloads");
  expect_error([] { parse({"--config="}); }, "--config: needs a file name", "--config");
  expect_error(
      [] {
        parse({"--port", "foo:x"});
      },
      "--port: port spec \"foo:x\": unknown port type \"foo\" (expected veth, kernel, "
      "afxdp, vhost, pci, pcap, ring, null or net_... devargs)",
      "--port");
}

TEST(SwitchConfigCli, DuplicatePortsAreRejected) {
  expect_error(
      [] {
        parse({"-p", "null", "-p", "null"});
      },
      "duplicate port name \"null\": give each port a distinct NAME= prefix", "--port");
  expect_error(
      [] {
        parse({"-p", "veth:x", "-p", "x=null"});
      },
      "duplicate port name \"x\": give each port a distinct NAME= prefix", "--port");
  expect_error(
      [] {
        parse({"-p", "a=veth:x", "-p", "b=afxdp:x"});
      },
      "ports \"a\" and \"b\" both use interface x", "--port");
  expect_error(
      [] {
        parse({"-p", "a=ring:r", "-p", "b=ring:r"});
      },
      "ports \"a\" and \"b\" both use device net_ring_r", "--port");
  expect_error(
      [] {
        parse({"-p", "a=pci:03:00.0", "-p", "b=pci:0000:03:00.0"});
      },
      "ports \"a\" and \"b\" both use device 0000:03:00.0", "--port");
  expect_error(
      [] {
        parse({"-p", "a=vhost:/tmp/v.sock", "-p", "b=vhost:/tmp/v.sock"});
      },
      "ports \"a\" and \"b\" both use socket /tmp/v.sock", "--port");
  EXPECT_EQ(names(parse({"-p", "null", "-p", "n2=null"})), (Strings{"null", "n2"}));
}

TEST(SwitchConfigCli, ConfigFileThenFlags) {
  TempFile file(R"({"ports": ["veth:sw-a", {"name": "up", "spec": "pci:0001:03:00.0"}],
                    "workers": 1, "mac_aging": 120, "stats_interval": 10, "mbufs": 8192,
                    "keep_offloads": false, "flows": "file.rules", "eal": ["-l", "0-1"]})");
  SwitchConfig c = parse({"-p", "null", "--config", file.path().c_str(), "-w", "3"});
  EXPECT_EQ(names(c), (Strings{"sw-a", "up", "null"}));
  EXPECT_EQ(c.ports[1].devargs, "0001:03:00.0");
  EXPECT_EQ(c.workers, 3u);
  EXPECT_EQ(c.mac_aging_s, 120u);
  EXPECT_EQ(c.stats_interval_s, 10u);
  EXPECT_EQ(c.mbufs, 8192u);
  EXPECT_EQ(c.flows_file, "file.rules");
  EXPECT_EQ(c.eal_args, (Strings{"-l", "0-1"}));

  SwitchConfig d = parse({"-c", file.path().c_str(), "--flows=cli.rules", "--", "-l", "2-3"});
  EXPECT_EQ(d.eal_args, (Strings{"-l", "2-3"}));
  EXPECT_EQ(d.flows_file, "cli.rules");
  EXPECT_EQ(d.workers, 1u);
}

TEST(SwitchConfigCli, ConfigFileErrors) {
  expect_error(
      [] {
        parse({"--config", "/nonexistent/sluice.json"});
      },
      "config file \"/nonexistent/sluice.json\": cannot read it: No such file or directory",
      "--config", ENOENT);

  TempFile bad_spec(R"({"ports": ["null", {"spec": "foo:x"}]})");
  expect_error(
      [&] {
        parse({"--config", bad_spec.path().c_str()});
      },
      "config file \"" + bad_spec.path() +
          "\": /ports/1/spec: port spec \"foo:x\": unknown port type \"foo\" (expected "
          "veth, kernel, afxdp, vhost, pci, pcap, ring, null or net_... devargs)",
      "/ports/1/spec");

  TempFile one_null(R"({"ports": ["null"]})");
  expect_error(
      [&] {
        parse({"-c", one_null.path().c_str(), "-p", "null"});
      },
      "duplicate port name \"null\": give each port a distinct NAME= prefix", "--port");

  TempFile not_json("{\"workers\": }");
  expect_error(
      [&] {
        parse({"-c", not_json.path().c_str()});
      },
      "config file \"" + not_json.path() +
          "\": not valid JSON: parse error at line 1, column 13: syntax error while "
          "parsing value - unexpected '}'; expected '[', '{', or a literal",
      "");
}

class ConfigJson : public ::testing::Test {
 protected:
  void expect_json_error(const std::string& text, const std::string& message,
                         const std::string& path) {
    SwitchConfig config;
    config.workers = 7;
    expect_error([&] { apply_config_json(text, config); }, message, path);
    EXPECT_EQ(config.workers, 7u) << "config changed by a rejected document";
    EXPECT_TRUE(config.ports.empty());
  }
};

TEST_F(ConfigJson, GoodDocument) {
  SwitchConfig c;
  c.eal_args = {"--old"};
  apply_config_json(R"({"ports": ["veth:sw-a", {"name": "uplink", "spec": "pci:0000:03:00.0"},
                                  {"spec": "ring:r1"}],
                        "workers": 1, "mac_aging": 86400, "stats_interval": 0, "mbufs": 0,
                        "stats_format": "json", "keep_offloads": true, "flows": "rules.txt",
                        "eal": ["-l", "0-1"]})",
                    c);
  EXPECT_EQ(names(c), (Strings{"sw-a", "uplink", "r1"}));
  EXPECT_EQ(c.ports[1].kind, PortKind::pci);
  EXPECT_EQ(c.ports[1].devargs, "0000:03:00.0");
  EXPECT_EQ(c.workers, 1u);
  EXPECT_EQ(c.mac_aging_s, 86400u);
  EXPECT_EQ(c.mbufs, 0u);
  EXPECT_TRUE(c.stats_json);
  EXPECT_TRUE(c.keep_offloads);
  EXPECT_EQ(c.flows_file, "rules.txt");
  EXPECT_EQ(c.eal_args, (Strings{"-l", "0-1"}));

  SwitchConfig empty;
  apply_config_json("{}", empty);
  EXPECT_EQ(empty.mac_aging_s, 300u);
}

TEST_F(ConfigJson, UnknownKeys) {
  expect_json_error(R"({"workers": 1, "colour": "red"})",
                    "/colour: unknown key (known keys: ports, workers, mac_aging, stats_interval, "
                    "stats_format, mbufs, keep_offloads, flows, listen, token_file, max_body, "
                    "max_routes_body, eal, nf_plugins, nfs)",
                    "/colour");
  expect_json_error(R"({"ports": [{"spec": "null", "nam": "x"}]})",
                    "/ports/0/nam: unknown key (known keys: name, spec)", "/ports/0/nam");
}

TEST_F(ConfigJson, WrongTypes) {
  expect_json_error(R"({"workers": "2"})", "/workers: expected an unsigned integer, got string",
                    "/workers");
  expect_json_error(R"({"workers": 1.5})", "/workers: expected an unsigned integer, got 1.5",
                    "/workers");
  expect_json_error(R"({"mac_aging": true})",
                    "/mac_aging: expected an unsigned integer, got boolean", "/mac_aging");
  expect_json_error(R"({"keep_offloads": "yes"})", "/keep_offloads: expected a boolean, got string",
                    "/keep_offloads");
  expect_json_error(R"({"stats_format": true})",
                    "/stats_format: expected \"text\" or \"json\", got boolean", "/stats_format");
  expect_json_error(R"({"stats_format": "yaml"})",
                    "/stats_format: expected text or json, got \"yaml\"", "/stats_format");
  expect_json_error(R"({"flows": 3})", "/flows: expected a string, got number", "/flows");
  expect_json_error(R"({"eal": "-l 0-1"})", "/eal: expected an array of strings, got string",
                    "/eal");
  expect_json_error(R"({"eal": ["-l", 1]})", "/eal/1: expected a string, got number", "/eal/1");
  expect_json_error(R"({"ports": {"a": "null"}})", "/ports: expected an array, got object",
                    "/ports");
  expect_json_error(R"({"ports": [3]})",
                    "/ports/0: expected a spec string or an object, got number", "/ports/0");
  expect_json_error(R"({"ports": [{"spec": 3}]})", "/ports/0/spec: expected a string, got number",
                    "/ports/0/spec");
  expect_json_error(R"({"ports": [{"name": null, "spec": "null"}]})",
                    "/ports/0/name: expected a string, got null", "/ports/0/name");
  expect_json_error("[1, 2]", "the config must be a JSON object, got array", "");
}

TEST_F(ConfigJson, OutOfRange) {
  expect_json_error(R"({"workers": 200})", "/workers: must be from 0 to 127, got 200", "/workers");
  expect_json_error(R"({"workers": -1})", "/workers: must be from 0 to 127, got -1", "/workers");
  expect_json_error(R"({"mac_aging": 0})", "/mac_aging: must be from 1 to 86400, got 0",
                    "/mac_aging");
  expect_json_error(R"({"stats_interval": 100000})",
                    "/stats_interval: must be from 0 to 86400, got 100000", "/stats_interval");
  expect_json_error(R"({"mbufs": 16777217})",
                    "/mbufs: must be 0 or from 1024 to 16777216, got 16777217", "/mbufs");
  expect_json_error(R"({"mbufs": 99999999999999999999})",
                    "/mbufs: expected an unsigned integer, got 1e+20", "/mbufs");
}

TEST_F(ConfigJson, Ports) {
  expect_json_error(R"({"ports": ["null", {"name": "x", "spec": "bogus:1"}]})",
                    "/ports/1/spec: port spec \"bogus:1\": unknown port type \"bogus\" "
                    "(expected veth, kernel, afxdp, vhost, pci, pcap, ring, null or net_... "
                    "devargs)",
                    "/ports/1/spec");
  expect_json_error(R"({"ports": ["veth:"]})",
                    "/ports/0: port spec \"veth:\": empty interface name", "/ports/0");
  expect_json_error(R"({"ports": [{"name": "x"}]})", "/ports/0: missing \"spec\"", "/ports/0");
  expect_json_error(R"({"ports": [{"name": "x", "spec": "y=null"}]})",
                    "/ports/0/name: the spec names the port too (NAME=); give the name once",
                    "/ports/0/name");
  expect_json_error(R"({"ports": [{"name": "9x", "spec": "null"}]})",
                    "/ports/0/name: port name \"9x\" must start with a letter", "/ports/0/name");
  expect_json_error(R"({"ports": ["null", "veth:a", {"spec": "null"}]})",
                    "/ports/2: duplicate port name \"null\": give each port a distinct NAME= "
                    "prefix",
                    "/ports/2");
  expect_json_error(R"({"ports": ["veth:a", "b=veth:a"]})",
                    "/ports/1: ports \"a\" and \"b\" both use interface a", "/ports/1");
}

TEST_F(ConfigJson, NetworkFunctions) {
  SwitchConfig c;
  apply_config_json(R"({"nf_plugins": ["/usr/lib/sluice/nf"],
                        "nfs": [{"name": "fw", "class": "firewall", "number": 3,
                                 "config": {"default": "deny"}},
                                {"name": "fw2", "class": "firewall"}]})",
                    c);
  EXPECT_EQ(c.nf_plugin_dirs, (Strings{"/usr/lib/sluice/nf"}));
  ASSERT_EQ(c.nfs.size(), 2u);
  EXPECT_EQ(c.nfs[0].name, "fw");
  EXPECT_EQ(c.nfs[0].class_name, "firewall");
  EXPECT_EQ(c.nfs[0].number, 3u);
  EXPECT_EQ(c.nfs[0].config["default"], "deny");
  EXPECT_EQ(c.nfs[0].origin, "/nfs/0");
  EXPECT_EQ(c.nfs[1].number, 0u);
  EXPECT_TRUE(c.nfs[1].config.is_object() && c.nfs[1].config.empty());

  expect_json_error(R"({"nfs": [{"class": "firewall"}]})", "/nfs/0/name: missing", "/nfs/0/name");
  expect_json_error(R"({"nfs": [{"name": "fw", "class": "firewall", "number": 256}]})",
                    "/nfs/0/number: must be from 1 to 255, got 256", "/nfs/0/number");
  expect_json_error(R"({"nfs": [{"name": "fw", "class": "firewall", "config": []}]})",
                    "/nfs/0/config: expected an object, got array", "/nfs/0/config");
  expect_json_error(R"({"nfs": [{"name": "fw", "klass": "firewall"}]})",
                    "/nfs/0/klass: unknown key (known keys: name, class, config, number)",
                    "/nfs/0/klass");
}

TEST(SwitchConfigCli, NetworkFunctionFlags) {
  TempFile fw(R"({"default": "reject"})");
  const std::string nf = "fw=firewall:" + fw.path();
  SwitchConfig c = parse({"--nf-plugin", "/opt/nf", "--nf", nf.c_str(), "--nf", "open=firewall"});
  EXPECT_EQ(c.nf_plugin_dirs, (Strings{"/opt/nf"}));
  ASSERT_EQ(c.nfs.size(), 2u);
  EXPECT_EQ(c.nfs[0].name, "fw");
  EXPECT_EQ(c.nfs[0].config["default"], "reject");
  EXPECT_EQ(c.nfs[1].name, "open");
  EXPECT_TRUE(c.nfs[1].config.empty());

  expect_error([] { parse({"--nf", "firewall"}); },
               "--nf: expected NAME=CLASS[:CONFIG-FILE], got \"firewall\"", "--nf");
  TempFile bad("{");
  const std::string broken = "fw=firewall:" + bad.path();
  try {
    parse({"--nf", broken.c_str()});
    ADD_FAILURE() << "no error for a config file that is not JSON";
  } catch (const Error& e) {
    EXPECT_EQ(e.path(), "--nf");
    EXPECT_NE(std::string(e.what()).find("is not valid JSON"), std::string::npos) << e.what();
  }
}

TEST_F(ConfigJson, NotJson) {
  expect_json_error("",
                    "not valid JSON: parse error at line 1, column 1: syntax error while parsing "
                    "value - unexpected end of input; expected '[', '{', or a literal",
                    "");
}

}  // namespace
}  // namespace sluice

namespace sluice {
namespace {

TEST(SwitchConfigAgent, ListenDefaultsToLoopbackAndCanBeTurnedOff) {
  EXPECT_EQ(parse({}).listen, "127.0.0.1:8181");
  EXPECT_EQ(parse({"--listen", "none"}).listen, "none");
  EXPECT_EQ(parse({"--listen=0.0.0.0:9000"}).listen, "0.0.0.0:9000");
  expect_error([] { parse({"--listen="}); }, "--listen: needs ADDRESS:PORT or none", "--listen");
}

TEST(SwitchConfigAgent, BodyLimitsInMib) {
  const SwitchConfig defaults = parse({});
  EXPECT_EQ(defaults.max_body_mib, 16u);
  EXPECT_EQ(defaults.max_routes_body_mib, 256u);
  const SwitchConfig c = parse({"--max-body", "32", "--max-routes-body=1024"});
  EXPECT_EQ(c.max_body_mib, 32u);
  EXPECT_EQ(c.max_routes_body_mib, 1024u);
  expect_error([] { parse({"--max-routes-body", "0"}); },
               "--max-routes-body: must be from 1 to 4096, got 0", "--max-routes-body");
  SwitchConfig j;
  apply_config_json(R"({"max_body": 8, "max_routes_body": 512})", j);
  EXPECT_EQ(j.max_body_mib, 8u);
  EXPECT_EQ(j.max_routes_body_mib, 512u);
  expect_error([&] { apply_config_json(R"({"max_body": 5000})", j); },
               "/max_body: must be from 1 to 4096, got 5000", "/max_body");
}

TEST(SwitchConfigAgent, TokenFileIsReadAndTrimmed) {
  TempFile token("s3cret \n");
  SwitchConfig c = parse({"--token-file", token.path().c_str()});
  EXPECT_EQ(c.token, "s3cret");
  TempFile empty(" \n");
  const std::string path = empty.path();
  expect_error([&] { parse({"--token-file", path.c_str()}); },
               "token file \"" + path + "\" is empty: put the bearer token in it", "--token-file");
  expect_error([] { parse({"--token-file", "/nonexistent/token"}); },
               "token file \"/nonexistent/token\": cannot read it: No such file or directory",
               "--token-file", ENOENT);
}

}  // namespace
}  // namespace sluice
