"""The CI recipe of docs/ci.md, carried out in temporary folders with the commands the document
gives: the main branch's campaign keeps its results; a pull request's campaign compares with
them, and the gate decides. A program that allocates 20% more fails the gate (exit 1); a twin of
main's program passes it (exit 0), also against main's results as a memsweep older than the
newer runs.csv columns saved them.

Each folder stands for a CI job's checkout of the user's project, outside memsweep's: the
program is built there (here: a Python script written with the size it allocates), and the
document's commands run from there, with `memsweep/` standing for this checkout.
"""

import re
import shlex
import shutil
import subprocess
import sys

import pandas as pd
import pytest
import yaml

from contracts import RUN_COLUMNS_FIRST_COMPARED
from workflow_helpers import REPO

pytestmark = pytest.mark.slow

RECIPE = REPO / "docs/ci.md"
MAIN_MB, REGRESSED_MB = 40, 48  # what the program allocates on main and in the regressed PR
# The program under test, as its build leaves it: a block of MB MiB, every page written.
PROGRAM = """import sys
block = b"x" * ({mb} * 1024 * 1024)
print(f"Bucket sizes: {{sys.argv[1]}}")
"""
CAMPAIGN = {  # the recipe's ci/memsweep.yaml, small: 2 limits x 1 model x 3 repeats
    "solver": {"command": "python build/alloc.py {bucket_model}", "timeout_s": 60},
    "grid": {"memory_limits_mb": [100, 200], "bucket_models": ["4M/8M/4M"], "repeats": 3},
    "sampler": {"interval_ms": 5},
    "thresholds": [],
}
# The recipe's campaigns run `all`, which adds the figures and the report (tests/test_workflow.py
# runs those); here each runs what its next step reads, to stay within a minute.
TARGETS = {
    "main": ["results/summary/runs.csv", "results/summary/thresholds.csv"],
    "pull_request": ["results/compare.md"],
}


def block(text: str, first_line: str) -> str:
    """The fenced code block of the recipe that starts with first_line."""
    found = re.search(rf"```\w*\n({re.escape(first_line)}\n.*?)```", text, re.S)
    assert found, f"{RECIPE} has no code block starting {first_line!r}"
    return found.group(1)


def github_steps() -> dict[str, list[list[str]]]:
    """The command lines of the GitHub Actions job, by event (main's or a pull request's)."""
    job = yaml.safe_load(block(RECIPE.read_text(), "# .github/workflows/memory.yml"))
    steps = {"main": [], "pull_request": []}
    for step in job["jobs"]["memsweep"]["steps"]:
        when = step.get("if", "")
        events = ["pull_request"] if "== 'pull_request'" in when else ["main"]
        events = events if when else list(steps)
        for event in events:
            steps[event] += [shlex.split(step["run"], comments=True)] if "run" in step else []
    return steps


STEPS = github_steps()
SNAKEMAKE = {event: next(s for s in steps if s[0] == "snakemake") for event, steps in STEPS.items()}
GATE = next(
    s for s in STEPS["pull_request"] if s[:2] == ["python", "memsweep/scripts/compare_gate.py"]
)
DOWNLOAD = next(s for s in STEPS["pull_request"] if "download" in s)
BASELINE = DOWNLOAD[DOWNLOAD.index("--dir") + 1]  # where the job puts main's results/


def local(argv: list[str], targets=()) -> list[str]:
    """A command of the recipe as run here: memsweep/ is this checkout, `all` the targets."""
    argv = [str(REPO / a.removeprefix("memsweep/")) if a.startswith("memsweep/") else a
            for a in argv]  # fmt: skip
    if argv[0] == "snakemake":
        at = argv.index("all")
        return [sys.executable, "-m", "snakemake", *argv[1:at], *targets, *argv[at + 1 :]]
    return [sys.executable, *argv[1:]] if argv[0] == "python" else argv


def job_folder(root, name, mb):
    """A CI job's checkout of the user's project, with its program built and its campaign."""
    folder = root / name
    (folder / "build").mkdir(parents=True)
    (folder / "build/alloc.py").write_text(PROGRAM.format(mb=mb))
    (folder / "ci").mkdir()
    (folder / "ci/memsweep.yaml").write_text(yaml.safe_dump(CAMPAIGN, sort_keys=False))
    return folder


def campaign(folder, event):
    command = local(SNAKEMAKE[event], TARGETS[event])
    proc = subprocess.run(command, cwd=folder, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]


def pull_request(root, name, mb, main_results, keep_runs_columns=None):
    """A pull request's job: build, fetch main's results, the campaign against them, the gate."""
    folder = job_folder(root, name, mb)
    shutil.copytree(main_results, folder / BASELINE)  # as the job downloads main's artifact
    if keep_runs_columns is not None:
        runs = folder / BASELINE / "summary/runs.csv"
        frame = pd.read_csv(runs, dtype=str, keep_default_na=False)
        frame[keep_runs_columns].to_csv(runs, index=False)
    campaign(folder, "pull_request")
    gate = local(GATE)
    return folder, subprocess.run(gate, cwd=folder, capture_output=True, text=True, timeout=60)


@pytest.fixture(scope="module")
def main_results(tmp_path_factory):
    """The main branch's job: build, the campaign, its results/ kept."""
    root = tmp_path_factory.mktemp("ci")
    folder = job_folder(root, "main", MAIN_MB)
    campaign(folder, "main")
    return root, folder / "results"


def test_the_recipe_compares_with_mains_results_and_gitlab_runs_the_same_commands():
    assert f"compare={{baseline: {BASELINE}}}" in SNAKEMAKE["pull_request"]
    assert "--config" not in SNAKEMAKE["main"]
    gitlab = " ".join(block(RECIPE.read_text(), "memsweep:").replace("\\\n", " ").split())
    for command in (SNAKEMAKE["main"], SNAKEMAKE["pull_request"], GATE):
        assert shlex.join(command) in gitlab, shlex.join(command)


def test_a_pull_request_that_allocates_more_fails_the_gate(main_results):
    root, results = main_results
    folder, proc = pull_request(root, "regressed", REGRESSED_MB, results)
    assert proc.returncode == 1, proc.stderr
    summary = (folder / "results/compare.md").read_text()
    assert proc.stdout == summary  # what the job posts is what the gate judged
    assert summary.startswith(f"### memsweep: compared with `{BASELINE}`: 2 regressions")
    assert "2 configuration(s) regressed" in proc.stderr
    table = pd.read_csv(folder / "results/summary/compare.csv")
    assert (table["verdict"] == "regression").all() and (table["n_baseline"] == 3).all()
    assert (table["diff_percent"] > 10).all()


def test_a_twin_passes_the_gate_even_against_an_older_memsweeps_results(main_results):
    root, results = main_results
    older = [*RUN_COLUMNS_FIRST_COMPARED]
    folder, proc = pull_request(root, "twin", MAIN_MB, results, keep_runs_columns=older)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "no configuration regressed" in proc.stderr
    table = pd.read_csv(folder / "results/summary/compare.csv")
    assert len(table) == 2 and not (table["verdict"] == "regression").any()
    assert table["diff_percent"].abs().max() < 5
    assert "> **Not compared**: sampling interval (p99)" in proc.stdout
