"""The repository's own text names files that exist: a doc, a docstring, a comment or a template
that names a module after it moved fails here, naming where."""

import re
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TOP = ("scripts", "docs", "workflow", "tests", "benchmarks", "config", "envs", "profiles")
TEXT = (".md", ".py", ".smk", ".rst", ".yaml", ".toml", ".sh", ".js", ".css", ".j2")
KINDS = "|".join(ext[1:] for ext in TEXT if ext != ".toml")
NAMED = re.compile(rf"\b(?:{'|'.join(TOP)})/[A-Za-z0-9_./-]+\.(?:{KINDS})\b")
# files a test or a script writes into a temporary project, named there before they exist
WRITTEN = {"config/cluster_test.yaml"}
SELF = "tests/test_docs.py"  # its own example names a missing file on purpose


def tracked() -> list[str]:
    out = subprocess.run(["git", "ls-files"], cwd=REPO, capture_output=True, text=True, check=True)
    return [
        name
        for name in out.stdout.split()
        if (name.endswith(TEXT) or name == "Snakefile")
        and name != SELF  # SELF names one on purpose
    ]


def test_every_file_the_repository_names_exists():
    missing = [
        f"{name}:{line_no}: {path}"
        for name in tracked()
        for line_no, line in enumerate((REPO / name).read_text().splitlines(), 1)
        for path in NAMED.findall(line)
        if path not in WRITTEN and not (REPO / path).exists()
    ]
    assert missing == []


def test_the_check_finds_a_moved_module():
    line = "the digest (scripts/digest.py) and the report (scripts/report/page.py)"
    assert [p for p in NAMED.findall(line) if not (REPO / p).exists()] == ["scripts/digest.py"]
