"""memsweep used from the user's own folder: with `snakemake -s`, and as a module of the user's
own Snakefile. Results, logs and the report go to that folder; the checkout is left as it was."""

import subprocess
import sys
import textwrap

import pandas as pd
import pytest
import yaml

from workflow_helpers import REPO

# the user's own program: allocates a tenth of its budget, touching every page, and says so
PROGRAM = """\
#!/usr/bin/env python3
import sys
import time

size = int(sys.argv[1]) // 10 * 2**20
block = bytearray(size)
block[::4096] = b"\\x01" * len(range(0, size, 4096))
print(f"Bucket sizes: {size >> 20}M", flush=True)
time.sleep(0.2)
"""

# a campaign of the built-in demo solver (the default command) and one of the user's program
CAMPAIGN = {
    "solver": {"env": {"DEMO_SCALE": "0.03"}, "timeout_s": 60},
    "variants": {"demo": {}, "own": {"command": "./alloc.py {memory_mb}"}},
    "grid": {"memory_limits_mb": [300], "bucket_models": ["4M/8M/4M"], "repeats": 1},
    "sampler": {"interval_ms": 5},
    "thresholds": [],
}

USER_SNAKEFILE = f"""\
configfile: "config/config.yaml"


module memsweep:
    snakefile:
        "{REPO}/Snakefile"
    config:
        config


use rule * from memsweep


onsuccess:
    memsweep.closing_message()
"""


def checkout_state() -> list[str]:
    """What git sees in the checkout, ignored files included (less Python's byte-code caches)."""
    out = subprocess.run(
        ["git", "status", "--porcelain", "--ignored", "--untracked-files=all"],
        cwd=REPO, capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    return sorted(line for line in out.splitlines() if "__pycache__" not in line)


def user_folder(path):
    path.mkdir(parents=True)
    program = path / "alloc.py"
    program.write_text(PROGRAM)
    program.chmod(0o755)
    return path


def run(folder, *args):
    proc = subprocess.run(
        [sys.executable, "-m", "snakemake", "--cores", "2", *args],
        cwd=folder, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc


def check_campaign(folder, proc):
    runs = pd.read_csv(folder / "results/summary/runs.csv").set_index("variant")
    assert list(runs["status"]) == ["ok", "ok"]
    assert runs.loc["own", "reported_config"] == "30M"
    assert 30 <= runs.loc["own", "peak_mb"] < 100
    assert runs.loc["demo", "reported_config"] == "4M/8M/4M"
    assert (folder / "results/report.html").stat().st_size > 100_000
    assert (folder / "logs/monitor/own/300MB/4M-8M-4M/rep1.log").is_file()
    last = proc.stderr.strip().splitlines()[-5:]
    assert "memsweep: 2 run(s): 2 ok" in last
    assert f"memsweep: report: {folder / 'results/report.html'}" in last


@pytest.mark.slow
def test_a_campaign_runs_from_the_users_folder_with_dash_s(tmp_path):
    before = checkout_state()
    folder = user_folder(tmp_path / "my-campaign")
    (folder / "my.yaml").write_text(yaml.safe_dump(CAMPAIGN))
    proc = run(folder, "-s", str(REPO / "Snakefile"), "all", "--configfile", "my.yaml")
    check_campaign(folder, proc)
    assert checkout_state() == before


@pytest.mark.slow
def test_a_user_snakefile_uses_memsweep_as_a_module(tmp_path):
    before = checkout_state()
    folder = user_folder(tmp_path / "my-project")
    (folder / "config").mkdir()
    (folder / "config/config.yaml").write_text(yaml.safe_dump(CAMPAIGN))
    (folder / "Snakefile").write_text(textwrap.dedent(USER_SNAKEFILE))
    proc = run(folder)
    check_campaign(folder, proc)
    assert checkout_state() == before
