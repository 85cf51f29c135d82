"""Run folders as the monitor rule leaves them (run.json, trace.csv, solver.log), for the tests."""

import json
from pathlib import Path

import pandas as pd

import campaign.spec
from contracts import TRACE_COLUMNS


def record(variant="default", limit=300, model="4M/8M/4M", repeat=1, **extra) -> dict:
    """A complete run.json of an ok run; extra keys override."""
    base = {
        "variant": variant,
        "limit_mb": limit,
        "bucket_model": model,
        "repeat": repeat,
        "status": "ok",
        "exit_code": 0,
        "signal": None,
        "timed_out": False,
        "oom_killed": None,
        "duration_s": 1.5,
        "samples": None,
        "effective_interval_ms": 10.1,
        "interval_p99_ms": 10.25,
        "missed_ticks": 0,
        "peak_rss_kb": 512 * 1024,
        "peak_rss_time_s": 0.8,
        "hwm_kb": 513 * 1024,
        "maxrss_kb": 514 * 1024,
        "cgroup_peak_kb": None,
        "peak_capture": 0.998,
        "peak_vmsize_kb": 600 * 1024,
        "hostname": "node1",
        "kernel": "6.1",
        "sampler_version": "1.0",
        "run_dir": campaign.spec.run_dir(variant, limit, model, repeat),
        "leftover_processes": [],
        "cpu_user_s": 1.25,
        "cpu_system_s": 0.25,
        "cpu_load_cores": 0.98,
        "minor_faults": 131072,
        "major_faults": 3,
        "read_bytes": 0,
        "write_bytes": 4096,
        "output_bytes": 2048,
        "output_cut_bytes": 0,
    }
    return {**base, **extra}


def trace_frame(times, rss_mb) -> pd.DataFrame:
    """A trace with every contract column; RSS given in MB."""
    rss = [round(r * 1024) for r in rss_mb]
    frame = pd.DataFrame({"time_s": times, "vmrss_kb": rss})
    for name in TRACE_COLUMNS[2:]:
        frame[name] = 1 if name == "nprocs" else 0
    return frame[TRACE_COLUMNS]


def write_run(root, run: dict, trace: pd.DataFrame | None = None, log: str = "") -> Path:
    """Write run.json (samples = the trace's rows), trace.csv and solver.log under root."""
    folder = Path(root) / run["run_dir"]
    folder.mkdir(parents=True, exist_ok=True)
    trace = trace_frame([], []) if trace is None else trace
    run = {**run, "run_dir": str(folder), "samples": run["samples"] or len(trace)}
    (folder / "run.json").write_text(json.dumps(run, indent=2))
    trace.to_csv(folder / "trace.csv", index=False)
    (folder / "solver.log").write_text(log)
    return folder
