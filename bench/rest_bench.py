#!/usr/bin/env python3
"""Rules pushed over REST while sluiced forwards (issue 4). See bench/README.md.

    bench/rest_bench.py --sluiced BIN --pcap FILE --flows FILE [--sizes 1,100,10000]
                        [--rules-per-size N] [--latency-samples N] -- EAL-ARGS...

Starts sluiced with ports in=pcap:FILE (replayed forever) and out=null, one
worker, the rules of --flows steering the traffic in -> out, and its agent on
a free loopback port. Then, over one keep-alive HTTP/1.1 connection:

  1. for each transaction size S: adds N rules in POST /v1/transactions of S
     "add" ops, then deletes them in transactions of S "delete_strict" ops;
     prints rules/s for each (wall time from the first request to the last
     reply; every reply means the workers already run on the new generation);
  2. commits single-rule transactions (an add, then its delete, alternately)
     and prints the request-to-reply latency p50/p99/max.

The pushed rules match 172.16.0.0/12 sources, which the traffic never uses,
at a priority above the traffic's rules, so forwarding must go on unchanged:
the forwarding rate and the out/in packet ratio during the pushes come from
sluiced's own counters (--stats-format json) and are printed too.
Exits non-zero if a request fails or sluiced stops.
"""

import argparse
import http.client
import json
import os
import sys
import tempfile
import time

sys.dont_write_bytecode = True  # no __pycache__ in bench/
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_procs import BenchError, Run, agent_url  # noqa: E402
from bench_stats import forwarding_between, port_counters  # noqa: E402

STARTUP_TIMEOUT_S = 180


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--sluiced", required=True)
    p.add_argument("--pcap", required=True, help="traffic replayed into port in")
    p.add_argument("--flows", required=True, help="rules loaded at start (steer in -> out)")
    p.add_argument("--mbufs", type=int, default=32768)
    p.add_argument("--sizes", default="1,100,10000", help="transaction sizes")
    p.add_argument("--rules-per-size", type=int, default=20000,
                   help="rules added (then deleted) per size; size 1 uses a tenth")
    p.add_argument("--latency-samples", type=int, default=2000)
    p.add_argument("--log", default=None, help="sluiced's stdout (stats) goes here")
    p.add_argument("eal", nargs=argparse.REMAINDER, help="-- EAL arguments")
    args = p.parse_args()
    args.sizes = [int(s) for s in args.sizes.split(",")]
    args.eal = args.eal[1:] if args.eal[:1] == ["--"] else args.eal
    # sluiced runs from the source tree's root (bench_procs.Run).
    args.sluiced, args.pcap, args.flows = (os.path.abspath(p) for p in (args.sluiced, args.pcap, args.flows))
    return args


def rule_text(i):
    """Rule i: an exact 5-tuple on a source the benchmark traffic never has."""
    src = f"172.{16 + (i >> 16) % 16}.{(i >> 8) & 255}.{i & 255}"
    return (f"table=0,priority=200,udp,nw_src={src},nw_dst=192.0.2.1,"
            f"tp_src={1024 + i % 60000},tp_dst=9,actions=output:2")


def strict_match(i):
    """The delete_strict form of rule i (text without actions)."""
    return rule_text(i).rsplit(",actions=", 1)[0]


class Agent:
    """One keep-alive connection to sluiced's agent."""

    def __init__(self, url):
        host, port = url.removeprefix("http://").rsplit(":", 1)
        self.conn = http.client.HTTPConnection(host, int(port), timeout=120)

    def post(self, path, body):
        data = json.dumps(body).encode()
        self.conn.request("POST", path, body=data, headers={"Content-Type": "application/json"})
        reply = self.conn.getresponse()
        text = reply.read()
        if reply.status != 200 and reply.status != 201:
            raise RuntimeError(f"POST {path}: {reply.status} {text[:300]!r}")
        return json.loads(text)

    def get(self, path):
        self.conn.request("GET", path)
        reply = self.conn.getresponse()
        return json.loads(reply.read())


def transact(agent, ops):
    return agent.post("/v1/transactions", {"ops": ops})


def push_rate(agent, size, total):
    """Adds then deletes `total` rules in transactions of `size`; rules/s each."""
    batches = [range(b, min(b + size, total)) for b in range(0, total, size)]
    adds = [[{"op": "add", "rule": rule_text(i)} for i in r] for r in batches]
    dels = [[{"op": "delete_strict", "rule": strict_match(i)} for i in r] for r in batches]
    rates = []
    for bodies, key in ((adds, "added"), (dels, "removed")):
        done = 0
        t0 = time.perf_counter()
        for ops in bodies:
            done += transact(agent, ops)[key]
        elapsed = time.perf_counter() - t0
        if done != total:
            raise RuntimeError(f"size {size}: {key} {done} rules, expected {total}")
        rates.append(total / elapsed)
    return rates


def commit_latency(agent, samples):
    """Request-to-reply seconds of single-rule commits (add, delete, add, ...)."""
    lat = []
    for k in range(samples):
        i = k // 2
        op = {"op": "add", "rule": rule_text(i)} if k % 2 == 0 else \
             {"op": "delete_strict", "rule": strict_match(i)}
        t0 = time.perf_counter()
        transact(agent, [op])
        lat.append(time.perf_counter() - t0)
    return sorted(lat)


def percentile(sorted_values, q):
    return sorted_values[min(len(sorted_values) - 1, int(q * len(sorted_values)))]


def start_sluiced(args, log):
    """sluiced running, once it prints counters; (Run, agent URL, command)."""
    cmd = [args.sluiced, "--port", f"in=pcap:{args.pcap}", "--port", "out=null",
           "--workers", "1", "--mbufs", str(args.mbufs), "--flows", args.flows,
           "--listen", "127.0.0.1:0", "--stats-interval", "1", "--stats-format", "json",
           "--"] + args.eal
    run = Run(cmd, log)
    deadline = time.time() + STARTUP_TIMEOUT_S
    try:
        url = agent_url(run, STARTUP_TIMEOUT_S)
        while not port_counters(log):
            if run.proc.poll() is not None or time.time() > deadline:
                raise BenchError(f"sluiced printed no counters; see {log} and {log}.err")
            time.sleep(0.2)
    except BenchError:
        run.stop()
        raise
    return run, url, cmd


def main():
    args = parse_args()
    log = args.log or os.path.join(tempfile.mkdtemp(prefix="sluice-rest-bench."), "sluiced.log")
    run, url, cmd = start_sluiced(args, log)
    try:
        agent = Agent(url)
        base_rules = agent.get("/v1/tables")["rule_count"]
        time.sleep(2)  # a few stats lines before the pushes
        clock = lambda: port_counters(log)[-1][0]
        rows = []
        t_start = clock()
        for size in args.sizes:
            total = args.rules_per_size // 10 if size == 1 else args.rules_per_size
            total = max(size, total - total % size)
            add_rate, del_rate = push_rate(agent, size, total)
            rows.append((size, total, add_rate, del_rate))
            print(f"rest-bench: size {size}: {total} rules: add {add_rate:,.0f}/s, "
                  f"delete {del_rate:,.0f}/s", file=sys.stderr)
        lat = commit_latency(agent, args.latency_samples)
        time.sleep(2.5)  # the stats line that covers the last request
        t_end = clock()
        after = agent.get("/v1/tables")["rule_count"]
        mpps, out_in = forwarding_between(log, t_start, t_end)
    finally:
        run.stop()
    if after != base_rules:
        raise RuntimeError(f"{after} rules left, expected {base_rules}")

    print("\nREST pushes to sluiced (one keep-alive connection, Python http.client), "
          "forwarding 64-byte frames on one worker meanwhile\n")
    print(f"{'transaction size':>16}  {'rules':>7}  {'add rules/s':>12}  {'delete rules/s':>14}")
    for size, total, add_rate, del_rate in rows:
        print(f"{size:>16}  {total:>7}  {add_rate:>12,.0f}  {del_rate:>14,.0f}")
    print(f"\nsingle-rule commit latency ({len(lat)} commits, request to reply): "
          f"p50 {percentile(lat, 0.5) * 1e3:.3f} ms, p99 {percentile(lat, 0.99) * 1e3:.3f} ms, "
          f"max {lat[-1] * 1e3:.3f} ms")
    if mpps is not None:
        print(f"forwarding during the pushes: {mpps:.2f} Mpps out, out/in {out_in:.4f}")
    print("\ncommand: " + " ".join(cmd))
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except (BenchError, RuntimeError, OSError) as e:
        print(f"rest-bench: error: {e}", file=sys.stderr)
        sys.exit(1)
