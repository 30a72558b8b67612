// States of a tracked connection and the TCP state machine that moves them.
// Pure functions, no DPDK: the tracker's rules can be tested one transition
// at a time.
//
// The machine follows the segments both ways (no sequence-window checks):
//   syn_sent      initiator sent SYN
//   syn_received  responder answered SYN+ACK
//   established   initiator acknowledged the SYN+ACK
//   fin_wait      one side sent FIN      (`closer` = that side)
//   closing       both sides sent FIN    (`closer` = the second one)
//   time_wait     the first closer acknowledged the second FIN
//   closed        a RST was seen
// A SYN (from either side) in time_wait or closed starts a new connection:
// the old entry is dropped and the rules decide again.
//
// Thread-safety: constants and pure functions.
#pragma once

#include <array>
#include <cstdint>

#include "nf/firewall/packet_parser.h"

namespace sluice::nf {

enum class ConnState : uint8_t {
  free,  // slot unused
  syn_sent,
  syn_received,
  established,
  fin_wait,
  closing,
  time_wait,
  closed,
  unreplied,  // UDP, SCTP, ICMP echo, other protocols: seen one way only
  replied,    // ... and seen both ways
  kCount,
};

inline constexpr std::array<const char*, static_cast<unsigned>(ConnState::kCount)> kConnStateNames =
    {"free",    "syn_sent",  "syn_received", "established", "fin_wait",
     "closing", "time_wait", "closed",       "unreplied",   "replied"};

inline const char* conn_state_name(ConnState s) {
  return kConnStateNames[static_cast<unsigned>(s)];
}

enum class Dir : uint8_t { original = 0, reply = 1 };

enum class TcpVerdict : uint8_t {
  pass,     // valid in this state: forward, with the new state
  invalid,  // not valid here: drop, state unchanged
  restart,  // a new connection on the same ports: forget the entry, ask the rules
};

struct TcpStep {
  ConnState next;
  Dir closer;
  TcpVerdict verdict;
};

// Flag combinations no TCP stack sends: SYN with FIN or RST, or none of
// SYN/ACK/RST (null, FIN-only, PSH/URG-only scans).
constexpr bool tcp_flags_sane(uint8_t flags) {
  if ((flags & kTcpSyn) && (flags & (kTcpFin | kTcpRst))) return false;
  return (flags & (kTcpSyn | kTcpAck | kTcpRst)) != 0;
}

// A segment that may open a connection: SYN alone (PSH/URG ignored).
constexpr bool tcp_opens(uint8_t flags) {
  return (flags & (kTcpSyn | kTcpAck | kTcpRst | kTcpFin)) == kTcpSyn;
}

constexpr TcpStep tcp_step(ConnState s, Dir closer, Dir dir, uint8_t flags) {
  const TcpStep stay{s, closer, TcpVerdict::pass};
  const TcpStep invalid{s, closer, TcpVerdict::invalid};
  if (!tcp_flags_sane(flags)) return invalid;
  if (flags & kTcpRst) return {ConnState::closed, closer, TcpVerdict::pass};
  const bool syn = flags & kTcpSyn, ack = flags & kTcpAck, fin = flags & kTcpFin;
  const bool original = dir == Dir::original;
  switch (s) {
    case ConnState::syn_sent:
      if (original && syn && !ack) return stay;  // retransmitted SYN
      if (!original && syn && ack) return {ConnState::syn_received, closer, TcpVerdict::pass};
      return invalid;
    case ConnState::syn_received:
      if (syn) return (original && !ack) || (!original && ack) ? stay : invalid;
      if (!original || !ack) return invalid;
      if (fin) return {ConnState::fin_wait, Dir::original, TcpVerdict::pass};
      return {ConnState::established, closer, TcpVerdict::pass};
    case ConnState::established:
      if (syn) return invalid;
      if (fin) return {ConnState::fin_wait, dir, TcpVerdict::pass};
      return stay;
    case ConnState::fin_wait:
      if (syn) return invalid;
      if (fin && dir != closer) return {ConnState::closing, dir, TcpVerdict::pass};
      return stay;
    case ConnState::closing:
      if (syn) return invalid;
      if (ack && !fin && dir != closer) return {ConnState::time_wait, closer, TcpVerdict::pass};
      return stay;
    case ConnState::time_wait:
    case ConnState::closed:
      if (tcp_opens(flags)) return {s, closer, TcpVerdict::restart};
      if (s == ConnState::time_wait && !syn) return stay;
      return invalid;
    default:
      return invalid;
  }
}

}  // namespace sluice::nf
