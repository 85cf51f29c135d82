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
This file is the command line only: it parses the options and calls the engine. The rest is the
package scripts/sampling/: the contracts (TRACE_COLUMNS, SUMMARY_KEYS), the settings, the
messages and the trace writer in contract.py, the per-run metrics in metrics.py, the run itself
in engine.py, the /proc parsing in procfs.py, the process tree in proctree.py, the guardian in
guardian.py, the summary's figures, its file and its closing line in summary.py, enforcement in
cgroups.py. Standard library only. Contracts and trade-offs: docs/sampler.md.
"""

from __future__ import annotations

import argparse
import math
import os
import sys

from sampling import engine
from sampling.contract import (
    ENFORCE_MODES,
    KILL_GRACE_S,
    Messages,
    SamplerError,
    Settings,
    __version__,
)
from sampling.summary import closing_line, write_summary


def number_type(kind, what: str, minimum: float, inclusive: bool = True):
    """An argparse type: a finite number of `kind`, at least (or above) minimum; the message
    says what is accepted (argparse puts the option's name before it)."""

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
    key, eq, value = text.partition("=")
    if not key or not eq:
        raise argparse.ArgumentTypeError(f"must be KEY=VALUE, not {text!r}")
    return key, value


def parse_args(argv: list[str]):
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
        summary, status = engine.Run(settings, messages).execute()
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
    sys.exit(main())
