"""Time the figures and the HTML report for a default-sized campaign (issue 4: under 15 s).

Builds the default config's campaign (6 limits x 2 models x 3 repeats + 3 threshold runs) from
synthetic demo-solver traces at 10 ms and at 1 ms sampling, then times `scripts/plots.py` and
`scripts/report.py` each in a fresh interpreter, imports included, as a Snakemake job pays them:

    $ python benchmarks/figures_bench.py
    interval  runs  trace rows  plots s  report s
    10 ms       39       ...      ...       ...
"""

import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO / "tests"), str(REPO / "scripts")]

from fixtures_report import default_campaign, write_campaign  # noqa: E402

PLOTS = ("traces", "peak_vs_limit", "stability", "spikes", "thresholds")
PLOTS_CALL = """
import sys; sys.path.insert(0, {scripts!r})
import plots
plots.main({inputs!r}, {outputs!r}, cv_warn_percent=5.0)
"""
REPORT_CALL = """
import sys; sys.path.insert(0, {scripts!r})
import report
report.main({inputs!r}, {html!r}, config={{}}, memsweep_version="bench")
"""


def timed(code: str, cwd: Path) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], cwd=cwd, check=True, capture_output=True)
    return time.perf_counter() - start


def bench(rate_hz: float) -> tuple[int, int, float, float]:
    camp = default_campaign(rate_hz=rate_hz)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        paths = write_campaign(camp, root)
        inputs = {key: str(value) for key, value in paths.items() if key != "traces"}
        inputs["traces"] = [str(p) for p in paths["traces"]]
        outputs = {name: str(root / f"{name}.png") for name in PLOTS}
        plots_s = timed(PLOTS_CALL.format(scripts=str(REPO / "scripts"), **locals()), root)
        report_inputs = {**inputs, "plots": list(outputs.values())}
        report_inputs.pop("traces")
        code = REPORT_CALL.format(
            scripts=str(REPO / "scripts"), inputs=report_inputs, html=str(root / "report.html")
        )
        report_s = timed(code, root)
    rows = sum(len(trace) for trace in camp["traces"].values())
    return len(camp["runs"]), rows, plots_s, report_s


def main() -> None:
    print(f"{'interval':<10}{'runs':>5}{'trace rows':>12}{'plots s':>9}{'report s':>10}")
    for label, rate in (("10 ms", 100.0), ("1 ms", 1000.0)):
        runs, rows, plots_s, report_s = bench(rate)
        print(f"{label:<10}{runs:>5}{rows:>12}{plots_s:>9.2f}{report_s:>10.2f}")


if __name__ == "__main__":
    main()
