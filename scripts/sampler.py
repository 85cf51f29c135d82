#!/usr/bin/env python3
"""Sample the memory of a command (or of a running process) and its process tree from /proc.

Launch mode starts the command (no shell) under a guardian process, samples its whole tree every
interval on absolute deadlines, and exits with the command's status (its exit code, or 128+N when
signal N killed it):

    $ python scripts/sampler.py --interval-ms 10 --out trace.csv --summary run.json -- ./solver 1005
    sampler: [   0.002 s] peak RSS 3.1 MiB
    sampler: [   0.415 s] peak RSS 120.3 MiB
    sampler: 1523 samples in 15.230 s (every 10.000 ms, 0 missed), peak RSS 656.7 MiB,
             VmHWM 657.0 MiB (99.9% captured), 14.90 s CPU, exit 0

Attach mode follows a running process until it exits or turns zombie (even one nobody reaps):

    $ python scripts/sampler.py --pid 12345 --out trace.csv --summary run.json

Messages go to stderr only; the command inherits stdout and stderr. Exit status: the command's
(launch) or 0 (attach); 128+N when signal N interrupted the sampler; 2 for bad usage or a missing
process; 127 when the command cannot start (the summary is still written); 1 when the sampler
cannot work (a trace it cannot write, a failed guardian); 70 for an internal error.
This file holds the contracts (TRACE_COLUMNS, SUMMARY_KEYS: cheap to import, no side effects),
the settings, the trace writer and the command line; sampling.py the run itself, procfs.py the
/proc parsing and the process tree, guardian.py the guardian, sampler_summary.py the summary's
figures, cgroups.py enforcement. Standard library only. Contracts and trade-offs:
docs/sampler.md.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import sys
import time

__version__ = "2.1.0"
TRACE_COLUMNS = ("time_s", "vmrss_kb", "vmsize_kb", "vmdata_kb", "vmhwm_kb", "vmswap_kb", "nprocs")
SUMMARY_KEYS = (
    "command", "mode", "pid", "interval_ms", "samples", "duration_s", "effective_interval_ms",
    "interval_p50_ms", "interval_p99_ms", "missed_ticks", "peak_rss_kb", "peak_rss_time_s",
    "peak_vmsize_kb", "peak_vmdata_kb", "hwm_kb", "maxrss_kb", "peak_capture", "exit_code",
    "signal", "timed_out", "started_at", "hostname", "kernel", "sampler_version", "enforce",
    "memory_limit_mb", "cgroup_peak_kb", "oom_killed",
    "interrupted", "interrupt_signal", "leftover_processes", "maxrss_is_image",
    "cpu_user_s", "cpu_system_s", "cpu_load_cores", "minor_faults", "major_faults",
    "voluntary_switches", "involuntary_switches",
    "rchar_bytes", "wchar_bytes", "read_bytes", "write_bytes",
    "smaps_interval_ms", "peak_uss_kb", "peak_pss_kb",
    "cgroup_anon_kb", "cgroup_file_kb", "cgroup_events_high", "cgroup_events_max",
    "cgroup_events_oom", "cgroup_events_oom_kill", "cgroup_pressure_some_us",
    "cgroup_pressure_full_us", "end", "timeout_s", "peak_nprocs", "notes",
)  # fmt: skip
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


class Settings:
    """What to sample and how: `command` (launch mode) or `pid` (attach mode), and options.
    env is set on top of the sampler's environment; stdin, stdout and stderr are the command's
    streams (None: the sampler's own); smaps_interval_ms 0 never reads smaps_rollup."""

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
    ):
        self.command, self.pid, self.interval_ms, self.out = command, pid, interval_ms, out
        self.timeout_s, self.children, self.env = timeout_s, children, env or {}
        self.enforce, self.memory_limit_mb = enforce, memory_limit_mb
        self.smaps_interval_ms = smaps_interval_ms
        self.stdin, self.stdout, self.stderr = stdin, stdout, stderr


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


def sample(settings: Settings, messages: Messages) -> tuple[dict, int]:
    """Run the sampler: (the summary, the exit status). SamplerError when it cannot work (the
    command's own failures are data, in the summary)."""
    _scripts_on_path()
    import sampling

    return sampling.Run(settings, messages).execute()


def _scripts_on_path() -> None:
    """Make the sibling modules importable when this file is loaded by path (importlib)."""
    here = os.path.dirname(os.path.abspath(__file__))
    if here not in sys.path:
        sys.path.insert(0, here)


def write_summary(path: str, summary: dict) -> None:
    """Write the summary JSON atomically: a temp file beside it, then os.replace."""
    tmp = f"{path}.tmp-{os.getpid()}"
    try:
        with open(tmp, "w") as f:
            json.dump({k: summary.get(k) for k in SUMMARY_KEYS}, f, indent=2)
            f.write("\n")
        os.replace(tmp, path)
    except OSError as e:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise SamplerError(f"cannot write the summary {path}: {e.strerror}") from None


def end_words(s: dict) -> str:
    """How the run ended, in the closing line's words (from `end`, one of ENDS)."""
    how, code = s["end"], s.get("exit_code")
    if how == "interrupted":
        text = f"interrupted by signal {s['interrupt_signal']}"
    elif how == "timeout":
        text = "timed out" if code is None else f"exit {code}, timed out"
    elif how == "exit":
        text = f"exit {code}"
    elif how == "reaped":
        text = "target ended, reaped by another process (exit status unknown)"
    elif how == "vanished":
        text = "target ended before the first sample (nothing measured)"
    else:
        text = how
    if s["mode"] == "attach" and how in ("timeout", "interrupted"):
        text += ", the target still runs"
    return text


def closing_line(s: dict) -> str:
    """The one-line account of a run that the sampler prints last."""

    def mib(kb):
        return "n/a" if kb is None else f"{kb / 1024:.1f} MiB"

    capture = "" if s.get("peak_capture") is None else f" ({s['peak_capture']:.1%} captured)"
    end = end_words(s)
    end += ", OOM-killed" if s.get("oom_killed") else ""
    dur = "n/a" if s.get("duration_s") is None else f"{s['duration_s']:.3f} s"
    every = s.get("effective_interval_ms")
    every = "n/a" if every is None else f"{every:.3f} ms"
    cpu = s.get("cpu_user_s")
    cpu = "" if cpu is None else f", {cpu + s['cpu_system_s']:.2f} s CPU"
    return (
        f"{s['samples']} samples in {dur} (every {every}, {s['missed_ticks']} missed), "
        f"peak RSS {mib(s.get('peak_rss_kb'))}, VmHWM {mib(s.get('hwm_kb'))}{capture}"
        f"{cpu}, {end}"
    )


# --- command line ----------------------------------------------------------------------------


def number_type(kind, what: str, minimum: float, inclusive: bool = True):
    """An argparse type: a finite number of `kind`, at least (or above) minimum; the message
    says what is accepted (argparse puts the option's name before it)."""
    import argparse

    def check(text: str):
        try:
            value = kind(text)
        except ValueError:
            value = math.nan
        ok = value >= minimum if inclusive else value > minimum
        if not ok or math.isinf(value):
            bound = f">= {minimum:g}" if inclusive else f"> {minimum:g}"
            raise argparse.ArgumentTypeError(f"must be {what} {bound}, not {text!r}")
        return value

    return check


def env_pair(text: str) -> tuple[str, str]:
    import argparse

    key, eq, value = text.partition("=")
    if not key or not eq:
        raise argparse.ArgumentTypeError(f"must be KEY=VALUE, not {text!r}")
    return key, value


def parse_args(argv: list[str]):
    import argparse

    _scripts_on_path()
    from launch import ENFORCE_MODES

    p = argparse.ArgumentParser(
        prog="sampler.py",
        usage="%(prog)s [OPTIONS] -- COMMAND [ARG...]\n       %(prog)s --pid PID [OPTIONS]",
        description="Sample the memory of a command or process tree from /proc.",
        epilog="Messages go to stderr; the command's stdout and stderr pass through untouched.",
    )
    ms = "a number of milliseconds"
    p.add_argument("--pid", type=number_type(int, "a process id", 1), help="attach to a process")
    p.add_argument("--interval-ms", type=number_type(float, ms, 0.5), default=10.0, help=">= 0.5")
    p.add_argument("--out", default="trace.csv", help="trace CSV (default trace.csv)")
    p.add_argument("--summary", help="summary JSON, written last and atomically")
    p.add_argument(
        "--timeout",
        type=number_type(float, "a number of seconds", 0, inclusive=False),
        metavar="SECONDS",
        help=f"launch: SIGTERM the process group, SIGKILL {KILL_GRACE_S:g} s later; "
        "attach: stop sampling",
    )
    p.add_argument("--no-children", action="store_true", help="sample the target process only")
    p.add_argument(
        "--smaps-interval-ms",
        type=number_type(float, ms, 0),
        default=0,
        metavar="MS",
        help="read USS and PSS (smaps_rollup) this often; 0 (default) never: costly, see docs",
    )
    p.add_argument(
        "--env",
        action="append",
        default=[],
        type=env_pair,
        metavar="KEY=VALUE",
        help="set in the command's environment (repeatable, launch mode)",
    )
    p.add_argument(
        "--enforce",
        choices=ENFORCE_MODES,
        default="none",
        help="launch: enforce --memory-limit-mb with a memory cgroup of the run's own, or with "
        "RLIMIT_AS (virtual memory: allocations fail, nothing is killed)",
    )
    p.add_argument(
        "--memory-limit-mb",
        type=number_type(int, "a whole number of MB", 1),
        metavar="N",
        help="for --enforce",
    )
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
    messages = Messages("sampler", quiet=args.quiet)
    settings = Settings(
        command=args.command or None,
        pid=args.pid,
        interval_ms=args.interval_ms,
        out=args.out,
        timeout_s=args.timeout,
        children=not args.no_children,
        env=dict(args.env),
        enforce=args.enforce,
        memory_limit_mb=args.memory_limit_mb,
        smaps_interval_ms=args.smaps_interval_ms,
    )
    try:
        if args.summary:  # its folder, before the run
            try:
                os.makedirs(os.path.dirname(os.path.abspath(args.summary)), exist_ok=True)
            except OSError as e:
                raise SamplerError(f"cannot write the summary {args.summary}: {e}") from None
        summary, status = sample(settings, messages)
        if args.summary:
            write_summary(args.summary, summary)
        messages.info(closing_line(summary))
        return status
    except SamplerError as e:
        messages.error(str(e))
        return e.code
    except Exception as e:  # noqa: BLE001 (no traceback: one line, EX_SOFTWARE)
        messages.error(f"internal error: {type(e).__name__}: {e}")
        return 70


if __name__ == "__main__":
    _scripts_on_path()
    import sampler  # the module its siblings import, so that there is one SamplerError class

    sys.exit(sampler.main())
