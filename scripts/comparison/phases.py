"""Compare by phase: in which part of the program did the change land? With solver.phase_pattern
and compare.baseline set, compare.py writes results/summary/compare_phases.csv from both sides'
phase_runs.csv: one row per (candidate variant, limit, model, phase) of a configuration both
sides ran.

A phase's peak in a run is its largest peak there (a name that starts several phases of a run
counts once), over the ok grid runs of each side, as compare.csv takes the run's peak. Each phase
both sides have is decided by the rule of compare_stats.py (the practical threshold AND Welch's
test), Bonferroni-corrected over every phase tested, so "the regression is in `Bucket 3/3`" is
said, not inferred; a phase on one side only is listed with verdict `not compared` and its
presence. compare_summary.py says it in compare.md. By hand:

    >>> import pandas as pd
    >>> from comparison import phases as compare_phases
    >>> def side(variant, solve):
    ...     runs = pd.DataFrame({"variant": variant, "limit_mb": 300, "bucket_model": "auto",
    ...         "repeat": [1, 2, 3], "status": "ok", "in_grid": True})
    ...     rows = [(r, p, v) for r in (1, 2, 3) for p, v in (("load", 50.0 + r / 10),
    ...             ("solve", solve + r / 10))]
    ...     phases = pd.DataFrame(rows, columns=["repeat", "phase", "peak_mb"]).assign(
    ...         variant=variant, limit_mb=300, bucket_model="auto")
    ...     return runs, phases
    >>> (br, bp), (cr, cp) = side("base", 80.0), side("new", 95.0)
    >>> table = compare_phases.phase_table(br, cr, bp, cp, [("new", "base")], {})
    >>> table[["phase", "verdict"]].values.tolist()
    [['load', 'unchanged'], ['solve', 'regression']]
"""

import numpy as np
import pandas as pd

import comparison.stats
import tables

SETTINGS = {"min_change_percent": 1.0, "min_change_mb": 1.0, "alpha": 0.05}


def peaks(phase_runs: pd.DataFrame, runs: pd.DataFrame) -> pd.DataFrame:
    """Each ok grid run's largest peak per phase: variant, limit_mb, bucket_model, repeat, phase,
    peak_mb."""
    ok = runs["status"].eq("ok").fillna(False) & tables.as_bool(runs["in_grid"]).fillna(False)
    mine = phase_runs.merge(runs.loc[ok, tables.KEY], on=tables.KEY, how="inner")
    mine = mine.dropna(subset=["peak_mb"])
    return mine.groupby([*tables.KEY, "phase"], as_index=False, sort=False)["peak_mb"].max()


def values(frame: pd.DataFrame, variant: str, limit, model: str, phase: str) -> np.ndarray:
    mine = (frame["variant"] == variant) & (frame["limit_mb"] == limit)
    mine &= (frame["bucket_model"] == model) & (frame["phase"] == phase)
    return frame.loc[mine.fillna(False), "peak_mb"].to_numpy(float)


def configurations(frame: pd.DataFrame, variant: str) -> set:
    mine = frame[frame["variant"] == variant]
    return set(zip(mine["limit_mb"], mine["bucket_model"], strict=True))


def phase_rows(pair, base: pd.DataFrame, cand: pd.DataFrame) -> list[dict]:
    """One row per phase of each configuration both sides ran (tests not yet made)."""
    (variant, base_variant), rows = pair, []
    configs = configurations(base, base_variant) & configurations(cand, variant)
    for limit, model in sorted(configs):
        names = {}
        for frame, who in ((base, base_variant), (cand, variant)):
            at = frame[(frame["variant"] == who) & (frame["limit_mb"] == limit)
                       & (frame["bucket_model"] == model)]  # fmt: skip
            names |= dict.fromkeys(at["phase"])
        for phase in names:
            b = values(base, base_variant, limit, model, phase)
            c = values(cand, variant, limit, model, phase)
            presence = (
                "both" if len(b) and len(c) else ("baseline only" if len(b) else "candidate only")
            )
            rows.append({
                "variant": variant, "limit_mb": limit, "bucket_model": model,
                "baseline_variant": base_variant, "phase": phase, "presence": presence,
                "n_baseline": len(b), "n_candidate": len(c),
                "mean_baseline_mb": b.mean() if len(b) else None,
                "mean_candidate_mb": c.mean() if len(c) else None, "peaks": (b, c),
            })  # fmt: skip
    return rows


def decide(rows: list[dict], settings: dict) -> None:
    """Each row's verdict and reason; the tests Bonferroni-corrected over every phase tested."""
    alpha = float(settings["alpha"])
    tested = [r for r in rows if r["presence"] == "both" and min(map(len, r["peaks"])) >= 2]
    for row in rows:
        if row["presence"] != "both":
            row["verdict"] = "not compared"
            row["reason"] = f"phase {row['phase']!r} only in the {row['presence'].split()[0]}"
        elif row not in tested:
            row["verdict"] = "inconclusive"
            row["reason"] = "fewer than 2 ok grid runs with this phase on a side: no test"
    for row in tested:
        test = comparison.stats.welch(*row["peaks"], m=len(tested), alpha=alpha)
        mean_b = row["mean_baseline_mb"]
        t = comparison.stats.threshold(
            mean_b, settings["min_change_mb"], settings["min_change_percent"]
        )
        verdict = comparison.stats.verdict(test, t, alpha)
        row.update(
            verdict=verdict, diff_mb=test.diff, diff_percent=100 * test.diff / mean_b,
            ci_low_percent=100 * test.low / mean_b, ci_high_percent=100 * test.high / mean_b,
            threshold_mb=t, p_adjusted=test.p_adjusted,
            reason=(f"peak {100 * test.diff / mean_b:+.2f}% "
                    f"({test.diff:+.2f} MB), interval {100 * test.low / mean_b:+.2f} to "
                    f"{100 * test.high / mean_b:+.2f}%, p adjusted {test.p_adjusted:.2g}"),
        )  # fmt: skip


def phase_table(base_runs, cand_runs, base_phases, cand_phases, pairs, settings: dict):
    """compare_phases.csv; pairs are (candidate variant, baseline variant)."""
    base = peaks(base_phases, base_runs)
    cand = peaks(cand_phases, cand_runs)
    rows = [row for pair in pairs for row in phase_rows(pair, base, cand)]
    decide(rows, {**SETTINGS, **settings})
    frame = pd.DataFrame(rows).reindex(columns=tables.COMPARE_PHASES.names)
    return tables.typed(frame, tables.COMPARE_PHASES)


def changed(table: pd.DataFrame) -> pd.DataFrame:
    """The phases that regressed or improved, regressions first."""
    moved = table[table["verdict"].isin(["regression", "improvement"])]
    return moved.sort_values("verdict", key=lambda v: v.ne("regression"), kind="stable")
