"""Processes of the benchmark scripts (nf_bench.py, router_bench.py,
rest_bench.py): memory arguments for EAL, a tool run with its output in a
log and stopped by PID, the REST agent's URL from sluiced's log, and the
wait for a measurement window in the tools' periodic counters
(bench_stats.py). Not a program; imported from this folder.

A failure is a BenchError saying what happened and which log to read.
"""

import os
import re
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_stats  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class BenchError(Exception):
    pass


def memory_args(need_mb, headroom, warn=None):
    """EAL memory arguments and their description: real 2 MiB hugepages
    (--in-memory) when enough are free, else --no-huge with `need_mb` times
    `headroom` (rounded up to 512 MiB, at least 2 GiB); `warn` gets a message
    saying the numbers are then not comparable."""
    hp = "/sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages"
    free = int(open(hp).read()) if os.path.exists(hp) else 0
    mounted = any(" hugetlbfs " in line for line in open("/proc/mounts"))
    if mounted and free * 2 >= need_mb:
        return ["--in-memory"], f"hugepages ({free} free 2 MiB pages, --in-memory)"
    mb = max(2048, int(need_mb * headroom) // 512 * 512 + 512)
    if warn:
        warn(f"WARNING: {need_mb} MiB needed, {free} free 2 MiB hugepages: running with --no-huge -m {mb};"
             " lookups then miss the TLB and the numbers are not comparable")
    return ["--no-huge", "-m", str(mb)], f"no hugepages (--no-huge -m {mb})"


def clean_prefix(prefix):
    """Removes what a DPDK process of EAL --file-prefix `prefix` left."""
    subprocess.run(f"rm -f /dev/hugepages/{prefix}map_* ; rm -rf /var/run/dpdk/{prefix}", shell=True)


def load1():
    return f"{os.getloadavg()[0]:.2f}"


class Run:
    """One tool started from ROOT, stdout to `log_path`, stderr to
    `log_path`.err, stopped by PID (SIGINT, then SIGKILL after 10 s). With a
    `prefix` (its EAL --file-prefix) its DPDK files are removed before and
    after. fwd_cpu() is the CPU % its threads but the main one got since
    mark()."""

    running = []

    def __init__(self, cmd, log_path, prefix=None):
        self.prefix, self.log_path, self.cmd = prefix, log_path, cmd
        if prefix:
            clean_prefix(prefix)
        self.load = load1()
        self.out = open(log_path, "w")
        self.err = open(log_path + ".err", "w")
        self.proc = subprocess.Popen(cmd, stdout=self.out, stderr=self.err, cwd=ROOT)
        Run.running.append(self)
        self.mark()

    def mark(self):
        """Starts the clock of fwd_cpu() (at the measurement window)."""
        self.t0, self.ticks0 = time.time(), self.fwd_ticks()

    def fwd_ticks(self):
        """CPU ticks of every thread but the main one (the forwarding lcore)."""
        try:
            pid = self.proc.pid
            all_ = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
            main = open(f"/proc/{pid}/task/{pid}/stat").read().rsplit(")", 1)[1].split()
            return int(all_[11]) + int(all_[12]) - int(main[11]) - int(main[12])
        except (OSError, IndexError, ValueError):
            return None

    def fwd_cpu(self):
        """CPU % the forwarding thread got since mark() (below ~95 %: shared core)."""
        t = self.fwd_ticks()
        if t is None or self.ticks0 is None:
            return "-"
        return f"{100 * (t - self.ticks0) / os.sysconf('SC_CLK_TCK') / (time.time() - self.t0):.0f}"

    def tail(self, lines=5):
        """The last lines of its stderr."""
        return "".join(open(self.log_path + ".err", errors="replace").readlines()[-lines:])

    def stop(self):
        if self in Run.running:
            Run.running.remove(self)
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.out.close()
        self.err.close()
        if self.prefix:
            clean_prefix(self.prefix)

    @staticmethod
    def stop_all():
        for run in list(Run.running):
            run.stop()


def measure(run, kind, duration, warmup, startup, on_window=None):
    """Waits (at most `startup` s more than the window needs) for a window
    of `duration` s after `warmup` in the counters `run` ("testpmd" or
    "sluiced", `kind`) prints; returns bench_stats.summarize()'s
    "WINDOW MPPS CPP FWD HZ". Calls run.mark() and on_window() once the
    warm-up is over."""
    deadline = time.time() + startup + warmup + 3 * duration
    result = "0 0 - - -"
    marked = False
    while time.time() < deadline:
        time.sleep(1)
        if run.proc.poll() is not None:
            raise BenchError(f"{kind} exited early ({run.proc.returncode}); see {run.log_path}.err:\n"
                             + run.tail())
        samples = (bench_stats.testpmd_samples if kind == "testpmd" else bench_stats.sluiced_samples)(
            os.path.join(ROOT, run.log_path))
        result = bench_stats.summarize(samples, warmup)
        if samples and samples[-1][0] >= warmup and not marked:
            run.mark()
            marked = True
            if on_window:
                on_window()
        if float(result.split()[0]) >= duration:
            return result
    raise BenchError(f"{kind}: no {duration:g}s measurement window in time; see {run.log_path}")


def agent_url(run, timeout):
    """"http://ADDR:PORT" of sluiced's REST agent, from its start-up line on
    stderr, once it is there (at most `timeout` s)."""
    err_path = os.path.join(ROOT, run.log_path + ".err")
    deadline = time.time() + timeout
    while time.time() < deadline and run.proc.poll() is None:
        m = re.search(r"REST agent on (http://[^ ]+)/v1", open(err_path, errors="replace").read())
        if m:
            return m.group(1)
        time.sleep(0.2)
    raise BenchError(f"sluiced did not start its agent; see {err_path}:\n" + run.tail())
