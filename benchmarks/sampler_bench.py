"""Benchmark the sampler: its CPU per sample beside a bare loop and psrecord, where one tick's
microseconds go, timing, burst fidelity, and the new metrics against known workloads.

    $ python benchmarks/sampler_bench.py                # everything, about 20 minutes
    $ python benchmarks/sampler_bench.py --duration 5 --reps 3 --only cost
    $ python benchmarks/sampler_bench.py floor 4242,4243 10 60 /tmp/f.csv   # the bare loop alone
    $ python benchmarks/sampler_bench.py --only phases --before /work/main  # phases off, on, before

Prints figures and asserts nothing (a benchmark, not a test). psrecord comes from
requirements-bench.txt. Sections (--only): profile, cost, psrecord, timing, fidelity, metrics,
phases.

How CPU is measured, the same way for every tool: the benchmark waits for the tool's exit with
waitid(WNOWAIT), reads the zombie's /proc/PID/task/*/schedstat (nanoseconds on a CPU; rusage is
tick-granular here) and only then reaps it. Start-up (interpreter, imports, the guardian's fork)
is removed by subtracting a short run of the same kind:
    CPU per sample = (cpu_long - cpu_short) / (samples_long - samples_short).
The floor is `floor_loop` below: os.pread of /proc/PID/statm of each process (opened once), one
CSV row written (buffered), time.sleep to an absolute deadline; on a tree it reads every
process's statm, the least a tree sampler reads. The sampler runs as the workflow runs it:
launch mode, the whole tree (one process: `sleep`, --no-children). Runs alternate (floor,
sampler) and each figure is the median of --reps. The guardian's own CPU while a run lasts is
read from its schedstat one second after the start and one second before the end.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SAMPLER = ROOT / "scripts" / "sampler.py"
WRAPPER = ROOT / "scripts" / "monitor.py"
BURST = ROOT / "tests" / "workloads" / "burst.py"
PY = sys.executable
sys.path.insert(0, str(ROOT / "scripts"))


def floor_loop(pids: list[int], interval_s: float, seconds: float, out: str) -> int:
    """The bare sampler: statm of each process, one row, sleep to an absolute deadline."""
    fds = [os.open(f"/proc/{pid}/statm", os.O_RDONLY) for pid in pids]
    n = 0
    with open(out, "w", buffering=1 << 16) as f:
        t0 = deadline = time.monotonic()
        end = t0 + seconds
        while True:
            now = time.monotonic()
            if now >= end:
                break
            rss = 0
            for fd in fds:
                rss += int(os.pread(fd, 128, 0).split()[1])
            f.write(f"{now - t0:.6f},{rss}\n")
            n += 1
            deadline += interval_s
            delay = deadline - time.monotonic()
            if delay > 0:
                time.sleep(delay)
    return n


# --- measuring a tool from outside ----------------------------------------------------------------


def zombie_cpu_ns(proc: subprocess.Popen) -> tuple[int, int]:
    """Wait for proc to exit without reaping it; (ns on a CPU, ns waiting for one); reap it."""
    os.waitid(os.P_PID, proc.pid, os.WEXITED | os.WNOWAIT)
    cpu = wait = 0
    for task in Path(f"/proc/{proc.pid}/task").iterdir():
        fields = (task / "schedstat").read_text().split()
        cpu, wait = cpu + int(fields[0]), wait + int(fields[1])
    proc.wait()
    return cpu, wait


CHURN = (  # a process whose RSS changes at every tick: 2 MiB mapped, touched, unmapped, 4 ms
    "import mmap, sys, time\nend = time.monotonic() + float(sys.argv[1])\n"
    "while time.monotonic() < end:\n"
    "    m = mmap.mmap(-1, 2 << 20); m.write(b'x' * (2 << 20)); time.sleep(0.002)\n"
    "    m.close(); time.sleep(0.002)\n"
)


def target(tree: bool, seconds: float, churn: bool = False) -> list[str]:
    """sleep; sh + 2 sleep (a tree of 3); or sh + sleep + a process whose RSS always changes."""
    if churn:
        return ["sh", "-c", f'{PY} -c "$0" {seconds} & sleep {seconds}; wait', CHURN]
    if tree:
        return ["sh", "-c", f"sleep {seconds} & sleep {seconds}; wait"]
    return ["sleep", str(seconds)]


def children(pid: int, wait_s: float = 5.0, want: int = 1) -> list[int]:
    deadline = time.monotonic() + wait_s
    while time.monotonic() < deadline:
        kids = [int(k) for k in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
        if len(kids) >= want:
            return kids
        time.sleep(0.002)
    raise RuntimeError(f"process {pid} has no child")


def sampler_run(tmp: Path, tree: bool, interval_ms: float, seconds: float, psrecord=False,
                prefix=(), churn=False) -> dict:  # fmt: skip
    """One launch-mode run of the sampler (and psrecord attached to the same target)."""
    summary, log = tmp / "s.json", tmp / "psrecord.csv"
    args = [*prefix, PY, str(SAMPLER), "-q", "--interval-ms", str(interval_ms)]
    args += ["--out", str(tmp / "t.csv"), "--summary", str(summary)]
    args += [] if tree else ["--no-children"]
    proc = subprocess.Popen([*args, "--", *target(tree, seconds, churn)])
    guardian = children(proc.pid)[0]
    out = {}
    if psrecord:
        pid = children(guardian)[0]
        ps_args = ["psrecord", str(pid), "--interval", str(interval_ms / 1000), "--log", str(log)]
        ps_args += ["--log-format", "csv"] + (["--include-children"] if tree else [])
        ps = subprocess.Popen(ps_args, stdout=subprocess.DEVNULL)
    if seconds >= 4:  # the guardian's own CPU while the run lasts
        time.sleep(1)
        g0 = int(Path(f"/proc/{guardian}/schedstat").read_text().split()[0])
        time.sleep(seconds - 2)
        g1 = int(Path(f"/proc/{guardian}/schedstat").read_text().split()[0])
        out["guardian_ns"] = g1 - g0
    out["cpu_ns"], out["wait_ns"] = zombie_cpu_ns(proc)
    out["summary"] = json.loads(summary.read_text())
    out["samples"] = out["summary"]["samples"]
    if psrecord:
        out["ps_cpu_ns"] = zombie_cpu_ns(ps)[0]
        with log.open() as f:
            out["ps_samples"] = sum(1 for _ in csv.DictReader(f))
    return out


def floor_run(tmp: Path, tree: bool, interval_ms: float, seconds: float, churn=False) -> dict:
    """One run of the bare loop, in its own interpreter, on a target like the sampler's."""
    victim = subprocess.Popen(target(tree, seconds + 2, churn), stderr=subprocess.DEVNULL)
    pids = [victim.pid] + (children(victim.pid, want=2) if tree else [])
    args = [PY, __file__, "floor", ",".join(map(str, pids)), str(interval_ms), str(seconds)]
    proc = subprocess.Popen([*args, str(tmp / "f.csv")], stdout=subprocess.PIPE, text=True)
    cpu, _ = zombie_cpu_ns(proc)
    samples = int(proc.stdout.read())
    proc.stdout.close()
    for pid in reversed(pids):
        os.kill(pid, 9)
    victim.wait()
    return {"cpu_ns": cpu, "samples": samples}


def per_sample_us(long: dict, short: dict, cpu="cpu_ns", n="samples") -> float:
    return (long[cpu] - short[cpu]) / (long[n] - short[n]) / 1000


# --- sections ---------------------------------------------------------------------------------


def profile(tmp: Path) -> None:
    """Where one tick's microseconds go: each step's CPU with the caches as cold as in a
    sampler (the step runs right after a 5 ms sleep; the sleep alone is subtracted)."""
    from sampling import phases as sampler_phases
    from sampling import procfs, proctree

    victim = subprocess.Popen(target(True, 600))
    pids = [victim.pid, *children(victim.pid, want=2)]
    big = subprocess.Popen([PY, "-c", "import time; x = bytearray(200 << 20); time.sleep(600)"])
    time.sleep(1.0)
    ss = os.open("/proc/thread-self/schedstat", os.O_RDONLY)
    statm = [os.open(f"/proc/{p}/statm", os.O_RDONLY) for p in pids]
    status = os.open(f"/proc/{pids[0]}/status", os.O_RDONLY)
    loadavg = os.open("/proc/loadavg", os.O_RDONLY)
    (tmp / "solver.log").write_text("Cache: 402.0 MB\n")
    reader = sampler_phases.Reader(str(tmp / "solver.log"), r"^(Cache|Bucket \d+/\d+):")
    reader.poll(0.0)
    tree = proctree.Tree(pids[0])
    tree.housekeeping(time.monotonic())
    tree.sample()
    rows = []

    def steady_tree_sample():
        tree.sample()

    def changed_tree_sample():
        tree.raw = None  # as if a member's statm had changed: parse all three
        tree.sample()

    steps = {
        "nothing (the wake-up alone)": lambda: None,
        "time.monotonic() x2": lambda: (time.monotonic(), time.monotonic()),
        "pread statm x1": lambda: os.pread(statm[0], 128, 0),
        "pread statm x3 + split + int": lambda: [
            int(os.pread(fd, 128, 0).split()[1]) for fd in statm
        ],
        "Tree.sample, tree of 3, unchanged": steady_tree_sample,
        "Tree.sample, tree of 3, changed": changed_tree_sample,
        "row: f-string of 7 fields + append": lambda: rows.append(
            f"{1.234567:.6f},{123456},{234567},{34567},{123456},{0},{3}\n"
        ),
        "row: cached tail + append": lambda: rows.append(f"{1.234567:.6f}{',1,2,3,4,5,6'}\n"),
        "pread status x1 + parse": lambda: procfs.parse_status(os.pread(status, 8192, 0)),
        "pread loadavg (the new-pid check)": lambda: os.pread(loadavg, 128, 0),
        "phases on: poll, no new output": lambda: reader.poll(1.0),
        "read stat of one process": lambda: procfs.read(pids[0], "stat"),
        "read io of one process": lambda: procfs.read(pids[0], "io"),
        "smaps_rollup of sleep (~1 MB)": lambda: procfs.read(pids[1], "smaps_rollup", 8192),
        "smaps_rollup of python, 200 MB": lambda: procfs.read(big.pid, "smaps_rollup", 8192),
    }
    results = {name: [] for name in steps}
    n = 30
    for _ in range(12):
        for name, step in steps.items():
            time.sleep(0.01)
            c0 = int(os.pread(ss, 64, 0).split()[0])
            for _ in range(n):
                time.sleep(0.005)
                step()
            time.sleep(0.005)
            results[name].append((int(os.pread(ss, 64, 0).split()[0]) - c0) / n)
            rows.clear()
    base = statistics.median(results["nothing (the wake-up alone)"])
    print(f"  {'the wake-up from a 5 ms time.sleep':<40} {base / 1000:7.1f} us (CPU per tick)")
    for name, values in list(results.items())[1:]:
        print(f"  {name:<40} {(statistics.median(values) - base) / 1000:7.1f} us on top")
    tree.close()
    reader.close()
    for p in [big, victim]:
        p.kill()
    for pid in pids[1:]:
        os.kill(pid, 9)
    big.wait()
    victim.wait()


def cost(tmp: Path, seconds: float, reps: int) -> None:
    """CPU per sample, sampler and floor alternating: at 10 and 1 ms, one process and a tree of
    3; and at 10 ms a tree of 3 where one process's RSS changes at every tick."""
    cases = [(10, False, False), (10, True, False), (1, False, False), (1, True, False)]
    for interval_ms, tree, churn in [*cases, (10, True, True)]:
        ours, floor, guardian = [], [], []
        for _ in range(reps):
            f_short = floor_run(tmp, tree, interval_ms, 0.5, churn)
            f_long = floor_run(tmp, tree, interval_ms, seconds, churn)
            s_short = sampler_run(tmp, tree, interval_ms, 0.5, churn=churn)
            s_long = sampler_run(tmp, tree, interval_ms, seconds, churn=churn)
            floor.append(per_sample_us(f_long, f_short))
            ours.append(per_sample_us(s_long, s_short))
            if "guardian_ns" in s_long:
                guardian.append(s_long["guardian_ns"] / 1000 / (seconds - 2) / 1000)
        what = "tree of 3 (sh + 2 sleep)" if tree else "one process (sleep)"
        what = "tree of 3, one RSS changing" if churn else what
        a, b = statistics.median(ours), statistics.median(floor)
        print(
            f"  {interval_ms:>2} ms, {what:<28} sampler {a:6.1f} us, floor {b:6.1f} us, "
            f"ratio {a / b:.2f}  (runs: sampler {', '.join(f'{x:.0f}' for x in ours)}; "
            f"floor {', '.join(f'{x:.0f}' for x in floor)})"
        )
        if guardian:
            print(f"      the guardian meanwhile: {statistics.median(guardian):.3f} ms CPU/s")


def versus_psrecord(tmp: Path, seconds: float, reps: int) -> None:
    """CPU per sample of the sampler and of psrecord on the same target in the same run."""
    for tree in (False, True):
        ours, theirs, rates = [], [], []
        for _ in range(reps):
            short = sampler_run(tmp, tree, 10, 0.5, psrecord=True)
            long = sampler_run(tmp, tree, 10, seconds, psrecord=True)
            ours.append(per_sample_us(long, short))
            theirs.append(per_sample_us(long, short, "ps_cpu_ns", "ps_samples"))
            rates.append(long["ps_samples"] / seconds)
        what = "tree of 3, --include-children" if tree else "one process"
        a, b = statistics.median(ours), statistics.median(theirs)
        print(
            f"  10 ms, {what:<30} sampler {a:6.1f} us, psrecord {b:7.1f} us "
            f"({statistics.median(rates):.0f} samples/s), ratio {a / b:.2f}"
        )


def steal_ms() -> int:
    """CPU time the hypervisor gave to others while this VM wanted it (/proc/stat), in ms."""
    ticks = int(Path("/proc/stat").read_text().split("\n", 1)[0].split()[8])
    return ticks * 1000 // os.sysconf("SC_CLK_TCK")


def timing(tmp: Path, seconds: float) -> None:
    """Samples, interval percentiles and missed ticks of long runs; what the host took."""
    runs = [(10, ()), (1, ())]
    if os.geteuid() == 0 and shutil.which("chrt"):
        runs += [(10, ("chrt", "-f", "1")), (1, ("chrt", "-f", "1"))]
    for interval_ms, prefix in runs:
        stolen = steal_ms()
        run = sampler_run(tmp, True, interval_ms, seconds, prefix=prefix)
        stolen = steal_ms() - stolen
        s = run["summary"]
        expected = seconds * 1000 / interval_ms
        how = f" ({' '.join(prefix)})" if prefix else ""
        print(
            f"  {seconds:g} s at {interval_ms:g} ms{how}: {s['samples']} samples (expected "
            f"{expected:.0f}), interval p50 {s['interval_p50_ms']:.3f} ms p99 "
            f"{s['interval_p99_ms']:.3f} ms, missed ticks {s['missed_ticks']}, waited for a CPU "
            f"{run['wait_ns'] / s['samples'] / 1000:.0f} us/sample, stolen by the host {stolen} ms"
        )


def fidelity(tmp: Path) -> None:
    cases = [
        ("40 MiB held 40 ms x3 @ 10 ms", 10, ["--mb", "40", "--hold-ms", "40", "--count", "3"]),
        ("30 MiB not held x5 @ 10 ms", 10, ["--mb", "30", "--hold-ms", "0", "--count", "5"]),
        ("30 MiB not held x5 @ 1 ms", 1, ["--mb", "30", "--hold-ms", "0", "--count", "5"]),
        ("30 MiB once, @ 1000 ms (sub-interval)", 1000,
         ["--mb", "30", "--hold-ms", "0", "--count", "1", "--tail-ms", "1300"]),
    ]  # fmt: skip
    for label, interval_ms, burst_args in cases:
        cmd = [PY, str(SAMPLER), "-q", "--interval-ms", str(interval_ms), "--out", str(tmp / "f")]
        cmd += ["--summary", str(tmp / "f.json"), "--", PY, str(BURST), *burst_args]
        out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
        s = json.loads((tmp / "f.json").read_text())
        own = int([ln for ln in out.splitlines() if ln.startswith("VmHWM:")][-1].split()[1])
        print(
            f"  {label:<40} sampled peak / VmHWM {s['peak_rss_kb'] / s['hwm_kb']:.3f}, "
            f"peak_capture {s['peak_capture']:.3f}, hwm_kb = the workload's own VmHWM: "
            f"{s['hwm_kb'] == own}"
        )


def sampled(tmp: Path, command: list[str], *options: str) -> tuple[dict, str]:
    cmd = [PY, str(SAMPLER), "-q", "--out", str(tmp / "m.csv"), "--summary", str(tmp / "m.json")]
    p = subprocess.run([*cmd, *options, "--", *command], capture_output=True, text=True)
    return json.loads((tmp / "m.json").read_text()), p.stdout + p.stderr


def metrics(tmp: Path) -> None:
    """The new figures against workloads whose figures are known."""
    busy = "import time\nt = time.process_time()\nwhile time.process_time() - t < 2: pass\n"
    s, out = sampled(tmp, ["/usr/bin/time", "-f", "%U %S", PY, "-c", busy])
    user, system = map(float, out.split()[-2:])
    ours = s["cpu_user_s"] + s["cpu_system_s"]
    print(
        f"  CPU: sampler {ours:.3f} s, /usr/bin/time {user + system:.2f} s "
        f"({100 * (ours / (user + system) - 1):+.2f}%)"
    )
    data = tmp / "data.bin"
    write = f"open({str(data)!r}, 'wb').write(b'x' * 50_000_000)"
    s, _ = sampled(tmp, [PY, "-c", write])
    print(
        f"  wchar: {s['wchar_bytes']} bytes for a 50000000-byte file "
        f"({s['wchar_bytes'] / 5e7 - 1:+.3%})"
    )
    os.sync()
    try:
        Path("/proc/sys/vm/drop_caches").write_text("3\n")
        dropped = "after dropping the page cache"
    except OSError as e:
        dropped = f"(could not drop the page cache: {e.strerror})"
    read = (
        f"import mmap\nf = open({str(data)!r}, 'rb')\n"
        "m = mmap.mmap(f.fileno(), 0, prot=mmap.PROT_READ)\nm.madvise(mmap.MADV_RANDOM)\n"
        "sum(m[::4096])\n"
    )
    s, _ = sampled(tmp, [PY, "-c", read])
    print(
        f"  faults reading 50 MB through mmap (MADV_RANDOM: no read-ahead) {dropped}: "
        f"{s['major_faults']} major, "
        f"{s['minor_faults']} minor; read_bytes {s['read_bytes']}"
    )
    share = (
        "import mmap, os, time\n"
        "m = mmap.mmap(-1, 50 << 20, flags=mmap.MAP_SHARED | mmap.MAP_ANONYMOUS)\n"
        "m.write(b'x' * (50 << 20))\n"
        "if os.fork() == 0:\n    m[::4096]; time.sleep(1); os._exit(0)\n"
        "m[::4096]; time.sleep(1); os.wait()\n"
    )
    s, _ = sampled(tmp, [PY, "-c", share], "--smaps-interval-ms", "100")
    print(
        f"  two processes sharing 50 MiB: RSS sum {s['peak_rss_kb'] / 1024:.1f} MiB, "
        f"PSS {s['peak_pss_kb'] / 1024:.1f} MiB, USS {s['peak_uss_kb'] / 1024:.1f} MiB, "
        f"peak_capture {s['peak_capture']:.3f}"
    )


CHATTY = (  # a program that prints a line every 100 ms, a phase line every tenth
    "import sys, time\nend = time.monotonic() + float(sys.argv[1])\ni = 0\n"
    "while time.monotonic() < end:\n"
    "    print(f'step {i // 10}' if i % 10 == 0 else f'working {i}', flush=True)\n"
    "    i += 1; time.sleep(0.1)\n"
)


def wrapper_run(tmp: Path, wrapper: Path, pattern: str | None, seconds: float) -> dict:
    """One run of a run wrapper (this one or another checkout's) on CHATTY at 10 ms: its own
    CPU (the wrapper runs the sampler in-process) and samples."""
    run_dir = tmp / "wrapped"
    args = [
        PY,
        str(wrapper),
        "--run-dir",
        str(run_dir),
        "--variant",
        "b",
        "--limit-mb",
        "100",
        "--bucket-model",
        "auto",
        "--repeat",
        "1",
        "--interval-ms",
        "10",
        "--timeout",
        "600",
    ]
    args += ["--phase-pattern", pattern] if pattern else []
    proc = subprocess.Popen([*args, "--", PY, "-c", CHATTY, str(seconds)])  # fmt: skip
    cpu, _ = zombie_cpu_ns(proc)
    samples = json.loads((run_dir / "run.json").read_text())["samples"]
    return {"cpu_ns": cpu, "samples": samples}


def phases(tmp: Path, seconds: float, reps: int, before: Path | None) -> None:
    """The sampler's CPU per sample with phases off and on (solver.phase_pattern), and, with
    --before, off in another checkout (e.g. one without phases): kinds alternate, each figure is
    per sample over a long run minus a short one. On a shared machine the quiet minimum is the
    figure to read; the median is beside it."""
    kinds = {"off": (WRAPPER, None), "on": (WRAPPER, r"^step (\d+)")}
    if before is not None:
        wrapper = before / "scripts" / WRAPPER.name
        if not wrapper.exists():  # a checkout from before the wrapper was named as its rule
            wrapper = before / "scripts" / "run_monitored.py"
        kinds["before"] = (wrapper, None)
    found = {kind: [] for kind in kinds}
    for _ in range(reps):
        for kind, (wrapper, pattern) in kinds.items():
            short = wrapper_run(tmp, wrapper, pattern, 0.5)
            long = wrapper_run(tmp, wrapper, pattern, seconds)
            found[kind].append(per_sample_us(long, short))
    low = {kind: min(values) for kind, values in found.items()}
    mid = {kind: statistics.median(values) for kind, values in found.items()}
    for kind, values in found.items():
        runs = ", ".join(f"{x:.1f}" for x in values)
        print(f"  phases {kind:<6} min {low[kind]:6.1f} us, median {mid[kind]:6.1f} us per sample"
              f"  (runs: {runs})")  # fmt: skip
    pairs = [("on", "off")] + ([("off", "before")] if before is not None else [])
    for a, b in pairs:
        print(f"  {a} / {b}: min {low[a] / low[b]:.2f}, median {mid[a] / mid[b]:.2f}")


def main() -> None:
    if sys.argv[1:2] == ["floor"]:  # the bare loop in its own interpreter: pids ms seconds out
        pids, interval_ms, seconds, out = sys.argv[2:6]
        n = floor_loop(
            [int(p) for p in pids.split(",")], float(interval_ms) / 1000, float(seconds), out
        )
        print(n)
        return
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--duration", type=float, default=20, help="seconds per CPU run (20)")
    p.add_argument("--timing", type=float, default=60, help="seconds per timing run (60)")
    p.add_argument("--reps", type=int, default=3, help="runs per CPU figure, median (3)")
    p.add_argument("--only", action="append", help="run only these sections (repeatable)")
    p.add_argument("--before", type=Path, help="phases: another checkout to time phases off in")
    a = p.parse_args()
    sections = a.only or ["profile", "cost", "psrecord", "timing", "fidelity", "metrics", "phases"]
    if "psrecord" in sections and shutil.which("psrecord") is None:
        sys.exit("psrecord not found: pip install -r requirements-bench.txt")
    u = os.uname()
    print(
        f"{u.nodename}, Linux {u.release}, {os.cpu_count()} CPUs, Python {sys.version.split()[0]}"
    )
    print(f"load average at start: {Path('/proc/loadavg').read_text().strip()}")
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        if "profile" in sections:
            print("\n== one tick, step by step (CPU with cold caches, median of 12 x 30) ==")
            profile(tmp)
        if "cost" in sections:
            print(f"\n== CPU per sample beside the floor ({a.duration:g} s, median of {a.reps}) ==")
            cost(tmp, a.duration, a.reps)
        if "psrecord" in sections:
            print(f"\n== CPU per sample beside psrecord ({a.duration:g} s, median of {a.reps}) ==")
            versus_psrecord(tmp, a.duration, a.reps)
        if "timing" in sections:
            print("\n== timing (launch mode, tree of 3) ==")
            timing(tmp, a.timing)
        if "fidelity" in sections:
            print("\n== burst fidelity (tests/workloads/burst.py) ==")
            fidelity(tmp)
        if "metrics" in sections:
            print("\n== metrics against known workloads ==")
            metrics(tmp)
        if "phases" in sections:
            print(f"\n== phases: CPU per sample at 10 ms, a line per 100 ms ({a.duration:g} s) ==")
            phases(tmp, a.duration, a.reps, a.before)
    print(f"\nload average at end: {Path('/proc/loadavg').read_text().strip()}")


if __name__ == "__main__":
    main()
