"""Threshold verdicts: did the solver report the expected configuration just below, at and just
above each configured memory threshold? Writes results/summary/thresholds.csv.

For a threshold T the checked limits are T-1 ("below"), T ("at") and T+1 ("above"), run with the
threshold's bucket_model, for every variant. reported_config is the first group of the last match
of the threshold's own `pattern` (default solver.report_pattern) in `{run_dir}/solver.log`.
verdict is PASS when it equals `expected[position]`, FAIL otherwise, also when there is no report
or no run at all (then one row with an empty reported_config). peak_mb is the run's peak from
runs.csv, the one every table and figure uses. The verdict judges the reported configuration;
the run's status is beside it.
A switch search (config `search`, with seed_thresholds) adds a check for each switch S it found,
at S-1, S and S+1 with the configurations it found as expected, from its own runs
(search_probes.csv), unless a documented threshold already checks that limit.
Called by the `summary` job (scripts/summary.py); by hand:

    >>> import pandas as pd
    >>> from analysis import thresholds
    >>> runs = pd.DataFrame({"variant": "default", "limit_mb": [999, 1000], "bucket_model": "auto",
    ...     "repeat": 1, "status": "ok", "peak_mb": 500.0, "threshold_check": True,
    ...     "run_dir": ["a", "b"]})
    >>> check = {"memory_mb": 1000, "bucket_model": "auto", "pattern": "Bucket sizes: (\\\\S+)",
    ...     "expected": {"below": "4M/8M/4M", "at": "8M/8M/8M", "above": "8M/8M/8M"}}
    >>> reported = {"a": "4M/8M/4M", "b": "4M/8M/4M"}  # from their solver.log
    >>> def read_log(run_dir, pattern):
    ...     return reported[run_dir]
    >>> thresholds.threshold_table(runs, [check], ["default"], read_log)["verdict"].tolist()
    ['PASS', 'FAIL', 'FAIL']
"""

import logging
from collections.abc import Callable

import pandas as pd

import tables
from campaign.plan import POSITIONS
from tables import rundir

log = logging.getLogger("thresholds")


def missing(value):
    return None if pd.isna(value) else value


def threshold_table(
    runs: pd.DataFrame,
    thresholds: list[dict],
    variants: list[str],
    read_log: Callable[[str, str], str | None],
) -> pd.DataFrame:
    """One row per checked run; read_log(run_dir, pattern) gives the configuration its solver.log
    reported (rundir.log_config), or None."""
    runs = runs[tables.as_bool(runs["threshold_check"]).fillna(False)]
    rows = []
    for variant in variants:
        for check in thresholds:
            rows += check_rows(runs[runs["variant"] == variant], variant, check, read_log)
    return tables.typed(pd.DataFrame(rows, columns=tables.THRESHOLDS.names), tables.THRESHOLDS)


def check_rows(runs: pd.DataFrame, variant: str, check: dict, read_log) -> list[dict]:
    """The rows of one threshold check of one variant."""
    rows = []
    threshold, model = int(check["memory_mb"]), str(check["bucket_model"])
    for position, offset in POSITIONS:
        limit = threshold + offset
        base = {
            "variant": variant,
            "threshold_mb": threshold,
            "position": position,
            "limit_mb": limit,
            "bucket_model": model,
            "expected": check["expected"][position],
        }
        matching = runs[(runs["limit_mb"] == limit) & (runs["bucket_model"] == model)]
        if matching.empty:
            log.warning("threshold %d %s: no run at %d MB %s", threshold, position, limit, model)
            rows.append({**base, "verdict": "FAIL"})
            continue
        for run in matching.sort_values("repeat").itertuples(index=False):
            run_dir = missing(run.run_dir)
            reported = read_log(run_dir, check["pattern"]) if run_dir else None
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
    return rows


def seeded_checks(search: pd.DataFrame, seeds: dict, documented: list[dict]) -> list:
    """(variant, check) for each switch found by a search in seeds ({name: pattern}): expected
    below / at / above as the search found them. A documented check at the same limit, model and
    pattern covers it already."""
    taken = {(int(c["memory_mb"]), c["bucket_model"], c["pattern"]) for c in documented}
    found = search[(search["outcome"] == "found") & search["search"].isin(list(seeds))]
    out = []
    for r in found.itertuples(index=False):
        key = (int(r.result_mb), str(r.bucket_model), seeds[r.search])
        check = dict(zip(("memory_mb", "bucket_model", "pattern"), key, strict=True))
        check["expected"] = {"below": r.below, "at": r.at, "above": r.at}
        if key not in taken and (r.variant, check) not in out:
            out.append((r.variant, check))
    return out


def seeded_table(probes: pd.DataFrame, checks: list, read_log) -> pd.DataFrame:
    """The rows of the seeded checks, from the searches' own runs (search_probes.csv)."""
    probes = probes.drop_duplicates("run_dir")
    rows = []
    for variant, check in checks:
        rows += check_rows(probes[probes["variant"] == variant], variant, check, read_log)
    return tables.typed(pd.DataFrame(rows, columns=tables.THRESHOLDS.names), tables.THRESHOLDS)


def main(runs_csv, out_csv, thresholds, variants, seed_paths=(), seeds=None) -> None:
    table = threshold_table(
        tables.RUNS.read(runs_csv), list(thresholds), list(variants), rundir.log_config
    )
    if seeds:
        search_csv, probes_csv = seed_paths
        checks = seeded_checks(tables.SEARCH.read(search_csv), seeds, list(thresholds))
        seeded = seeded_table(tables.SEARCH_PROBES.read(probes_csv), checks, rundir.log_config)
        if len(seeded):
            table = pd.concat([f for f in (table, seeded) if len(f)], ignore_index=True)
        log.info("%d switch(es) found by searches checked like documented thresholds", len(checks))
    tables.THRESHOLDS.write(table, out_csv)
    for row in table[table["verdict"] == "FAIL"].itertuples():
        log.warning(
            "FAIL %s threshold %s MB %s: %s MB %s rep %s reported %r, expected %r (status %s)",
            row.variant, row.threshold_mb, row.position, row.limit_mb, row.bucket_model, row.repeat,
            row.reported_config, row.expected, row.status,
        )  # fmt: skip
    passed = int((table["verdict"] == "PASS").sum())
    log.info("%d of %d threshold checks PASS -> %s", passed, len(table), out_csv)
