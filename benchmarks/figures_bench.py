"""Time the figures job for a default-sized campaign, as the workflow runs it: one fresh
interpreter imports seaborn, pandas and matplotlib, draws every figure, then writes the report.

Builds the default config's campaign (6 limits x 2 models x 3 repeats + 3 threshold runs) from
synthetic demo-solver traces at 10 ms and at 1 ms sampling, and prints the job's wall time, its
imports, each figure and the report:

    $ python benchmarks/figures_bench.py
    interval  runs  trace rows   job s  imports s  overview s  ...  report s
    10 ms       39       ...
"""

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO / "tests"), str(REPO / "scripts")]

import campaign.config  # noqa: E402
import plots  # noqa: E402
from fixtures_report import default_campaign, stage_paths, write_campaign  # noqa: E402

# The figures job's own calls, each timed from inside the interpreter (start-up included in "job").
JOB = """
import json, sys, time
start = time.perf_counter()
sys.path.insert(0, {scripts!r})
import figures, plots
seconds = {{"imports": time.perf_counter() - start}}
draw = plots.draw

def timed(name, *args):
    t = time.perf_counter()
    draw(name, *args)
    seconds[name] = time.perf_counter() - t

plots.draw = timed
t = time.perf_counter()
figures.figures_and_report({paths!r}, {pngs!r}, {html!r}, {config!r}, "bench")
seconds["report"] = time.perf_counter() - t - sum(v for k, v in seconds.items() if k != "imports")
print(json.dumps(seconds))
"""
# the default campaign's config, as the workflow hands it to the job
CONFIG = campaign.config.load(campaign.config.read_config_file(campaign.config.DEFAULT_CONFIG))
NAMES = plots.drawn({})


def bench(rate_hz: float) -> tuple[int, int, float, dict]:
    camp = default_campaign(rate_hz=rate_hz)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        written = write_campaign(camp, root)
        paths = {name: str(path) for name, path in stage_paths(written).items()}
        pngs = {name: str(root / f"{name}.png") for name in NAMES}
        code = JOB.format(scripts=str(REPO / "scripts"), paths=paths, pngs=pngs,
                          html=str(root / "report.html"), config=CONFIG)  # fmt: skip
        start = time.perf_counter()
        proc = subprocess.run([sys.executable, "-c", code], cwd=root, check=True,
                              capture_output=True, text=True)  # fmt: skip
        wall = time.perf_counter() - start
    rows = sum(len(trace) for trace in camp["traces"].values())
    return len(camp["records"]), rows, wall, json.loads(proc.stdout.splitlines()[-1])


def main() -> None:
    names = ["imports", *NAMES, "report"]
    head = f"{'interval':<10}{'runs':>5}{'trace rows':>12}{'job s':>8}"
    print(head + "".join(f"{n + ' s':>16}" for n in names))
    for label, rate in (("10 ms", 100.0), ("1 ms", 1000.0)):
        runs, rows, wall, seconds = bench(rate)
        line = f"{label:<10}{runs:>5}{rows:>12}{wall:>8.2f}"
        print(line + "".join(f"{seconds[n]:>16.2f}" for n in names))


if __name__ == "__main__":
    main()
