"""Which part of the program held the peak: every run's phases gathered, and their peaks per
configuration. Writes results/summary/phase_runs.csv and phases.csv; part of the summary job
(scripts/summary.py), after runs.csv and before the digest, which carries the phases.

With `solver.phase_pattern` set, each run's folder has phases.csv (the run wrapper's: each phase's
start, end, samples and peak; scripts/sampling/phases.py). This stage gathers them into
phase_runs.csv, marking in each run the phase that holds the run's peak (the first phase whose
peak is the run's largest), and summarises each (configuration, phase) over the ok grid runs, as
variance.csv does the run's peak: n, mean, std, min and max of the phase's peak, its mean start and
duration, in how many runs it holds the run's peak (n_holds_peak) and whether it is the phase that
does so most often (holds_peak). A name that starts several phases of one run counts once per run:
its largest peak, its first start, its total duration. By hand:

    >>> import pandas as pd
    >>> from analysis import phases
    >>> runs = pd.DataFrame({"variant": "d", "limit_mb": 300, "bucket_model": "auto",
    ...     "repeat": [1, 2], "status": "ok", "in_grid": True, "run_dir": ["r1", "r2"]})
    >>> one = pd.DataFrame({"phase": ["load", "solve"], "order": [1, 2], "start_s": [0.0, 1.0],
    ...     "end_s": [1.0, 2.0], "samples": 100, "peak_mb": [50.0, 80.0], "peak_time_s": [0.5, 1.5],
    ...     "peak_source": "sampled"})
    >>> two = one.assign(peak_mb=[50.0, 84.0])
    >>> gathered = phases.gather(runs, {"r1": one, "r2": two})
    >>> gathered["holds_peak"].tolist()
    [False, True, False, True]
    >>> table = phases.summary_table(gathered, runs)
    >>> table[["phase", "n", "mean_peak_mb", "n_holds_peak", "holds_peak"]].values.tolist()
    [['load', 2, 50.0, 0, False], ['solve', 2, 82.0, 2, True]]
"""

import logging

import numpy as np
import pandas as pd

import tables
from sampling import phases as sampler_phases

log = logging.getLogger("phases")
START = sampler_phases.START
DECIMALS = 6  # MB and s, as the runs' phases.csv


def read_run_phases(run_dir) -> pd.DataFrame:
    """A run's phases.csv, checked against its contract."""
    path = f"{run_dir}/{sampler_phases.FILE}"
    redo = f"redo that run: rm -r {run_dir} && snakemake --cores 1 all"
    return tables.RUN_PHASES.read(path, redo=redo)


def phase_at(phases: pd.DataFrame, times) -> list:
    """The name of the phase each time falls in (the last one started at or before it)."""
    if phases.empty:
        return [None] * len(times)
    order = phases.sort_values("start_s", kind="stable")
    starts = order["start_s"].to_numpy(float)
    index = np.searchsorted(starts, np.asarray(times, dtype=float), side="right") - 1
    names = order["phase"].tolist()
    return [names[max(i, 0)] for i in index]


def gather(runs: pd.DataFrame, found: dict) -> pd.DataFrame:
    """phase_runs: every run's phases (found: {run_dir: its phases.csv}) with its identity, and
    which phase holds the run's peak."""
    parts = []
    for _, run in runs.iterrows():
        mine = found.get(run["run_dir"])
        if mine is None or mine.empty:
            continue
        mine = mine.assign(**{k: run[k] for k in tables.KEY})
        peaks = mine["peak_mb"].astype("Float64")
        top = peaks.idxmax() if peaks.notna().any() else None
        mine["holds_peak"] = [i == top for i in mine.index]
        parts.append(mine)
    if not parts:
        return tables.PHASE_RUNS.empty()
    frame = pd.concat(parts, ignore_index=True)
    return tables.typed(frame[tables.PHASE_RUNS.names], tables.PHASE_RUNS)


def per_run(phase_runs: pd.DataFrame) -> pd.DataFrame:
    """One row per run and phase name: its largest peak, first start, first position, total
    duration, and whether it holds the run's peak."""
    frame = phase_runs.assign(duration_s=phase_runs["end_s"] - phase_runs["start_s"])
    return frame.groupby([*tables.KEY, "phase"], as_index=False, sort=False).agg(
        peak_mb=("peak_mb", "max"), start_s=("start_s", "min"), order=("order", "min"),
        duration_s=("duration_s", "sum"), holds_peak=("holds_peak", "any"),
    )  # fmt: skip


def ok_grid(phase_runs: pd.DataFrame, runs: pd.DataFrame) -> pd.DataFrame:
    """The rows of the ok grid runs (the runs variance.csv averages)."""
    ok = runs["status"].eq("ok").fillna(False) & tables.as_bool(runs["in_grid"]).fillna(False)
    keys = runs.loc[ok, tables.KEY]
    return phase_runs.merge(keys, on=tables.KEY, how="inner")


def summary_table(phase_runs: pd.DataFrame, runs: pd.DataFrame) -> pd.DataFrame:
    """phases.csv: per configuration and phase, over the ok grid runs."""
    rows = []
    merged = per_run(ok_grid(phase_runs, runs))
    for key, group in merged.groupby(tables.CONFIG_KEY, sort=True):
        names = group.groupby("phase", sort=False)
        holds = names["holds_peak"].sum()
        most = holds.idxmax() if holds.max() > 0 else None
        for name, mine in names:
            peaks = mine["peak_mb"].dropna().astype(float)
            rows.append({
                **dict(zip(tables.CONFIG_KEY, key, strict=True)), "phase": name,
                "order": int(mine["order"].median()), "n": len(mine),
                "mean_peak_mb": peaks.mean() if len(peaks) else np.nan,
                "std_mb": peaks.std(ddof=1) if len(peaks) >= 2 else np.nan,
                "min_mb": peaks.min() if len(peaks) else np.nan,
                "max_mb": peaks.max() if len(peaks) else np.nan,
                "mean_start_s": mine["start_s"].astype(float).mean(),
                "mean_duration_s": mine["duration_s"].astype(float).mean(),
                "n_holds_peak": int(mine["holds_peak"].sum()), "holds_peak": name == most,
            })  # fmt: skip
    frame = pd.DataFrame(rows, columns=tables.PHASES.names).round(DECIMALS)
    frame = frame.sort_values([*tables.CONFIG_KEY, "order", "mean_start_s"], kind="stable")
    return tables.typed(frame.reset_index(drop=True), tables.PHASES)


def main(runs_csv, out: dict, pattern: str) -> None:
    runs = tables.RUNS.read(runs_csv)
    found = {run_dir: read_run_phases(run_dir) for run_dir in runs["run_dir"]}
    gathered = gather(runs, found)
    summary = summary_table(gathered, runs)
    tables.PHASE_RUNS.write(gathered, out["phase_runs"])
    tables.PHASES.write(summary, out["phases"])
    marked = gathered[gathered["phase"] != START]
    log.info(
        "pattern %r: %d of %d runs have phases (%d in all) -> %s, %s", pattern,
        marked[tables.KEY].drop_duplicates().shape[0], len(runs), len(marked), out["phase_runs"],
        out["phases"],
    )  # fmt: skip
