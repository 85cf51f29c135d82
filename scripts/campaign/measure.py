"""One measured run of a campaign: the program under the sampler, in the run's locked folder,
and the run's files (trace.csv, solver.log, benchmark.tsv, with a phase pattern phases.csv, and
run.json last). scripts/monitor.py, the `monitor` rule's command, parses the run's settings and
calls `run`; its docstring says what each file holds and what the exit status means. Standard
library only (the run wrapper imports it on a compute node, with `python -S`).
"""

from __future__ import annotations

import json
import os

import campaign.spec
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
