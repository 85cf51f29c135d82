"""The sampler's contract: what it writes and the types its modules share. Imports nothing of
memsweep but the metric registry (sampling/metrics.py, which imports nothing; standard library
only, no side effects), so any module may import it: the engine (sampling/engine.py), the summary
(sampling/summary.py), the command lines (sampler.py, monitor.py) and the readers of its files
(tables.py).

    >>> TRACE_COLUMNS[:2]
    ('time_s', 'vmrss_kb')
    >>> {"end", "sampler_version"} <= set(SUMMARY_KEYS)
    True

TRACE_COLUMNS is the trace CSV's header, SUMMARY_KEYS the summary JSON's keys (docs/sampler.md
describes each): the run's own, then one per entry of the metric registry; ENDS how a run can end
(the summary's `end`); Seen what a run saw, as the engine hands it to the summary.
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
from collections import Counter

from sampling import metrics

__version__ = "2.1.0"
TRACE_COLUMNS = ("time_s", "vmrss_kb", "vmsize_kb", "vmdata_kb", "vmhwm_kb", "vmswap_kb", "nprocs")
SUMMARY_KEYS = (
    "command", "mode", "pid", "interval_ms", "samples", "duration_s", "effective_interval_ms",
    "interval_p50_ms", "interval_p99_ms", "missed_ticks", "peak_rss_time_s", "peak_capture",
    "exit_code", "signal", "timed_out", "started_at", "hostname", "kernel", "sampler_version",
    "enforce", "memory_limit_mb", "oom_killed", "interrupted", "interrupt_signal",
    "leftover_processes", "maxrss_is_image", "cpu_load_cores", "smaps_interval_ms", "end",
    "timeout_s", "notes",
    *(m.key for m in metrics.METRICS),
)  # fmt: skip
ENFORCE_MODES = ("none", "cgroup", "rlimit")  # --enforce: how a memory limit is enforced
ENDS = ("exit", "reaped", "vanished", "timeout", "interrupted", "not started")
KILL_GRACE_S = 2.0  # --timeout and interrupts: SIGTERM to the process group, SIGKILL this later


class SamplerError(Exception):
    """The sampler cannot do its work: reported as one line (no traceback) and an exit status."""

    def __init__(self, message: str, code: int = 1):
        super().__init__(message)
        self.code = code


class Messages:
    """Where memsweep's own messages go: stderr (info lines unless quiet) and, when given, a log
    file that gets every line with a time stamp."""

    def __init__(self, prog: str = "sampler", log_path: str | None = None, quiet: bool = False):
        self.prog, self.quiet = prog, quiet
        self.log = open(log_path, "a", buffering=1) if log_path else None  # noqa: SIM115

    def info(self, text: str) -> None:
        self._put(text, to_stderr=not self.quiet)

    def warn(self, text: str) -> None:
        self._put(f"warning: {text}", to_stderr=True)

    def error(self, text: str) -> None:
        self._put(text, to_stderr=True)

    def _put(self, text: str, to_stderr: bool) -> None:
        line = f"{self.prog}: {text}\n"
        with contextlib.suppress(OSError, ValueError):  # a closed or full stream: nothing to do
            if to_stderr:
                sys.stderr.write(line)
                sys.stderr.flush()
            if self.log is not None:
                self.log.write(time.strftime("%Y-%m-%d %H:%M:%S ") + line)


class Seen:
    """What one run saw, as the engine hands it to the summary (summary.sampled): plain values.
    Times are monotonic seconds; start and end bound duration_s (end None: never started);
    first and last are the first and last rows' times from the trace's time 0; hist counts the
    intervals between rows in us; members holds (VmHWM, largest sampled RSS) in kB of each
    process of the tree (None: no process was followed); metrics the figures of the metrics read
    generically from status. A plain class: dataclasses' imports cost each run about 15 ms."""

    def __init__(
        self,
        *,
        start: float | None = None,
        end: float | None = None,
        samples: int = 0,
        first: float | None = None,
        last: float | None = None,
        hist: Counter | None = None,
        missed: int = 0,
        peak_rss: int | None = None,
        peak_time: float | None = None,
        peak_size: int | None = None,
        peak_data: int | None = None,
        peak_uss: int | None = None,
        peak_pss: int | None = None,
        members: list[tuple[int, int]] | None = None,
        most: int | None = None,
        metrics: dict | None = None,
        timed_out: bool = False,
        signals: tuple[int, ...] = (),
    ):
        self.start, self.end, self.samples = start, end, samples
        self.first, self.last, self.missed = first, last, missed
        self.hist = Counter() if hist is None else hist
        self.peak_rss, self.peak_time, self.peak_size = peak_rss, peak_time, peak_size
        self.peak_data, self.peak_uss, self.peak_pss = peak_data, peak_uss, peak_pss
        self.members, self.most = members, most
        self.metrics = {} if metrics is None else metrics
        self.timed_out, self.signals = timed_out, signals

    def __repr__(self) -> str:
        return f"Seen({', '.join(f'{k}={v!r}' for k, v in vars(self).items())})"


class Settings:
    """What to sample and how: `command` (launch mode) or `pid` (attach mode), and options.
    env is set on top of the sampler's environment; stdin, stdout and stderr are the command's
    streams (None: the sampler's own); smaps_interval_ms 0 never reads smaps_rollup; phases,
    when given, has poll(t) called on every tick before the sample, t in s since the launch
    (sampler_phases.Reader: the program's output lines, timestamped)."""

    def __init__(
        self,
        command: list[str] | None = None,
        pid: int | None = None,
        interval_ms: float = 10.0,
        out: str = "trace.csv",
        timeout_s: float | None = None,
        children: bool = True,
        env: dict[str, str] | None = None,
        enforce: str = "none",
        memory_limit_mb: int | None = None,
        smaps_interval_ms: float = 0.0,
        stdin: int | None = None,
        stdout: int | None = None,
        stderr: int | None = None,
        phases=None,
    ):
        self.command, self.pid, self.interval_ms, self.out = command, pid, interval_ms, out
        self.timeout_s, self.children, self.env = timeout_s, children, env or {}
        self.enforce, self.memory_limit_mb = enforce, memory_limit_mb
        self.smaps_interval_ms = smaps_interval_ms
        self.stdin, self.stdout, self.stderr = stdin, stdout, stderr
        self.phases = phases


class Trace:
    """The trace CSV. Rows are kept in memory and written out every sampling.FLUSH_S and at the
    end with os.write, so a failed write (a full disk) names the file and its cause."""

    def __init__(self, path: str):
        self.path = path
        self.rows = [",".join(TRACE_COLUMNS) + "\n"]
        try:
            os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
            self.fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o644)
        except OSError as e:
            raise SamplerError(f"cannot write the trace {path}: {e.strerror}") from None
        self.flush()

    def flush(self) -> None:
        data = "".join(self.rows).encode()
        self.rows.clear()
        try:
            while data:
                data = data[os.write(self.fd, data) :]
        except OSError as e:
            raise SamplerError(f"cannot write the trace {self.path}: {e.strerror}") from None

    def close(self, flush: bool = True) -> None:
        """Write out what is left (unless flush=False) and close the file; closing twice is
        harmless."""
        if self.fd is None:
            return
        try:
            if flush:
                self.flush()
        finally:
            os.close(self.fd)
            self.fd = None
