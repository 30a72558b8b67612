// The TCP state machine, one transition at a time (no DPDK): every state,
// both directions, the flags that move it and the ones it refuses.
#include <gtest/gtest.h>

#include "nf/firewall/conn_state.h"

namespace sluice::nf {
namespace {

constexpr uint8_t S = kTcpSyn, A = kTcpAck, F = kTcpFin, R = kTcpRst, P = 0x08;
constexpr Dir O = Dir::original, Y = Dir::reply;

struct Case {
  ConnState from;
  Dir closer;
  Dir dir;
  uint8_t flags;
  ConnState to;
  Dir closer_after;
  TcpVerdict verdict;
};

std::string describe(const Case& c) {
  return std::string(conn_state_name(c.from)) + (c.dir == O ? " orig " : " reply ") +
         "flags=" + std::to_string(c.flags);
}

TEST(TcpStateMachine, EveryTransition) {
  using enum ConnState;
  constexpr auto pass = TcpVerdict::pass, bad = TcpVerdict::invalid, again = TcpVerdict::restart;
  const Case cases[] = {
      // Handshake.
      {syn_sent, O, O, S, syn_sent, O, pass},          // SYN retransmitted
      {syn_sent, O, Y, S | A, syn_received, O, pass},  // SYN+ACK
      {syn_sent, O, Y, A, syn_sent, O, bad},           // ACK before SYN+ACK
      {syn_sent, O, O, A, syn_sent, O, bad},
      {syn_sent, O, Y, S, syn_sent, O, bad},          // simultaneous open: not supported
      {syn_sent, O, Y, R | A, closed, O, pass},       // refused
      {syn_received, O, O, A, established, O, pass},  // third packet of the handshake
      {syn_received, O, O, A | P, established, O, pass},
      {syn_received, O, O, A | F, fin_wait, O, pass},      // ACK with FIN at once
      {syn_received, O, Y, S | A, syn_received, O, pass},  // SYN+ACK retransmitted
      {syn_received, O, O, S, syn_received, O, pass},      // SYN retransmitted
      {syn_received, O, Y, A, syn_received, O, bad},       // responder data before the ACK
      {syn_received, O, O, S | A, syn_received, O, bad},
      {syn_received, O, O, R, closed, O, pass},
      // Established.
      {established, O, O, A, established, O, pass},
      {established, O, Y, A | P, established, O, pass},
      {established, O, O, S, established, O, bad},
      {established, O, Y, S | A, established, O, bad},
      {established, O, O, F | A, fin_wait, O, pass},  // initiator closes first
      {established, O, Y, F | A, fin_wait, Y, pass},  // responder closes first
      {established, O, Y, R, closed, O, pass},
      // Closing.
      {fin_wait, O, Y, A, fin_wait, O, pass},      // ACK of the first FIN
      {fin_wait, O, O, F | A, fin_wait, O, pass},  // first FIN retransmitted
      {fin_wait, O, Y, F | A, closing, Y, pass},   // second FIN
      {fin_wait, Y, O, F | A, closing, O, pass},
      {fin_wait, O, O, S, fin_wait, O, bad},
      {fin_wait, O, O, R, closed, O, pass},
      {closing, Y, O, A, time_wait, Y, pass},    // last ACK, from the first closer
      {closing, Y, Y, A, closing, Y, pass},      // not the last ACK
      {closing, Y, Y, F | A, closing, Y, pass},  // second FIN retransmitted
      {closing, Y, O, S, closing, Y, bad},
      {closing, Y, Y, R, closed, Y, pass},
      {time_wait, Y, O, A, time_wait, Y, pass},  // retransmitted last ACK
      {time_wait, Y, Y, F | A, time_wait, Y, pass},
      {time_wait, Y, O, S, time_wait, Y, again},  // port reuse: the rules decide again
      {time_wait, Y, Y, S, time_wait, Y, again},  // ... from either side
      {time_wait, Y, O, S | A, time_wait, Y, bad},
      {closed, O, O, S, closed, O, again},
      {closed, O, Y, S, closed, O, again},
      {closed, O, O, A, closed, O, bad},
      {closed, O, Y, A | P, closed, O, bad},
      {closed, O, Y, R, closed, O, pass},  // more RSTs pass
      // Impossible flags, in any state.
      {established, O, O, S | F, established, O, bad},
      {established, O, O, S | R, established, O, bad},
      {established, O, O, 0, established, O, bad},  // null scan
      {established, O, O, F, established, O, bad},  // FIN without ACK
      {syn_sent, O, O, P, syn_sent, O, bad},
  };
  for (const Case& c : cases) {
    const TcpStep step = tcp_step(c.from, c.closer, c.dir, c.flags);
    EXPECT_EQ(step.verdict, c.verdict) << describe(c);
    if (step.verdict == TcpVerdict::pass) {
      EXPECT_EQ(step.next, c.to) << describe(c) << " -> " << conn_state_name(step.next);
      EXPECT_EQ(step.closer, c.closer_after) << describe(c);
    } else {
      EXPECT_EQ(step.next, c.from) << describe(c);
    }
  }
}

TEST(TcpStateMachine, OnlyAPlainSynOpens) {
  EXPECT_TRUE(tcp_opens(S));
  EXPECT_TRUE(tcp_opens(S | P));
  EXPECT_FALSE(tcp_opens(S | A));
  EXPECT_FALSE(tcp_opens(A));
  EXPECT_FALSE(tcp_opens(S | F));
}

TEST(TcpStateMachine, StateNames) {
  EXPECT_STREQ(conn_state_name(ConnState::established), "established");
  EXPECT_STREQ(conn_state_name(ConnState::time_wait), "time_wait");
  EXPECT_STREQ(conn_state_name(ConnState::replied), "replied");
}

}  // namespace
}  // namespace sluice::nf
