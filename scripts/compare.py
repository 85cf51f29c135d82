"""Compare the campaign with its baseline (`compare.baseline`): did a change move the memory, in
which configurations, and by more than run-to-run noise? Writes results/summary/compare.csv,
compare_runs.csv and compare_env.csv.

One compare.csv row per (candidate variant, limit, model) of either side. A configuration on one
side only is listed with verdict `not compared`. Otherwise, from the runs of each side:

- the peak (peak_mb of the ok grid runs, as variance.csv takes it): n, median and mean per side,
  the change in MB and %, its interval, p, and peak_verdict by the rule in comparison/stats.py
  (practical threshold AND Welch's test, Bonferroni over every configuration tested);
- status_change: regression when a larger share of the candidate's runs is not ok (oom, failed,
  timeout, killed), or a kind of failure the baseline did not have appears; improvement back;
- reported_changed: the configurations the program reported differ (a warning, not a verdict);
- threshold_change: a threshold check PASS in the baseline and FAIL in the candidate is always a
  regression (FAIL to PASS an improvement).

verdict is regression when any of peak, status or threshold regressed; else improvement when any
improved; else inconclusive when the peak test was; else unchanged. `reason` says why in words.
compare_env.csv sets the two sides' hosts, kernels, sampler versions, sampling intervals and
limit enforcement side by side; a difference is a warning (the comparison may be doubtful).
With solver.phase_pattern set, compare_phases.csv compares each phase's peak by the same rule
(scripts/comparison/phases.py), so the phase a change landed in is named.

A saved baseline is read for the columns used here only (baselines.RUNS_NEEDED and RUNS_LATER):
an aspect whose columns came to runs.csv after the baseline was saved is `compared` False in
compare_env.csv, with a warning saying so, never an error.

The comparison itself is comparison/changes.py's; this entry reads the two sides and writes the
tables. Called by the `compare` rule; by hand, from the project folder after a campaign:

    python scripts/compare.py path/to/earlier/results
    # -> results/summary/compare.csv, compare_runs.csv, compare_env.csv
"""

import logging
import sys

import comparison.phases
import tables
from comparison import baselines
from comparison.changes import compare_table, env_table, runs_table
from pipeline import stage

log = logging.getLogger("compare")
SETTINGS = {"min_change_percent": 1.0, "min_change_mb": 1.0, "alpha": 0.05}


def sides(runs, thresholds, baseline: baselines.Baseline):
    """(base runs, candidate runs, base thresholds, candidate thresholds)."""
    if baseline.mode == "variant":
        is_base = (runs["variant"] == baseline.variant).fillna(False)
        th_base = (thresholds["variant"] == baseline.variant).fillna(False)
        return runs[is_base], runs[~is_base], thresholds[th_base], thresholds[~th_base]
    base = baselines.read_runs(baseline)
    base["run_dir"] = [
        baseline.run_dir(r.variant, int(r.limit_mb), r.bucket_model, int(r.repeat))
        for r in base.itertuples()
    ]
    return base, runs, baselines.read_thresholds(baseline), thresholds


def phase_sides(paths, baseline: baselines.Baseline):
    """(base phase_runs, candidate phase_runs): this campaign's (paths[0]) on both sides for a
    variant baseline; in folder mode the baseline's own (paths[1]), or none when it has none."""
    own = tables.PHASE_RUNS.read(paths[0])
    if baseline.mode == "variant":
        return own, own
    if len(paths) < 2:
        log.warning("%s has no phase_runs.csv: its phases cannot be compared", baseline.value)
        return tables.PHASE_RUNS.empty(), own
    theirs = tables.PHASE_RUNS.read(paths[1], redo="run that campaign again, or point elsewhere")
    return theirs, own


def main(
    runs,
    thresholds,
    outputs: dict,
    settings: dict,
    baseline: str,
    variants,
    phases=(),
    baseline_phases=(),
) -> None:
    """runs, thresholds: this campaign's runs.csv and thresholds.csv; outputs: a path per compare
    table (tables.COMPARE_TABLES, compare_phases with phases); baseline: compare.baseline; phases:
    with solver.phase_pattern, this campaign's phase_runs.csv, baseline_phases the baseline
    campaign's (in folder mode, when it has one)."""
    value, phases, out = baseline, [*phases, *baseline_phases], outputs
    try:
        baseline = baselines.resolve(value, list(variants))
        both, thresholds = tables.RUNS.read(runs), tables.THRESHOLDS.read(thresholds)
        base, cand, base_th, cand_th = sides(both, thresholds, baseline)
    except baselines.BaselineError as err:
        raise tables.TableError(f"compare.baseline: {err}") from None
    their_variants = list(dict.fromkeys(base["variant"].dropna()))
    pairs = baselines.pairs(baseline, list(variants), their_variants)
    table = compare_table(base, cand, base_th, cand_th, pairs, {**SETTINGS, **settings}, value)
    tables.COMPARE.write(table, out["compare"])
    tables.COMPARE_RUNS.write(runs_table(base, cand), out["compare_runs"])
    tables.COMPARE_ENV.write(env_table(base, cand), out["compare_env"])
    if phases:
        base_phases, cand_phases = phase_sides(list(phases), baseline)
        by_phase = comparison.phases.phase_table(
            base, cand, base_phases, cand_phases, pairs, {**SETTINGS, **settings}
        )
        tables.COMPARE_PHASES.write(by_phase, out["compare_phases"])
        for row in comparison.phases.changed(by_phase).itertuples():
            log.warning("%s %s MB %s: the %s is in phase %r: %s", row.variant, row.limit_mb,
                        row.bucket_model, row.verdict, row.phase, row.reason)  # fmt: skip
    for row in table[table["verdict"] == "regression"].itertuples():
        log.warning("regression %s %s MB %s: %s", row.variant, row.limit_mb, row.bucket_model,
                    row.reason)  # fmt: skip
    counts = table["verdict"].value_counts().to_dict()
    log.info("%d configurations against %s: %s -> %s", len(table), value, counts, out["compare"])


if "snakemake" in globals():
    stage.hand_off(snakemake, main)
elif __name__ == "__main__":
    outputs = {table.name: table.path for table in tables.COMPARE_TABLES}
    runs = tables.RUNS.read(tables.RUNS.path)
    names = list(dict.fromkeys(runs["variant"].dropna()))
    stage.run(main, tables.RUNS.path, tables.THRESHOLDS.path, outputs, {}, sys.argv[1], names)
