// The firewall's control path: creation, reconfiguration, statistics and
// the connection listing.
#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <string>

#include "common/error.h"
#include "nf/firewall/firewall.h"

namespace sluice::nf {

namespace {

std::string address_text(const std::array<uint8_t, 16>& a, uint8_t family) {
  char buf[INET6_ADDRSTRLEN];
  inet_ntop(family == 4 ? AF_INET : AF_INET6, a.data(), buf, sizeof buf);
  return buf;
}

std::string proto_text(uint8_t proto) {
  switch (proto) {
    case IPPROTO_TCP:
      return "tcp";
    case IPPROTO_UDP:
      return "udp";
    case IPPROTO_SCTP:
      return "sctp";
    case IPPROTO_ICMP:
      return "icmp";
    case IPPROTO_ICMPV6:
      return "icmpv6";
    default:
      return std::to_string(proto);
  }
}

nlohmann::json connection_json(unsigned worker, const ConnectionSnapshot& c, uint64_t now_ns,
                               size_t default_index) {
  const ConnKey& k = c.key;
  const bool lo = c.initiator_is_lo;
  nlohmann::json rule =
      c.rule >= default_index ? nlohmann::json("default") : nlohmann::json(c.rule);
  return {{"worker", worker},
          {"proto", proto_text(k.proto)},
          {"src", address_text(lo ? k.addr_lo : k.addr_hi, k.family)},
          {"sport", lo ? k.port_lo : k.port_hi},
          {"dst", address_text(lo ? k.addr_hi : k.addr_lo, k.family)},
          {"dport", lo ? k.port_hi : k.port_lo},
          {"state", conn_state_name(c.state)},
          {"expires_in_s", static_cast<double>(c.expires_ns - now_ns) / 1e9},
          {"packets_original", c.packets[0]},
          {"packets_reply", c.packets[1]},
          {"rule", rule}};
}

std::unique_ptr<FirewallVersion> make_version(const nlohmann::json& config, unsigned workers,
                                              int socket_id, uint64_t generation) {
  return std::make_unique<FirewallVersion>(parse_firewall_config(config), workers, socket_id,
                                           generation);
}

}  // namespace

Firewall::Firewall(const NfInit& init)
    : reclaimer_(init.reclaimer),
      worker_count_(init.workers),
      socket_id_(init.socket_id),
      version_(make_version(init.config, init.workers, init.socket_id, 1)) {
  static std::atomic<unsigned> serial{0};
  const std::string prefix = "fwct" + std::to_string(serial++) + "_";
  const uint32_t size = version_.get()->config.settings.conntrack_size;
  for (unsigned w = 0; w < worker_count_; ++w)
    workers_.push_back(
        std::make_unique<FirewallWorker>((prefix + std::to_string(w)).c_str(), size, socket_id_));
}

Firewall::~Firewall() = default;

void Firewall::reconfigure(const nlohmann::json& config) {
  auto next = make_version(config, worker_count_, socket_id_, generation_ + 1);
  const uint32_t size = version_.get()->config.settings.conntrack_size;
  if (next->config.settings.conntrack_size != size)
    throw Error("firewall config: /conntrack/size: cannot change on a running firewall (it is " +
                    std::to_string(size) + "); create a new instance instead",
                EINVAL, "/conntrack/size");
  version_.publish(std::move(next), reclaimer_);
  ++generation_;
}

nlohmann::json Firewall::config() const {
  return version_.get()->config.source;
}

nlohmann::json Firewall::stats() const {
  const FirewallVersion& v = *version_.get();
  nlohmann::json rules = nlohmann::json::array();
  for (size_t i = 0; i < v.config.rules.size(); ++i) {
    const FirewallRule& r = v.config.rules[i];
    rules.push_back({{"index", i},
                     {"name", r.name},
                     {"action", fw_action_name(r.action)},
                     {"hits", v.hits.total(i)}});
  }
  uint64_t active = 0, created = 0, expired = 0, related = 0, replies = 0;
  for (const auto& w : workers_) {
    active += w->table.size();
    created += w->created.read();
    expired += w->expired.read();
    related += w->related.read();
    replies += w->replies.read();
  }
  return {{"generation", v.generation},
          {"rules", rules},
          {"default",
           {{"action", fw_action_name(v.config.settings.default_action)},
            {"hits", v.hits.total(v.default_index())}}},
          {"conntrack",
           {{"active", active},
            {"capacity", static_cast<uint64_t>(v.config.settings.conntrack_size) * worker_count_},
            {"created", created},
            {"expired", expired},
            {"related", related},
            {"rejects_sent", replies}}}};
}

nlohmann::json Firewall::connections(uint64_t cursor, unsigned limit) const {
  const size_t default_index = version_.get()->default_index();
  limit = std::clamp(limit, 1u, kMaxPage);
  const uint64_t slots = workers_[0]->table.slots();
  const uint64_t total = slots * worker_count_;
  nlohmann::json list = nlohmann::json::array();
  uint64_t pos = cursor;
  for (uint64_t scanned = 0; pos < total && list.size() < limit && scanned < kMaxScan;
       ++scanned, ++pos) {
    const unsigned w = static_cast<unsigned>(pos / slots);
    const ConnectionTable& table = workers_[w]->table;
    ConnectionSnapshot c;
    if (!table.snapshot(static_cast<uint32_t>(pos % slots), c) || c.expires_ns <= table.now())
      continue;
    list.push_back(connection_json(w, c, table.now(), default_index));
  }
  return {{"connections", list}, {"next", pos < total ? nlohmann::json(pos) : nlohmann::json()}};
}

}  // namespace sluice::nf
