"""Collect every run into results/summary/runs.csv: one row per run, in the runs contract.

A row is the run's run.json (memory in MB = kB / 1024; a value the run did not produce is an
empty cell, never 0), plus what the analysis adds:

- peak_mb, the run's peak as every table, figure and verdict takes it, and peak_source, where
  it comes from (peaks.choose: for one process the largest of the sampled peak, VmHWM and
  ru_maxrss; for a tree a figure that counts a shared page once, PSS or the cgroup's peak;
  `unseen` when too few samples saw the run). over_budget compares peak_mb with limit_mb;
- reported_config: the first group of the last match of solver.report_pattern in the run's
  solver.log, read in blocks (a log of any size costs a few MB; a changed pattern reruns this
  table, never the program);
- n_spikes: the run's window-detector bursts in spikes.csv;
- in_grid / threshold_check: why the campaign ran it.

Called by the `summary` job (scripts/summary.py); by hand:

    >>> from analysis import runs
    >>> record = {"variant": "default", "limit_mb": 323, "bucket_model": "4M/8M/4M", "repeat": 1,
    ...     "status": "ok", "peak_rss_kb": 296880, "hwm_kb": 297000, "run_dir": "r"}
    >>> row = runs.run_row(record, "4M/8M/4M")
    >>> round(row["peak_mb"], 3), row["reported_config"]
    (290.039, '4M/8M/4M')
"""

import logging

import pandas as pd

import tables
from analysis import peaks
from tables import rundir

KB_TO_MB, BYTES_TO_MB = rundir.KB_TO_MB, rundir.BYTES_TO_MB
ADDED = {"peak_mb", "over_budget", "reported_config", "n_spikes", "in_grid", "threshold_check"}
ADDED |= {"n_leftover", "peak_source", *KB_TO_MB, *BYTES_TO_MB}
log = logging.getLogger("runs")


def run_row(record: dict, reported: str | None) -> dict:
    """A runs-table row (without spikes and membership) from a run.json (read by rundir.read_run,
    so its values are checked) and the configuration its solver.log reported."""
    row = {name: record.get(name) for name in tables.RUNS.names if name not in ADDED}
    for units, divisor in ((KB_TO_MB, 1024), (BYTES_TO_MB, 1024 * 1024)):
        for mb, raw in units.items():
            value = record.get(raw)
            row[mb] = None if value is None else value / divisor
    row["peak_source"], row["peak_mb"] = peaks.choose(row)
    limit = record.get("limit_mb")
    row["over_budget"] = None if row["peak_mb"] is None else row["peak_mb"] > limit
    row["reported_config"] = reported
    leftovers = record.get("leftover_processes")
    row["n_leftover"] = None if leftovers is None else len(leftovers)
    return row


def runs_table(records, reported, spikes: pd.DataFrame, membership) -> pd.DataFrame:
    """records[i] is a run.json whose solver.log reported reported[i]; membership is a list of
    [variant, limit_mb, bucket_model, repeat, in_grid, threshold_check]."""
    roles = {tuple(m[:4]): (bool(m[4]), bool(m[5])) for m in membership}
    window = spikes[spikes["detector"] == "window"]
    counts = window.groupby(tables.KEY).size().to_dict()
    rows = []
    for record, config in zip(records, reported, strict=True):
        row = run_row(record, config)
        key = tuple(record[k] for k in tables.KEY)
        row["n_spikes"] = counts.get(key, 0)
        row["in_grid"], row["threshold_check"] = roles.get(key, (False, False))
        rows.append(row)
    frame = tables.typed(pd.DataFrame(rows, columns=tables.RUNS.names), tables.RUNS)
    return frame.sort_values(tables.KEY, kind="stable", ignore_index=True)


def main(run_files, spikes_csv, out_csv, membership, pattern: str) -> None:
    records = [rundir.read_run(path) for path in run_files]
    reported = [rundir.log_config(record["run_dir"], pattern) for record in records]
    table = runs_table(records, reported, tables.SPIKES.read(spikes_csv), membership)
    tables.RUNS.write(table, out_csv)
    status = table["status"].value_counts(dropna=False).to_dict()
    over = int(table["over_budget"].fillna(False).sum())
    log.info("%d runs (status %s, %d over budget) -> %s", len(table), status, over, out_csv)
