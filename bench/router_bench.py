#!/usr/bin/env python3
"""Router network function: forwarding with many routes, and route updates
while forwarding (issue 6). See bench/README.md.

    sudo bench/router_bench.py [--build DIR] [--duration S] [--warmup S] [--repeat N]
                               [--cases a,b,...] [--update-seconds S]
                               [--update-sizes 1,100,10000] [--update-routes N]

Like scripts/bench and bench/nf_bench.py: a 64-byte UDP pcap is replayed by
net_pcap (infinite_rx) into one worker core and sent to net_null, once
through dpdk-testpmd --forward-mode=io (the zero-work baseline) and once
through sluiced, where the rule "table=0,priority=1,actions=nf:router" hands
every packet to a router instance that routes it out of port 2 (net_null) to
one of four gateways (static neighbours: no ARP). Cases:

  v4-1k, v4-100k, v4-1m   1000, 100 000, 1 000 000 random IPv4 routes /8../32;
                          the traffic goes to 1000, ~100 000 and 131 072
                          destinations, each in a different route (its
                          longest match), in random order
  v6-100k                 100 000 random IPv6 routes /16../64, ~100 000
                          destinations (62-byte frames: IPv6 + UDP do not fit
                          in 60)
  upd-100k, upd-1m        while forwarding the v4-100k / v4-1m traffic
                          through its table: routes added over REST (POST
                          /v1/nfs/router/routes) in batches of 1, 100 and
                          10 000, then deleted in batches of the same size
                          (DELETE ?prefix= for one, POST .../routes/delete
                          for more), what is left removed by a PUT of the
                          original table (within the agent's 256 MiB
                          route-table body limit: 1M routes too); routes/s,
                          request latency, and the forwarding rate, out/in and
                          the forwarding thread's CPU % during each phase

The routes, the router configuration and the pcap are generated here (seeded,
cached in bench/out/) and checked against a reference longest-prefix match
before use. After every sluiced run the router's counters (GET
/v1/nfs/router/stats) must show the packets routed: packets sent on "out"
equal to packets received, and no drop (no_route, not_for_us, ...); if not,
the script prints the counters and exits non-zero, since it would be
measuring drops. Every process is stopped by PID and its DPDK files removed,
also on failure.
"""

import argparse
import http.client
import ipaddress
import json
import os
import random
import shlex
import signal
import statistics
import struct
import subprocess
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in bench/
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_procs  # noqa: E402
from bench_procs import ROOT, BenchError, Run, load1  # noqa: E402
from bench_stats import forwarding_between  # noqa: E402

OUT = "bench/out"
LCORES = "0-1"
EXTRA_MBUFS = 16384
TPMD_PREFIX = "sluice-rtbench-tpmd"
SW_PREFIX = "sluice-rtbench-sw"
MBUF_KB = 2.5  # an mbuf with its 2 KiB data room, for the memory estimate
GEN_VERSION = 2  # bump when the generated files change, to regenerate them
SEED = 6

# name: (family, routes, destinations in the traffic)
CASES = {
    "v4-1k": (4, 1000, 1000),
    "v4-100k": (4, 100_000, 100_000),
    "v4-1m": (4, 1_000_000, 131_072),
    "v6-100k": (6, 100_000, 100_000),
}
# name: the forwarding case whose table and traffic it runs on
UPDATE_CASES = {"upd-100k": "v4-100k", "upd-1m": "v4-1m"}
UPDATE_SIZES = (1, 100, 10_000)

# The router: "lan" on port 1 (the pcap), "wan" on port 2 (net_null). Only
# the measured family has addresses: an LPM of a family is created only if
# it has a prefix, and each one's first level alone is 64 MiB.
LAN_MAC, WAN_MAC, SRC_MAC = "02:00:00:00:01:01", "02:00:00:00:02:01", "02:00:00:00:00:01"
NET = {
    4: {"lan": "198.18.0.1/24", "wan": "198.19.0.1/24", "src": "198.18.0.2",
        "gateways": [f"198.19.0.{11 + k}" for k in range(4)]},
    6: {"lan": "fd00:1::1/64", "wan": "fd00:2::1/64", "src": "fd00:1::2",
        "gateways": [f"fd00:2::{11 + k}" for k in range(4)]},
}
GATEWAY_MACS = [f"02:00:00:00:02:{0x11 + k:02x}" for k in range(4)]

# Prefix lengths: 90 % shaped like an Internet table (mostly /24 and /48),
# 10 % spread evenly over every length, so every length occurs (a uniform
# mix alone would make two thirds of the IPv4 routes longer than /24: one
# 1 KiB tbl8 group each, 700 MiB for 1M routes).
LEN4 = {8: .01, 9: .01, 10: .02, 11: .05, 12: .1, 13: .2, 14: .3, 15: .5, 16: 2.5, 17: 1,
        18: 1.5, 19: 2.5, 20: 3, 21: 3.5, 22: 9, 23: 8, 24: 56, 25: .8, 26: .8, 27: .8, 28: .8,
        29: 1, 30: 1, 31: .5, 32: 6}
LEN6 = {29: 4, 32: 15, 36: 3, 40: 6, 44: 8, 46: 2, 47: 2, 48: 52, 56: 3, 64: 5}
# IPv4 prefixes avoid 0/8, 10/8, 127/8, 198/8 (the router's own networks
# are in 198.18/15) and 224/3 (not forwarded). IPv6 prefixes lie in the
# /12s the RIRs allocate from, so the upper trie levels are shared as in a
# real table.
FIRST_OCTETS = [o for o in range(1, 224) if o not in (10, 127, 198)]
BLOCKS6 = [0x200, 0x240, 0x260, 0x280, 0x2A0, 0x2C0]  # top 12 bits: 2000::/12, 2400::/12, ...


def log(msg):
    print(f"router-bench: {msg}", file=sys.stderr, flush=True)


# --- routes and traffic -----------------------------------------------------

def prefix_lengths(rng, table, lo, hi, n):
    lengths = list(table) + list(range(lo, hi + 1))
    weights = [w * 0.9 / sum(table.values()) for w in table.values()] + [0.1 / (hi - lo + 1)] * (hi - lo + 1)
    return rng.choices(lengths, weights, k=n)


def random_prefixes(family, n, rng):
    """n distinct (network int, length), in random order."""
    bits = 32 if family == 4 else 128
    lo, hi, table = (8, 32, LEN4) if family == 4 else (16, 64, LEN6)
    seen = set()
    out = []
    while len(out) < n:
        for length in prefix_lengths(rng, table, lo, hi, n - len(out)):
            if family == 4:
                addr = rng.choice(FIRST_OCTETS) << 24 | rng.getrandbits(24)
            else:
                addr = rng.choice(BLOCKS6) << 116 | rng.getrandbits(116)
            net = addr >> (bits - length) << (bits - length)
            if (net, length) not in seen:
                seen.add((net, length))
                out.append((net, length))
    return out


def covered_by_longer(addr, length, bits, present, lengths):
    """Does a prefix of `present` longer than `length` hold `addr`?"""
    for l in lengths:
        if l > length and (addr >> (bits - l) << (bits - l), l) in present:
            return True
    return False


def pick_destinations(family, prefixes, count, rng):
    """`count` addresses (at least 99 % of it when `count` is every prefix),
    each in a different prefix of which it is the longest match; returns
    [(address, prefix index)] in random order."""
    bits = 32 if family == 4 else 128
    present = set(prefixes)
    lengths = sorted({l for _, l in prefixes})
    order = list(range(len(prefixes)))
    rng.shuffle(order)
    out = []
    for i in order:
        net, length = prefixes[i]
        for _ in range(16):
            addr = net | (rng.getrandbits(bits - length) if length < bits else 0)
            if not covered_by_longer(addr, length, bits, present, lengths):
                out.append((addr, i))
                break
        if len(out) == count:
            return out
    # Some prefixes are wholly covered by longer ones (a /31 with both /32s).
    if len(out) < 0.99 * count:
        raise BenchError(f"only {len(out)} of {count} destinations found outside longer prefixes")
    return out


def lpm_reference(family, prefixes):
    """A slow longest-prefix match over `prefixes`, to check the traffic."""
    bits = 32 if family == 4 else 128
    table = {p: i for i, p in enumerate(prefixes)}
    lengths = sorted({l for _, l in prefixes}, reverse=True)

    def lookup(addr):
        for l in lengths:
            i = table.get((addr >> (bits - l) << (bits - l), l))
            if i is not None:
                return i
        return None
    return lookup


def tbl8_groups(family, prefixes):
    """tbl8 groups the router's LPM will allocate (as route_table.cc counts them)."""
    bits = 32 if family == 4 else 128
    nodes = set()
    for net, length in prefixes:
        for level in range(24, length, 8):
            nodes.add((level, net >> (bits - level)))
            if family == 4:
                break
    return len(nodes) + 64


def prefix_text(family, net, length):
    return f"{ipaddress.IPv4Address(net) if family == 4 else ipaddress.IPv6Address(net)}/{length}"


def router_config(family, prefixes):
    net = NET[family]
    gws = net["gateways"]
    routes = ",".join(f'{{"prefix":"{prefix_text(family, n, l)}","via":"{gws[i % len(gws)]}"}}'
                      for i, (n, l) in enumerate(prefixes))
    head = {
        "interfaces": [{"name": "lan", "port": 1, "mac": LAN_MAC, "addresses": [net["lan"]]},
                       {"name": "wan", "port": 2, "mac": WAN_MAC, "addresses": [net["wan"]]}],
        "neighbours": [{"address": g, "mac": m, "interface": "wan"} for g, m in zip(gws, GATEWAY_MACS)],
    }
    return json.dumps(head)[:-1] + ',"routes":[' + routes + "]}"


def mac_bytes(text):
    return bytes(int(b, 16) for b in text.split(":"))


def csum(data, start=0):
    if len(data) % 2:
        data += b"\0"
    s = start + sum(struct.unpack(f"!{len(data) // 2}H", data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return s


def frame(family, src, dst, k):
    """Ethernet/IP/UDP to the router's lan MAC, checksums correct: 60 bytes
    (IPv4, 18-byte zero payload) or 62 bytes (IPv6, no payload)."""
    eth = mac_bytes(LAN_MAC) + mac_bytes(SRC_MAC)
    sport, dport = 1024 + k % 64512, 5000 + k % 1000
    if family == 4:
        payload = bytes(18)
        ulen = 8 + len(payload)
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + ulen, 0, 0x4000, 64, 17, 0,
                         src.to_bytes(4, "big"), dst.to_bytes(4, "big"))
        ip = ip[:10] + struct.pack("!H", ~csum(ip) & 0xFFFF) + ip[12:]
        pseudo = ip[12:20] + struct.pack("!BBH", 0, 17, ulen)
        udp = struct.pack("!HHHH", sport, dport, ulen, 0) + payload
        c = ~csum(pseudo + udp) & 0xFFFF
        return eth + b"\x08\x00" + ip + udp[:6] + struct.pack("!H", c or 0xFFFF) + udp[8:]
    ulen = 8
    ip = struct.pack("!IHBB16s16s", 6 << 28, ulen, 17, 64, src.to_bytes(16, "big"), dst.to_bytes(16, "big"))
    pseudo = ip[8:40] + struct.pack("!IxxxB", ulen, 17)
    udp = struct.pack("!HHHH", sport, dport, ulen, 0)
    c = ~csum(pseudo + udp) & 0xFFFF
    return eth + b"\x86\xdd" + ip + udp[:6] + struct.pack("!H", c or 0xFFFF)


def write_pcap(path, frames, count):
    """Classic pcap: `count` records, cycling through `frames`."""
    with open(path + ".tmp", "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for p in range(count):
            fr = frames[p % len(frames)]
            f.write(struct.pack("<IIII", p // 1_000_000, p % 1_000_000, len(fr), len(fr)) + fr)
    os.replace(path + ".tmp", path)


class CaseFiles:
    """The generated files of one forwarding case and what was checked about them."""

    def __init__(self, name):
        family, routes, dests = CASES[name]
        self.name, self.family, self.routes, self.dests = name, family, routes, dests
        base = f"{OUT}/rt-{name}"
        self.config, self.pcap, self.flows, self.meta = base + ".json", base + ".pcap", base + ".rules", base + ".meta"
        self.params = {"version": GEN_VERSION, "seed": SEED, "family": family, "routes": routes, "dests": dests}

    def ensure(self):
        try:
            with open(self.meta) as f:
                meta = json.load(f)
            if meta["params"] == self.params and all(os.path.exists(p) for p in (self.config, self.pcap)):
                self.__dict__.update(meta["facts"])
                return
        except (OSError, ValueError, KeyError):
            pass
        self.generate()

    def generate(self):
        t0 = time.time()
        fam = self.family
        rng = random.Random(f"{SEED}-{self.name}")
        prefixes = random_prefixes(fam, self.routes, rng)
        dests = pick_destinations(fam, prefixes, self.dests, rng)
        # Each destination's longest match is its own route, and no two share one.
        lookup = lpm_reference(fam, prefixes)
        bad = [(a, i) for a, i in dests if lookup(a) != i]
        if bad or len({i for _, i in dests}) != len(dests):
            raise BenchError(f"{self.name}: {len(bad)} destinations not in their own route")
        with open(self.config + ".tmp", "w") as f:
            f.write(router_config(fam, prefixes))
        os.replace(self.config + ".tmp", self.config)
        src = int(ipaddress.ip_address(NET[fam]["src"]))
        frames = [frame(fam, src, a, k) for k, (a, _) in enumerate(dests)]
        packets = -(-max(1024, len(frames)) // len(frames)) * len(frames)
        write_pcap(self.pcap, frames, packets)
        lengths = [l for _, l in prefixes]
        facts = {
            "frames": packets, "frame_len": len(frames[0]), "destinations": len(dests),
            "tbl8": tbl8_groups(fam, prefixes),
            "len_min": min(lengths), "len_max": max(lengths),
            "len_share": {str(l): lengths.count(l) / len(lengths) for l in sorted(set(lengths))},
            "dest_lengths": sorted({prefixes[i][1] for _, i in dests}),
        }
        with open(self.meta, "w") as f:
            json.dump({"params": self.params, "facts": facts}, f)
        self.__dict__.update(facts)
        log(f"{self.name}: generated {self.routes} routes /{self.len_min}../{self.len_max}, "
            f"{len(dests)} destinations (each the longest match of its own route), "
            f"{packets} frames in {time.time() - t0:.0f}s")

    def router_mb(self):
        """Hugepage MiB of one router version: two FIB replicas, each a 64 MiB
        first level, its tbl8 groups (1 KiB; the IPv6 trie reserves half as
        many again) and its RIB (two nodes of up to 128 bytes per route, with
        a quarter more room)."""
        tbl8 = self.tbl8 * (3 if self.family == 6 else 2) // 2
        return 2 * (64 + tbl8 // 1024 + self.routes * 5 // 4 * 2 * 128 // (1 << 20)) + 8


# --- processes ----------------------------------------------------------------

def memory_args(need_mb):
    return bench_procs.memory_args(need_mb, 1.5, warn=log)


def measure(run, kind, duration, warmup, on_window=None):
    return bench_procs.measure(run, kind, duration, warmup, 600, on_window)


def agent_url(run):
    return bench_procs.agent_url(run, 600)


class Agent:
    """One keep-alive HTTP/1.1 connection to sluiced's agent."""

    def __init__(self, url):
        host, port = url.removeprefix("http://").rsplit(":", 1)
        # A change rebuilds the whole table on some versions: minutes at 1M routes.
        self.conn = http.client.HTTPConnection(host, int(port), timeout=3600)

    def request(self, method, path, body=None):
        data = body if body is None or isinstance(body, bytes) else json.dumps(body).encode()
        headers = {"Content-Type": "application/json"} if data is not None else {}
        self.conn.request(method, path, body=data, headers=headers)
        reply = self.conn.getresponse()
        text = reply.read()
        if reply.status != 200:
            raise BenchError(f"{method} {path}: {reply.status} {text[:300]!r}")
        return json.loads(text)

    def router_stats(self):
        return self.request("GET", "/v1/nfs/router/stats")


def check_routed(name, start, end, routes):
    """The router forwarded every packet it got: none dropped, no ICMP error,
    and it holds the routes it should. Raises BenchError with its counters."""
    pkts = end["packets_in"] - start.get("packets_in", 0)
    sent = end["packets_sent"] - start.get("packets_sent", 0)
    drops = {k: v for k, v in end["drops"].items() if v}
    problems = []
    if pkts <= 0:
        problems.append("the router received no packet")
    elif sent < 0.999 * pkts:
        problems.append(f"the router sent {sent} of {pkts} packets")
    if drops:
        problems.append(f"drops {drops}")
    if end["nf"]["icmp_errors_sent"]:
        problems.append(f"{end['nf']['icmp_errors_sent']} ICMP errors sent (no route / TTL)")
    if routes is not None and end["nf"]["routes"]["static"] != routes:
        problems.append(f"{end['nf']['routes']['static']} static routes, expected {routes}")
    if problems:
        raise BenchError(f"{name}: the router did not route the traffic: {'; '.join(problems)}\n"
                         f"router stats: {json.dumps(end)}")
    return pkts, sent


def fmt_drops(stats):
    drops = {k: v for k, v in stats["drops"].items() if v}
    return ",".join(f"{k}={v}" for k, v in drops.items()) or "0"


# --- the cases ------------------------------------------------------------------

def testpmd_cmd(pcap, mbufs, mem):
    return ["dpdk-testpmd", "--no-pci", "--file-prefix", TPMD_PREFIX, "-l", LCORES, *mem,
            "--vdev", f"net_pcap0,rx_pcap={pcap},infinite_rx=1", "--vdev", "net_null0,no-rx=1",
            "--", "--forward-mode=io", "--nb-cores=1", "-a", "--stats-period", "1",
            "--total-num-mbufs", str(mbufs)]


def sluiced_cmd(sluiced, files, mbufs, mem):
    return [sluiced, "--port", f"in=pcap:{files.pcap}", "--port", "out=null", "--workers", "1",
            "--mbufs", str(mbufs), "--stats-interval", "1", "--stats-format", "json",
            "--nf", f"router=router:{files.config}", "--flows", files.flows, "--listen", "127.0.0.1:0",
            "--", "-l", LCORES, "--no-pci", *mem, "--file-prefix", SW_PREFIX]


def prepare(name):
    files = CaseFiles(name)
    files.ensure()
    # --flows is read after --nf created the instance, so the rule names it.
    with open(files.flows, "w") as f:
        f.write("table=0,priority=1,actions=nf:router\n")
    return files


def median(values, digits=2):
    nums = [float(v) for v in values if v not in ("-", None)]
    return f"{statistics.median(nums):.{digits}f}" if nums else "-"


def forwarding_case(args, name, commands):
    """testpmd io, then sluiced with the router, --repeat times; one result row."""
    files = prepare(name)
    mbufs = files.frames + EXTRA_MBUFS
    mem, mem_text = memory_args(int(mbufs * MBUF_KB / 1024) + files.router_mb() + 64)
    tpmd = testpmd_cmd(files.pcap, mbufs, mem)
    sw = sluiced_cmd(args.sluiced, files, mbufs, mem)
    cols = {k: [] for k in ("t_mpps", "s_mpps", "cpp", "nf_cpp", "t_cpu", "s_cpu", "t_load", "s_load",
                            "start")}
    drops, routed = "-", "-"
    for r in range(1, args.repeat + 1):
        log(f"{name}: run {r}/{args.repeat}: testpmd io, {files.frames} frames, memory: {mem_text}, "
            f"load {load1()}")
        run = Run(tpmd, f"{OUT}/rt-{name}.testpmd.log", TPMD_PREFIX)
        try:
            t_mpps = measure(run, "testpmd", args.duration, args.warmup).split()[1]
            cols["t_cpu"].append(run.fwd_cpu())
        finally:
            run.stop()
        cols["t_mpps"].append(t_mpps)
        cols["t_load"].append(run.load)

        log(f"{name}: run {r}/{args.repeat}: sluiced with a router of {files.routes} routes, load {load1()}")
        started = time.time()
        run = Run(sw, f"{OUT}/rt-{name}.sluiced.log", SW_PREFIX)
        try:
            # The agent starts once the router holds its routes.
            agent = Agent(agent_url(run))
            cols["start"].append(f"{time.time() - started:.1f}")
            start = {}
            result = measure(run, "sluiced", args.duration, args.warmup,
                             on_window=lambda: start.update(agent.router_stats()))
            end = agent.router_stats()
            cols["s_cpu"].append(run.fwd_cpu())
        finally:
            run.stop()
        cols["s_load"].append(run.load)
        _, s_mpps, cpp, fwd, _ = result.split()
        # Everything since the start, then the measurement window alone.
        check_routed(name, {}, end, files.routes)
        pkts, sent = check_routed(name, start, end, files.routes)
        if float(fwd) < 0.999:
            raise BenchError(f"{name}: sluiced sent {fwd} of the packets it received to \"out\"")
        nf_cycles = end["cycles_per_packet"] * end["packets_in"] - start["cycles_per_packet"] * start["packets_in"]
        cols["s_mpps"].append(s_mpps)
        cols["cpp"].append(cpp)
        cols["nf_cpp"].append(f"{nf_cycles / pkts:.1f}")
        routed, drops = f"{sent / pkts:.4f}", fmt_drops(end)
        log(f"{name}: run {r}: testpmd {t_mpps} Mpps, sluiced {s_mpps} Mpps, router {cols['nf_cpp'][-1]} "
            f"cycles/packet, routed {routed} of {pkts} packets in the window, drops {drops}; "
            f"forwarding thread CPU testpmd {cols['t_cpu'][-1]}%, sluiced {cols['s_cpu'][-1]}%")
    commands.append(f"{name} testpmd: {shlex.join(tpmd)}")
    commands.append(f"{name} sluiced: {shlex.join(sw)}")
    t, s = median(cols["t_mpps"]), median(cols["s_mpps"])
    ratio = f"{float(s) / float(t):.2f}" if t != "-" and s != "-" and float(t) > 0 else "-"
    lengths = f"/{files.len_min}../{files.len_max}"
    log(f"{name}: testpmd io {t} Mpps, sluiced {s} Mpps, ratio {ratio}, worker {median(cols['cpp'], 1)} "
        f"cycles/packet, router {median(cols['nf_cpp'], 1)} (median of {args.repeat})")
    return (name, files.routes, lengths, files.destinations, f"{files.frame_len}+4", median(cols["start"], 1),
            t, s, ratio, median(cols["cpp"], 1),
            median(cols["nf_cpp"], 1), routed, drops, f"{median(cols['t_cpu'], 0)}/{median(cols['s_cpu'], 0)}",
            f"{median(cols['t_load'])}/{median(cols['s_load'])}", mem_text)


def update_route(k, family=4):
    """Route k added by the update phases: a /24 in 10/8, where the traffic
    never goes (the base tables leave 10/8 out), so forwarding is unaffected."""
    return {"prefix": f"10.{k >> 8 & 255}.{k & 255}.0/24", "via": NET[family]["gateways"][k % 4]}


MAX_UPDATE_ROUTES = 65536  # /24s in 10/8
MAX_BODY = 256 << 20  # the agent's route-table body limit, sluiced --max-routes-body (413 beyond)


class Phase:
    """One update phase: requests made until a time budget or a count."""

    def __init__(self, name, batch, op):
        self.name, self.batch, self.op, self.load = name, batch, op, load1()
        self.routes, self.lat = 0, []

    def run(self, sluiced, budget, cap, step):
        """Calls step() (it returns routes done) until `budget` seconds passed
        or `cap` routes were done, at least once."""
        self.t0, ticks0 = time.time(), sluiced.fwd_ticks()
        while True:
            p0 = time.perf_counter()
            self.routes += step()
            self.lat.append(time.perf_counter() - p0)
            if time.time() - self.t0 >= budget or self.routes >= cap:
                break
        self.t1 = time.time()
        self.secs = self.t1 - self.t0
        ticks1 = sluiced.fwd_ticks()
        self.cpu = f"{100 * (ticks1 - ticks0) / os.sysconf('SC_CLK_TCK') / self.secs:.0f}" \
            if ticks0 is not None and ticks1 is not None else "-"
        self.lat.sort()
        log(f"{self.name}: batch {self.batch}, {self.op}: {self.routes} routes in {len(self.lat)} requests, "
            f"{self.secs:.1f}s: {rate(self.routes / self.secs)} routes/s (load {self.load})")
        return self

    def row(self, log_path, steady_mpps):
        mpps, out_in = forwarding_between(os.path.join(ROOT, log_path), self.t0, self.t1)
        lat = self.lat
        return (self.name, self.batch, self.op, self.routes, len(lat), rate(self.routes / self.secs),
                rate(len(lat) / self.secs), f"{lat[len(lat) // 2] * 1e3:.1f}/{lat[-1] * 1e3:.1f}",
                f"{mpps:.2f}" if mpps is not None else "-",
                f"{mpps / steady_mpps * 100:.0f}%" if mpps is not None and steady_mpps > 0 else "-",
                f"{out_in:.4f}" if out_in is not None else "-", self.cpu, self.load)


def rate(x):
    return f"{x:,.0f}" if x >= 100 else f"{x:.3g}"


def update_case(args, name, commands):
    """Routes added and deleted over REST while forwarding. Returns (rows,
    note, error): the phases measured, even when a later one failed."""
    base = UPDATE_CASES[name]
    files = prepare(base)
    mbufs = files.frames + EXTRA_MBUFS
    # Changes are made in place; room for one version built anew (out of room).
    mem, mem_text = memory_args(int(mbufs * MBUF_KB / 1024) + 2 * files.router_mb() + 64)
    sw = sluiced_cmd(args.sluiced, files, mbufs, mem)
    log_path = f"{OUT}/rt-{name}.sluiced.log"
    log(f"{name}: sluiced with a router of {files.routes} routes forwarding the {base} traffic, "
        f"memory: {mem_text}, load {load1()}")
    commands.append(f"{name} sluiced: {shlex.join(sw)}")
    run = Run(sw, log_path, SW_PREFIX)
    phases, error, steady, before, after, end = [], None, None, None, None, None
    try:
        agent = Agent(agent_url(run))
        start = {}
        steady = measure(run, "sluiced", args.duration, args.warmup,
                         on_window=lambda: start.update(agent.router_stats()))
        before = agent.router_stats()
        check_routed(name, start, before, files.routes)
        path = "/v1/nfs/router/routes"
        with open(files.config) as f:
            base_routes = json.dumps({"routes": json.load(f)["routes"]}).encode()
        # This batch size added routes k in [first, nxt) and deleted [first, gone)
        # again; `extra` routes of earlier sizes are still in the table.
        nxt = extra = 0
        for size in args.update_sizes:
            first = gone = nxt

            def add():
                nonlocal nxt
                agent.request("POST", path, {"routes": [update_route(k) for k in range(nxt, nxt + size)]})
                nxt += size
                return size

            def delete():
                nonlocal gone
                batch = min(size, nxt - gone)
                if batch == 1:
                    agent.request("DELETE", f"{path}?prefix={update_route(gone)['prefix']}")
                else:
                    agent.request("POST", f"{path}/delete",
                                  {"prefixes": [update_route(k)["prefix"] for k in range(gone, gone + batch)]})
                gone += batch
                return batch

            def restore():
                agent.request("PUT", path, base_routes)
                return files.routes

            phases.append(Phase(name, size, "add (POST)").run(
                run, args.update_seconds, max(size, args.update_routes), add))
            phases.append(Phase(name, size, "delete (DELETE)" if size == 1 else "delete (POST .../delete)").run(
                run, args.update_seconds, nxt - first, delete))
            left = nxt - gone
            if (left or extra) and len(base_routes) <= MAX_BODY:
                # What the time did not allow to delete: the table
                # goes back to the original as one version.
                phases.append(Phase(name, files.routes, f"restore (PUT, {left + extra} left)").run(
                    run, 0, 1, restore))
                nxt = extra = 0
            elif left:
                extra += left
                log(f"{name}: {left} added routes stay (a PUT of the whole table is over the agent's "
                    f"{MAX_BODY >> 20} MiB body limit); the table has {files.routes + extra}")
            expected = files.routes + extra
            static = agent.router_stats()["nf"]["routes"]["static"]
            if static != expected:
                raise BenchError(f"{name}: {static} routes after batch size {size}, expected {expected}")
        # The steady state again, with no request: is the rate back?
        t0 = time.time() + 1
        t1 = t0 + args.duration
        time.sleep(t1 + 1.5 - time.time())  # a stats line at or after t1 (one a second)
        after = forwarding_between(os.path.join(ROOT, log_path), t0, t1)[0]
        end = agent.router_stats()
        fwd_cpu = run.fwd_cpu()
    except (BenchError, OSError, http.client.HTTPException, KeyboardInterrupt, SystemExit) as e:
        error = e  # the phases measured so far are still reported
    finally:
        run.stop()
    note = f"{name}: memory: {mem_text}"
    if steady:
        note += f"; steady state before the updates {steady.split()[1]} Mpps, {steady.split()[2]} cycles/packet"
    if after is not None:
        note += f", after them {after:.2f} Mpps"
    if end is not None:
        try:
            pkts, sent = check_routed(name, {}, end, None)
            note += (f"; routed over the whole run {sent / pkts:.4f} ({sent} of {pkts}), drops "
                     f"{fmt_drops(end)}, forwarding thread CPU {fwd_cpu}%")
            # Routers that change IPv4 routes in place count how.
            r0, r1 = before["nf"]["routes"], end["nf"]["routes"]
            counts = [f"{k} {r1[k] - r0.get(k, 0)}" for k in ("tables_built", "changed_in_place") if k in r1]
            if counts:
                note += f"; during the updates: {', '.join(counts)}"
        except BenchError as e:
            error = error or e
    # The reference: the better of the two steady-state windows.
    steady_mpps = max(float(steady.split()[1]) if steady else 0, after or 0)
    return [p.row(log_path, steady_mpps) for p in phases], note, error


# --- main ---------------------------------------------------------------------

def source_info(build):
    """Which source tree the build directory compiles, and its git state."""
    try:
        with open(os.path.join(build, "meson-info", "meson-info.json")) as f:
            src = json.load(f)["directories"]["source"]
    except (OSError, ValueError, KeyError):
        return f"{build}: not a meson build directory?"
    git = subprocess.run(["git", "-C", src, "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    if git.returncode != 0:
        return f"sources {src} (not a git checkout)"
    dirty = subprocess.run(["git", "-C", src, "status", "--porcelain", "--untracked-files=no"],
                           capture_output=True, text=True).stdout.split("\n")
    dirty = [line[3:] for line in dirty if line.strip()]
    return f"sources {src} at {git.stdout.strip()}" + (
        f", with uncommitted changes to {len(dirty)} file(s): {' '.join(dirty[:8])}" if dirty else "")


def print_table(header, rows):
    rows = [header] + [tuple(str(c) for c in r) for r in rows]
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    for r in rows:
        print("  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip())


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default="build")
    ap.add_argument("--duration", type=float, default=8, help="measurement window (s)")
    ap.add_argument("--warmup", type=float, default=2, help="seconds before it")
    ap.add_argument("--repeat", type=int, default=1, help="forwarding runs per case (median)")
    ap.add_argument("--cases", default=",".join([*CASES, *UPDATE_CASES]))
    ap.add_argument("--update-seconds", type=float, default=10,
                    help="time per update phase (at least one request each)")
    ap.add_argument("--update-sizes", default=",".join(map(str, UPDATE_SIZES)), help="routes per POST")
    ap.add_argument("--update-routes", type=int, default=20000, help="most routes added per batch size")
    args = ap.parse_args()
    args.update_sizes = [int(x) for x in args.update_sizes.split(",")]
    if args.repeat < 1 or args.duration < 2 or min(args.update_sizes) < 1 or \
            max(args.update_sizes) > args.update_routes or \
            args.update_routes * len(args.update_sizes) > MAX_UPDATE_ROUTES:
        sys.exit(f"router-bench: needs --repeat >= 1, --duration >= 2, 1 <= --update-sizes <= --update-routes, "
                 f"--update-routes x sizes <= {MAX_UPDATE_ROUTES}")
    os.chdir(ROOT)
    os.makedirs(OUT, exist_ok=True)
    cases = args.cases.split(",")
    for c in cases:
        if c not in CASES and c not in UPDATE_CASES:
            sys.exit(f"router-bench: unknown case {c} (known: {', '.join([*CASES, *UPDATE_CASES])})")
    subprocess.run(["ninja", "-C", args.build, "dataplane/sluiced"], check=True, stdout=subprocess.DEVNULL)
    args.sluiced = f"{args.build}/dataplane/sluiced"
    if not subprocess.run(["which", "dpdk-testpmd"], stdout=subprocess.DEVNULL).returncode == 0:
        sys.exit("router-bench: dpdk-testpmd not found (install the dpdk package)")
    # SIGTERM (scripts/bench, timeout) unwinds like Ctrl-C: every process is stopped.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    fwd_rows, upd_rows, upd_notes, commands, failures = [], [], [], [], []
    load_start = load1()
    status = 0
    try:
        for name in cases:
            try:
                if name in CASES:
                    fwd_rows.append(forwarding_case(args, name, commands))
                else:
                    rows, note, error = update_case(args, name, commands)
                    upd_rows += rows
                    upd_notes.append(note)
                    if error:
                        raise error
            except (BenchError, OSError, http.client.HTTPException) as e:
                log(f"FAILED: {e}")
                failures.append(f"{name}: {e}")
    except (KeyboardInterrupt, SystemExit) as e:
        # Interrupted (Ctrl-C, SIGTERM): print what was measured, then exit.
        status = e.code if isinstance(e, SystemExit) and isinstance(e.code, int) else 130
        failures.append(f"interrupted (exit {status}) during {name}")
    finally:
        Run.stop_all()

    print(f"\nrouter NF, one forwarding core (lcores {LCORES}), 64-byte frames (IPv6: 66), "
          f"{args.duration:g}s after {args.warmup:g}s warm-up, median of {args.repeat}; "
          f"load average (1 min) {load_start} at the start, {load1()} at the end")
    print(f"sluiced: {args.sluiced}, {source_info(args.build)}\n")
    if fwd_rows:
        print_table(("case", "routes", "lengths", "dests", "frame", "start-up s", "testpmd io Mpps", "sluiced Mpps", "ratio",
                     "worker cyc/pkt", "router cyc/pkt", "routed", "router drops", "fwd CPU % t/s",
                     "load1 t/s", "memory"), fwd_rows)
    if upd_rows:
        print(f"\nroute updates over REST while forwarding (one keep-alive connection; each phase "
              f"{args.update_seconds:g}s or {args.update_routes} routes; latency = request to reply)\n")
        print_table(("case", "batch", "operation", "routes", "requests", "routes/s", "requests/s",
                     "latency p50/max ms", "fwd Mpps", "of steady", "out/in", "fwd CPU %", "load1"), upd_rows)
        for note in upd_notes:
            print(f"  {note}")
    print(f"\ncommands (from {ROOT}):")
    print(f"  {shlex.join([sys.executable, *sys.argv])}")
    for c in commands:
        print("  " + c)
    for f in failures:
        print(f"\nFAILED {f}")
    return status or (1 if failures else 0)


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        Run.stop_all()
        sys.exit(130)
