"""Check a memsweep campaign that ran on SLURM, and set sacct's MaxRSS beside memsweep's peaks.

Run by tests/slurm/run_cluster_test.sh inside the campaign's folder, after the cluster run:

    $ python tests/slurm/check_campaign.py --node vm --expect-runs 7 [--compare-with ../local]
    limit  model     rep  status  peak_mb  node  job  step0_maxrss_mb  batch_maxrss_mb  ...
    478    4M-8M-4M  1    ok      32.5     vm    7    215.1            151.9            ...
    ...
    cluster check: 7 runs, all checks passed

Checks: results/summary/runs.csv has tests/contracts.py's RUN_COLUMNS in order and one row per
expected run, every run is "ok"; every run.json names the SLURM node as its hostname; every run
has a completed SLURM job (found by the executor's --comment "rule_monitor_wildcards_V_L_M_R") on
that node; the other tables, figures and the report exist; threshold verdicts are PASS. With
--compare-with DIR (a local run of the same config), both have the same files, the same table
columns and the same runs with the same status and reported_config. Exit status 1 on any failure.

sacct's MaxRSS is per job step, polled every second (JobAcctGatherFrequency=task=1): step 0 is
the job's inner `snakemake` process plus the wrapper, the sampler and the solver; the batch step
is the executor's own `snakemake`. memsweep's peak_mb is the solver's process tree only.
"""

import argparse
import csv
import json
import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(REPO / "tests"), str(REPO / "scripts")]  # the written contract, the registry
from contracts import RUN_COLUMNS  # noqa: E402
from plots import drawn  # noqa: E402

TABLES = ("runs", "spikes", "variance", "thresholds", "verdicts")
COMMENT_RE = re.compile(r"^rule_monitor_wildcards_(.+?)_(\d+)_(.+)_(\d+)$")
RULE_RE = re.compile(r"^rule_([a-z_]+?)(?:_wildcards_.*)?$")
SACCT_FIELDS = "JobID,Comment,NodeList,State,MaxRSS,Elapsed"


def read_csv(path):
    with open(path, newline="") as fh:
        reader = csv.DictReader(fh)
        return list(reader.fieldnames or []), list(reader)


def rss_mb(text):
    """sacct's MaxRSS ('95320K', '1.5G', '0', '') in MB, or None when empty."""
    text = text.strip()
    if not text:
        return None
    scale = {"K": 1 / 1024, "M": 1.0, "G": 1024.0, "T": 1024.0**2}
    if text[-1] in scale:
        return float(text[:-1]) * scale[text[-1]]
    return float(text) / 2**20  # plain bytes


def parse_sacct(text):
    """Monitor jobs {(variant, limit, model_slug, repeat): info}, other jobs {rule: [info, ...]};
    info has "job", "node", "state", "elapsed", "batch" and "step0" (MaxRSS in MB)."""
    jobs, others, steps = {}, {}, {}
    for line in text.splitlines():
        parts = line.split("|")
        if len(parts) != len(SACCT_FIELDS.split(",")):
            continue
        job_id, comment, node, state, maxrss, elapsed = parts
        base, _, step = job_id.partition(".")
        if not step:
            match = COMMENT_RE.match(comment)
            info = {"job": base, "node": node, "state": state, "elapsed": elapsed}
            if match:
                jobs[(match[1], int(match[2]), match[3], int(match[4]))] = info
            elif RULE_RE.match(comment):
                others.setdefault(RULE_RE.match(comment)[1], []).append(info)
        else:
            steps.setdefault(base, {})[step] = rss_mb(maxrss)
    for info in [*jobs.values(), *(i for infos in others.values() for i in infos)]:
        job_steps = steps.get(info["job"], {})
        info["batch"] = job_steps.get("batch")
        info["step0"] = job_steps.get("0")
    return jobs, others


def short(host):
    return (host or "").split(".")[0]


def fmt(value):
    return "NA" if value is None else f"{value:.1f}"


def check_campaign(node, expect_runs, sacct_text, failures):
    columns, rows = read_csv("results/summary/runs.csv")
    if columns != RUN_COLUMNS:
        failures.append(f"runs.csv columns {columns} != the contract's {RUN_COLUMNS}")
        return rows
    if len(rows) != expect_runs:
        failures.append(f"runs.csv has {len(rows)} rows, expected {expect_runs}")
    jobs, others = parse_sacct(sacct_text)
    header = "variant limit model rep status peak_mb node job step0_maxrss_mb batch_maxrss_mb"
    header += " step0-peak"
    table = [header.split()]
    for row in rows:
        model = row["bucket_model"].replace("/", "-")
        key = (row["variant"], int(row["limit_mb"]), model, int(row["repeat"]))
        if row["status"] != "ok":
            failures.append(f"run {key} has status {row['status']}")
        run = json.loads((Path(row["run_dir"]) / "run.json").read_text())
        if short(run.get("hostname")) != short(node):
            failures.append(f"run {key}: run.json hostname {run.get('hostname')!r} != {node!r}")
        job = jobs.get(key)
        if job is None:
            failures.append(f"run {key}: no SLURM job with comment for it in sacct")
            job = {"job": "-", "node": "-", "state": "-", "batch": None, "step0": None}
        elif job["state"] != "COMPLETED" or short(job["node"]) != short(node):
            failures.append(f"run {key}: SLURM job {job['job']} {job['state']} on {job['node']}")
        # memsweep's peak: peak_mb (peaks.choose) where the table has it
        peak_text = row["peak_mb"]
        peak = float(peak_text) if peak_text else None
        extra = None if peak is None or job["step0"] is None else job["step0"] - peak
        table.append(
            [*map(str, key), row["status"], fmt(peak), job["node"], job["job"]]
            + [fmt(job["step0"]), fmt(job["batch"]), fmt(extra)]
        )
    print_table(table)
    print("other jobs, sacct MaxRSS in MB (the most over each rule's jobs):")
    table = [["rule", "jobs", "step0_maxrss_mb", "batch_maxrss_mb", "states"]]
    for rule, infos in sorted(others.items()):
        step0 = [i["step0"] for i in infos if i["step0"] is not None]
        batch = [i["batch"] for i in infos if i["batch"] is not None]
        states = sorted({i["state"] for i in infos})
        if states != ["COMPLETED"]:
            failures.append(f"rule {rule}: SLURM job states {states}")
        table.append(
            [rule, str(len(infos)), fmt(max(step0, default=None)), fmt(max(batch, default=None))]
            + [",".join(states)]
        )
    print_table(table)
    return rows


def print_table(table):
    widths = [max(len(r[i]) for r in table) for i in range(len(table[0]))]
    for r in table:
        print("  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)).rstrip())


def check_outputs(failures):
    for name in TABLES:
        if not Path(f"results/summary/{name}.csv").is_file():
            failures.append(f"missing results/summary/{name}.csv")
    for name in drawn({}):  # the cluster campaign has no searches and no comparison
        if not Path(f"results/plots/{name}.png").is_file():
            failures.append(f"missing results/plots/{name}.png")
    if not Path("results/report.html").is_file():
        failures.append("missing results/report.html")
    if Path("results/summary/thresholds.csv").is_file():
        _, rows = read_csv("results/summary/thresholds.csv")
        bad = [(r["limit_mb"], r["reported_config"], r["verdict"]) for r in rows]
        if not rows or any(verdict != "PASS" for _, _, verdict in bad):
            failures.append(f"threshold verdicts not all PASS: {bad}")


def outputs(root):
    """Result files (not per-run logs or traces' contents), relative to root."""
    base = Path(root) / "results"
    return sorted(str(p.relative_to(root)) for p in base.rglob("*") if p.is_file())


def compare_with_local(local, cluster_rows, failures):
    """Same files, same table columns, same runs with the same status and reported config."""
    ours, theirs = outputs("."), outputs(local)
    if ours != theirs:
        failures.append(
            f"files differ from the local run: only on SLURM {sorted(set(ours) - set(theirs))}, "
            f"only local {sorted(set(theirs) - set(ours))}"
        )
    for name in TABLES:
        mine = Path(f"results/summary/{name}.csv")
        other = Path(local) / mine
        if mine.is_file() and other.is_file() and read_csv(mine)[0] != read_csv(other)[0]:
            failures.append(
                f"{name}.csv columns differ from the local run: "
                f"{read_csv(mine)[0]} vs {read_csv(other)[0]}"
            )
    _, local_rows = read_csv(Path(local) / "results/summary/runs.csv")
    fields = ("variant", "limit_mb", "bucket_model", "repeat", "status", "reported_config")
    fields += ("in_grid",)

    def keyed(rows):
        return sorted(tuple(r[f] for f in fields) for r in rows)

    if keyed(cluster_rows) != keyed(local_rows):
        failures.append(
            f"runs differ from the local run: {keyed(cluster_rows)} vs {keyed(local_rows)}"
        )
    else:
        print(f"same {len(local_rows)} runs, statuses and reported configs as the local run")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--node", required=True, help="the SLURM node name")
    parser.add_argument("--expect-runs", type=int, required=True)
    parser.add_argument("--compare-with", help="folder of a local run of the same config")
    args = parser.parse_args(argv)
    sacct = subprocess.run(
        ["sacct", "-a", "-P", "-n", "-S", "now-1days", "-o", SACCT_FIELDS],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    failures = []
    rows = check_campaign(args.node, args.expect_runs, sacct, failures)
    check_outputs(failures)
    if args.compare_with:
        compare_with_local(args.compare_with, rows, failures)
    for failure in failures:
        print(f"FAIL: {failure}")
    verdict = "all checks passed" if not failures else f"{len(failures)} check(s) failed"
    print(f"cluster check: {len(rows)} runs, {verdict}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
