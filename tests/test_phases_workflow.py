"""A real campaign with phases, end to end: two variants of a phased program, the second using
15 MiB more in its phase `solve` only; the comparison names that phase, and no other."""

import pandas as pd
import pytest
import yaml

import plots
import tables
from analysis import digest
from plots import style
from workflow_helpers import REPO, planned_jobs, write_config

PATTERN = r"^phase (\w+) at"
CAMPAIGN = {
    "solver": {
        # each phase's memory comes 100 ms after its line: the sampler stamps a line at the tick
        # that reads it, late by as much as the machine delays the sampler
        "command": "python phased.py load:20 solve:40 write:10 --hold-ms 120 --settle-ms 100",
        "phase_pattern": PATTERN,
        "timeout_s": 60,
    },
    "variants": {"base": {}, "fat": {"env": {"PHASED_EXTRA": "solve:15"}}},
    "grid": {"memory_limits_mb": [300], "bucket_models": ["auto"], "repeats": 3},
    "sampler": {"interval_ms": 5},
    "thresholds": [],
    "compare": {"baseline": "base"},
}
NAMES = ["load", "solve", "write"]


@pytest.fixture(scope="module")
def campaign(finished_campaign):
    return finished_campaign(CAMPAIGN, "phases", [REPO / "tests/workloads/phased.py"])


def test_every_run_has_its_phases_and_the_peak_is_in_solve(campaign):
    project, _ = campaign
    gathered = pd.read_csv(project / "results/summary/phase_runs.csv")
    for _, run in gathered.groupby(["variant", "repeat"]):
        assert [p for p in run["phase"] if p != "(start)"] == NAMES
        assert run.loc[run["holds_peak"], "phase"].tolist() == ["solve"]
    summary = pd.read_csv(project / "results/summary/phases.csv")
    assert summary.loc[summary["holds_peak"], ["variant", "phase"]].values.tolist() == [
        ["base", "solve"],
        ["fat", "solve"],
    ]
    found = pd.read_csv(project / "results/summary/verdicts.csv")
    assert (found.loc[found["kind"] == "phases", "level"] == "ok").sum() == 6
    spikes = pd.read_csv(project / "results/summary/spikes.csv")
    assert set(spikes["phase"]) <= {"(start)", *NAMES} and "solve" in set(spikes["phase"])


def test_the_comparison_names_the_phase_that_changed_and_no_other(campaign):
    project, _ = campaign
    table = pd.read_csv(project / "results/summary/compare_phases.csv")
    moved = table[table["verdict"].isin(["regression", "improvement"])]
    assert moved[["variant", "phase", "verdict"]].values.tolist() == [
        ["fat", "solve", "regression"]
    ]
    solve = moved.iloc[0]
    assert 10 < solve["diff_mb"] < 20  # 15 MiB more
    assert set(table["phase"]) == {"(start)", *NAMES} and (table["presence"] == "both").all()
    md = (project / "results/compare.md").read_text()
    assert "is in `solve`" in md and "is in `load`" not in md and "is in `write`" not in md
    log = (project / "logs/compare/compare.log").read_text()
    assert "the regression is in phase 'solve'" in log and "phase 'load'" not in log


def test_the_digest_figures_and_report_show_the_phases(campaign):
    project, _ = campaign
    found = digest.read_digest(project / "results/summary/traces.json.gz")
    for run in found["runs"].values():
        assert [name for _, _, name in run["phases"] if name != "(start)"] == NAMES
    assert (project / "results/plots/phase_peaks.png").stat().st_size > 10_000
    # drawn again from phases.csv: a panel per variant, a line per phase, the star on solve
    table = tables.PHASES.read(project / "results/summary/phases.csv")
    with style.capture() as drawn:
        plots.draw("phase_peaks", {"phases": table}, {}, project / "phase_peaks.png")
    panels = {ax.get_title(loc="left"): ax for ax in drawn["phase_peaks"].axes}
    assert list(panels) == ["base · auto", "fat · auto"]
    for name, ax in panels.items():
        stars = [x for x in ax.lines if x.get_marker() == "*" and len(x.get_ydata())]
        mine = table[(table["variant"] == name.split(" · ")[0]) & (table["phase"] == "solve")]
        assert [x.get_ydata()[0] for x in stars] == [float(mine["mean_peak_mb"].iloc[0])]
    page = (project / "results/report.html").read_text()
    assert "Peak per phase" in page and "By phase" in page and "start_phase" in page


def test_a_changed_pattern_reruns_the_runs(campaign):
    """The sampler matches lines as they are written: the pattern is how a run is launched."""
    project, _ = campaign
    cfg = yaml.safe_load(yaml.safe_dump(CAMPAIGN))
    cfg["solver"]["phase_pattern"] = r"^phase (\w+)"
    name = write_config(project, cfg, "pattern.yaml").name
    plan = planned_jobs(project, "--configfile", name)
    assert plan["monitor"] == 6 and plan["launch"] == 2
