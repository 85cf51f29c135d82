"""Evidence for the comparison's decision rule, from real campaigns of the demo solver.

Runs the workflow in temporary copies of the project (one measured run at a time, as the
default profile says) and prints what compare.csv concluded:

- false alarms: two identical variants over the default grid (6 limits x 2 models, 3 repeats,
  the 1000 MB threshold check), campaign repeated --repetitions times: configurations called
  regression or improvement (the goal is 0);
- detection: variants allocating 1% and 3% more (DEMO_SCALE x 1.01 and x 1.03) against the
  base, at 3 repeats and then 5 (the two extra repeats run incrementally): configurations called
  regression, with the default thresholds and with a lower one (a compare setting: no program
  reruns);
- status and threshold: under limits.enforce cgroup, a variant allocating 3x as much (OOM-killed
  at 100 MB where the base fits) and a variant forcing the 4M/8M/4M model (its threshold check
  fails at 1000 MB): both must be regressions, and the gate must exit 1;
- time: comparing two finished default-size campaigns (39 runs each): the compare stage, and
  `snakemake all` after setting compare.baseline to the other campaign's results folder.

    $ python benchmarks/compare_bench.py --scale 0.25          # about 25 minutes here
    $ python benchmarks/compare_bench.py --only status,time    # a part

DEMO_SCALE (default 0.25) scales every allocation of the demo solver, to keep the campaigns
affordable; the interpreter's ~10 MB do not scale, so a variant allocating 1% more raises the
peak by a little less than 1%.
"""

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO / "tests"), str(REPO / "scripts")]

from workflow_helpers import make_project, planned_jobs, snakemake  # noqa: E402

CALLED = ["regression", "improvement"]


def run(project: Path, cfg: dict, *extra: str) -> float:
    """snakemake all with cfg as the overlay; seconds taken (fails loudly)."""
    (project / "bench.yaml").write_text(yaml.safe_dump(cfg, sort_keys=False))
    start = time.perf_counter()
    proc = snakemake(project, "--cores", "2", "all", "--configfile", "bench.yaml", *extra,
                     timeout=3600)  # fmt: skip
    if proc.returncode != 0:
        sys.exit(f"snakemake failed in {project}:\n{proc.stderr[-3000:]}")
    return time.perf_counter() - start


def compared(project: Path) -> pd.DataFrame:
    return pd.read_csv(project / "results/summary/compare.csv")


def tally(table: pd.DataFrame) -> str:
    counts = table["verdict"].value_counts()
    return ", ".join(f"{counts[v]} {v}" for v in counts.index)


def false_alarms(tmp: Path, scale: float, repetitions: int) -> None:
    print(f"== false alarms: two identical variants, default grid, 3 repeats, scale {scale}")
    project = make_project(tmp / "false_alarms")
    env = {"DEMO_SCALE": str(scale)}
    cfg = {"solver": {"env": env}, "variants": {"a": {}, "b": {}}, "compare": {"baseline": "a"}}
    total = 0
    for i in range(1, repetitions + 1):
        shutil.rmtree(project / "results", ignore_errors=True)
        seconds = run(project, cfg)
        table = compared(project)
        tested = table[table["p_value"].notna()]
        called = int(table["verdict"].isin(CALLED).sum())
        total += called
        print(f"campaign {i}: {called} of {len(table)} configurations called regression or "
              f"improvement ({tally(table)}); largest |change| "
              f"{tested['diff_percent'].abs().max():.3f}%, smallest adjusted p "
              f"{tested['p_adjusted'].min():.2g}; {seconds:.0f} s")  # fmt: skip
        for r in table[table["verdict"] != "unchanged"].itertuples():
            print(f"  {r.variant} {r.limit_mb} MB {r.bucket_model}: {r.verdict}: {r.reason}")
    print(f"false alarms: {total} in {repetitions} campaigns")


def detection(tmp: Path, scale: float) -> None:
    print(f"== detection: variants allocating 1% and 3% more, default grid, scale {scale}")
    project = make_project(tmp / "detection")
    cfg = {
        "solver": {"env": {"DEMO_SCALE": str(scale)}},
        "variants": {"base": {}, "plus1": {"env": {"DEMO_SCALE": f"{scale * 1.01:.6g}"}},
                     "plus3": {"env": {"DEMO_SCALE": f"{scale * 1.03:.6g}"}}},
        "compare": {"baseline": "base"},
    }  # fmt: skip
    for repeats in (3, 5):
        cfg["grid"] = {"repeats": repeats}
        seconds = run(project, {**cfg, "compare": {"baseline": "base"}})
        for thresholds in ({}, {"min_change_percent": 0.5, "min_change_mb": 0.25}):
            if thresholds:
                run(project, {**cfg, "compare": {"baseline": "base", **thresholds}})
            table = compared(project)
            grid = table[table["n_baseline"] >= 2]
            label = ", ".join(f"{k} {v}" for k, v in thresholds.items()) or "default thresholds"
            for variant in ("plus1", "plus3"):
                mine = grid[grid["variant"] == variant]
                hits = int((mine["verdict"] == "regression").sum())
                low, high = mine["diff_percent"].min(), mine["diff_percent"].max()
                print(f"n={repeats} {label:<40} {variant}: {hits} of {len(mine)} grid "
                      f"configurations called regression ({tally(mine)}); peak change "
                      f"{low:+.2f}% to {high:+.2f}%")  # fmt: skip
        print(f"(n={repeats} campaign: {seconds:.0f} s)")


def status_and_threshold(tmp: Path) -> None:
    print("== status and threshold changes under limits.enforce: cgroup")
    project = make_project(tmp / "status")
    cfg = {
        "solver": {"env": {"DEMO_SCALE": "0.3"}},
        "variants": {
            "base": {},
            "hungry": {"env": {"DEMO_SCALE": "0.9"}},
            "offbyone": {"command": "python scripts/demo_solver.py --bucket-model 4M/8M/4M"},
        },
        "grid": {"memory_limits_mb": [100, 400], "bucket_models": ["4M/8M/4M"], "repeats": 3},
        "limits": {"enforce": "cgroup"},
        "compare": {"baseline": "base"},
    }
    run(project, cfg)
    table = compared(project)
    changed = table[table["verdict"] != "unchanged"]
    for r in changed.itertuples():
        print(f"{r.variant} {r.limit_mb} MB {r.bucket_model}: {r.verdict}: {r.reason}")
    gate = subprocess.run([sys.executable, "scripts/compare_gate.py"], cwd=project,
                          capture_output=True, text=True)  # fmt: skip
    print(f"gate exit status: {gate.returncode}")


def timing(tmp: Path, scale: float) -> None:
    print(f"== time: comparing two finished default-size campaigns (39 runs each, scale {scale})")
    project = make_project(tmp / "time")
    cfg = {"solver": {"env": {"DEMO_SCALE": str(scale)}}}
    first = run(project, cfg)
    shutil.copytree(project / "results", tmp / "time-baseline")
    shutil.rmtree(project / "results")  # the second campaign from scratch
    second = run(project, cfg)
    print(f"campaigns: {first:.0f} s and {second:.0f} s")
    baseline = str(tmp / "time-baseline")
    with_compare = {**cfg, "compare": {"baseline": baseline}}
    (project / "bench.yaml").write_text(yaml.safe_dump(with_compare, sort_keys=False))
    print(f"planned: {planned_jobs(project, '--configfile', 'bench.yaml')}")
    seconds = run(project, with_compare)
    print(f"snakemake all after setting compare.baseline (compare, summary, verdicts, 2 "
          f"figures, report, DAG; no run): {seconds:.1f} s")  # fmt: skip
    code = (f"import sys; sys.path.insert(0, {str(REPO / 'scripts')!r}); import compare; "
            f"compare.main('results/summary/runs.csv', 'results/summary/thresholds.csv', "
            f"{{'compare': '/dev/null', 'compare_runs': '/dev/null', 'compare_env': '/dev/null'}}, "
            f"{{}}, "
            f"{baseline!r}, ['default'])")  # fmt: skip
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], cwd=project, check=True, capture_output=True)
    stage = time.perf_counter() - start
    print(f"the compare stage alone (a fresh interpreter, imports included): {stage:.2f} s")
    print(f"result: {tally(compared(project))}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=0.25, help="DEMO_SCALE of the base")
    parser.add_argument("--repetitions", type=int, default=5, help="false-alarm campaigns")
    parser.add_argument("--only", default="false_alarms,detection,status,time")
    args = parser.parse_args()
    parts = set(args.only.split(","))
    with tempfile.TemporaryDirectory(prefix="compare-bench-") as name:
        tmp = Path(name)
        if "false_alarms" in parts:
            false_alarms(tmp, args.scale, args.repetitions)
        if "detection" in parts:
            detection(tmp, args.scale)
        if "status" in parts:
            status_and_threshold(tmp)
        if "time" in parts:
            timing(tmp, args.scale)


if __name__ == "__main__":
    main()
