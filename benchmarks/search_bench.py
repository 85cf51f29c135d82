"""Evidence for the searches: each case is a real campaign, run by the workflow in a temporary
copy of the project, then checked by hand outside it. Prints what each search found and cost:

    $ python benchmarks/search_bench.py                # all three cases, a few minutes
    $ python benchmarks/search_bench.py min_memory     # one case: switch, min_memory or xz
    == switch: the demo solver, model auto, 300-1500 MB (DEMO_SCALE 0.02, enforce none)
    search                 outcome  MB    below -> at            documented  runs  reused  steps
    switch_auto_300-1500   found    500   2M/4M/2M -> 4M/8M/4M               ...
    ...

- switch: the demo solver's automatic model table (500 and 1000 MB), with the default config's
  documented threshold at 1000 MB, whose three runs the search reuses.
- min_memory: the demo solver with 8M/8M/8M and 4M/8M/4M under `enforce: cgroup` at DEMO_SCALE
  0.05 (tens of MB); then, by hand, five runs each at the MB found and one MB below it.
- xz: `xz -9` through benchmarks/xz_limited.sh with --memlimit-compress={memory_mb}MiB, switch
  search over 650-700 MiB with the documented 674 MiB (xz -vv: "674 MiB of memory is required")
  as a threshold; then, by hand, xz itself one MiB below and at each switch found.
"""

import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO / "tests"), str(REPO / "scripts")]

import pandas as pd  # noqa: E402

import tables  # noqa: E402
from workflow_helpers import make_project, snakemake, write_config  # noqa: E402

XZ_PATTERN = r"(?:dict=|MiB to )(\d+) ?MiB"
CASES = {
    "switch": (
        "the demo solver, model auto, 300-1500 MB (DEMO_SCALE 0.02, enforce none)",
        {
            "solver": {"env": {"DEMO_SCALE": "0.02"}, "timeout_s": 60},
            "grid": {"memory_limits_mb": [478, 823, 1005], "bucket_models": ["auto"],
                     "repeats": 1},
            "search": [{"kind": "switch", "low_mb": 300, "high_mb": 1500}],
        },
    ),
    "min_memory": (
        "the demo solver, 8M/8M/8M and 4M/8M/4M, 10-200 MB (DEMO_SCALE 0.05, enforce cgroup)",
        {
            "solver": {"env": {"DEMO_SCALE": "0.05"}, "timeout_s": 60},
            "grid": {"memory_limits_mb": [200], "bucket_models": ["8M/8M/8M"], "repeats": 1},
            "limits": {"enforce": "cgroup"},
            "thresholds": [],
            "search": [
                {"kind": "min_memory", "bucket_model": "8M/8M/8M", "low_mb": 10, "high_mb": 200},
                {"kind": "min_memory", "bucket_model": "4M/8M/4M", "low_mb": 10, "high_mb": 200},
            ],
        },
    ),
    "xz": (
        "xz -9 --memlimit-compress={memory_mb}MiB through a shell wrapper, 650-700 MiB",
        {
            "solver": {"command": "benchmarks/xz_limited.sh {memory_mb}", "timeout_s": 60,
                       "report_pattern": XZ_PATTERN},
            "grid": {"memory_limits_mb": [674], "bucket_models": ["auto"], "repeats": 1},
            "thresholds": [{"memory_mb": 674, "bucket_model": "auto",
                            "expected": {"below": "63", "at": "64", "above": "64"}}],
            "search": [{"kind": "switch", "low_mb": 650, "high_mb": 700, "repeats": 2}],
        },
    ),
}  # fmt: skip
HAND_RUNS = 5


def run_campaign(project: Path, config: dict) -> float:
    write_config(project, config)
    start = time.monotonic()
    proc = snakemake(project, "--cores", "2", "all", "--configfile", "campaign.yaml", timeout=3600)
    if proc.returncode:
        sys.exit(f"the campaign failed:\n{proc.stderr[-3000:]}")
    return time.monotonic() - start


def print_search(project: Path) -> list[dict]:
    found = tables.SEARCH.read(project / tables.SEARCH.path)
    print(
        f"{'search':30} {'outcome':9} {'MB':>5}  {'below -> at':26} documented  runs  reused  steps"
    )
    for r in found.to_dict("records"):
        mb = "" if pd.isna(r["result_mb"]) else r["result_mb"]
        doc = "" if pd.isna(r["documented_mb"]) else r["documented_mb"]
        sides = f"{r['below']} -> {r['at']}"
        print(f"{r['search']:30} {r['outcome']:9} {mb!s:>5}  {sides:26} {doc!s:>10}  "
              f"{r['probes']:4}  {r['reused']:6}  {r['steps']:5}")  # fmt: skip
    verdicts = tables.VERDICTS.read(project / tables.VERDICTS.path)
    for v in verdicts[verdicts["kind"] == "search"].itertuples():
        print(f"  verdict {v.level}: {v.subject}: {v.message}")
    return found.to_dict("records")


def demo_by_hand(project: Path, model: str, limit: int) -> str:
    """HAND_RUNS runs of the demo solver under a cgroup at limit, outside the workflow."""
    statuses = []
    for i in range(HAND_RUNS):
        run_dir = project / "by_hand" / f"{limit}-{model.replace('/', '-')}-{i}"
        proc = subprocess.run(
            [sys.executable, "scripts/monitor.py", "--run-dir", str(run_dir),
             "--limit-mb", str(limit), "--bucket-model", model, "--enforce", "cgroup",
             "--env", "DEMO_SCALE=0.05", "--", sys.executable, "scripts/demo_solver.py"],
            cwd=project, capture_output=True, text=True, check=True,
        )  # fmt: skip
        statuses.append(proc.stdout.split(":")[0])
    return ", ".join(statuses)


def xz_by_hand(limit: int) -> str:
    with tempfile.TemporaryDirectory() as tmp:
        proc = subprocess.run([str(REPO / "benchmarks/xz_limited.sh"), str(limit)], cwd=tmp,
                              capture_output=True, text=True, check=True)  # fmt: skip
    return re.findall(XZ_PATTERN, proc.stderr)[-1] + " MiB dictionary"


def main(names: list[str]) -> None:
    for name in names:
        what, config = CASES[name]
        print(f"\n== {name}: {what}")
        with tempfile.TemporaryDirectory() as tmp:
            project = make_project(Path(tmp) / "project")
            shutil.copytree(REPO / "benchmarks", project / "benchmarks")
            wall = run_campaign(project, config)
            found = print_search(project)
            print(f"  campaign wall time {wall:.0f} s (grid, thresholds and searches)")
            for r in found:
                if r["kind"] == "min_memory" and r["outcome"] in ("found", "flaky"):
                    mb = int(r["result_mb"])
                    for limit in (mb - 1, mb):
                        statuses = demo_by_hand(project, r["bucket_model"], limit)
                        print(f"  by hand, {r['bucket_model']} at {limit} MB: {statuses}")
                if name == "xz" and r["outcome"] == "found":
                    mb = int(r["result_mb"])
                    print(f"  by hand, xz at {mb - 1} MiB: {xz_by_hand(mb - 1)}; at {mb} MiB: "
                          f"{xz_by_hand(mb)}")  # fmt: skip


if __name__ == "__main__":
    main(sys.argv[1:] or list(CASES))
