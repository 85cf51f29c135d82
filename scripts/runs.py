"""Collect every run into results/summary/runs.csv: one row per run, in the runs contract.

A row is the run's run.json (memory in MB = kB / 1024; a value the run did not produce is an
empty cell, never 0), plus what the analysis adds:

- peak_mb, the run's peak as every table, figure and verdict takes it, and peak_source, where
  it comes from (peaks.choose: for one process the larger of the sampled peak and VmHWM; for a
  tree a figure that counts a shared page once, PSS or the cgroup's peak; `unseen` when too few
  samples saw the run). over_budget compares peak_mb with limit_mb;
- reported_config: the first group of the last match of solver.report_pattern in the run's
  solver.log (so a changed pattern reruns this table, never the program);
- n_spikes: the run's window-detector bursts in spikes.csv;
- in_grid / threshold_check: why the campaign ran it.

Called by the `summary` job (scripts/summary.py); by hand:

    >>> import runs
    >>> record = {"variant": "default", "limit_mb": 323, "bucket_model": "4M/8M/4M", "repeat": 1,
    ...     "status": "ok", "peak_rss_kb": 296880, "hwm_kb": 297000, "run_dir": "r"}
    >>> row = runs.run_row(record, "Bucket sizes: 4M/8M/4M", r"Bucket sizes: (\\S+)")
    >>> round(row["peak_mb"], 3), row["reported_config"]
    (290.039, '4M/8M/4M')
"""

import logging

import pandas as pd

import peaks
import rundir
import stage
import tables

KB_TO_MB = {
    "peak_rss_mb": "peak_rss_kb",
    "hwm_mb": "hwm_kb",
    "maxrss_mb": "maxrss_kb",
    "cgroup_peak_mb": "cgroup_peak_kb",
    "peak_vmsize_mb": "peak_vmsize_kb",
    "peak_uss_mb": "peak_uss_kb",
    "peak_pss_mb": "peak_pss_kb",
    "cgroup_anon_mb": "cgroup_anon_kb",
    "cgroup_file_mb": "cgroup_file_kb",
}
BYTES_TO_MB = {
    "rchar_mb": "rchar_bytes",
    "wchar_mb": "wchar_bytes",
    "read_mb": "read_bytes",
    "write_mb": "write_bytes",
}
ADDED = {"peak_mb", "over_budget", "reported_config", "n_spikes", "in_grid", "threshold_check"}
ADDED |= {"n_leftover", "peak_source", *KB_TO_MB, *BYTES_TO_MB}
log = logging.getLogger("runs")


def run_row(record: dict, solver_log: str | None, pattern: str) -> dict:
    """A runs-table row (without spikes and membership) from a run.json and its solver.log."""
    row = {name: record.get(name) for name in tables.RUNS.names if name not in ADDED}
    for units, divisor in ((KB_TO_MB, 1024), (BYTES_TO_MB, 1024 * 1024)):
        for mb, raw in units.items():
            value = record.get(raw)
            row[mb] = None if value is None else value / divisor
    row["peak_source"], row["peak_mb"] = peaks.choose(row)
    limit = record.get("limit_mb")
    row["over_budget"] = None if row["peak_mb"] is None else row["peak_mb"] > limit
    row["reported_config"] = rundir.reported_config(solver_log, pattern)
    leftovers = record.get("leftover_processes")
    row["n_leftover"] = None if leftovers is None else len(leftovers)
    return row


def runs_table(records, logs, spikes: pd.DataFrame, membership, pattern: str) -> pd.DataFrame:
    """records[i] is a run.json with its solver.log text logs[i]; membership is a list of
    [variant, limit_mb, bucket_model, repeat, in_grid, threshold_check]."""
    roles = {tuple(m[:4]): (bool(m[4]), bool(m[5])) for m in membership}
    window = spikes[spikes["detector"] == "window"]
    counts = window.groupby(tables.KEY).size().to_dict()
    rows = []
    for record, text in zip(records, logs, strict=True):
        row = run_row(record, text, pattern)
        key = tuple(record[k] for k in tables.KEY)
        row["n_spikes"] = counts.get(key, 0)
        row["in_grid"], row["threshold_check"] = roles.get(key, (False, False))
        rows.append(row)
    frame = tables.typed(pd.DataFrame(rows, columns=tables.RUNS.names), tables.RUNS)
    return frame.sort_values(tables.KEY, kind="stable", ignore_index=True)


def main(run_files, spikes_csv, out_csv, membership, pattern: str) -> None:
    records = [rundir.read_run(path) for path in run_files]
    logs = [rundir.read_solver_log(record["run_dir"]) for record in records]
    table = runs_table(records, logs, tables.SPIKES.read(spikes_csv), membership, pattern)
    tables.RUNS.write(table, out_csv)
    status = table["status"].value_counts(dropna=False).to_dict()
    over = int(table["over_budget"].fillna(False).sum())
    log.info("%d runs (status %s, %d over budget) -> %s", len(table), status, over, out_csv)


if "snakemake" in globals():
    stage.run(
        main,
        snakemake.input.runs,
        snakemake.input.spikes,
        snakemake.output.runs,
        snakemake.params.membership,
        snakemake.params.report_pattern,
        log_path=snakemake.log[0],
    )
