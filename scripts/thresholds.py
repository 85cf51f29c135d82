"""Threshold verdicts: did the solver report the expected configuration just below, at and just
above each configured memory threshold? Writes results/summary/thresholds.csv.

For a threshold T the checked limits are T-1 ("below"), T ("at") and T+1 ("above"), run with the
threshold's bucket_model. reported_config is the first group of the last match of the threshold's
own `pattern` in `{run_dir}/solver.log` (read as run.json's is: run_monitored.reported_config).
verdict is PASS when it equals `expected[position]`, FAIL otherwise, also when there is no report
or no run at all (then one row with an empty reported_config). peak_mb is the run's peak from
runs.csv, the one every table and figure uses. The verdict judges the reported configuration;
the run's status is beside it.
Called by the `thresholds` rule; by hand:

    >>> import pandas as pd, thresholds
    >>> runs = pd.DataFrame({"limit_mb": [999, 1000], "bucket_model": "auto", "repeat": 1,
    ...     "status": "ok", "peak_mb": 500.0, "threshold_check": True, "run_dir": ["a", "b"]})
    >>> check = {"memory_mb": 1000, "bucket_model": "auto", "pattern": "Bucket sizes: (\\\\S+)",
    ...     "expected": {"below": "4M/8M/4M", "at": "8M/8M/8M", "above": "8M/8M/8M"}}
    >>> logs = {"a": "Bucket sizes: 4M/8M/4M", "b": "Bucket sizes: 4M/8M/4M"}
    >>> thresholds.threshold_table(runs, [check], logs.get)["verdict"].tolist()
    ['PASS', 'FAIL', 'FAIL']
"""

import logging
from collections.abc import Callable
from pathlib import Path

import pandas as pd
from memsweep_tables import as_bool, read_table, setup_logging
from run_monitored import reported_config

THRESHOLD_COLUMNS = [
    "threshold_mb",
    "position",
    "limit_mb",
    "bucket_model",
    "repeat",
    "status",
    "reported_config",
    "expected",
    "verdict",
    "peak_mb",
    "run_dir",
]
POSITIONS = (("below", -1), ("at", 0), ("above", 1))
log = logging.getLogger("thresholds")


def read_solver_log(run_dir: str) -> str | None:
    path = Path(run_dir) / "solver.log"
    return path.read_text(errors="replace") if path.is_file() else None


def missing(value):
    return None if pd.isna(value) else value


def threshold_table(
    runs: pd.DataFrame, thresholds: list[dict], read_log: Callable[[str], str | None]
) -> pd.DataFrame:
    """One row per checked run; read_log(run_dir) gives the solver.log text or None."""
    if "threshold_check" in runs.columns:
        runs = runs[as_bool(runs["threshold_check"])]
    rows = []
    for check in thresholds:
        threshold, model = int(check["memory_mb"]), str(check["bucket_model"])
        for position, offset in POSITIONS:
            limit = threshold + offset
            base = {
                "threshold_mb": threshold,
                "position": position,
                "limit_mb": limit,
                "bucket_model": model,
                "expected": check["expected"][position],
            }
            matching = runs[(runs["limit_mb"] == limit) & (runs["bucket_model"] == model)]
            if matching.empty:
                log.warning(
                    "threshold %d %s: no run at %d MB %s", threshold, position, limit, model
                )
                rows.append({**base, "verdict": "FAIL"})
                continue
            for run in matching.sort_values("repeat").itertuples(index=False):
                run_dir = missing(run.run_dir)
                text = read_log(run_dir) if run_dir else None
                reported = reported_config(text, check["pattern"]) if text else None
                rows.append(
                    {
                        **base,
                        "repeat": run.repeat,
                        "status": missing(run.status),
                        "reported_config": reported,
                        "verdict": "PASS" if reported == base["expected"] else "FAIL",
                        "peak_mb": missing(run.peak_mb),
                        "run_dir": run_dir,
                    }
                )
    table = pd.DataFrame(rows, columns=THRESHOLD_COLUMNS)
    table["repeat"] = table["repeat"].astype("Int64")
    table["peak_mb"] = table["peak_mb"].astype("Float64")
    return table


def main(runs_csv, out_csv, thresholds, log_path=None) -> None:
    setup_logging(log_path)
    table = threshold_table(read_table(runs_csv), list(thresholds), read_solver_log)
    table.to_csv(out_csv, index=False)
    for row in table[table["verdict"] == "FAIL"].itertuples():
        log.warning(
            "FAIL threshold %s MB %s: %s MB %s rep %s reported %r, expected %r (status %s)",
            row.threshold_mb, row.position, row.limit_mb, row.bucket_model, row.repeat,
            row.reported_config, row.expected, row.status,
        )  # fmt: skip
    passed = int((table["verdict"] == "PASS").sum())
    log.info("%d of %d threshold checks PASS -> %s", passed, len(table), out_csv)


if "snakemake" in globals():
    main(
        snakemake.input.runs,  # noqa: F821
        snakemake.output.csv,  # noqa: F821
        snakemake.params.thresholds,  # noqa: F821
        snakemake.log[0],  # noqa: F821
    )
