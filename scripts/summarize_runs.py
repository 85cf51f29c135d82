"""Collect every run's run.json and spikes.csv into results/summary/runs.csv and spikes.csv.

One row per run (grid and threshold runs, deduplicated on limit, model and repeat), sorted by
limit_mb, bucket_model, repeat. Memory in MB (kB / 1024); a value the run did not produce is an
empty cell, never 0. peak_mb is the run's peak as every table and figure takes it (see
true_peak); over_budget compares it with limit_mb. Called by the `summary` rule; by hand:

    >>> import summarize_runs as s
    >>> runs, spikes = s.summarize([{"limit_mb": 323, "bucket_model": "4M/8M/4M", "repeat": 1,
    ...     "status": "ok", "peak_rss_kb": 296880}], [None], [[323, "4M/8M/4M", 1]], [])
    >>> columns = ["peak_rss_mb", "over_budget", "n_spikes", "in_grid"]
    >>> print(runs[columns].to_csv(index=False), end="")
    peak_rss_mb,over_budget,n_spikes,in_grid
    289.921875,False,,True
"""

import json
import logging
from pathlib import Path

import pandas as pd
from memsweep_tables import setup_logging

KEY = ["limit_mb", "bucket_model", "repeat"]
RUN_COLUMNS = [
    *KEY,
    "status",
    "exit_code",
    "signal",
    "timed_out",
    "oom_killed",
    "duration_s",
    "samples",
    "effective_interval_ms",
    "missed_ticks",
    "peak_mb",
    "peak_rss_mb",
    "peak_rss_time_s",
    "hwm_mb",
    "maxrss_mb",
    "cgroup_peak_mb",
    "peak_capture",
    "peak_vmsize_mb",
    "over_budget",
    "reported_config",
    "n_spikes",
    "in_grid",
    "threshold_check",
    "hostname",
    "kernel",
    "sampler_version",
    "run_dir",
]
SPIKE_COLUMNS = ["detector", "time_s", "rss_mb", "increase_mb", "duration_ms", "rate_mb_s"]
KB_TO_MB = {
    "peak_rss_mb": "peak_rss_kb",
    "hwm_mb": "hwm_kb",
    "maxrss_mb": "maxrss_kb",
    "cgroup_peak_mb": "cgroup_peak_kb",
    "peak_vmsize_mb": "peak_vmsize_kb",
}
COPIED = {
    "Int64": ["limit_mb", "repeat", "exit_code", "signal", "samples", "missed_ticks"],
    "boolean": ["timed_out", "oom_killed"],
    "Float64": ["duration_s", "effective_interval_ms", "peak_rss_time_s", "peak_capture"],
    "string": ["bucket_model", "status", "reported_config", "hostname", "kernel"],
}
log = logging.getLogger("summarize_runs")


def true_peak(frame: pd.DataFrame) -> pd.Series:
    """peak_mb, the run's peak as every table and figure takes it: the larger of the sampled peak
    and the kernel's VmHWM. For one process VmHWM is exact, and sampling can only miss part of it;
    for a process tree the sampled sum can be the larger (VmHWM is per process)."""
    peaks = frame[["peak_rss_mb", "hwm_mb"]].astype("Float64")
    known = peaks.notna().any(axis=1)
    return peaks.max(axis=1, skipna=True).astype("Float64").where(known, pd.NA)


def run_key(limit_mb, bucket_model, repeat) -> tuple[int, str, int]:
    return int(limit_mb), str(bucket_model), int(repeat)


def count_window_spikes(spikes: pd.DataFrame | None):
    """Number of "window" events, or NA when the run has no spikes table."""
    if spikes is None or "detector" not in spikes.columns:
        return pd.NA
    return int((spikes["detector"] == "window").sum())


def run_row(run: dict, spikes: pd.DataFrame | None, grid: set, checks: set) -> dict:
    row = {column: run.get(column) for columns in COPIED.values() for column in columns}
    for mb, kb in KB_TO_MB.items():
        value = run.get(kb)
        row[mb] = None if value is None else value / 1024
    row["sampler_version"] = run.get("sampler_version")
    row["run_dir"] = run.get("run_dir")
    row["n_spikes"] = count_window_spikes(spikes)
    key = run_key(run["limit_mb"], run["bucket_model"], run["repeat"])
    row["in_grid"] = key in grid
    row["threshold_check"] = key in checks
    return row


def typed(frame: pd.DataFrame) -> pd.DataFrame:
    """Nullable dtypes, so missing values stay NA (written as empty cells)."""
    for dtype, columns in COPIED.items():
        for column in columns:
            frame[column] = frame[column].astype(dtype)
    for column in [*KB_TO_MB, "n_spikes"]:
        frame[column] = frame[column].astype("Float64" if column != "n_spikes" else "Int64")
    frame["peak_mb"] = true_peak(frame)
    frame["over_budget"] = (frame["peak_mb"] > frame["limit_mb"]).astype("boolean")
    for column in ("in_grid", "threshold_check"):
        frame[column] = frame[column].astype("boolean")
    for column in ("sampler_version", "run_dir"):
        frame[column] = frame[column].astype("string")
    return frame


def summarize(run_dicts, spikes_frames, grid_runs, threshold_runs):
    """(runs table, all-runs spikes table) from run.json dicts and their spikes frames.

    spikes_frames[i] belongs to run_dicts[i]; None means that run has no spikes table.
    """
    grid = {run_key(*r) for r in grid_runs}
    checks = {run_key(*r) for r in threshold_runs}
    rows, spike_parts, seen = [], [], set()
    for run, spikes in zip(run_dicts, spikes_frames, strict=True):
        key = run_key(run["limit_mb"], run["bucket_model"], run["repeat"])
        if key in seen:
            log.info("duplicate run %s (%s) skipped", key, run.get("run_dir"))
            continue
        seen.add(key)
        rows.append(run_row(run, spikes, grid, checks))
        if spikes is not None and not spikes.empty:
            part = spikes.reindex(columns=SPIKE_COLUMNS)
            spike_parts.append(part.assign(limit_mb=key[0], bucket_model=key[1], repeat=key[2]))
    runs = typed(pd.DataFrame(rows, columns=RUN_COLUMNS))
    runs = runs.sort_values(KEY, kind="stable", ignore_index=True)
    if spike_parts:
        spikes_all = pd.concat(spike_parts, ignore_index=True)[KEY + SPIKE_COLUMNS]
        spikes_all = spikes_all.sort_values([*KEY, "detector", "time_s"], ignore_index=True)
    else:
        spikes_all = pd.DataFrame(columns=KEY + SPIKE_COLUMNS)
    return runs, spikes_all


def read_run(path: str | Path) -> dict:
    with open(path) as f:
        run = json.load(f)
    run.setdefault("run_dir", str(Path(path).parent))
    return run


def read_spikes(path: str | Path) -> pd.DataFrame | None:
    """A run's spikes.csv; None when it is missing, an empty frame when header-only or empty."""
    if not Path(path).exists():
        return None
    try:
        return pd.read_csv(path)
    except pd.errors.EmptyDataError:
        return pd.DataFrame(columns=SPIKE_COLUMNS)


def main(runs, spikes, out_runs, out_spikes, grid_runs, threshold_runs, log_path=None) -> None:
    setup_logging(log_path)
    runs, spikes = list(runs), list(spikes)
    if len(runs) != len(spikes):
        raise ValueError(f"{len(runs)} run.json files but {len(spikes)} spikes.csv files")
    table, spikes_all = summarize(
        [read_run(p) for p in runs], [read_spikes(p) for p in spikes], grid_runs, threshold_runs
    )
    Path(out_runs).parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(out_runs, index=False)
    spikes_all.to_csv(out_spikes, index=False)
    status = table["status"].value_counts(dropna=False).to_dict()
    over = int(table["over_budget"].sum())
    log.info("%d runs (status %s, %d over budget) -> %s", len(table), status, over, out_runs)
    log.info("%d spike events -> %s", len(spikes_all), out_spikes)


if "snakemake" in globals():
    main(
        snakemake.input.runs,  # noqa: F821
        snakemake.input.spikes,  # noqa: F821
        snakemake.output.runs,  # noqa: F821
        snakemake.output.spikes,  # noqa: F821
        snakemake.params.grid_runs,  # noqa: F821
        snakemake.params.threshold_runs,  # noqa: F821
        snakemake.log[0],  # noqa: F821
    )
