#!/usr/bin/env python3
"""Firewall network function throughput (issue 5). See bench/README.md.

    sudo bench/nf_bench.py [--build DIR] [--duration S] [--warmup S] [--cases a,b,...]

Like scripts/bench: a generated 64-byte UDP pcap is replayed by net_pcap
(infinite_rx) into one worker core and sent to net_null, once through
dpdk-testpmd --forward-mode=io (the zero-work baseline) and once through
sluiced with a firewall instance placed by the rule
"in_port=1,actions=nf:1,output:2". Cases:

  rules-10, rules-1k, rules-10k   1000 flows, N rules (N-1 that match no packet,
                                  then "allow udp"): steady state, every packet
                                  belongs to a tracked connection
  new-10, new-10k                 1000 flows, N rules, UDP timeout 0: every
                                  packet is a new connection (the expired entry
                                  is removed, the rules are asked, a new one is
                                  made): Mpps = new connections/s
  conns-1m                        1048576 flows, 10 rules, all tracked (table of
                                  2M per worker): 1M tracked connections

Prints per case testpmd io Mpps, sluiced Mpps, their ratio, the worker's
cycles/packet and the firewall's own cycles/packet, the firewall's new
connections per forwarded packet, and the exact commands. Mpps comes from the
tools' own periodic counters (bench/bench_stats.py), over --duration seconds
after --warmup. Every process is stopped by PID and its DPDK files removed.
"""

import argparse
import json
import os
import shlex
import subprocess
import sys
import urllib.request

sys.dont_write_bytecode = True  # no __pycache__ in bench/
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_procs  # noqa: E402
from bench_procs import ROOT, BenchError, Run  # noqa: E402

OUT = "bench/out"
LCORES = "0-1"
EXTRA_MBUFS = 16384
TPMD_PREFIX = "sluice-nfbench-tpmd"
SW_PREFIX = "sluice-nfbench-sw"
MBUF_KB = 2.5  # an mbuf with its 2 KiB data room, for the memory estimate

CASES = {
    # name: (flows, rules, udp timeout or None)
    "rules-10": (1000, 10, None),
    "rules-1k": (1000, 1000, None),
    "rules-10k": (1000, 10000, None),
    "new-10": (1000, 10, 0),
    "new-10k": (1000, 10000, 0),
    "conns-1m": (1048576, 10, None),
}


def log(msg):
    print(f"nf-bench: {msg}", file=sys.stderr, flush=True)


def firewall_config(rules, udp_timeout, conntrack):
    """N-1 deny rules no packet matches (sources in 172.16/12), then allow UDP."""
    lst = [{"action": "deny", "proto": "udp", "src": f"172.{16 + i // 65536 % 16}.{i // 256 % 256}.{i % 256}",
            "dst_port": 1 + i % 60000} for i in range(rules - 1)]
    lst.append({"name": "traffic", "action": "allow", "proto": "udp", "dst": "10.128.0.0/9"})
    conf = {"default": "deny", "rules": lst, "conntrack": {"size": conntrack}}
    if udp_timeout is not None:
        conf["conntrack"]["timeouts"] = {"udp": udp_timeout}
    return conf


def memory_args(need_mb):
    return bench_procs.memory_args(need_mb, 3)  # -m 4096 does not hold a 2.4 GB pool


def measure(run, kind, duration, warmup, on_window=None):
    return bench_procs.measure(run, kind, duration, warmup, 240, on_window)


def nf_stats(url):
    with urllib.request.urlopen(url + "/v1/nfs/fw/stats", timeout=5) as r:
        return json.load(r)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default="build")
    ap.add_argument("--duration", type=float, default=8)
    ap.add_argument("--warmup", type=float, default=2)
    ap.add_argument("--cases", default=",".join(CASES))
    args = ap.parse_args()
    os.chdir(ROOT)
    os.makedirs(OUT, exist_ok=True)
    cases = args.cases.split(",")
    for c in cases:
        if c not in CASES:
            sys.exit(f"unknown case {c} (known: {', '.join(CASES)})")
    subprocess.run(["ninja", "-C", args.build, "dataplane/sluiced", "bench/sluice-gen-traffic"],
                   check=True, stdout=subprocess.DEVNULL)
    gen, sluiced = f"{args.build}/bench/sluice-gen-traffic", f"{args.build}/dataplane/sluiced"
    results, commands, baselines = [], [], {}
    for name in cases:
        flows, rules, udp_timeout = CASES[name]
        pcap = f"{OUT}/nf-{flows}.pcap"
        if not os.path.exists(pcap):
            subprocess.run([gen, "-o", pcap, "--flows", str(flows)], check=True)
        frames = (os.path.getsize(pcap) - 24) // 76
        mbufs = frames + EXTRA_MBUFS
        mem, mem_text = memory_args(int(mbufs * MBUF_KB / 1024) + 256)
        conntrack = 1 << 21 if flows > 65536 else 65536
        cfg = f"{OUT}/nf-{name}.json"
        json.dump(firewall_config(rules, udp_timeout, conntrack), open(cfg, "w"))
        flows_file = f"{OUT}/nf-{name}.rules"
        open(flows_file, "w").write("table=0,priority=100,in_port=1,actions=nf:1,output:2\n")

        key = (pcap, tuple(mem))
        tpmd = ["dpdk-testpmd", "--no-pci", "--file-prefix", TPMD_PREFIX, "-l", LCORES, *mem,
                "--vdev", f"net_pcap0,rx_pcap={pcap},infinite_rx=1", "--vdev", "net_null0,no-rx=1",
                "--", "--forward-mode=io", "--nb-cores=1", "-a", "--stats-period", "1",
                "--total-num-mbufs", str(mbufs)]
        if key not in baselines:
            log(f"{name}: testpmd io on {pcap} ({flows} flows), memory: {mem_text}")
            run = Run(tpmd, f"{OUT}/nf-{name}.testpmd.log", TPMD_PREFIX)
            try:
                baselines[key] = measure(run, "testpmd", args.duration, args.warmup).split()[1]
            finally:
                run.stop()
            commands.append(f"{name} testpmd: {shlex.join(tpmd)}")
        t_mpps = baselines[key]

        sw = [sluiced, "--port", f"in=pcap:{pcap}", "--port", "out=null", "--workers", "1",
              "--mbufs", str(mbufs), "--stats-interval", "1", "--stats-format", "json",
              "--nf", f"fw=firewall:{cfg}", "--flows", flows_file, "--listen", "127.0.0.1:0",
              "--", "-l", LCORES, "--no-pci", *mem, "--file-prefix", SW_PREFIX]
        log(f"{name}: sluiced with a firewall of {rules} rules, {flows} flows, memory: {mem_text}")
        run = Run(sw, f"{OUT}/nf-{name}.sluiced.log", SW_PREFIX)
        try:
            url = bench_procs.agent_url(run, 240)
            start = {}
            result = measure(run, "sluiced", args.duration, args.warmup,
                             on_window=lambda: start.update(nf_stats(url)))
            end = nf_stats(url) if url and run.proc.poll() is None else {}
        finally:
            run.stop()
        commands.append(f"{name} sluiced: {shlex.join(sw)}")
        _, s_mpps, cpp, fwd, _ = result.split()
        ratio = f"{float(s_mpps) / float(t_mpps):.2f}" if float(t_mpps) > 0 and float(s_mpps) > 0 else "-"
        nf_cpp = new_per_pkt = active = "-"
        if start and end:
            pkts = end["packets_in"] - start["packets_in"]
            cycles = end["cycles_per_packet"] * end["packets_in"] - start["cycles_per_packet"] * start["packets_in"]
            created = end["nf"]["conntrack"]["created"] - start["nf"]["conntrack"]["created"]
            if pkts > 0:
                nf_cpp, new_per_pkt = f"{cycles / pkts:.0f}", f"{created / pkts:.2f}"
            active = str(end["nf"]["conntrack"]["active"])
        results.append((name, flows, rules, t_mpps, s_mpps, ratio, cpp, nf_cpp, new_per_pkt, active, fwd, mem_text))
        log(f"{name}: testpmd {t_mpps} Mpps, sluiced {s_mpps} Mpps, NF {nf_cpp} cycles/packet")

    header = ("case", "flows", "rules", "testpmd io Mpps", "sluiced Mpps", "ratio", "worker cyc/pkt",
              "firewall cyc/pkt", "new conns/pkt", "tracked conns", "out/in", "memory")
    rows = [header] + [tuple(str(c) for c in r) for r in results]
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    print(f"\none forwarding core (lcores {LCORES}), 64-byte frames, {args.duration:g}s after {args.warmup:g}s warm-up\n")
    for r in rows:
        print("  ".join(c.ljust(w) for c, w in zip(r, widths)))
    print(f"\ncommands (from {ROOT}):")
    for c in commands:
        print("  " + c)


if __name__ == "__main__":
    try:
        main()
    except BenchError as e:
        sys.exit(f"nf-bench: error: {e}")
