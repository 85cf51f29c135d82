"""Measure what a chatty program costs: two runs each writing GB to stdout, their solver.log sizes,
and the peak memory and time of the `runs` stage that reads those logs.

    $ python benchmarks/log_bench.py                 # 2 runs x 2 GiB, log_max_mb 64; a few minutes
    $ python benchmarks/log_bench.py --log-max-mb 4096   # logs kept whole: peak 73 MB, 7.74 s
    log_max_mb 64: 2 runs wrote 2048.0, 2048.0 MiB in 63.2 s (the whole campaign); solver.log
    64.000, 64.000 MiB
    runs stage: peak 73 MB, 1.49 s, logs on disk 128.0 MiB

Each run is the demo solver after `head -c NGiB /dev/zero | tr` through a shell script, in a
temporary copy of the project (`snakemake --cores 1 all`). The runs stage is then run again in a
fresh interpreter, as its job runs it, on the campaign's run.json files: its peak memory is the
child's ru_maxrss. With --log-max-mb above the output the logs stay whole, which shows the
reading alone (it holds 1 MiB of a log at a time).
"""

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO / "scripts"), str(REPO / "tests")]
from workflow_helpers import make_project, snakemake, write_config  # noqa: E402

RUNS_STAGE = """
import sys
sys.path.insert(0, "scripts")
import json, resource, runs
files, pattern = json.loads(sys.argv[1]), sys.argv[2]
runs.main(files, "results/summary/spikes.csv", "bench_runs.csv", [], pattern)
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--gib", type=int, default=2, help="GiB each run writes (default 2)")
    parser.add_argument("--log-max-mb", type=int, default=64)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        project = make_project(Path(tmp) / "p")
        script = project / "chatty.sh"
        script.write_text(
            f"#!/bin/sh\nhead -c {args.gib}G /dev/zero | tr '\\0' x\n"
            'exec python scripts/demo_solver.py "$@"\n'
        )
        script.chmod(0o755)
        write_config(project, {
            "solver": {"command": "./chatty.sh", "env": {"DEMO_SCALE": "0.02"},
                       "log_max_mb": args.log_max_mb, "timeout_s": 600},
            "grid": {"memory_limits_mb": [300], "bucket_models": ["4M/8M/4M"], "repeats": 2},
            "thresholds": [],
        })  # fmt: skip
        started = time.monotonic()
        done = snakemake(project, "--cores", "1", "all", "--configfile", "campaign.yaml")
        wall = time.monotonic() - started
        if done.returncode:
            print(done.stderr[-3000:])
            return 1
        run_files = sorted(project.glob("results/runs/*/*/*/rep*/run.json"))
        logs = [f.with_name("solver.log").stat().st_size for f in run_files]
        written = [json.loads(f.read_text())["output_bytes"] for f in run_files]
        print(
            f"log_max_mb {args.log_max_mb}: {len(run_files)} runs wrote "
            f"{', '.join(f'{w / 2**20:.1f}' for w in written)} MiB in {wall:.1f} s (the whole "
            f"campaign); solver.log {', '.join(f'{n / 2**20:.3f}' for n in logs)} MiB"
        )
        files = json.dumps([str(f.relative_to(project)) for f in run_files])
        started = time.monotonic()
        stage = subprocess.run(
            [sys.executable, "-c", RUNS_STAGE, files, r"Bucket sizes: (\S+)"],
            cwd=project, capture_output=True, text=True,
        )  # fmt: skip
        seconds = time.monotonic() - started
        if stage.returncode:
            print(stage.stderr[-3000:])
            return 1
        peak_mb = int(stage.stdout.split()[-1]) / 1024  # the stage's own ru_maxrss
        print(
            f"runs stage: peak {peak_mb:.0f} MB, {seconds:.2f} s, logs on disk "
            f"{sum(logs) / 2**20:.1f} MiB"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
