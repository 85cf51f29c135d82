"""A real comparison of two variants in one campaign, end to end; then what changes rerun."""

import json
import subprocess
import sys

import pandas as pd
import pytest
import yaml

from contracts import COMPARE_COLUMNS
from workflow_helpers import planned_jobs, snakemake, write_config

# Two variants of the demo solver, the second allocating twice as much: 1 limit x 1 model x
# 2 repeats each, no threshold checks. The second variant's peaks are clearly larger.
CAMPAIGN = {
    "solver": {"env": {"DEMO_SCALE": "0.03"}, "timeout_s": 60},
    "variants": {"base": {}, "big": {"env": {"DEMO_SCALE": "0.06"}}},
    "grid": {"memory_limits_mb": [600], "bucket_models": ["4M/8M/4M"], "repeats": 2},
    "sampler": {"interval_ms": 5},
    "thresholds": [],
    "compare": {"baseline": "base"},
}
RUNS_PER_VARIANT = 2


@pytest.fixture(scope="module")
def campaign(finished_campaign):
    return finished_campaign(CAMPAIGN, "compare")


def test_the_larger_variant_is_a_regression_everywhere(campaign):
    project, proc = campaign
    table = pd.read_csv(project / "results/summary/compare.csv")
    assert list(table.columns) == COMPARE_COLUMNS
    assert table["verdict"].tolist() == ["regression"]
    assert (table["variant"] == "big").all() and (table["baseline_variant"] == "base").all()
    assert (table["n_baseline"] == 2).all() and (table["diff_percent"] > 10).all()
    found = pd.read_csv(project / "results/summary/verdicts.csv")
    assert (found.loc[found["kind"] == "compare", "level"] == "fail").all()
    assert "compare: big vs base · 600 MB · 4M/8M/4M: regression" in proc.stderr
    for name in ("compare_diff", "compare_traces"):
        assert (project / f"results/plots/{name}.png").stat().st_size > 10_000
    assert "Compared with base" in (project / "results/report.html").read_text()
    assert json.loads((project / "results/compare.json").read_text())["regressed"] is True


def test_the_gate_prints_the_summary_and_fails(campaign):
    project, _ = campaign
    gate = subprocess.run(
        [sys.executable, "scripts/compare_gate.py"], cwd=project, capture_output=True, text=True
    )
    assert gate.returncode == 1
    assert gate.stdout == (project / "results/compare.md").read_text()


def overlay(project, name, **changes):
    cfg = yaml.safe_load(yaml.safe_dump(CAMPAIGN))
    for section, values in changes.items():
        cfg[section] = {**cfg[section], **values}
    return str(write_config(project, cfg, name).name)


# the comparison, its verdicts, and the figures and report that show them
COMPARISON = {"compare": 1, "compare_summary": 1, "figures": 1, "all": 1}


def test_a_compare_setting_reruns_the_comparison_only(campaign):
    project, _ = campaign
    name = overlay(project, "threshold.yaml", compare={"min_change_percent": 50})
    assert planned_jobs(project, "--configfile", name) == COMPARISON


def test_an_added_variant_runs_only_its_runs(campaign):
    project, _ = campaign
    name = overlay(project, "third.yaml", variants={"third": {"env": {"DEMO_SCALE": "0.04"}}})
    plan = planned_jobs(project, "--configfile", name)
    assert plan["monitor"] == RUNS_PER_VARIANT
    assert plan["compare"] == 1 and plan["figures"] == 1


def test_without_a_baseline_nothing_is_compared(campaign):
    project, _ = campaign
    cfg = yaml.safe_load(yaml.safe_dump(CAMPAIGN))
    del cfg["compare"]
    write_config(project, cfg, "plain.yaml")
    proc = snakemake(project, "-n", "--cores", "1", "all", "--configfile", "plain.yaml")
    assert proc.returncode == 0
    assert "compare" not in proc.stdout.split("Job stats:")[-1].split("Reasons:")[0]
