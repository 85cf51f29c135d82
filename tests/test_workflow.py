"""The real workflow, end to end, on a small campaign; then what a changed config reruns."""

import json
import os
import shutil
from contextlib import contextmanager
from datetime import datetime, timedelta

import pandas as pd
import pytest
import yaml

import plots
from contracts import (
    RUN_COLUMNS,
    SUMMARY_SPIKE_COLUMNS,
    THRESHOLD_COLUMNS,
    VARIANCE_COLUMNS,
    VERDICT_COLUMNS,
)
from pipeline import codedeps
from test_codedeps import rule_scripts
from workflow_helpers import SMALL_CAMPAIGN, planned_jobs, snakemake, write_config

GRID_RUNS = 2 * 2 * 2
THRESHOLD_RUNS = 3


@pytest.fixture(scope="module")
def campaign(finished_campaign):
    return finished_campaign(SMALL_CAMPAIGN)


def read(project, name):
    return pd.read_csv(project / "results" / "summary" / name)


def test_every_table_has_its_columns_and_rows(campaign):
    project, _ = campaign
    runs = read(project, "runs.csv")
    assert list(runs.columns) == RUN_COLUMNS
    assert len(runs) == GRID_RUNS + THRESHOLD_RUNS
    assert runs["in_grid"].sum() == GRID_RUNS
    assert runs["threshold_check"].sum() == THRESHOLD_RUNS
    assert set(runs["status"]) == {"ok"}
    assert (runs["samples"] > 0).all()
    assert (runs["peak_rss_mb"] > 0).all() and (runs["hwm_mb"] > 0).all()
    assert (runs["peak_rss_mb"] <= runs["maxrss_mb"] * 1.05).all()

    variance = read(project, "variance.csv")
    assert list(variance.columns) == VARIANCE_COLUMNS
    assert len(variance) == 2 * 2
    assert (variance["n"] == 2).all() and (variance["n_failed"] == 0).all()

    thresholds = read(project, "thresholds.csv")
    assert list(thresholds.columns) == THRESHOLD_COLUMNS
    verdicts = dict(zip(thresholds["limit_mb"], thresholds["verdict"], strict=True))
    assert verdicts == {499: "PASS", 500: "FAIL", 501: "PASS"}
    reported = dict(zip(thresholds["limit_mb"], thresholds["reported_config"], strict=True))
    assert reported == {499: "2M/4M/2M", 500: "4M/8M/4M", 501: "4M/8M/4M"}

    spikes = read(project, "spikes.csv")
    assert list(spikes.columns) == SUMMARY_SPIKE_COLUMNS

    verdicts = read(project, "verdicts.csv")
    assert list(verdicts.columns) == VERDICT_COLUMNS
    failed = verdicts[verdicts["level"] == "fail"]
    assert list(zip(failed["kind"], failed["limit_mb"], strict=True)) == [("threshold", 500)]


def test_each_run_has_its_folder_and_record(campaign):
    project, _ = campaign
    run_dir = project / "results/runs/default/600MB/4M-8M-4M/rep2"
    for name in ("trace.csv", "run.json", "solver.log"):
        assert (run_dir / name).stat().st_size > 0, name
    record = json.loads((run_dir / "run.json").read_text())
    key = (record["variant"], record["limit_mb"], record["bucket_model"], record["repeat"])
    assert key == ("default", 600, "4M/8M/4M", 2)
    assert record["status"] == "ok" and record["exit_code"] == 0
    assert "Bucket sizes: 4M/8M/4M" in (run_dir / "solver.log").read_text()
    assert (run_dir / "trace.csv").read_text().startswith("time_s,vmrss_kb,vmsize_kb,vmdata_kb")


def test_figures_report_and_last_message(campaign):
    project, proc = campaign
    for name in plots.drawn({}):
        assert (project / f"results/plots/{name}.png").stat().st_size > 10_000, name
    html = (project / "results/report.html").read_text()
    assert "FAIL" in html and "data:image/png;base64," in html
    lines = proc.stderr.strip().splitlines()
    start = max(i for i, line in enumerate(lines) if line.startswith("memsweep: "))
    start = max(i for i, line in enumerate(lines[: start + 1]) if " run(s): " in line)
    summary = lines[start:]
    assert summary[0] == f"memsweep: {GRID_RUNS + THRESHOLD_RUNS} run(s): 11 ok"
    assert summary[1].startswith("memsweep: 1 check(s) FAILED"), summary
    assert summary[2].startswith("  fail threshold: default · 500 MB check, at: 500 MB · auto")
    assert f"memsweep: report: {project / 'results/report.html'}" in summary


def test_monitored_runs_do_not_overlap_even_with_two_cores(campaign):
    project, _ = campaign
    spans = []
    for path in (project / "results/runs").glob("*/*/*/*/run.json"):
        record = json.loads(path.read_text())
        start = datetime.fromisoformat(record["started_at"])
        spans.append((start, start + timedelta(seconds=record["duration_s"])))
    spans.sort()
    assert len(spans) == GRID_RUNS + THRESHOLD_RUNS
    for (_, end), (next_start, _) in zip(spans, spans[1:], strict=False):
        assert next_start >= end - timedelta(milliseconds=50)


def test_nothing_changed_plans_nothing(campaign):
    project, _ = campaign
    assert planned_jobs(project, "--configfile", "campaign.yaml") == {}


def overlay(project, name, **changes):
    cfg = yaml.safe_load(yaml.safe_dump(SMALL_CAMPAIGN))
    for section, values in changes.items():
        cfg.setdefault(section, {}).update(values)
    return str(write_config(project, cfg, name).name)


ANALYSIS = {"summary": 1, "figures": 1, "all": 1}


def test_spike_threshold_change_reruns_no_program(campaign):
    project, _ = campaign
    name = overlay(project, "spikes.yaml", spikes={"min_increase_mb": 5})
    assert planned_jobs(project, "--configfile", name) == ANALYSIS


def test_a_warning_level_redraws_the_figures_and_no_table(campaign):
    project, _ = campaign
    name = overlay(project, "cv.yaml", variance={"cv_warn_percent": 2})
    plan = planned_jobs(project, "--configfile", name)
    # one job draws every figure: a changed setting redraws them all, and recomputes no table
    assert plan == {"figures": 1, "all": 1}
    proc = snakemake(project, "-n", "--cores", "1", "all", "--configfile", name)
    assert "results/plots/stability.png" in proc.stdout


@contextmanager
def edited(module):
    """The module with a line added, then as it was (content and time) for the tests after."""
    text, stat = module.read_text(), module.stat()
    try:
        module.write_text(text + "\n# changed\n")
        yield module
    finally:
        module.write_text(text)
        os.utime(module, ns=(stat.st_atime_ns, stat.st_mtime_ns))


def test_a_figure_module_edited_redraws_the_figures_only(campaign):
    project, _ = campaign
    with edited(project / "scripts/plots/spikes.py"):
        assert planned_jobs(project, "--configfile", "campaign.yaml") == {"figures": 1, "all": 1}


def test_a_report_pattern_change_reruns_no_program(campaign):
    project, _ = campaign
    name = overlay(project, "pattern.yaml", solver={"report_pattern": "Bucket sizes: (\\S+)$"})
    plan = planned_jobs(project, "--configfile", name)
    assert plan == ANALYSIS  # the summary job recomputes runs.csv, and what reads it


def test_added_limit_runs_only_its_runs(campaign):
    project, _ = campaign
    name = overlay(project, "limit.yaml", grid={"memory_limits_mb": [300, 600, 400]})
    plan = planned_jobs(project, "--configfile", name)
    assert plan == {"monitor": 4, **ANALYSIS}


def test_added_repeat_runs_only_the_new_repeat(campaign):
    project, _ = campaign
    name = overlay(project, "repeat.yaml", grid={"repeats": 3})
    plan = planned_jobs(project, "--configfile", name)
    assert plan == {"monitor": 4, **ANALYSIS}


def test_command_line_config_values_work(campaign):
    project, _ = campaign
    plan = planned_jobs(
        project, "--configfile", "campaign.yaml", "--config", "grid={memory_limits_mb: [300, 700]}"
    )
    assert plan["monitor"] == 4


def test_changing_the_solver_reruns_every_run(campaign, tmp_path):
    project, _ = campaign
    copy = tmp_path / "copy"
    shutil.copytree(project, copy, symlinks=True)
    solver = copy / "scripts/demo_solver.py"
    solver.write_text(solver.read_text() + "\n# changed\n")
    plan = planned_jobs(copy, "--configfile", "campaign.yaml")
    assert plan["monitor"] == GRID_RUNS + THRESHOLD_RUNS


def test_editing_a_module_reruns_exactly_the_rules_whose_scripts_import_it(campaign):
    project, _ = campaign
    with edited(project / "scripts/tables/rundir.py") as module:
        plan = planned_jobs(project, "--configfile", "campaign.yaml")
    using = {
        rule
        for rule, script in rule_scripts().items()
        if module in codedeps.closure(project / "scripts" / script, project / "scripts")
    }
    assert {"summary", "figures"} <= using and "launch" not in using
    # every job of a rule that imports it (and the jobs downstream of their tables), no run
    assert using - {"search", "search_step"} <= set(plan)
    assert "monitor" not in plan and "launch" not in plan


def test_enforced_limits_record_oom_kills_as_data(finished_campaign):
    """limits.enforce: cgroup: a run over its limit is an 'oom' row, not a failed job.

    At DEMO_SCALE 0.6 the 2M/4M/2M model allocates about 40 MB of anonymous memory: over three
    times the 12 MB limit, whatever the page cache holds, and half of the 200 MB one.
    """
    campaign = {
        "solver": {"env": {"DEMO_SCALE": "0.6"}, "timeout_s": 60},
        "grid": {"memory_limits_mb": [12, 200], "bucket_models": ["2M/4M/2M"], "repeats": 1},
        "limits": {"enforce": "cgroup"},
        "thresholds": [],
    }
    project, _ = finished_campaign(campaign, "enforced")
    runs = read(project, "runs.csv").set_index("limit_mb")
    assert runs.loc[12, "status"] == "oom" and runs.loc[12, "oom_killed"]
    assert runs.loc[12, "exit_code"] != 0
    assert runs.loc[200, "status"] == "ok" and not runs.loc[200, "oom_killed"]
    # the cgroup is charged with what the run allocated, not with shared libraries already cached
    # by others (those count in VmRSS): so only bounds here; tests/test_enforce.py compares peaks
    assert 0 < runs.loc[200, "cgroup_peak_mb"] < 200
    assert 0 < runs.loc[12, "cgroup_peak_mb"] <= 12 + 0.5
    assert "oom" in (project / "results/report.html").read_text()
