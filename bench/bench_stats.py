#!/usr/bin/env python3
"""Reads the periodic statistics that scripts/bench captures and prints one
line: "WINDOW_S MPPS CYCLES_PER_PACKET FORWARDED_FRACTION TSC_HZ" (the last
three are "-" for testpmd). WINDOW_S is 0 until two samples exist after the warm-up.

  bench_stats.py testpmd FILE WARMUP_S
      FILE is dpdk-testpmd stdout with --stats-period. testpmd prints no
      timestamps, so each interval's length is (delta TX-packets) / Tx-pps of
      the sink port, both as testpmd reports them; the clock starts at the
      first statistics block.
  bench_stats.py sluiced FILE WARMUP_S
      FILE is sluiced stdout with --stats-format json: one JSON object per
      line, counters cumulative. The clock starts at the first line on which
      the "out" port has sent packets (so rule loading is not measured).

Mpps is measured on the sink port (testpmd port 1, sluiced port "out") from
the first sample at or after WARMUP_S to the last sample. Cycles/packet is
delta busy_cycles / delta packets summed over workers; FORWARDED_FRACTION is
delta out tx_packets / delta in rx_packets; TSC_HZ is delta (busy + idle
cycles) / delta time per worker, to turn testpmd's rate into cycles/packet.

The benchmark scripts import it for the same counters, and for the
forwarding rate between two moments (port_counters, forwarding_between).
"""

import json
import re
import sys

BLOCK = re.compile(r"NIC statistics for port (\d+)")
TX_PACKETS = re.compile(r"TX-packets:\s+(\d+)")
TX_PPS = re.compile(r"Tx-pps:\s+(\d+)")


def testpmd_samples(path, sink_port=1):
    """[(t_seconds, tx_packets)] for the sink port."""
    samples, port, count, t = [], None, None, 0.0
    with open(path, errors="replace") as f:
        for line in f:
            m = BLOCK.search(line)
            if m:
                port, count = int(m.group(1)), None
                continue
            if port != sink_port:
                continue
            m = TX_PACKETS.search(line)
            if m:
                count = int(m.group(1))
                continue
            m = TX_PPS.search(line)
            if m and count is not None:
                pps = int(m.group(1))
                if samples:
                    delta = count - samples[-1][1]
                    if pps <= 0 or delta <= 0:
                        samples, t = [], 0.0  # not forwarding (yet): restart the clock
                    else:
                        t += delta / pps
                samples.append((t, count))
                port = None
    return [(t, c, None, None, None, None) for t, c in samples]


def sluiced_samples(path):
    """[(t, out_tx, in_rx, busy_cycles, worker_packets)] once "out" has sent."""
    samples = []
    with open(path, errors="replace") as f:
        for line in f:
            line = line.strip()
            if not line.startswith("{"):
                continue
            try:
                doc = json.loads(line)
            except json.JSONDecodeError:
                continue  # a line cut short at exit
            if doc.get("type") != "stats":
                continue
            ports = {p["name"]: p for p in doc["ports"]}
            out, inp = ports["out"], ports["in"]
            if out["tx_packets"] == 0:
                continue
            workers = doc["workers"]
            busy = sum(w["busy_cycles"] for w in workers)
            pkts = sum(w["packets"] for w in workers)
            total = sum(w["busy_cycles"] + w["idle_cycles"] for w in workers) / max(len(workers), 1)
            samples.append((doc["time"], out["tx_packets"], inp["rx_packets"], busy, pkts, total))
    if samples:
        t0 = samples[0][0]
        samples = [(s[0] - t0,) + s[1:] for s in samples]
    return samples


def summarize(samples, warmup):
    window = [s for s in samples if s[0] >= warmup]
    if len(window) < 2 or window[-1][0] <= window[0][0]:
        return "0 0 - - -"
    a, b = window[0], window[-1]
    seconds = b[0] - a[0]
    mpps = (b[1] - a[1]) / seconds / 1e6
    if a[3] is None:
        return f"{seconds:.2f} {mpps:.2f} - - -"
    cpp = (b[3] - a[3]) / (b[4] - a[4]) if b[4] > a[4] else 0.0
    fwd = (b[1] - a[1]) / (b[2] - a[2]) if b[2] > a[2] else 0.0
    hz = (b[5] - a[5]) / seconds
    return f"{seconds:.2f} {mpps:.2f} {cpp:.1f} {fwd:.4f} {hz:.0f}"


def port_counters(log_path):
    """[(time, in rx_packets, out tx_packets)] of every sluiced stats line so far."""
    samples = []
    with open(log_path, errors="replace") as f:
        for line in f:
            try:
                s = json.loads(line)
                ports = {p["name"]: p for p in s["ports"]}
                samples.append((s["time"], ports["in"]["rx_packets"], ports["out"]["tx_packets"]))
            except (ValueError, KeyError):
                continue
    return samples


def forwarding_between(log_path, t0, t1):
    """(Mpps out, out/in) from the last stats line at or before t0 to the
    first at or after t1 (sluiced's clock, unix time), or (None, None).
    sluiced prints them from its main thread, which also serves the REST
    requests, so a long request delays the next line: the span covers the
    phase and a little more."""
    samples = port_counters(log_path)
    before = [s for s in samples if s[0] <= t0]
    after = [s for s in samples if s[0] >= t1]
    if not before or not after or after[0][0] <= before[-1][0]:
        return None, None
    (a_t, a_in, a_out), (b_t, b_in, b_out) = before[-1], after[0]
    return (b_out - a_out) / (b_t - a_t) / 1e6, (b_out - a_out) / max(1, b_in - a_in)


def main(argv):
    if len(argv) != 4 or argv[1] not in ("testpmd", "sluiced"):
        sys.stderr.write(__doc__)
        return 2
    kind, path, warmup = argv[1], argv[2], float(argv[3])
    samples = testpmd_samples(path) if kind == "testpmd" else sluiced_samples(path)
    print(summarize(samples, warmup))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
