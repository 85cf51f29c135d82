"""The report's tables section: runs, limit compliance, the variance of the peak, the largest
spikes, the peak per phase (with solver.phase_pattern) and the threshold checks, rows coloured by
their verdict. A table longer than MAX_ROWS shows the rows of the configurations that matter
(highlights.focus, and those with a verdict that is not ok) and says so."""

import pandas as pd

import tables
from report import highlights
from report.markup import levels_for, table_html

MAX_ROWS = 60  # a longer table shows the rows that matter (highlights.focus) and says so


def focused(frame: pd.DataFrame, keep: set, what: str) -> tuple[pd.DataFrame, str]:
    """All rows of a short table; of a long one, those whose configuration matters, and a note."""
    if len(frame) <= MAX_ROWS:
        return frame, ""
    mine = [tuple(k) in keep for k in frame[tables.CONFIG_KEY].itertuples(index=False)]
    note = (
        f'<p class="note">{sum(mine)} of {len(frame)} {what}: those of the configurations that '
        "matter (not ok, over budget, checked at a threshold, an outlier, or the largest peak of "
        "their model); all of them are in results/summary/.</p>"
    )
    return frame[mine], note


def tables_html(data: dict) -> str:
    runs, found, spikes = data["runs"], data["verdicts"], data["spikes"]
    keep = set(highlights.focus(runs, data["variance"]))
    keep |= {tuple(k) for k in found[found["level"] != "ok"][tables.CONFIG_KEY]
             .dropna().itertuples(index=False)}  # fmt: skip
    shown_runs, runs_note = focused(runs, keep, "runs")
    budget, budget_note = focused(found[found["kind"] == "budget"], keep, "configurations")
    variance, variance_note = focused(data["variance"], keep, "configurations")
    largest = spikes.sort_values("increase_mb", ascending=False, kind="stable").head(15)
    parts = [
        "<h3>Runs</h3>",
        runs_note,
        table_html(
            shown_runs, tables.RUNS, levels_for(shown_runs, found, "run_status", tables.KEY)
        ),
        "<h3>Limit compliance</h3>",
        '<p class="note">Per configuration, the largest peak (value) against the limit '
        "(bound): a run's peak is peak_mb (its source in the runs table's peak_source).</p>",
        budget_note,
        table_html(budget, tables.VERDICTS, budget["level"]),
        "<h3>Variance of the peak</h3><p class='note'>Over the ok grid runs; a CV above the "
        "warning level is highlighted.</p>",
        variance_note,
        table_html(
            variance, tables.VARIANCE, levels_for(variance, found, "stability", tables.CONFIG_KEY)
        ),
        "<h3>Largest spikes</h3>",
        f'<p class="note">The {len(largest)} largest of {len(spikes)} bursts by increase; all '
        "of them are in results/summary/spikes.csv.</p>"
        if len(spikes)
        else "",
        table_html(largest, tables.SPIKES, empty="No spikes detected."),
        *phases_html(data, keep),
        "<h3>Threshold checks</h3>",
        table_html(
            data["thresholds"],
            tables.THRESHOLDS,
            ["ok" if v == "PASS" else "fail" for v in data["thresholds"]["verdict"]],
            empty="No thresholds configured.",
        ),
    ]
    return "".join(parts)


def phases_html(data: dict, keep: set) -> list[str]:
    """With solver.phase_pattern: each phase's peak per configuration (phases.csv)."""
    if "phases" not in data:
        return []
    shown, note = focused(data["phases"], keep, "phase rows")
    levels = ["warn" if held else "ok" for held in shown["holds_peak"].fillna(False)]
    return [
        "<h3>Peak per phase</h3><p class='note'>Over the ok grid runs; the phase holding the "
        "peak in most repeats is highlighted. Every run's phases are in "
        "results/summary/phase_runs.csv.</p>",
        note,
        table_html(shown, tables.PHASES, levels),
    ]
