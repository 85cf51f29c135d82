"""Time each figure and the HTML report for a default-sized campaign, as the workflow runs them.

Builds the default config's campaign (6 limits x 2 models x 3 repeats + 3 threshold runs) from
synthetic demo-solver traces at 10 ms and at 1 ms sampling, then times each figure's job
(scripts/draw_figure.py) and the report (scripts/report.py), each in a fresh interpreter,
imports included, as a Snakemake job pays them:

    $ python benchmarks/figures_bench.py
    interval  runs  trace rows  traces s  peak_vs_limit s  ...  report s
    10 ms       39       ...
"""

import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO / "tests"), str(REPO / "scripts")]

import figures  # noqa: E402
from fixtures_report import default_campaign, stage_paths, write_campaign  # noqa: E402

FIGURE_CALL = """
import sys; sys.path.insert(0, {scripts!r})
import draw_figure
draw_figure.main({name!r}, {paths!r}, {{"cv_warn_percent": 5.0}}, {out!r})
"""
REPORT_CALL = """
import sys; sys.path.insert(0, {scripts!r})
import report
report.main({paths!r}, {pngs!r}, {html!r}, {config!r}, "bench")
"""
CONFIG = {"variance": {"cv_warn_percent": 5, "mad_threshold": 3.5},
          "spikes": {"min_increase_mb": 20, "window_s": 1.0}}  # fmt: skip


def timed(code: str, cwd: Path) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], cwd=cwd, check=True, capture_output=True)
    return time.perf_counter() - start


def bench(rate_hz: float) -> tuple[int, int, list[float]]:
    camp = default_campaign(rate_hz=rate_hz)
    scripts = str(REPO / "scripts")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        written = write_campaign(camp, root)
        paths = {name: str(path) for name, path in stage_paths(written).items()}
        pngs = {name: str(root / f"{name}.png") for name in figures.FIGURES}
        seconds = [
            timed(FIGURE_CALL.format(scripts=scripts, name=n, paths=paths, out=pngs[n]), root)
            for n in figures.FIGURES
        ]
        html = str(root / "report.html")
        code = REPORT_CALL.format(scripts=scripts, paths=paths, pngs=pngs, html=html, config=CONFIG)
        seconds.append(timed(code, root))
    rows = sum(len(trace) for trace in camp["traces"].values())
    return len(camp["records"]), rows, seconds


def main() -> None:
    names = [*figures.FIGURES, "report"]
    print(
        f"{'interval':<10}{'runs':>5}{'trace rows':>12}" + "".join(f"{n + ' s':>17}" for n in names)
    )
    for label, rate in (("10 ms", 100.0), ("1 ms", 1000.0)):
        runs, rows, seconds = bench(rate)
        print(f"{label:<10}{runs:>5}{rows:>12}" + "".join(f"{s:>17.2f}" for s in seconds))


if __name__ == "__main__":
    main()
