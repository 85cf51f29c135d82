"""Run one configuration of the solver under the sampler and write the run's ``run.json``.

Called by the ``monitor`` rule; usable by hand too::

    python scripts/run_monitored.py --run-dir /tmp/r --limit-mb 1005 --bucket-model 8M/8M/8M \
        -- python scripts/demo_solver.py
    # -> /tmp/r/{trace.csv,sampler.json,solver.log,run.json}; prints the run's status line

The sampler runs in launch mode with ``--quiet``; the solver's stdout and stderr (and any message
of the sampler's) go to ``solver.log``. A solver that fails, times out or is killed is a finished
run whose ``run.json`` says so. Only a failure of the sampler itself (no summary written) is an
error here, and then the job fails. Standard library only.
"""

import argparse
import json
import logging
import os
import signal
import subprocess
import sys
from pathlib import Path

import launch

log = logging.getLogger("memsweep.monitor")


def run_status(summary):
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


def sampler_command(sampler, run_dir, argv, env, interval_ms, timeout_s, enforce, limit_mb):
    cmd = [sys.executable, str(sampler), "--quiet", "--interval-ms", str(interval_ms)]
    cmd += ["--out", str(run_dir / "trace.csv"), "--summary", str(run_dir / "sampler.json")]
    if timeout_s:
        cmd += ["--timeout", str(timeout_s)]
    if enforce != "none":
        cmd += ["--enforce", enforce, "--memory-limit-mb", str(limit_mb)]
    for key, value in env.items():
        cmd += ["--env", f"{key}={value}"]
    return [*cmd, "--", *argv]


def write_json(path, data):
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(data, indent=2) + "\n")
    os.replace(tmp, path)


def run(
    sampler,
    run_dir,
    argv,
    env,
    limit_mb,
    bucket_model,
    repeat,
    *,
    variant="default",
    interval_ms=10,
    timeout_s=180,
    enforce="none",
):
    """Run the sampler around ``argv``; return the run record written to run.json."""
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    summary_path = run_dir / "sampler.json"
    summary_path.unlink(missing_ok=True)
    cmd = sampler_command(sampler, run_dir, argv, env, interval_ms, timeout_s, enforce, limit_mb)
    log.info("running: %s", " ".join(cmd))
    with open(run_dir / "solver.log", "wb") as out:
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=out, stderr=out)
        forward = lambda signum, _frame: proc.send_signal(signum)  # noqa: E731
        previous = {s: signal.signal(s, forward) for s in (signal.SIGINT, signal.SIGTERM)}
        try:
            returncode = proc.wait()
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler)
    if not summary_path.exists():
        raise RuntimeError(
            f"the sampler wrote no summary (exit {returncode}); see {run_dir / 'solver.log'}"
        )
    summary = json.loads(summary_path.read_text())
    record = {
        **summary,
        "variant": variant,
        "limit_mb": int(limit_mb),
        "bucket_model": bucket_model,
        "repeat": int(repeat),
        "status": run_status(summary),
        "run_dir": str(run_dir),
        "slurm_job_id": os.environ.get("SLURM_JOB_ID"),
        "solver_argv": list(argv),
    }
    write_json(run_dir / "run.json", record)
    log.info(
        "%s MB %s rep %s: %s (exit %s), peak %s kB, %s samples",
        limit_mb,
        bucket_model,
        repeat,
        record["status"],
        summary.get("exit_code"),
        summary.get("peak_rss_kb"),
        summary.get("samples"),
    )
    return record


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sampler", default=str(Path(__file__).with_name("sampler.py")))
    parser.add_argument("--run-dir", required=True)
    parser.add_argument("--variant", default=launch.DEFAULT_VARIANT)
    parser.add_argument("--limit-mb", type=int, required=True)
    parser.add_argument("--bucket-model", default=launch.AUTO_MODEL)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--interval-ms", type=float, default=10)
    parser.add_argument("--timeout", type=float, default=180)
    parser.add_argument("--enforce", choices=launch.ENFORCE_MODES, default="none")
    parser.add_argument("--env", action="append", default=[], metavar="KEY=VALUE")
    parser.add_argument("--log", help="this wrapper's own log (stderr too)")
    parser.add_argument(
        "--launch",
        metavar="SPEC",
        help="a variant's launch spec (launch.json): its command, environment, interval, timeout "
        "and enforcement replace the options above and the command after --",
    )
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    if args.command[:1] == ["--"]:
        args.command = args.command[1:]
    args.bucket_model = launch.model_from_slug(args.bucket_model)
    if args.launch:
        try:
            spec = launch.read_spec(args.launch)
        except ValueError as err:
            parser.error(str(err))
        args.variant, args.interval_ms, args.timeout = (
            spec["variant"],
            spec["interval_ms"],
            spec["timeout_s"],
        )
        args.enforce = spec["enforce"]
        args.env = [f"{key}={value}" for key, value in spec["env"].items()]
        args.command = launch.solver_argv(spec["command"], args.limit_mb, args.bucket_model)
    if not args.command:
        parser.error("no command given: add -- COMMAND [ARG...] or --launch SPEC")
    return args


def main(sampler, run_dir, argv, env, limit_mb, bucket_model, repeat, log_path=None, **options):
    logging.basicConfig(
        filename=log_path, level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s"
    )
    try:
        record = run(sampler, run_dir, argv, env, limit_mb, bucket_model, repeat, **options)
    except (OSError, RuntimeError, ValueError) as err:
        log.error("%s", err)
        print(f"run_monitored: {err}", file=sys.stderr)
        sys.exit(1)
    return record


if __name__ == "__main__":
    cli = parse_args()
    extra = dict(pair.split("=", 1) for pair in cli.env)
    record = main(
        cli.sampler,
        cli.run_dir,
        cli.command,
        launch.run_env(cli.limit_mb, cli.bucket_model, extra),
        cli.limit_mb,
        cli.bucket_model,
        cli.repeat,
        log_path=cli.log,
        variant=cli.variant,
        interval_ms=cli.interval_ms,
        timeout_s=cli.timeout,
        enforce=cli.enforce,
    )
    print(f"{record['status']}: peak {record['peak_rss_kb']} kB, exit {record['exit_code']}")
