// The firewall's data path: one pass over a batch (see firewall.h for the
// per-packet semantics), in four steps that each keep batch order: parse,
// one bulk connection lookup, settle packets of tracked connections, then
// classify the rest with rte_acl (one call per IP version) and settle them.
#include <netinet/in.h>

#include "nf/firewall/firewall.h"
#include "nf/firewall/reject_reply.h"

namespace sluice::nf {

namespace {

uint64_t timeout_of(const Timeouts& t, uint8_t proto, ConnState s) {
  switch (s) {
    case ConnState::syn_sent:
    case ConnState::syn_received:
      return t.tcp_syn;
    case ConnState::established:
      return t.tcp_established;
    case ConnState::fin_wait:
    case ConnState::closing:
      return t.tcp_fin;
    case ConnState::time_wait:
    case ConnState::closed:
      return t.tcp_closed;
    default:
      return proto == IPPROTO_ICMP || proto == IPPROTO_ICMPV6 ? t.icmp : t.udp;
  }
}

bool is_icmp_error(const FirewallPacket& fp) {
  const uint8_t t = fp.icmp_type();
  return fp.is_icmp() &&
         (fp.family == 4 ? (t == 3 || t == 4 || t == 5 || t == 11 || t == 12) : t < 128);
}

bool is_neighbour_discovery(const FirewallPacket& fp) {
  return fp.family == 6 && fp.is_icmp() && fp.icmp_type() >= 133 && fp.icmp_type() <= 137;
}

bool is_echo_reply(const FirewallPacket& fp) {
  return fp.is_icmp() && fp.icmp_type() == (fp.family == 4 ? 0 : 129);
}

// The datagram an ICMP error quotes (its IP header and first 8 bytes of L4),
// read within the error's own datagram.
bool parse_quoted(const rte_mbuf* m, const FirewallPacket& outer, FirewallPacket& in) {
  const uint32_t off = outer.l4 + 8u, end = outer.l3_end;
  uint8_t buf[40];
  const uint32_t ip_len = outer.family == 4 ? 20 : 40;
  const uint8_t* p = off + ip_len <= end ? parse::read(m, off, ip_len, buf) : nullptr;
  if (p == nullptr || (p[0] >> 4) != outer.family) return false;
  uint32_t l4 = off + ip_len;
  in.family = outer.family;
  if (outer.family == 4) {
    l4 = off + (p[0] & 0x0fu) * 4;
    if ((p[0] & 0x0f) < 5) return false;
    in.proto = p[9];
    std::memcpy(in.src.data(), p + 12, 4);
    std::memcpy(in.dst.data(), p + 16, 4);
  } else {
    in.proto = p[6];
    std::memcpy(in.src.data(), p + 8, 16);
    std::memcpy(in.dst.data(), p + 24, 16);
  }
  const uint8_t* h = l4 + 8 <= end ? parse::read(m, l4, 8, buf) : nullptr;
  if (h == nullptr) return false;
  in.has_l4 = true;
  in.sport = in.proto == outer.proto ? h[0] : parse::be16(h);  // ICMP: type
  in.dport = in.proto == outer.proto ? h[1] : parse::be16(h + 2);
  in.icmp_id = parse::be16(h + 4);
  return true;
}

// One batch through one firewall version on one worker.
class BatchPass {
 public:
  BatchPass(const FirewallVersion& v, FirewallWorker& w, const BatchContext& ctx, GateOutput& out)
      : v_(v), s_(v.config.settings), w_(w), ctx_(ctx), out_(out) {}

  void run(const PacketBatch& batch) noexcept {
    unsigned live = 0;  // packets that passed parsing, in batch order
    for (uint16_t i = 0; i < batch.count; ++i) {
      pending_[live].m = batch.pkts[i];
      if (!settle_by_header(pending_[live])) ++live;
    }
    look_up_connections(live);
    unsigned n = 0;  // packets the rules must decide, in batch order
    for (unsigned i = 0; i < live; ++i) {
      if (settle_by_state(pending_[i])) continue;
      if (n != i) pending_[n] = pending_[i];
      ++n;
    }
    if (n != 0) classify(n);
    for (unsigned i = 0; i < n; ++i) settle_by_rule(pending_[i], results_[i]);
    w_.expired.add(w_.table.expire(ctx_.now_ns, Firewall::kExpiryBudget));
  }

 private:
  struct Pending {
    rte_mbuf* m;
    FirewallPacket fp;
    ConnKey key;
    hash_sig_t sig;
    bool tracked;
    bool src_is_lo;
    Connection* candidate;  // from find_bulk, to confirm
  };

  void forward(rte_mbuf* m) { out_.emit(kForward, m); }
  void drop(rte_mbuf* m, FwDrop why) { out_.drop(m, reason(why)); }

  // Step 1 of firewall.h. False: a well-formed IP packet that state or rules
  // decide; its connection key is ready.
  bool settle_by_header(Pending& p) noexcept {
    p.fp = FirewallPacket{};
    switch (parse_packet(p.m, p.fp)) {
      case ParseResult::ok:
        break;
      case ParseResult::non_ip:
        s_.non_ip_allow ? forward(p.m) : drop(p.m, FwDrop::non_ip);
        return true;
      case ParseResult::fragment:
        s_.fragments_allow ? forward(p.m) : drop(p.m, FwDrop::fragment);
        return true;
      case ParseResult::truncated:
        drop(p.m, FwDrop::truncated);
        return true;
      case ParseResult::bad_header:
        drop(p.m, FwDrop::bad_header);
        return true;
    }
    if (s_.ipv6_nd_allow && is_neighbour_discovery(p.fp)) {
      forward(p.m);
      return true;
    }
    if (p.fp.proto == IPPROTO_TCP && !tcp_flags_sane(p.fp.tcp_flags)) {
      drop(p.m, FwDrop::invalid);
      return true;
    }
    p.tracked = make_conn_key(p.fp, p.key, p.src_is_lo);
    if (p.tracked) p.sig = w_.table.hash(p.key);
    p.candidate = nullptr;
    return false;
  }

  // One bulk lookup for the tracked packets of the batch.
  void look_up_connections(unsigned live) noexcept {
    const ConnKey* keys[kBurst];
    hash_sig_t sigs[kBurst];
    Connection* found[kBurst];
    uint8_t index[kBurst];
    uint32_t n = 0;
    for (unsigned i = 0; i < live; ++i) {
      if (!pending_[i].tracked) continue;
      keys[n] = &pending_[i].key;
      sigs[n] = pending_[i].sig;
      index[n++] = static_cast<uint8_t>(i);
    }
    if (n == 0) return;
    w_.table.find_bulk(keys, sigs, n, found);
    for (uint32_t k = 0; k < n; ++k) pending_[index[k]].candidate = found[k];
  }

  // Step 2 of firewall.h. False: the rules must decide.
  bool settle_by_state(Pending& p) noexcept {
    if (p.tracked) {
      Connection* c = w_.table.confirm(p.candidate, p.key, p.sig, ctx_.now_ns);
      if (c && follow(*c, p)) return true;
    }
    if (related(p)) {
      w_.related.add();
      forward(p.m);
      return true;
    }
    return false;
  }

  // A packet of a tracked connection. False: the connection restarts (its
  // entry is gone) and the rules must decide.
  bool follow(Connection& c, Pending& p) noexcept {
    const Dir dir = c.direction(p.src_is_lo);
    ConnState next = c.state;
    Dir closer = c.closer;
    if (p.fp.proto == IPPROTO_TCP) {
      const TcpStep step = tcp_step(c.state, c.closer, dir, p.fp.tcp_flags);
      if (step.verdict == TcpVerdict::invalid) {
        drop(p.m, FwDrop::invalid);
        return true;
      }
      if (step.verdict == TcpVerdict::restart) {
        w_.table.remove(c);
        return false;
      }
      next = step.next;
      closer = step.closer;
    } else if (dir == Dir::reply) {
      next = ConnState::replied;
    }
    ConnectionTable::begin_write(c);
    c.state = next;
    c.closer = closer;
    ++c.packets[static_cast<unsigned>(dir)];
    c.expires_ns = ctx_.now_ns + timeout_of(s_.timeouts, p.fp.proto, next);
    ConnectionTable::end_write(c);
    forward(p.m);
    return true;
  }

  bool related(const Pending& p) noexcept {
    if (!is_icmp_error(p.fp)) return false;
    FirewallPacket quoted;
    ConnKey key;
    bool src_is_lo;
    if (!parse_quoted(p.m, p.fp, quoted) || !make_conn_key(quoted, key, src_is_lo)) return false;
    return w_.table.find(key, w_.table.hash(key), ctx_.now_ns) != nullptr;
  }

  void classify(unsigned n) noexcept {
    const uint8_t* keys[2][kBurst];
    uint32_t found[2][kBurst];
    uint8_t slot[2][kBurst];
    uint32_t count[2] = {0, 0};
    for (unsigned i = 0; i < n; ++i) {
      make_acl_key(pending_[i].fp, ctx_.in_port, acl_keys_[i]);
      const unsigned f = pending_[i].fp.family == 4 ? 0 : 1;
      keys[f][count[f]] = reinterpret_cast<const uint8_t*>(&acl_keys_[i]);
      slot[f][count[f]++] = static_cast<uint8_t>(i);
    }
    for (unsigned f = 0; f < 2; ++f) {
      if (count[f] == 0) continue;
      v_.acl.classify(f == 0 ? 4 : 6, keys[f], found[f], count[f]);
      for (uint32_t k = 0; k < count[f]; ++k) results_[slot[f][k]] = found[f][k];
    }
  }

  // Step 3 of firewall.h. `result` is a rule index plus one, or 0.
  void settle_by_rule(Pending& p, uint32_t result) noexcept {
    // An earlier packet of this batch may have opened this connection.
    if (opened_ && p.tracked) {
      if (Connection* c = w_.table.find(p.key, p.sig, ctx_.now_ns); c && follow(*c, p)) return;
    }
    const size_t index = result != 0 ? result - 1 : v_.default_index();
    v_.hits.hit(ctx_.worker, index);
    switch (result != 0 ? v_.config.rules[index].action : s_.default_action) {
      case FwAction::allow:
        return open(p, static_cast<uint16_t>(index));
      case FwAction::deny:
        return drop(p.m, result != 0 ? FwDrop::deny : FwDrop::default_deny);
      case FwAction::reject:
        if (rte_mbuf* reply = make_reject_reply(p.m, p.fp)) {
          w_.replies.add();
          return out_.emit(kReply, reply);
        }
        return drop(p.m, FwDrop::reject_no_reply);
    }
  }

  void open(Pending& p, uint16_t rule) noexcept {
    const bool tcp = p.fp.proto == IPPROTO_TCP;
    if (tcp && !tcp_opens(p.fp.tcp_flags) && !s_.tcp_loose) return drop(p.m, FwDrop::invalid);
    if (!p.tracked || is_echo_reply(p.fp)) return forward(p.m);
    Connection* c = w_.table.insert(p.key, p.sig);
    if (c == nullptr) {  // full: reclaim what has expired, within a bound, and retry
      w_.expired.add(w_.table.expire(ctx_.now_ns, Firewall::kFullSweepBudget));
      c = w_.table.insert(p.key, p.sig);
    }
    if (c == nullptr) return drop(p.m, FwDrop::conntrack_full);
    const ConnState state = !tcp                        ? ConnState::unreplied
                            : tcp_opens(p.fp.tcp_flags) ? ConnState::syn_sent
                                                        : ConnState::established;
    ConnectionTable::begin_write(*c);
    c->key = p.key;
    c->state = state;
    c->closer = Dir::original;
    c->initiator_is_lo = p.src_is_lo;
    c->rule = rule;
    c->packets = {1, 0};
    c->expires_ns = ctx_.now_ns + timeout_of(s_.timeouts, p.fp.proto, state);
    ConnectionTable::end_write(*c);
    opened_ = true;
    w_.created.add();
    forward(p.m);
  }

  const FirewallVersion& v_;
  const FirewallSettings& s_;
  FirewallWorker& w_;
  const BatchContext& ctx_;
  GateOutput& out_;
  bool opened_ = false;
  Pending pending_[kBurst];
  AclKey acl_keys_[kBurst];
  uint32_t results_[kBurst];
};

}  // namespace

void Firewall::process(const BatchContext& ctx, const PacketBatch& batch,
                       GateOutput& out) noexcept {
  FirewallWorker& w = *workers_[ctx.worker];
  w.table.set_now(ctx.now_ns);
  BatchPass(*version_.get(), w, ctx, out).run(batch);
}

}  // namespace sluice::nf
