"""Config errors stop the workflow before any run, naming the key and the bad value."""

import os
import subprocess
import sys

import pytest

from workflow_helpers import make_project, planned_jobs, snakemake, write_config


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    return make_project(tmp_path_factory.mktemp("config"))


BAD_CONFIGS = [
    ({"grid": {"repeats": 1, "colour": "red"}}, ["grid", "colour", "repeats"]),
    ({"grid": {"bucket_models": ["4M/8M"]}}, ["grid.bucket_models[0]", "'4M/8M'", "auto"]),
    ({"solver": {"command": "./no-such-solver {memory_mb}"}}, ["solver.command", "no-such-solver"]),
    ({"compare": {"baseline": "nope"}}, ["compare.baseline", "'nope' is neither a variant"]),
]


@pytest.mark.parametrize(("overlay", "words"), BAD_CONFIGS)
def test_bad_config_is_refused_by_snakemake_before_any_run(project, overlay, words):
    """The check in scripts/campaign/config.py (unit-tested on dicts) reaches a Snakemake user."""
    write_config(project, overlay, "bad.yaml")
    proc = snakemake(project, "-n", "--cores", "1", "all", "--configfile", "bad.yaml")
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert "config error at" in out, out
    for word in words:
        assert word in out, (word, out)
    assert "Traceback" not in out
    assert not (project / "results").exists()


def test_bad_command_line_value_is_refused(project):
    proc = snakemake(project, "-n", "--cores", "1", "all", "--config", "grid={repeats: many}")
    assert proc.returncode != 0
    assert "config error at grid.repeats: 'many'" in proc.stdout + proc.stderr


def test_default_config_plans_the_whole_campaign(project):
    plan = planned_jobs(project)
    assert plan == {
        "launch": 1,
        "monitor": 6 * 2 * 3 + 3,
        "summary": 1,
        "figures": 1,
        "all": 1,
    }


def test_cgroup_enforcement_without_a_memory_controller_is_refused(project, tmp_path):
    write_config(project, {"limits": {"enforce": "cgroup"}}, "cgroup.yaml")
    env = {**os.environ, "MEMSWEEP_CGROUP_ROOT": str(tmp_path / "no-cgroupfs-here")}
    proc = subprocess.run(
        [sys.executable, "-m", "snakemake", "-n", "--cores", "1", "all"]
        + ["--configfile", "cgroup.yaml"],
        cwd=project, capture_output=True, text=True, env=env, timeout=120,
    )  # fmt: skip
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert "config error at limits.enforce" in out and "no-cgroupfs-here" in out, out
