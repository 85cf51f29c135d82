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

import os
import sys

import campaign.spec
import sampler
from campaign import measure
from sampling.contract import Messages, SamplerError

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
        return measure.run(args, messages)
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
    code = main()
    # Every file of the run is written and closed (the log is line-buffered): end without the
    # interpreter's teardown of its modules, about 10 ms of every run. os._exit flushes nothing.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
