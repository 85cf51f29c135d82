"""Run the real workflow in a temporary copy of the project, and read what it planned."""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
PROJECT_FILES = ["Snakefile", "config", "workflow", "scripts", "envs", "profiles", "pyproject.toml"]

# A small campaign: 2 limits x 2 models x 2 repeats, the demo solver at a tiny scale, and one
# threshold check (499/500/501) whose "at" expectation is wrong on purpose, so it FAILs.
SMALL_CAMPAIGN = {
    "solver": {"env": {"DEMO_SCALE": "0.03"}, "timeout_s": 60},
    "grid": {
        "memory_limits_mb": [300, 600],
        "bucket_models": ["2M/4M/2M", "4M/8M/4M"],
        "repeats": 2,
    },
    "sampler": {"interval_ms": 5},
    "thresholds": [
        {
            "memory_mb": 500,
            "bucket_model": "auto",
            "expected": {"below": "2M/4M/2M", "at": "8M/8M/8M", "above": "4M/8M/4M"},
        }
    ],
}


def make_project(dest: Path) -> Path:
    """Copy the workflow's own files (not results/ or logs/) into dest."""
    dest.mkdir(parents=True, exist_ok=True)
    for name in PROJECT_FILES:
        src = REPO / name
        if src.is_dir():
            shutil.copytree(src, dest / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(src, dest / name)
    return dest


def write_config(project: Path, overlay: dict, name: str = "campaign.yaml") -> Path:
    path = project / name
    path.write_text(yaml.safe_dump(overlay, sort_keys=False))
    return path


def snakemake(project: Path, *args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "snakemake", *args],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


JOB_LINE = re.compile(r"^(\w+)\s+(\d+)$")


def planned_jobs(project: Path, *args: str) -> dict[str, int]:
    """Job counts per rule that a dry run plans (the 'Job stats' table); {} when nothing to do."""
    proc = snakemake(project, "-n", "--cores", "2", "all", *args)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    text = proc.stdout + proc.stderr
    if "Job stats" not in text:
        assert "Nothing to be done" in text, text
        return {}
    table = text.split("Job stats:", 1)[1].split("Reasons:", 1)[0]
    counts = {}
    for line in table.splitlines():
        match = JOB_LINE.match(line.strip())
        if match and match.group(1) != "total":
            counts[match.group(1)] = int(match.group(2))
    return counts


def render_caption(name: str, config: dict) -> str:
    """A caption of workflow/report/ as `snakemake --report` renders it (Jinja with Snakemake's
    options, but strict, then reStructuredText, failing on a warning): its HTML body. The
    stand-in job has the config and the params the captions read (the figures rule's checks)."""
    from types import SimpleNamespace

    from docutils.core import publish_parts
    from jinja2 import Environment, StrictUndefined

    from verdicts import registry

    params = SimpleNamespace(checks=registry.described(config))
    snakemake = SimpleNamespace(config=config, params=params)
    env = Environment(trim_blocks=True, lstrip_blocks=True, undefined=StrictUndefined)
    text = (REPO / "workflow" / "report" / f"{name}.rst").read_text()
    rendered = env.from_string(text).render(snakemake=snakemake)
    assert "{{" not in rendered and "{%" not in rendered, name
    return publish_parts(rendered, writer="html", settings_overrides={"halt_level": 2})["body"]
