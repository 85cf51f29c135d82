"""Benchmark scripts/sampler.py against psrecord: timing, CPU per sample, burst fidelity.

    $ python benchmarks/sampler_bench.py              # the full run, about 7 minutes
    $ python benchmarks/sampler_bench.py --duration 5 # a quick look

Prints figures, asserts nothing (a benchmark, not a test). Needs psrecord (requirements-bench.txt).

Method. Timing: the sampler alone launches `sh -c "sleep D & sleep D; wait"` (3 processes) and
samples the whole tree, as the workflow runs it. Cost: the same, with psrecord --include-children
attached to the same target in the same run at the same interval, so both sample the same tree
at once; then a single process (`sleep D`, sampler --no-children, psrecord without children).
CPU is measured from outside, identically for both tools: the benchmark waits for each tool's
exit with waitid(WNOWAIT), reads the zombie's /proc/PID/task/*/schedstat (nanoseconds on the CPU;
rusage is tick-granular here) and only then reaps it. The start-up cost (interpreter, imports)
is removed by subtracting a short baseline run of the same kind:
    CPU per sample = (cpu_long - cpu_short) / (samples_long - samples_short).
Samples: the sampler's summary; psrecord's log lines. psrecord's rate is its own log's count over
its own elapsed time. "Waited for a CPU" is schedstat's run-queue time per sample: when it is
large, missed ticks come from other load on the machine, not from the sampler's own work. As
root, the timing runs are repeated under `chrt -f 1` (SCHED_FIFO) to show what a real-time
priority buys when every CPU is busy.
"""

import argparse
import csv
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SAMPLER = ROOT / "scripts" / "sampler.py"
BURST = ROOT / "tests" / "workloads" / "burst.py"
PY = sys.executable


def schedstat_of_zombie(proc: subprocess.Popen) -> tuple[int, int]:
    """Wait for proc to exit without reaping it; (ns on a CPU, ns waiting for one); reap it."""
    os.waitid(os.P_PID, proc.pid, os.WEXITED | os.WNOWAIT)
    cpu = wait = 0
    for task in Path(f"/proc/{proc.pid}/task").iterdir():
        fields = (task / "schedstat").read_text().split()
        cpu, wait = cpu + int(fields[0]), wait + int(fields[1])
    proc.wait()
    return cpu, wait


def target_of(sampler: subprocess.Popen, timeout: float = 5.0) -> int:
    """The pid of the command the sampler launched."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        kids = Path(f"/proc/{sampler.pid}/task/{sampler.pid}/children").read_text().split()
        if kids:
            return int(kids[0])
        time.sleep(0.001)
    raise RuntimeError("the sampler started no command")


def one_run(
    tmp: Path, interval_ms: float, seconds: float, psrecord: bool, tree: bool, prefix=()
) -> dict:
    """The sampler (launch mode) and optionally psrecord (attached) on one target; figures."""
    if tree:
        target = ["sh", "-c", f"sleep {seconds} & sleep {seconds}; wait"]
    else:
        target = ["sleep", str(seconds)]
    summary, trace, log = tmp / "s.json", tmp / "t.csv", tmp / "psrecord.csv"
    args = [PY, str(SAMPLER), "-q", "--interval-ms", str(interval_ms), "--out", str(trace)]
    args = [*prefix, *args] + ([] if tree else ["--no-children"])
    sampler = subprocess.Popen([*args, "--summary", str(summary), "--", *target])
    ps = None
    if psrecord:
        pid = target_of(sampler)
        ps_args = ["psrecord", str(pid), "--interval", str(interval_ms / 1000), "--log", str(log)]
        ps_args += ["--log-format", "csv"] + (["--include-children"] if tree else [])
        ps = subprocess.Popen(ps_args, stdout=subprocess.DEVNULL)
    cpu, wait = schedstat_of_zombie(sampler)
    out = {"summary": json.loads(summary.read_text()), "sampler_cpu_ns": cpu, "wait_ns": wait}
    if ps is not None:
        out["psrecord_cpu_ns"] = schedstat_of_zombie(ps)[0]
        with log.open() as f:
            times = [float(r["elapsed_time"]) for r in csv.DictReader(f)]
        out["psrecord_samples"] = len(times)
        span = times[-1] - times[0] if len(times) > 1 else None
        out["psrecord_rate_hz"] = (len(times) - 1) / span if span else None
    return out


def timing_line(run: dict, interval_ms: float, seconds: float) -> str:
    s = run["summary"]
    expected = seconds * 1000 / interval_ms
    return (
        f"{s['samples']} samples (expected {expected:.0f}: "
        f"{100 * (s['samples'] - expected) / expected:+.2f}%), "
        f"{1000 / s['effective_interval_ms']:.1f} Hz, interval p50 {s['interval_p50_ms']:.3f} ms "
        f"p99 {s['interval_p99_ms']:.3f} ms, missed ticks {s['missed_ticks']}, "
        f"waited for a CPU {run['wait_ns'] / s['samples'] / 1000:.0f} us/sample"
    )


def timing(tmp: Path, interval_ms: float, seconds: float, prefix=()) -> None:
    run = one_run(tmp, interval_ms, seconds, psrecord=False, tree=True, prefix=prefix)
    how = f" ({' '.join(prefix)})" if prefix else ""
    print(f"{seconds:g} s at {interval_ms:g} ms{how}: {timing_line(run, interval_ms, seconds)}")


def cost(tmp: Path, interval_ms: float, seconds: float, tree: bool) -> None:
    """CPU per sample of both tools on the same target in the same run (baseline removed)."""
    short = one_run(tmp, interval_ms, 0.5, True, tree)
    long = one_run(tmp, interval_ms, seconds, True, tree)
    s, s0 = long["summary"], short["summary"]
    ours = (long["sampler_cpu_ns"] - short["sampler_cpu_ns"]) / (s["samples"] - s0["samples"])
    theirs = (long["psrecord_cpu_ns"] - short["psrecord_cpu_ns"]) / (
        long["psrecord_samples"] - short["psrecord_samples"]
    )
    what = "tree of 3 (sh + 2 sleep)" if tree else "one process (sleep), --no-children"
    print(f"\n{seconds:g} s at {interval_ms:g} ms, {what}, sampler beside psrecord:")
    print(f"  sampler : {timing_line(long, interval_ms, seconds)}")
    print(
        f"            CPU {ours / 1000:.1f} us/sample = {ours / interval_ms / 1e4:.2f}% of a core"
    )
    rate = long["psrecord_rate_hz"]
    print(
        f"  psrecord: {long['psrecord_samples']} samples, {rate:.1f} Hz (asked "
        f"{1000 / interval_ms:g} Hz), CPU {theirs / 1000:.1f} us/sample = "
        f"{theirs * rate / 1e7:.1f}% of a core"
    )
    print(f"  CPU per sample, sampler / psrecord: {ours / theirs:.3f}")


def fidelity(tmp: Path, label: str, interval_ms: float, burst_args: list[str], psrecord: bool):
    summary, trace, log = tmp / "f.json", tmp / "f.csv", tmp / "f-ps.csv"
    cmd = [PY, str(SAMPLER), "-q", "--interval-ms", str(interval_ms), "--out", str(trace)]
    cmd += ["--summary", str(summary), "--", PY, str(BURST), *burst_args]
    sampler = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    ps = None
    if psrecord:
        ps_args = ["psrecord", str(target_of(sampler)), "--interval", str(interval_ms / 1000)]
        ps_args += ["--log", str(log), "--log-format", "csv"]
        ps = subprocess.Popen(ps_args, stdout=subprocess.DEVNULL)
    out, _ = sampler.communicate()
    s = json.loads(summary.read_text())
    self_hwm = int([ln for ln in out.splitlines() if ln.startswith("VmHWM:")][-1].split()[1])
    line = (
        f"{label:<42} peak {s['peak_rss_kb'] / 1024:6.1f} MiB, hwm {s['hwm_kb'] / 1024:6.1f} MiB "
        f"(self {self_hwm / 1024:.1f}, equal: {s['hwm_kb'] == self_hwm}), "
        f"peak/hwm {s['peak_rss_kb'] / s['hwm_kb']:.3f}, capture {s['peak_capture']:.3f}"
    )
    if ps is not None:
        ps.wait()
        with log.open() as f:
            peak = max(float(r["mem_real"]) for r in csv.DictReader(f))
        line += f" | psrecord peak {peak:.1f} MiB = {peak * 1024 / s['hwm_kb']:.3f} of hwm"
    print(line)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--duration", type=float, default=60, help="seconds per timed run (60)")
    a = p.parse_args()
    if shutil.which("psrecord") is None:
        sys.exit("psrecord not found: pip install -r requirements-bench.txt")
    u = os.uname()
    print(
        f"{u.nodename}, Linux {u.release}, {os.cpu_count()} CPUs, Python {sys.version.split()[0]}"
    )
    print(f"load average at start: {Path('/proc/loadavg').read_text().strip()}")
    d, short = a.duration, min(a.duration, 20)
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        print("\n== timing (launch mode, the whole tree, nothing else of ours running) ==")
        timing(tmp, 10, d)
        timing(tmp, 1, d)
        if os.geteuid() == 0 and shutil.which("chrt"):  # what a real-time priority buys
            timing(tmp, 10, d, prefix=("chrt", "-f", "1"))
            timing(tmp, 1, d, prefix=("chrt", "-f", "1"))
        print("\n== CPU per sample, from schedstat, same target and same run as psrecord ==")
        cost(tmp, 10, d, tree=True)
        cost(tmp, 1, d, tree=True)
        cost(tmp, 10, short, tree=False)
        cost(tmp, 1, short, tree=False)
        print("\n== burst fidelity (tests/workloads/burst.py; psrecord on the same target) ==")
        held = ["--mb", "40", "--hold-ms", "40", "--count", "3", "--delay-ms", "500"]
        unheld = ["--mb", "30", "--hold-ms", "0", "--count", "5", "--delay-ms", "500"]
        fidelity(tmp, "40 MiB held 40 ms x3 @ 10 ms", 10, held, True)
        fidelity(tmp, "30 MiB not held x5 @ 10 ms", 10, unheld, True)
        fidelity(tmp, "30 MiB not held x5 @ 1 ms", 1, unheld, True)
        sub = ["--mb", "30", "--hold-ms", "0", "--count", "1", "--tail-ms", "1300"]
        fidelity(tmp, "30 MiB not held x1 @ 1000 ms (sub-interval)", 1000, sub, False)
    print(f"\nload average at end: {Path('/proc/loadavg').read_text().strip()}")


if __name__ == "__main__":
    main()
