"""Measure memsweep at scale: overhead per run, planning time, a 1,000-run campaign, aggregation.

Each part runs the real workflow in a temporary copy of the project and prints its figures:

    $ python benchmarks/scale_bench.py                  # every part, about 15 minutes
    $ python benchmarks/scale_bench.py overhead plan    # some parts
    overhead  100 runs  wall 36.5 s  runs 7.1 s  overhead 0.294 s/run  (the analysis alone: 17.7 s)
    ...

A machine shared with other work makes every wall time noisy: the parts that time something
short time it REPEAT times and print the least (the quiet figure) and the spread (min-max).

- overhead: 100 tiny runs (DEMO_SCALE 0.01: 10 limits x 2 models x 5 repeats), `snakemake
  --cores 1 all` from nothing: wall time, the sum of the runs' durations (runs.csv), and
  (wall - runs) / runs. Also the fixed cost: the analysis jobs alone (`--forcerun summary`).
- default: the default campaign (39 runs at full scale): wall time / sum of run durations, and
  the seconds from the last run's end to the campaign's; then the analysis tail: with every
  run present and the summaries, figures and report deleted, `snakemake --cores 1 all` (what
  follows the last run of a campaign, Snakemake's own start included).
- true: what a run costs beyond its program: 50 runs of `true`, `snakemake --cores 1 all`, less
  the analysis alone, per run; beside it the run wrapper alone on `true` (memsweep's own part:
  its interpreter, the sampler, the files it writes; as the environment has it, and with
  Python's bytecode caches) and a trivial Snakefile's 50 jobs that
  each run `true` (Snakemake's own part).
- plan: `snakemake -n` of 1,000 and 10,000 runs: seconds and peak memory, beside a trivial
  Snakefile's dry run of as many jobs, and of as many jobs shaped as the monitor rule (four
  outputs, a log, three resources, its shell line): Snakemake's own cost of that shape.
- k1000: 25 limits x 4 models x 10 repeats of tiny runs: wall time, overhead per run, the size
  of results/report.html, and how long headless Chromium takes to load it until the trace
  explorer has drawn (Debian's chromium; the part says so when it is missing).
- aggregate: 1,000,000 trace samples (100 runs of 10,000) through the analysis, each job (the
  summary; the figures job's verdicts, every figure of the default config and the report) in a
  fresh interpreter, through the function the workflow's job runs: seconds per job and in all.
"""

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

import pandas as pd

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO / "scripts"), str(REPO / "tests")]
from tables import rundir  # noqa: E402
from workflow_helpers import make_project, write_config  # noqa: E402

TINY = {"solver": {"env": {"DEMO_SCALE": "0.01"}}, "thresholds": []}
REPEAT = 3
# A trivial workflow of N jobs, one per file, each running `true`: Snakemake's own cost per job.
TRIVIAL = """
rule all:
    input: expand("out/{{i}}.txt", i=range({n}))

rule one:
    output: "out/{{i}}.txt"
    shell: "true; touch {{output}}"
"""
# The same jobs with the monitor rule's shape: its four outputs, its log, its three resources (one
# a function) and its shell line. Beside TRIVIAL, what Snakemake itself charges for that shape.
SHAPED = """
def mem(wildcards):
    return int(wildcards.i) % 100 + 300


rule all:
    input: expand("out/{{i}}/run.json", i=range({n}))

rule one:
    output:
        trace="out/{{i}}/trace.csv",
        solver_log="out/{{i}}/solver.log",
        run="out/{{i}}/run.json",
        benchmark="out/{{i}}/benchmark.tsv",
    log: "logs/{{i}}.log"
    resources:
        measurement_slots=1,
        mem_mb=mem,
        runtime=8,
    params:
        wrapper="scripts/monitor.py",
        run_dir="out/{{i}}",
    shell:
        "python -S {{params.wrapper}} --run-dir {{params.run_dir}} --limit-mb {{wildcards.i}}"
        " --bucket-model auto --repeat {{wildcards.i}} --log {{log}}"
"""


def project(dest: Path, overlay: dict | None = None) -> Path:
    """A copy of the workflow in dest, with overlay as campaign.yaml."""
    make_project(dest)
    if overlay is not None:
        write_config(dest, overlay)
    return dest


# Runs a command and prints the peak memory (kB) of it and its children: a child of its own per
# call, so the peak is this command's and not an earlier part's.
PEAK_OF = (
    "import resource, subprocess, sys; code = subprocess.run(sys.argv[1:]).returncode; "
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr); "
    "sys.exit(code)"
)


def snakemake(folder: Path, *args: str) -> tuple[float, int]:
    """Seconds and peak memory (kB) of `snakemake ARGS` in folder (failing loudly)."""
    extra = ["--configfile", "campaign.yaml"] if (folder / "campaign.yaml").exists() else []
    cmd = [sys.executable, "-m", "snakemake", *args, *extra]
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-c", PEAK_OF, *cmd], cwd=folder, capture_output=True, text=True
    )
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"snakemake {' '.join(args)} failed:\n{proc.stderr[-3000:]}")
    return seconds, int(proc.stderr.splitlines()[-1])


def repeated(measure) -> str:
    """'least s (spread min-max)' of REPEAT calls of measure() -> seconds."""
    seconds = [measure() for _ in range(REPEAT)]
    return f"{min(seconds):.2f} s (spread {min(seconds):.2f}-{max(seconds):.2f})"


def trivial(folder: Path, n: int, template: str = TRIVIAL) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "Snakefile").write_text(template.format(n=n))
    return folder


def clear_analysis(folder: Path) -> None:
    for path in ("results/summary", "results/plots"):
        shutil.rmtree(folder / path, ignore_errors=True)
    (folder / "results/report.html").unlink(missing_ok=True)


def run_seconds(folder: Path) -> tuple[int, float]:
    runs = pd.read_csv(folder / "results/summary/runs.csv")
    return len(runs), float(runs["duration_s"].sum())


def tiny_grid(limits: int, models: int, repeats: int) -> dict:
    models_list = ["2M/4M/2M", "4M/8M/4M", "8M/8M/8M", "2M/2M/2M", "4M/4M/4M"][:models]
    grid = {"memory_limits_mb": [300 + 25 * i for i in range(limits)],
            "bucket_models": models_list, "repeats": repeats}  # fmt: skip
    return {**TINY, "grid": grid}


def part_overhead(tmp: Path) -> None:
    folder = project(tmp / "overhead", tiny_grid(10, 2, 5))
    wall, _ = snakemake(folder, "--cores", "1", "all")
    n, runs = run_seconds(folder)
    fixed, _ = snakemake(folder, "--cores", "1", "all", "--forcerun", "summary")
    print(
        f"overhead  {n} runs  wall {wall:.1f} s  runs {runs:.1f} s  "
        f"overhead {(wall - runs) / n:.3f} s/run  (the analysis alone: {fixed:.1f} s)"
    )


def last_run_end(folder: Path) -> float:
    """The epoch seconds at which the campaign's last run ended (run.json: start + duration)."""
    runs = [rundir.read_run(path) for path in (folder / "results/runs").glob("**/run.json")]
    return max(datetime.fromisoformat(r["started_at"]).timestamp() + r["duration_s"] for r in runs)


def part_default(tmp: Path) -> None:
    folder = project(tmp / "default")
    wall, _ = snakemake(folder, "--cores", "1", "all")
    ended = time.time()
    n, runs = run_seconds(folder)
    print(
        f"default   {n} runs  wall {wall:.1f} s  runs {runs:.1f} s  ratio {wall / runs:.3f}  "
        f"(from the last run's end to the campaign's: {ended - last_run_end(folder):.1f} s)"
    )

    def tail() -> float:
        clear_analysis(folder)
        return snakemake(folder, "--cores", "1", "all")[0]

    print(f"tail      analysis after the last run of the default campaign: {repeated(tail)}")


def part_true(tmp: Path) -> None:
    n = 50
    grid = {"memory_limits_mb": [100 + i for i in range(10)], "bucket_models": ["auto"],
            "repeats": n // 10}  # fmt: skip
    folder = project(tmp / "true", {"solver": {"command": "true"}, "thresholds": [], "grid": grid})
    wall, _ = snakemake(folder, "--cores", "1", "all")
    fixed, _ = snakemake(folder, "--cores", "1", "all", "--forcerun", "summary")
    launch = next((folder / "results/runs").glob("*/launch.json"))
    wrapper = [sys.executable, "-S", str(folder / "scripts/monitor.py"), "--launch",
               str(launch), "--limit-mb", "100", "--bucket-model", "auto",
               "--repeat", "1"]  # fmt: skip

    def alone(env: dict | None = None) -> float:
        shutil.rmtree(tmp / "true-alone", ignore_errors=True)
        start = time.perf_counter()
        args = ["--run-dir", str(tmp / "true-alone"), "--log", str(tmp / "true-alone.log")]
        subprocess.run([*wrapper, *args], cwd=folder, check=True, capture_output=True, env=env)
        return time.perf_counter() - start

    # Python's default: bytecode caches, written on the first run (in a folder of their own,
    # not the project's); with PYTHONDONTWRITEBYTECODE set (this project's machine sets it),
    # every run compiles the wrapper's modules again
    cached = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    cached["PYTHONPYCACHEPREFIX"] = str(tmp / "pycache")
    alone(cached)

    plain = trivial(tmp / "true-trivial", n)

    def snakemake_alone() -> float:
        shutil.rmtree(plain / "out", ignore_errors=True)
        return snakemake(plain, "--cores", "1", "all")[0] / n

    print(
        f"true      {n} runs of `true`: {(wall - fixed) / n:.3f} s/run in the workflow; the run "
        f"wrapper alone {repeated(alone)} (with bytecode caches: {repeated(lambda: alone(cached))}"
        f"); a trivial Snakefile's job {repeated(snakemake_alone)}"
    )


def part_plan(tmp: Path) -> None:
    for limits, models, repeats in ((25, 4, 10), (100, 10, 10)):
        models_list = [f"{a}M/{b}M/{a}M" for a in (1, 2, 4, 8, 16) for b in (4, 8)][:models]
        grid = {"memory_limits_mb": list(range(300, 300 + 10 * limits, 10)),
                "bucket_models": models_list, "repeats": repeats}  # fmt: skip
        folder = project(tmp / f"plan{limits}", {**TINY, "grid": grid})
        seconds, peak_kb = snakemake(folder, "-n", "--cores", "1", "all", "--quiet", "rules")
        n = limits * models * repeats
        plain = trivial(tmp / f"trivial{n}", n)
        base, _ = snakemake(plain, "-n", "--cores", "1", "all", "--quiet", "rules")
        shaped = trivial(tmp / f"shaped{n}", n, SHAPED)
        shape, _ = snakemake(shaped, "-n", "--cores", "1", "all", "--quiet", "rules")
        print(
            f"plan      {n} runs  dry run {seconds:.1f} s  peak memory {peak_kb / 1024:.0f} MB  "
            f"(a trivial Snakefile of {n} jobs: {base:.1f} s, ratio {seconds / base:.2f}; its "
            f"jobs with the monitor rule's shape: {shape:.1f} s, ratio {seconds / shape:.2f})"
        )


def chromium_load(page: Path) -> str:
    browser = shutil.which("chromium")
    if browser is None:
        return "no chromium here to open it"
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
             "--disable-component-update", "--disable-sync", "--no-first-run"]  # fmt: skip
    with tempfile.TemporaryDirectory() as profile:
        start = time.perf_counter()
        proc = subprocess.run(
            [browser, *flags, f"--user-data-dir={profile}", "--dump-dom", page.as_uri()],
            capture_output=True, text=True, timeout=300,
        )  # fmt: skip
        seconds = time.perf_counter() - start
    state = re.search(r'<div id="explorer"[^>]*data-state="(\w+)"', proc.stdout)
    return f"Chromium loaded it in {seconds:.1f} s (explorer {state[1] if state else 'absent'})"


def part_k1000(tmp: Path) -> None:
    folder = project(tmp / "k1000", tiny_grid(25, 4, 10))
    wall, _ = snakemake(folder, "--cores", "1", "all")
    n, runs = run_seconds(folder)
    page = folder / "results/report.html"
    print(
        f"k1000     {n} runs  wall {wall:.1f} s  runs {runs:.1f} s  "
        f"overhead {(wall - runs) / n:.3f} s/run  report {page.stat().st_size / 2**20:.1f} MB  "
        f"{chromium_load(page)}"
    )


# Each analysis job as the workflow runs it: the summary job's main, then the figures job's
# (the verdicts, every figure the default config draws, the report).
STAGE_CALLS = {
    "summary": "import summary\n"
               "summary.main({'traces': P['trace_files'], 'runs': P['run_files'], 'seeds': [],"
               " 'phases': []}, {k: P[k] for k in ('spikes', 'runs', 'variance', 'thresholds',"
               " 'digest')}, {'spikes': SPIKES, 'membership': C['membership'], 'report_pattern':"
               " PATTERN, 'mad_threshold': 3.5, 'outlier_min_percent': 1.0, 'thresholds': [],"
               " 'variants': C['variants'], 'seeds': {}, 'phase_pattern': None})",
    "figures and report": "import campaign.config as cc, figures, plots\n"
                          "cfg = cc.load(cc.read_config_file(cc.DEFAULT_CONFIG))\n"
                          "figures.figures_and_report(S, {n: f'{n}.png' for n in"
                          " plots.drawn(cfg)}, 'r.html', cfg, 'b')",
}  # fmt: skip


def part_aggregate(tmp: Path) -> None:
    import fixtures_report as fx

    camp = fx.make_campaign(limits=tuple(range(300, 800, 50)), models=("4M/8M/4M",),
                            repeats=10, thresholds=(), failures=False,
                            rate_hz=1000.0)  # fmt: skip
    for run_dir, trace in camp["traces"].items():  # stretch each run to 10,000 samples
        times = pd.Series(range(10_000)) / 1000.0
        rss = trace["vmrss_kb"].reindex(range(10_000), method="ffill").ffill()
        camp["traces"][run_dir] = (
            trace.reindex(range(10_000)).ffill().assign(time_s=times, vmrss_kb=rss.astype(int))
        )
    for record in camp["records"]:
        record["samples"] = 10_000
    root = tmp / "aggregate"
    paths = fx.write_campaign(camp, root)
    plain = {k: [str(x) for x in v] if isinstance(v, list) else str(v) for k, v in paths.items()}
    config = {"membership": camp["membership"], "variants": list(camp["variants"])}
    (root / "bench.json").write_text(json.dumps({"P": plain, "C": config}))
    setup = (
        f"import sys, json; sys.path[:0] = [{str(REPO / 'scripts')!r}, {str(REPO / 'tests')!r}]\n"
        "import fixtures_report as fx; SPIKES = fx.SPIKES; PATTERN = fx.PATTERN\n"
        "B = json.load(open('bench.json')); P = B['P']; C = B['C']\n"
        "S = {k: P[k] for k in ('runs', 'spikes', 'variance', 'thresholds', 'verdicts',"
        " 'digest')}\n"
    )
    total, parts = 0.0, []
    for name, call in STAGE_CALLS.items():
        start = time.perf_counter()
        proc = subprocess.run([sys.executable, "-c", setup + call], cwd=root,
                              capture_output=True, text=True)  # fmt: skip
        if proc.returncode:
            raise SystemExit(f"aggregate: {name} failed:\n{proc.stderr[-2000:]}")
        seconds = time.perf_counter() - start
        total += seconds
        parts.append(f"{name} {seconds:.1f} s")
    samples = sum(len(t) for t in camp["traces"].values())
    print(
        f"aggregate {samples} samples in {len(camp['records'])} runs: {total:.1f} s  "
        f"({', '.join(parts)})"
    )


PARTS = {"overhead": part_overhead, "default": part_default, "true": part_true,
         "plan": part_plan, "k1000": part_k1000, "aggregate": part_aggregate}  # fmt: skip


def main(argv: list[str]) -> None:
    chosen = argv or list(PARTS)
    unknown = [p for p in chosen if p not in PARTS]
    if unknown:
        raise SystemExit(f"unknown part(s) {unknown}; choose from {list(PARTS)}")
    with tempfile.TemporaryDirectory() as tmp:
        for name in chosen:
            PARTS[name](Path(tmp))


if __name__ == "__main__":
    main(sys.argv[1:])
