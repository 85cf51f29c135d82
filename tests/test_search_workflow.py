"""A switch search carried out by the real workflow: its probes are monitor jobs in the same
results tree, a grid run is reused, and a rerun plans nothing that did not change."""

import pandas as pd
import pytest

from workflow_helpers import planned_jobs, write_config

# 480 and 520 MB, the grid's 500 MB run (reused), halving 480-500 down to 499-500, repeat 2 at
# both, and 501 for the seeded threshold check: 11 runs of the demo solver at a tiny scale.
CAMPAIGN = {
    "solver": {"env": {"DEMO_SCALE": "0.02"}, "timeout_s": 60},
    "grid": {"memory_limits_mb": [500], "bucket_models": ["auto"], "repeats": 1},
    "sampler": {"interval_ms": 5},
    "thresholds": [],
    "search": [{"kind": "switch", "low_mb": 480, "high_mb": 520, "repeats": 2,
                "initial_probes": 1}],
}  # fmt: skip


@pytest.fixture(scope="module")
def project(finished_campaign):
    project, _ = finished_campaign(CAMPAIGN, "search")
    return project


def test_the_switch_is_found_to_the_mb_with_ordinary_runs(project):
    summary = project / "results/summary"
    found = pd.read_csv(summary / "search.csv").to_dict("records")
    assert [(r["outcome"], r["result_mb"], r["below"], r["at"]) for r in found] == [
        ("found", 500, "2M/4M/2M", "4M/8M/4M")
    ]
    probes = pd.read_csv(summary / "search_probes.csv")
    assert found[0]["probes"] == len(probes) == 11 and found[0]["reused"] == 1
    assert probes.loc[probes["reused"], "run_dir"].tolist() == [
        "results/runs/default/500MB/auto/rep1"
    ]
    for run_dir in probes["run_dir"]:
        assert (project / run_dir / "trace.csv").stat().st_size > 0
    checks = pd.read_csv(summary / "thresholds.csv")
    assert checks["limit_mb"].tolist() == [499, 499, 500, 500, 501]
    assert set(checks["verdict"]) == {"PASS"}
    verdicts = pd.read_csv(summary / "verdicts.csv")
    (search,) = verdicts[verdicts["kind"] == "search"].to_dict("records")
    assert search["level"] == "ok" and search["message"].startswith("switches at 500 MB")
    page = (project / "results/report.html").read_text()
    assert '<section id="search">' in page and 'alt="Search probes"' in page


def overlay(project, name, **changes):
    cfg = {**CAMPAIGN, **changes}
    return str(write_config(project, cfg, name).name)


def test_a_rerun_or_an_analysis_setting_reruns_no_search_step(project):
    assert planned_jobs(project, "--configfile", "campaign.yaml") == {}
    spikes = overlay(project, "spikes.yaml", spikes={"min_increase_mb": 5})
    plan = planned_jobs(project, "--configfile", spikes)
    assert "search_step" not in plan and "monitor" not in plan and "search" not in plan


def test_a_changed_search_reruns_its_steps_from_the_first(project):
    search = {**CAMPAIGN["search"][0], "repeats": 3}
    plan = planned_jobs(project, "--configfile", overlay(project, "rep.yaml", search=[search]))
    # the later steps, and the runs they ask for, are known once step 0 has run again
    assert plan["search_step"] == 1 and "monitor" not in plan
