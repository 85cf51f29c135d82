#!/usr/bin/env python3
"""Sample the memory of a command (or of a running process) from /proc, drift-free.

Launch mode starts the command itself (no shell), samples it and its process tree every interval,
and exits with the command's status (its exit code, or 128+N when killed by signal N):

    $ python scripts/sampler.py --interval-ms 10 --out trace.csv --summary run.json -- ./solver 1005
    sampler: [  0.002 s] peak RSS 3.1 MiB
    sampler: [  0.415 s] peak RSS 120.3 MiB
    sampler: 1523 samples in 15.230 s (every 10.000 ms, 0 missed), peak RSS 656.7 MiB at 61.110 s,
             kernel peak 657.0 MiB (99.9% captured), exit 0

Attach mode follows a running process until it exits or turns zombie (even one nobody reaps):

    $ python scripts/sampler.py --pid 12345 --out trace.csv --summary run.json

The sampler's own messages (new peaks, the closing line, errors) go to stderr only, so the command's
stdout passes through untouched; the command inherits both streams. --quiet keeps only errors and
warnings. Exit status: the command's in launch mode; 0 in attach mode (128+N when stopped by
signal N); 2 for bad usage, a missing process or an unreadable /proc file; 127 when the command
cannot be started (the summary is still written); 70 for an internal error.

Trace CSV: `time_s,vmrss_kb,vmsize_kb,vmdata_kb,vmhwm_kb,vmswap_kb,nprocs`, one row per sample, sums
over the process tree, flushed at least every 0.5 s. The summary JSON is written last, atomically.
Enforcement (`--enforce cgroup|rlimit --memory-limit-mb N`) lives in the sibling cgroups.py.
See docs/sampler.md for the contracts and trade-offs. Standard library only.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import json
import math
import os
import select
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime

try:
    import cgroups
except ImportError:  # loaded by path (importlib) from elsewhere: use the sibling file
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import cgroups

__version__ = "1.0.0"
HEADER = "time_s,vmrss_kb,vmsize_kb,vmdata_kb,vmhwm_kb,vmswap_kb,nprocs"
TRACE_COLUMNS = tuple(HEADER.split(","))
SUMMARY_KEYS = (
    "command", "mode", "pid", "interval_ms", "samples", "duration_s", "effective_interval_ms",
    "interval_p50_ms", "interval_p99_ms", "missed_ticks", "peak_rss_kb", "peak_rss_time_s",
    "peak_vmsize_kb", "peak_vmdata_kb", "hwm_kb", "maxrss_kb", "peak_capture", "exit_code",
    "signal", "timed_out", "started_at", "hostname", "kernel", "sampler_version", "enforce",
    "memory_limit_mb", "cgroup_peak_kb", "oom_killed",
)  # fmt: skip
KILL_GRACE_S = 2.0  # --timeout: SIGTERM to the process group, SIGKILL this much later
FLUSH_S = 0.5  # the trace is flushed at least this often
RESCAN_S = 1.0  # the process tree is re-walked at least this often, and ...
RESCAN_MIN_S = 0.01  # ... when a new pid was made, at most this often
STATUS_BUF = 8192
IMAGE_SLACK_KB = 1024  # pages the forked child touches before exec, on top of the sampler's RSS
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


class SamplerError(Exception):
    """An error reported as one line on stderr and an exit status, never a traceback."""

    def __init__(self, message: str, code: int = 2):
        super().__init__(message)
        self.code = code


def enforcement_problem(mode: str) -> str | None:
    """Why `--enforce mode` cannot work on this machine, or None when it can (for config checks)."""
    if mode in ("none", "rlimit"):
        return None
    if mode == "cgroup":
        return cgroups.problem()
    return f"unknown enforce mode {mode!r}: choose none, cgroup or rlimit"


# --- /proc -----------------------------------------------------------------------------------


def _field(data: bytes, key: bytes, start: int) -> int:
    i = data.find(key, start)
    if i < 0:
        return 0
    return int(data[i + len(key) : data.find(b" kB", i)])


def parse_status(data: bytes) -> tuple[int, int, int, int, int] | None:
    """(vmrss, vmsize, vmdata, vmhwm, vmswap) in kB from /proc/PID/status text.

    None for a process without memory: a zombie or dead one (State Z or X), or one whose memory
    is already released while it exits (no VmSize line). Fields that are absent count as 0.
    """
    i = data.find(b"\nState:")
    if i >= 0 and data[i + 7 : i + 9].strip()[:1] in (b"Z", b"X"):
        return None
    start = data.find(b"\nVmSize:")
    if start < 0:
        return None
    return (
        _field(data, b"\nVmRSS:", start),
        int(data[start + 8 : data.find(b" kB", start)]),
        _field(data, b"\nVmData:", start),
        _field(data, b"\nVmHWM:", start),
        _field(data, b"\nVmSwap:", start),
    )


def open_status(pid: int, proc: str = "/proc") -> int:
    """An fd on /proc/PID/status, kept open and re-read with pread (SamplerError if it can't)."""
    path = f"{proc}/{pid}/status"
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
        os.pread(fd, STATUS_BUF, 0)
    except FileNotFoundError:
        raise SamplerError(f"no process {pid}") from None
    except OSError as e:
        if e.errno == errno.ESRCH:
            raise SamplerError(f"no process {pid}") from None
        raise SamplerError(f"cannot read {path}: {e.strerror}") from None
    return fd


def children_of(pid: int, proc: str = "/proc") -> list[int]:
    """Child pids of every thread of pid, from /proc/PID/task/*/children."""
    try:
        tids = os.listdir(f"{proc}/{pid}/task")
    except OSError:
        return []
    kids = []
    for tid in tids:
        try:
            with open(f"{proc}/{pid}/task/{tid}/children", "rb") as f:
                kids.extend(int(k) for k in f.read().split())
        except OSError:
            pass  # the thread or process ended meanwhile
    return kids


def read_cmdline(pid: int) -> list[str] | None:
    """argv of a process from /proc/PID/cmdline (None if it has none or cannot be read)."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            raw = f.read()
    except OSError:
        return None
    args = [a.decode(errors="replace") for a in raw.split(b"\0")[:-1]]
    return args or None


def zombie_exit_status(stat_fd: int | None) -> int | None:
    """The wait status of a zombie from its /proc/PID/stat (last field); None unless a zombie.

    The fd is opened while the process lives, so a reaped process reads ESRCH, never the stat
    of a new process that got the same pid.
    """
    if stat_fd is None:
        return None
    try:
        text = os.pread(stat_fd, 4096, 0)
        fields = text[text.rindex(b")") + 2 :].split()
        return int(fields[-1]) if fields[0] == b"Z" else None
    except (OSError, ValueError, IndexError):
        return None


class Tree:
    """The target and, unless children=False, every process seen below it.

    Membership is sticky: a process once found is sampled until it ends, even when reparented.
    The tree is re-walked (through task/*/children of every member) only when the last pid made
    on the system, the fifth field of /proc/loadavg, has changed (at most every RESCAN_MIN_S, as
    other jobs on a busy node make pids all the time), and at least every RESCAN_S.

    hwm_kb is the largest, over processes, of each process's latest VmHWM reading. Not the largest
    reading ever: the kernel's RSS counters are per-CPU approximations, so a reading taken during
    a burst can overshoot the high-water mark the kernel settles on afterwards.
    """

    def __init__(self, root: int, root_fd: int, children: bool = True):
        self.root = root
        self.fds = {root: root_fd}
        self.children = children
        self.loadavg = os.open("/proc/loadavg", os.O_RDONLY | os.O_CLOEXEC) if children else None
        self.last_pid = b""
        self.next_rescan = 0.0  # a re-walk is due then in any case
        self.rescanned = -math.inf  # time of the last re-walk
        self.hwm = {}  # pid -> latest VmHWM, kept after the process ends

    @property
    def hwm_kb(self) -> int | None:
        return max(self.hwm.values()) if self.hwm else None

    def close(self) -> None:
        for fd in [*self.fds.values(), self.loadavg]:
            if fd is not None:
                os.close(fd)
        self.fds.clear()
        self.loadavg = None

    def _rescan(self) -> None:
        stack = list(self.fds)
        while stack:
            for kid in children_of(stack.pop()):
                if kid in self.fds:
                    continue
                try:
                    self.fds[kid] = os.open(f"/proc/{kid}/status", os.O_RDONLY | os.O_CLOEXEC)
                except OSError:
                    continue  # ended already
                stack.append(kid)

    def sample(self, now: float) -> tuple[int, int, int, int, int, int] | None:
        """Sums (rss, size, data, hwm, swap, nprocs) over the live tree; None once the root ends."""
        if self.children:
            last = os.pread(self.loadavg, 128, 0).rsplit(None, 1)[-1]
            new_pid = last != self.last_pid and now >= self.rescanned + RESCAN_MIN_S
            if new_pid or now >= self.next_rescan:
                self.last_pid = last
                self.rescanned = now
                self.next_rescan = now + RESCAN_S
                self._rescan()
        rss = size = data = hwm = swap = n = 0
        for pid, fd in list(self.fds.items()):
            try:
                fields = parse_status(os.pread(fd, STATUS_BUF, 0))
            except OSError:
                fields = None  # ESRCH: reaped in the middle of the read; a normal end
            if fields is None:
                if pid == self.root:
                    return None
                os.close(self.fds.pop(pid))
                continue
            rss += fields[0]
            size += fields[1]
            data += fields[2]
            hwm += fields[3]
            swap += fields[4]
            n += 1
            self.hwm[pid] = fields[3]
        return rss, size, data, hwm, swap, n


# --- recording -------------------------------------------------------------------------------


def percentile(hist: Counter, q: float) -> float | None:
    """Nearest-rank q-th percentile of a histogram of integer microseconds, in ms."""
    n = sum(hist.values())
    if not n:
        return None
    rank = max(1, math.ceil(q / 100 * n))
    seen = 0
    for us in sorted(hist):
        seen += hist[us]
        if seen >= rank:
            return us / 1000
    return None


class Recorder:
    """Writes trace rows and keeps the figures the summary needs."""

    def __init__(self, trace, t0: float, quiet: bool):
        self.trace = trace
        self.t0 = t0
        self.quiet = quiet
        self.samples = 0
        self.missed = 0
        self.first = self.last = None
        self.hist = Counter()
        self.peak = None  # (rss, time_s)
        self.peak_size = self.peak_data = None
        self.printed = -1024
        self.next_flush = t0 + FLUSH_S

    def add(self, now: float, rss, size, data, hwm, swap, n) -> None:
        t = now - self.t0
        self.trace.write(f"{t:.6f},{rss},{size},{data},{hwm},{swap},{n}\n")
        if self.last is not None:
            self.hist[round((now - self.last) * 1e6)] += 1
        else:
            self.first = now
        self.last = now
        self.samples += 1
        if self.peak is None or rss > self.peak[0]:
            self.peak = (rss, t)
            if not self.quiet and rss >= self.printed + 1024:
                self.printed = rss
                say(f"[{t:8.3f} s] peak RSS {rss / 1024:.1f} MiB")
        if self.peak_size is None or size > self.peak_size:
            self.peak_size = size
        if self.peak_data is None or data > self.peak_data:
            self.peak_data = data
        if now >= self.next_flush:
            self.trace.flush()
            self.next_flush = now + FLUSH_S


def say(message: str) -> None:
    with contextlib.suppress(OSError):  # stderr closed: nothing to tell
        print(f"sampler: {message}", file=sys.stderr, flush=True)


# --- the clock -------------------------------------------------------------------------------


class Clock:
    """Absolute deadlines on the monotonic clock; waits wake early when the target ends or a
    signal arrives (pidfd and signal wakeup fd in one select, microsecond timeouts)."""

    def __init__(self, pidfd: int | None, wakeup: int):
        self.fds = [wakeup] if pidfd is None else [pidfd, wakeup]
        self.pidfd = pidfd
        self.wakeup = wakeup

    def wait(self, seconds: float) -> bool:
        """Sleep up to `seconds`; True when the target has ended (pidfd readable)."""
        ready, _, _ = select.select(self.fds, [], [], max(seconds, 0.0))
        if self.wakeup in ready:
            try:
                while os.read(self.wakeup, 64):
                    pass
            except BlockingIOError:
                pass
        return self.pidfd is not None and self.pidfd in ready


def sample_loop(tree: Tree, rec: Recorder, interval: float, clock: Clock, control) -> None:
    """Sample at first + k*interval until the root ends or control() says stop.

    A tick reached a whole interval or more after its deadline is skipped and counted in
    rec.missed; it is never made up with a burst of samples. A tick reached less than an interval
    late is taken late, and the next one stays on the grid: any three consecutive samples span
    at least one interval. control(now) returns the next time it wants to run, or None to stop.
    """
    base = None
    tick = 0
    while True:
        now = time.monotonic()
        wake_control = control(now)
        if wake_control is None:
            return
        if base is not None:
            deadline = base + tick * interval
            if now < deadline:
                if clock.wait(min(deadline, wake_control) - now):
                    return
                continue
            late = int((now - deadline) / interval)
            if late:
                rec.missed += late
                tick += late
        sums = tree.sample(now)
        if sums is None:
            return
        rec.add(now, *sums)
        if base is None:
            base = now
        tick += 1


# --- launch and attach -----------------------------------------------------------------------


def _libc_prctl():
    try:
        import ctypes

        return ctypes.CDLL(None, use_errno=True).prctl
    except (ImportError, OSError, AttributeError):
        return None


def spawn(argv, env, cgroup, rlimit_bytes, prctl):
    """Start argv in a session of its own, inside the cgroup / under RLIMIT_AS when asked.

    The preparation runs in the forked child before exec (preexec_fn); the sampler has no threads,
    so that is safe. PR_SET_PDEATHSIG makes the kernel kill the command if the sampler is killed.
    A real-time policy of the sampler's (`chrt -f 1`) is not passed on: the command runs normal.
    """
    parent = os.getpid()
    import resource

    def prepare():
        try:
            if prctl is not None:
                prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
                if os.getppid() != parent:
                    os._exit(137)
            if os.sched_getscheduler(0) in (os.SCHED_FIFO, os.SCHED_RR):
                # the sampler may run real-time (chrt) for timing; the command never does
                os.sched_setscheduler(0, os.SCHED_OTHER, os.sched_param(0))
            if cgroup is not None:
                cgroup.enter()
            if rlimit_bytes:
                resource.setrlimit(resource.RLIMIT_AS, (rlimit_bytes, rlimit_bytes))
        except OSError as e:
            os.write(2, f"sampler: cannot prepare the command: {e}\n".encode())
            raise

    return subprocess.Popen(argv, env=env, start_new_session=True, preexec_fn=prepare)


def _status_fields(status: int | None) -> tuple[int | None, int | None]:
    """(exit_code, signal) from a wait status: code, or 128+N and N when killed by signal N."""
    if status is None:
        return None, None
    code = os.waitstatus_to_exitcode(status)
    return (code, None) if code >= 0 else (128 - code, -code)


def run(args, trace, started_at: str, summary: dict) -> int:
    """Launch or attach, sample until the end; fills `summary`, returns the exit status."""
    mode = "attach" if args.pid is not None else "launch"
    interval = args.interval_ms / 1000
    stop = {"signal": None}
    child = {"proc": None}
    limit_bytes = args.memory_limit_mb * 1024 * 1024 if args.memory_limit_mb else None
    cgroup = None

    def on_signal(signum, frame):
        stop["signal"] = signum
        if child["proc"] is not None and child["proc"].returncode is None:
            _killpg(child["proc"].pid, signum)

    rfd, wfd = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
    signal.set_wakeup_fd(wfd, warn_on_full_buffer=False)
    for s in STOP_SIGNALS:
        signal.signal(s, on_signal)

    if mode == "launch" and args.enforce == "cgroup":
        try:
            cgroup = cgroups.Cgroup.create(limit_bytes)
        except cgroups.CgroupError as e:
            raise SamplerError(str(e)) from None
    try:
        return _run(args, mode, interval, trace, summary, stop, child, cgroup, limit_bytes, rfd)
    finally:
        proc = child["proc"]
        if proc is not None and proc.returncode is None:  # an error left the command running
            _killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        if cgroup is not None:
            if summary.get("pid") is not None:
                summary["cgroup_peak_kb"] = cgroup.peak_kb()
                summary["oom_killed"] = cgroup.oom_killed()
            warning = cgroup.remove()
            if warning:
                say(f"warning: {warning}")


def _run(args, mode, interval, trace, summary, stop, child, cgroup, limit_bytes, wakeup) -> int:
    prctl = _libc_prctl() if mode == "launch" else None
    stat_fd = None
    t0 = time.monotonic()
    if mode == "attach":
        pid = args.pid
        root_fd = open_status(pid)
        with contextlib.suppress(OSError):  # else the exit status stays unknown
            stat_fd = os.open(f"/proc/{pid}/stat", os.O_RDONLY | os.O_CLOEXEC)
    else:
        env = dict(os.environ)
        env.update(kv.split("=", 1) for kv in args.env)
        rlimit = limit_bytes if args.enforce == "rlimit" else None
        image_kb = own_rss_kb()
        try:
            proc = spawn(args.command, env, cgroup, rlimit, prctl)
        except (OSError, subprocess.SubprocessError) as e:
            reason = e.strerror if isinstance(e, OSError) and e.strerror else str(e)
            say(f"cannot run {args.command[0]!r}: {reason}")
            summary.update(exit_code=127, duration_s=None)
            return 127
        child["proc"] = proc
        pid = proc.pid
        if stop["signal"] is not None:  # a signal came before the command existed
            _killpg(pid, stop["signal"])
        root_fd = open_status(pid)
    summary["pid"] = pid
    try:
        pidfd = os.pidfd_open(pid)
    except (AttributeError, OSError):
        pidfd = None  # old kernel: the end is seen by the per-tick status read instead
    tree = Tree(pid, root_fd, children=not args.no_children)
    rec = Recorder(trace, t0, args.quiet)
    clock = Clock(pidfd, wakeup)
    timeout_at = t0 + args.timeout if args.timeout else math.inf
    kill_at = math.inf
    ended = {"status": None, "rusage": None, "timed_out": False}

    def reap(block: bool) -> bool:
        got, status, rusage = os.wait4(pid, 0 if block else os.WNOHANG)
        if got == 0:
            return False
        child["proc"].returncode = os.waitstatus_to_exitcode(status)
        ended["status"], ended["rusage"] = status, rusage
        return True

    def control(now: float) -> float | None:
        nonlocal kill_at
        if mode == "attach":
            if stop["signal"] is not None:
                return None
            if now >= timeout_at:
                ended["timed_out"] = True
                return None
            return timeout_at
        if pidfd is None and reap(False):
            return None
        if now >= timeout_at and not ended["timed_out"]:
            ended["timed_out"] = True
            kill_at = now + KILL_GRACE_S
            if not args.quiet:
                say(f"timeout after {args.timeout:g} s: SIGTERM to the command's process group")
            _killpg(pid, signal.SIGTERM)
        if now >= kill_at:
            if not args.quiet:
                say("grace period over: SIGKILL to the command's process group")
            _killpg(pid, signal.SIGKILL)
            kill_at = math.inf
        return min(timeout_at if not ended["timed_out"] else math.inf, kill_at)

    try:
        sample_loop(tree, rec, interval, clock, control)
        end = time.monotonic()
        if mode == "launch":
            if ended["status"] is None:
                reap(True)
            if _group_alive(pid):
                # What the command left running in its process group (a background job, a
                # daemon) would hold memory into the next run: stop it, as BenchExec does.
                if not ended["timed_out"]:
                    say("warning: the command left processes in its process group; killed them")
                _killpg(pid, signal.SIGKILL)
    finally:
        tree.close()
        if pidfd is not None:
            os.close(pidfd)
        exit_status = zombie_exit_status(stat_fd)
        if stat_fd is not None:
            os.close(stat_fd)

    if mode == "launch":
        exit_code, sig = _status_fields(ended["status"])
        maxrss = ended["rusage"].ru_maxrss if ended["rusage"] else None
    else:
        exit_code, sig = _status_fields(exit_status)
        maxrss = image_kb = None
    summary.update(figures(rec, tree, t0 if mode == "launch" else rec.first, end))
    summary.update(maxrss_kb=maxrss, exit_code=exit_code, signal=sig, timed_out=ended["timed_out"])
    summary["peak_capture"] = peak_capture(summary, image_kb)
    if mode == "launch":
        return exit_code
    return 128 + stop["signal"] if stop["signal"] is not None else 0


def figures(rec: Recorder, tree: Tree, start: float | None, end: float) -> dict:
    """The summary's sampling figures; start is the launch (or the first sample in attach)."""
    n, peak = rec.samples, rec.peak
    return {
        "samples": n,
        "duration_s": round(end - (end if start is None else start), 6),
        "effective_interval_ms": (
            round((rec.last - rec.first) * 1000 / (n - 1), 4) if n > 1 else None
        ),
        "interval_p50_ms": percentile(rec.hist, 50),
        "interval_p99_ms": percentile(rec.hist, 99),
        "missed_ticks": rec.missed,
        "peak_rss_kb": peak[0] if peak else None,
        "peak_rss_time_s": round(peak[1], 6) if peak else None,
        "peak_vmsize_kb": rec.peak_size,
        "peak_vmdata_kb": rec.peak_data,
        "hwm_kb": tree.hwm_kb,
    }


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except OSError:
        return False
    return True


def _killpg(pgid: int, sig: int) -> None:
    with contextlib.suppress(OSError):  # the group is gone already
        os.killpg(pgid, sig)


def kernel_peak_kb(summary: dict, image_kb: int | None = None) -> int | None:
    """The largest kernel peak of the command's RSS: VmHWM, and ru_maxrss when it says more.

    ru_maxrss counts the forked copy of the sampler before exec, so at or just above image_kb
    (the sampler's own RSS when it forked the command) it tells nothing of the command and is
    left out. cgroup_peak_kb is no RSS figure (it counts page cache and misses shared file pages
    charged elsewhere) and is never used here.
    """
    peaks = [summary.get("hwm_kb")]
    maxrss = summary.get("maxrss_kb")
    if maxrss and (image_kb is None or maxrss > image_kb + IMAGE_SLACK_KB):
        peaks.append(maxrss)
    peaks = [p for p in peaks if p]
    return max(peaks) if peaks else None


def peak_capture(summary: dict, image_kb: int | None = None) -> float | None:
    """peak_rss_kb over kernel_peak_kb: how much of the true peak the samples caught."""
    kernel = kernel_peak_kb(summary, image_kb)
    if summary.get("peak_rss_kb") is None or not kernel:
        return None
    return round(summary["peak_rss_kb"] / kernel, 4)


def own_rss_kb() -> int | None:
    """The sampler's own VmRSS, read just before it forks the command."""
    try:
        with open("/proc/self/status", "rb") as f:
            fields = parse_status(f.read())
    except OSError:
        return None
    return fields[0] if fields else None


def write_summary(path: str, summary: dict) -> None:
    """Write the summary JSON atomically: a temp file beside it, then os.replace."""
    tmp = f"{path}.tmp-{os.getpid()}"
    try:
        with open(tmp, "w") as f:
            json.dump({k: summary.get(k) for k in SUMMARY_KEYS}, f, indent=2)
            f.write("\n")
        os.replace(tmp, path)
    except OSError as e:
        raise SamplerError(f"cannot write the summary {path}: {e.strerror}") from None


# --- command line ----------------------------------------------------------------------------


def _interval(text: str) -> float:
    value = float(text)
    if not value >= 0.5 or math.isinf(value):
        raise argparse.ArgumentTypeError(f"must be a number of ms >= 0.5, not {text}")
    return value


def _positive(kind):
    def check(text: str):
        value = kind(text)
        if not value > 0 or (kind is float and math.isinf(value)):
            raise argparse.ArgumentTypeError(f"must be > 0, not {text}")
        return value

    return check


def _env_pair(text: str) -> str:
    key, eq, _ = text.partition("=")
    if not key or not eq:
        raise argparse.ArgumentTypeError(f"must be KEY=VALUE, not {text!r}")
    return text


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="sampler.py",
        usage="%(prog)s [OPTIONS] -- COMMAND [ARG...]\n       %(prog)s --pid PID [OPTIONS]",
        description="Sample the memory of a command or process tree from /proc.",
        epilog="Messages go to stderr; the command's stdout and stderr pass through untouched.",
    )
    p.add_argument("--pid", type=_positive(int), help="attach to a running process")
    p.add_argument("--interval-ms", type=_interval, default=10.0, help="default 10, min 0.5")
    p.add_argument("--out", default="trace.csv", help="trace CSV (default trace.csv)")
    p.add_argument("--summary", help="summary JSON, written last and atomically")
    p.add_argument(
        "--timeout",
        type=_positive(float),
        metavar="SECONDS",
        help=f"launch: SIGTERM the process group, SIGKILL {KILL_GRACE_S:g} s later; "
        "attach: stop sampling",
    )
    p.add_argument("--no-children", action="store_true", help="sample the target process only")
    p.add_argument(
        "--env",
        action="append",
        default=[],
        type=_env_pair,
        metavar="KEY=VALUE",
        help="set in the command's environment (repeatable, launch mode)",
    )
    p.add_argument(
        "--enforce",
        choices=("none", "cgroup", "rlimit"),
        default="none",
        help="launch: enforce --memory-limit-mb with a memory cgroup of the run's own, or with "
        "RLIMIT_AS (virtual memory: allocations fail, nothing is killed)",
    )
    p.add_argument("--memory-limit-mb", type=_positive(int), metavar="N", help="for --enforce")
    p.add_argument("--quiet", "-q", action="store_true", help="print only errors and warnings")
    p.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    p.add_argument("command", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.command[:1] == ["--"]:
        args.command = args.command[1:]
    if args.pid is not None and args.command:
        p.error("give either --pid PID or a command after --, not both")
    if args.pid is None and not args.command:
        p.error("give a command after -- (launch mode) or --pid PID (attach mode)")
    if args.pid is not None and (args.env or args.enforce != "none"):
        p.error("--env and --enforce need launch mode")
    if (args.enforce == "none") != (args.memory_limit_mb is None):
        p.error("--enforce cgroup|rlimit and --memory-limit-mb go together")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    started_at = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    uname = os.uname()
    summary = {
        "command": args.command if args.pid is None else None,
        "mode": "attach" if args.pid is not None else "launch",
        "pid": None,
        "interval_ms": args.interval_ms,
        "samples": 0,
        "missed_ticks": 0,
        "peak_capture": None,
        "timed_out": False,
        "started_at": started_at,
        "hostname": uname.nodename,
        "kernel": uname.release,
        "sampler_version": __version__,
        "enforce": args.enforce,
        "memory_limit_mb": args.memory_limit_mb,
    }
    try:
        if args.pid is not None:
            os.close(open_status(args.pid))  # fail before creating any file
            summary["command"] = read_cmdline(args.pid)
        try:
            for path in (args.out, args.summary):
                if path:
                    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
            trace = open(args.out, "w", buffering=1 << 16)  # noqa: SIM115 (closed below)
            trace.write(HEADER + "\n")
            trace.flush()
        except OSError as e:
            raise SamplerError(f"cannot write the trace {args.out}: {e.strerror}") from None
        try:
            status = run(args, trace, started_at, summary)
        finally:
            trace.close()
        if args.summary:
            write_summary(args.summary, summary)
        if not args.quiet:
            say(closing_line(summary))
        return status
    except SamplerError as e:
        say(str(e))
        return e.code
    except Exception as e:  # noqa: BLE001 (no traceback: one line, EX_SOFTWARE)
        say(f"internal error: {type(e).__name__}: {e}")
        return 70


def closing_line(s: dict) -> str:
    mib = lambda kb: "n/a" if kb is None else f"{kb / 1024:.1f} MiB"  # noqa: E731
    kernel = s["peak_rss_kb"] / s["peak_capture"] if s["peak_capture"] else None
    capture = "" if s["peak_capture"] is None else f" ({s['peak_capture']:.1%} captured)"
    end = f"exit {s['exit_code']}" if s["exit_code"] is not None else "target ended"
    if s["timed_out"]:
        end += ", timed out"
    if s.get("oom_killed"):
        end += ", OOM-killed"
    dur = "n/a" if s.get("duration_s") is None else f"{s['duration_s']:.3f} s"
    every = s.get("effective_interval_ms")
    every = "n/a" if every is None else f"{every:.3f} ms"
    return (
        f"{s['samples']} samples in {dur} (every {every}, {s['missed_ticks']} missed), "
        f"peak RSS {mib(s.get('peak_rss_kb'))}, kernel peak {mib(kernel)}{capture}, {end}"
    )


if __name__ == "__main__":
    sys.exit(main())
