#include "nf/firewall/connection_table.h"

#include <rte_errno.h>
#include <rte_malloc.h>
#include <rte_prefetch.h>

#include <cstring>
#include <new>
#include <string>

#include "common/error.h"

namespace sluice::nf {

namespace {

bool is_echo(const FirewallPacket& fp) {
  const uint8_t t = fp.icmp_type();
  return fp.family == 4 ? (t == 8 || t == 0) : (t == 128 || t == 129);
}

}  // namespace

bool make_conn_key(const FirewallPacket& fp, ConnKey& key, bool& src_is_lo) noexcept {
  uint16_t sport = 0, dport = 0;
  if (fp.is_icmp()) {
    if (!is_echo(fp)) return false;
    sport = dport = fp.icmp_id;
  } else if (fp.has_l4) {
    sport = fp.sport;
    dport = fp.dport;
  }
  const size_t len = fp.family == 4 ? 4 : 16;
  const int order = std::memcmp(fp.src.data(), fp.dst.data(), len);
  src_is_lo = order < 0 || (order == 0 && sport <= dport);
  key = ConnKey{};
  std::memcpy(key.addr_lo.data(), (src_is_lo ? fp.src : fp.dst).data(), len);
  std::memcpy(key.addr_hi.data(), (src_is_lo ? fp.dst : fp.src).data(), len);
  key.port_lo = src_is_lo ? sport : dport;
  key.port_hi = src_is_lo ? dport : sport;
  key.proto = fp.proto;
  key.family = fp.family;
  return true;
}

ConnectionTable::ConnectionTable(const char* name, uint32_t capacity, int socket_id)
    : capacity_(capacity) {
  rte_hash_parameters params{};
  params.name = name;
  params.entries = capacity;
  params.key_len = sizeof(ConnKey);
  params.hash_func = nullptr;  // rte_hash's default (CRC32 where the CPU has it);
                               // rte_hash_crc.h would add a static constructor
  params.socket_id = socket_id;
  // Extendable buckets: an insert fails only when `capacity` keys are in.
  params.extra_flag = RTE_HASH_EXTRA_FLAGS_EXT_TABLE;
  hash_ = rte_hash_create(&params);
  if (hash_ == nullptr)
    throw Error(std::string("firewall: cannot create connection table ") + name + ": " +
                    rte_strerror(rte_errno),
                rte_errno);
  slot_count_ = static_cast<uint32_t>(rte_hash_max_key_id(hash_)) + 1;
  void* mem =
      rte_zmalloc_socket(name, sizeof(Connection) * slot_count_, RTE_CACHE_LINE_SIZE, socket_id);
  if (mem == nullptr) {
    rte_hash_free(hash_);
    throw Error(std::string("firewall: no memory for ") + std::to_string(capacity) +
                    " connections (conntrack.size)",
                ENOMEM, "/conntrack/size");
  }
  slots_ = static_cast<Connection*>(mem);
  for (uint32_t i = 0; i < slot_count_; ++i) new (&slots_[i]) Connection;
}

ConnectionTable::~ConnectionTable() {
  rte_free(slots_);  // Connection is trivially destructible
  rte_hash_free(hash_);
}

Connection* ConnectionTable::find(const ConnKey& key, hash_sig_t sig, uint64_t now_ns) noexcept {
  const int32_t pos = rte_hash_lookup_with_hash(hash_, &key, sig);
  if (pos < 0) return nullptr;
  Connection& c = slots_[pos];
  if (c.expires_ns > now_ns) return &c;
  remove(c);
  return nullptr;
}

void ConnectionTable::find_bulk(const ConnKey** keys, hash_sig_t* sigs, uint32_t n,
                                Connection** found) noexcept {
  int32_t pos[RTE_HASH_LOOKUP_BULK_MAX];
  if (rte_hash_lookup_with_hash_bulk(hash_, reinterpret_cast<const void**>(keys), sigs, n, pos) !=
      0) {
    for (uint32_t i = 0; i < n; ++i) found[i] = nullptr;
    return;
  }
  for (uint32_t i = 0; i < n; ++i) {
    found[i] = pos[i] >= 0 ? &slots_[pos[i]] : nullptr;
    if (found[i] != nullptr) rte_prefetch0(found[i]);
  }
}

Connection* ConnectionTable::confirm(Connection* c, const ConnKey& key, hash_sig_t sig,
                                     uint64_t now_ns) noexcept {
  if (c == nullptr) return nullptr;  // nothing is inserted before confirm()
  if (c->state == ConnState::free || std::memcmp(&c->key, &key, sizeof key) != 0)
    return find(key, sig, now_ns);  // the slot was freed (and maybe reused)
  if (c->expires_ns > now_ns) return c;
  remove(*c);
  return nullptr;
}

Connection* ConnectionTable::insert(const ConnKey& key, hash_sig_t sig) noexcept {
  if (count_.load(std::memory_order_relaxed) >= capacity_) return nullptr;
  const int32_t pos = rte_hash_add_key_with_hash(hash_, &key, sig);
  if (pos < 0 || static_cast<uint32_t>(pos) >= slot_count_) return nullptr;
  count_.store(count_.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
  return &slots_[pos];
}

void ConnectionTable::remove(Connection& c) noexcept {
  rte_hash_del_key(hash_, &c.key);
  begin_write(c);
  c.state = ConnState::free;
  end_write(c);
  count_.store(count_.load(std::memory_order_relaxed) - 1, std::memory_order_relaxed);
}

unsigned ConnectionTable::expire(uint64_t now_ns, unsigned budget) noexcept {
  unsigned removed = 0;
  for (unsigned i = 0; i < budget && count_.load(std::memory_order_relaxed) != 0; ++i) {
    Connection& c = slots_[scan_];
    scan_ = scan_ + 1 == slot_count_ ? 0 : scan_ + 1;
    if (c.state != ConnState::free && c.expires_ns <= now_ns) {
      remove(c);
      ++removed;
    }
  }
  return removed;
}

bool ConnectionTable::snapshot(uint32_t slot, ConnectionSnapshot& out) const noexcept {
  const Connection& c = slots_[slot];
  for (int attempt = 0; attempt < 4; ++attempt) {
    const uint32_t before = c.seq.load(std::memory_order_acquire);
    if (before & 1) continue;
    // A racy copy, validated by the sequence count below (the seqlock idiom).
    out.state = c.state;
    out.initiator_is_lo = c.initiator_is_lo;
    out.rule = c.rule;
    out.expires_ns = c.expires_ns;
    out.packets = c.packets;
    std::memcpy(&out.key, &c.key, sizeof out.key);
    std::atomic_thread_fence(std::memory_order_acquire);
    if (c.seq.load(std::memory_order_relaxed) == before) return out.state != ConnState::free;
  }
  return false;
}

}  // namespace sluice::nf
