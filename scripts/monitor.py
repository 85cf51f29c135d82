"""Run one configuration of the program under the sampler, and write the run's files.

Called by the workflow's monitor rule (through `shell:`) with a variant's launch spec, which
gives the variant, the program, its environment, the interval, the timeout, the enforcement, the
phase pattern and the cap of solver.log (campaign.spec.read_spec):

    $ python -S scripts/monitor.py --launch results/runs/default/launch.json \\
          --run-dir /tmp/r --limit-mb 300 --bucket-model auto --repeat 1 --log /tmp/r.log

By hand, the same settings can be given as options instead, the program after `--`:

    $ python scripts/monitor.py --run-dir /tmp/r --variant default --limit-mb 300 \\
          --bucket-model auto --repeat 1 --interval-ms 10 --timeout 180 --enforce none \\
          --log /tmp/r.log -- python scripts/demo_solver.py
    $ ls /tmp/r
    benchmark.tsv  run.json  solver.log  trace.csv

The sampler runs in this process (no second interpreter). The run holds a lock beside its folder
for its whole life and, started by the workflow, ends when the campaign's Snakemake ends, even
by SIGKILL (sampling/tether.py). The run folder gets trace.csv (the sampler's trace), solver.log
(the program's stdout and stderr, nothing else, capped at --log-max-mb: its first and last
halves, with a note of what was cut; see sampling/logcap.py), benchmark.tsv (Snakemake's
benchmark columns), with --phase-pattern phases.csv (the program's phases, from the lines of
solver.log the pattern matches, timestamped by the sampler as they were written:
sampling/phases.py) and, last and atomically (sampling/files.py), run.json (the sampler's
summary and the run's configuration). The program's environment is the caller's, then the --env
pairs, then the run's configuration (campaign.spec.run_env).

Exit status: 0 when run.json was written, whatever the program did (a program that fails, crashes,
times out or is OOM-killed is a finished run, and run.json says so); 1 when memsweep itself
failed (the cause on stderr and in --log); 2 for bad usage; 128+N when signal N interrupted the
run (a scheduler's cancel, a Ctrl-C): the run is then not a finding about the program, so no
run.json is written and the next workflow run redoes it. Standard library only.
"""

from __future__ import annotations

import json
import os
import sys

import campaign.spec
import sampler
from sampling import engine, logcap, tether
from sampling import phases as sampler_phases
from sampling.contract import SUMMARY_KEYS, Messages, SamplerError, Settings
from sampling.files import write_atomically
from sampling.summary import closing_line

RUN_KEYS = (
    *SUMMARY_KEYS,
    "variant", "limit_mb", "bucket_model", "repeat", "run_dir", "slurm_job_id", "solver_argv",
    "status", "output_bytes", "output_cut_bytes",
)  # fmt: skip
BENCHMARK_COLUMNS = (
    "s", "h:m:s", "max_rss", "max_vms", "max_uss", "max_pss", "io_in", "io_out", "mean_load",
    "cpu_time",
)  # fmt: skip
MIB = 1024 * 1024


def run_status(summary: dict) -> str:
    """ok / failed / timeout / killed / oom, from the sampler's summary."""
    if summary.get("timed_out"):
        return "timeout"
    if summary.get("oom_killed"):
        return "oom"
    if summary.get("signal") is not None:
        return "killed"
    if summary.get("exit_code") != 0:
        return "failed"
    return "ok"


def benchmark_row(s: dict) -> list[str]:
    """The run as a row of Snakemake's benchmark file: the same columns, units and formats
    (seconds, MB = MiB, mean_load in percent of one CPU, floats with 2 decimals, NA unknown).

    >>> row = benchmark_row({"duration_s": 61.5, "peak_rss_kb": 2048, "peak_vmsize_kb": 4096,
    ...     "peak_uss_kb": None, "peak_pss_kb": None, "read_bytes": 0, "write_bytes": MIB,
    ...     "cpu_user_s": 30.0, "cpu_system_s": 0.75})
    >>> row
    ['61.50', '0:01:01', '2.00', '4.00', 'NA', 'NA', '0.00', '1.00', '50.00', '30.75']
    """

    def mb(value, unit):
        return "NA" if value is None else f"{value / unit:.2f}"

    duration = s.get("duration_s")
    cpu = None if s.get("cpu_user_s") is None else s["cpu_user_s"] + s["cpu_system_s"]
    if duration is None:
        s_col = hms = "NA"
    else:
        s_col = f"{round(duration, 4):.2f}"
        seconds = int(duration) % 86400  # as timedelta(seconds=duration).seconds
        hms = f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"
    return [
        s_col,
        hms,
        mb(s.get("peak_rss_kb"), 1024),
        mb(s.get("peak_vmsize_kb"), 1024),
        mb(s.get("peak_uss_kb"), 1024),
        mb(s.get("peak_pss_kb"), 1024),
        mb(s.get("read_bytes"), MIB),
        mb(s.get("write_bytes"), MIB),
        "NA" if cpu is None or not duration else f"{100 * cpu / duration:.2f}",
        "NA" if cpu is None else f"{cpu:.2f}",
    ]


def write_phases(run_dir: str, markers: list, end_s: float) -> None:
    """phases.csv: the trace cut at the phases' starts (the lines seen once the program ended
    are stamped with its end)."""
    samples = sampler_phases.trace_samples(os.path.join(run_dir, "trace.csv"))
    rows = sampler_phases.phase_rows(markers, samples, end_s)
    write_atomically(os.path.join(run_dir, sampler_phases.FILE), sampler_phases.csv_text(rows))


def run(args, messages: Messages) -> int:
    """One monitored run; the exit status (see the module's docstring)."""
    run_dir = args.run_dir
    try:
        lock = tether.hold(run_dir, messages.info)  # no other run of this folder runs now
    except tether.TetherError as e:
        raise SamplerError(str(e)) from None
    except OSError as e:
        raise SamplerError(f"cannot lock the run folder {run_dir}: {e}") from None
    watcher = tether.watch()  # this run ends with the campaign's Snakemake
    try:
        return measure(args, messages)
    finally:
        tether.unwatch(watcher)
        os.close(lock)


def measure(args, messages: Messages) -> int:
    """The run itself, its folder locked (see run)."""
    run_dir = args.run_dir
    try:
        os.makedirs(run_dir, exist_ok=True)
        for name in ("run.json", "benchmark.tsv", sampler_phases.FILE):  # none left by a failure
            if os.path.exists(os.path.join(run_dir, name)):
                os.unlink(os.path.join(run_dir, name))
    except OSError as e:
        raise SamplerError(f"cannot prepare the run folder {run_dir}: {e}") from None
    env = campaign.spec.run_env(args.limit_mb, args.bucket_model, dict(args.env))
    messages.info(f"running in {run_dir}: {' '.join(args.command)}")
    try:
        cap = logcap.LogCap.start(os.path.join(run_dir, "solver.log"), args.log_max_mb * MIB)
    except logcap.LogCapError as e:
        raise SamplerError(str(e)) from None
    out = cap.fd
    null = os.open(os.devnull, os.O_RDONLY)
    log_path = os.path.join(run_dir, "solver.log")
    phases = sampler_phases.Reader(log_path, args.phase_pattern) if args.phase_pattern else None
    settings = Settings(
        command=args.command,
        interval_ms=args.interval_ms,
        out=os.path.join(run_dir, "trace.csv"),
        timeout_s=args.timeout,
        env=env,
        enforce=args.enforce,
        memory_limit_mb=args.limit_mb if args.enforce != "none" else None,
        smaps_interval_ms=args.smaps_interval_ms,
        stdin=null,
        stdout=out,
        stderr=out,
        phases=phases,
    )
    try:
        summary, _ = engine.Run(settings, messages).execute()
        if phases is not None:  # also for a program that never started: (start), no samples
            end = summary["duration_s"] or 0.0
            write_phases(run_dir, phases.finish(end), end)
    finally:
        os.close(null)
        if phases is not None:
            phases.close()
        try:
            output, problem = cap.finish(), None
        except logcap.LogCapError as e:
            output, problem = {}, str(e)
    if problem:
        raise SamplerError(problem)
    if summary["interrupted"]:
        signum = summary["interrupt_signal"]
        messages.error(
            f"interrupted by signal {signum} ({_signal_name(signum)}): the program was stopped "
            f"and {run_dir} holds no finished run (no run.json); run the workflow again to redo it"
        )
        return 128 + signum
    run = {
        **summary,
        "variant": args.variant,
        "limit_mb": args.limit_mb,
        "bucket_model": args.bucket_model,
        "repeat": args.repeat,
        "run_dir": run_dir,
        "slurm_job_id": os.environ.get("SLURM_JOB_ID"),
        "solver_argv": list(args.command),
        "status": run_status(summary),
        **output,
    }
    record = {key: run.get(key) for key in RUN_KEYS}
    bench = "\t".join(BENCHMARK_COLUMNS) + "\n" + "\t".join(benchmark_row(summary)) + "\n"
    write_atomically(os.path.join(run_dir, "benchmark.tsv"), bench)
    write_atomically(os.path.join(run_dir, "run.json"), json.dumps(record, indent=2) + "\n")
    messages.info(f"{record['status']}: {closing_line(summary)}")
    return 0


def _signal_name(signum: int) -> str:
    import signal

    try:
        return signal.Signals(signum).name
    except ValueError:
        return "unknown"


# --- command line ----------------------------------------------------------------------------


def _choice(check, what: str):
    """An argparse type accepting text for which check(text) holds; the message says what is
    accepted."""
    import argparse

    def convert(text: str) -> str:
        if not check(text):
            raise argparse.ArgumentTypeError(f"must be {what}, not {text!r}")
        return text

    return convert


def _one_group(text: str) -> bool:
    import re

    try:
        return re.compile(text).groups == 1
    except re.error:
        return False


def parse_args(argv: list[str], messages: Messages | None = None):
    import argparse

    class Parser(argparse.ArgumentParser):
        def error(self, message):  # to stderr and, when there is one, the log
            self.print_usage(sys.stderr)
            (messages or Messages("monitor")).error(f"error: {message}")
            sys.exit(2)

    number = sampler.number_type
    p = Parser(
        prog="monitor.py",
        usage="%(prog)s --launch SPEC --run-dir DIR --limit-mb N --bucket-model MODEL "
        "--repeat R --log LOGFILE\n       %(prog)s --run-dir DIR --variant NAME --limit-mb N "
        "--bucket-model MODEL --repeat R [OPTIONS] --log LOGFILE -- ARGV...",
        description=__doc__.split("\n\n")[0],
    )
    p.add_argument("--run-dir", required=True, metavar="DIR")
    p.add_argument(
        "--launch",
        metavar="SPEC",
        help="a variant's launch spec (launch.json, written by the workflow): its variant, "
        "command, environment, interval, timeout and enforcement stand for those options and "
        "the program after --",
    )
    p.add_argument(
        "--variant",
        type=_choice(campaign.spec.VARIANT_RE.fullmatch, "a name of letters, digits, '_' and '.'"),
    )
    p.add_argument("--limit-mb", required=True, type=number(int, "a whole number of MB", 1))
    p.add_argument(  # its path slug (4M-8M-4M) is accepted too
        "--bucket-model",
        required=True,
        type=_choice(
            lambda t: campaign.spec.is_model(campaign.spec.model_from_slug(t)),
            campaign.spec.MODEL_GRAMMAR,
        ),
    )
    p.add_argument("--repeat", required=True, type=number(int, "a whole number", 1))
    p.add_argument("--interval-ms", type=number(float, "a number of ms", 0.5), default=10.0)
    p.add_argument(
        "--timeout",
        type=number(float, "a number of seconds", 0, inclusive=False),
        default=180.0,
        metavar="S",
    )
    p.add_argument("--enforce", choices=campaign.spec.ENFORCE_MODES, default="none")
    p.add_argument(
        "--smaps-interval-ms", type=number(float, "a number of ms", 0), default=0.0, metavar="MS"
    )
    p.add_argument(
        "--log-max-mb",
        type=number(int, "a whole number of MB", 1),
        default=64,
        metavar="MB",
        help="solver.log keeps the first and last MB/2 of the program's output (default 64)",
    )
    p.add_argument("--env", action="append", default=[], type=sampler.env_pair, metavar="KEY=VALUE")
    p.add_argument(
        "--phase-pattern",
        type=_choice(_one_group, "a regex with exactly one group"),
        metavar="REGEX",
        help="each line of the program's output it matches starts a phase named by its group",
    )
    p.add_argument("--log", metavar="LOGFILE", help="memsweep's own messages, kept on failure")
    p.add_argument("command", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    args.bucket_model = campaign.spec.model_from_slug(args.bucket_model)
    if args.command[:1] == ["--"]:
        args.command = args.command[1:]
    if args.launch:
        try:
            spec = campaign.spec.read_spec(args.launch)
        except ValueError as err:
            p.error(str(err))
        args.variant, args.enforce = spec["variant"], spec["enforce"]
        args.interval_ms, args.timeout = spec["interval_ms"], spec["timeout_s"]
        args.smaps_interval_ms = spec["smaps_interval_ms"]
        args.phase_pattern = spec["phase_pattern"]
        args.log_max_mb = spec["log_max_mb"]
        args.env = [(str(key), str(value)) for key, value in spec["env"].items()]
        args.command = campaign.spec.solver_argv(spec["command"], args.limit_mb, args.bucket_model)
    if args.variant is None:
        p.error("give --variant NAME or --launch SPEC")
    if not args.command:
        p.error("no program given: add -- ARGV... or --launch SPEC")
    return args


def _log_path(argv: list[str]) -> str | None:
    """The --log value, found without the parser (so that a usage error is logged too)."""
    for i, arg in enumerate(argv):
        if arg == "--":
            break
        if arg == "--log" and i + 1 < len(argv):
            return argv[i + 1]
        if arg.startswith("--log="):
            return arg[6:]
    return None


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    log = _log_path(argv)
    try:
        if log:
            os.makedirs(os.path.dirname(os.path.abspath(log)), exist_ok=True)
        messages = Messages("monitor", log, quiet=True)
    except OSError as e:
        print(f"monitor: cannot write the log {log}: {e.strerror}", file=sys.stderr)
        return 1
    try:
        args = parse_args(argv, messages)
    except SystemExit as e:  # --help, or a usage error (already on stderr and in the log)
        return e.code
    try:
        return run(args, messages)
    except SamplerError as e:
        messages.error(str(e))
        return 1
    except KeyboardInterrupt:
        messages.error(f"interrupted (SIGINT) before the run in {args.run_dir} finished")
        return 130
    except Exception as e:  # noqa: BLE001 (one line on stderr; the traceback in the log)
        messages.error(f"internal error: {type(e).__name__}: {e}")
        if messages.log is not None:
            import traceback  # only here: its imports cost each run some milliseconds

            messages.log.write(traceback.format_exc())
        return 70


if __name__ == "__main__":
    sys.exit(main())
