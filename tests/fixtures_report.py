"""Realistic synthetic campaigns for the figure and report tests (and the figure benchmark).

`make_campaign()` imitates what the monitor rule leaves for the demo solver: per run a trace
shaped like scripts/demo_solver.py (a cache ramp of 40% of the limit, three hash tables growing
by doubling with short rehash spikes, a hold at the top), a run.json and a solver.log.
`write_campaign()` lays the runs out on disk like `results/runs/` and computes the summary tables
with the real analysis stages, so the tables are exactly what the workflow would write.

    camp = make_campaign(limits=[64, 323], models=["4M/8M/4M"], repeats=3)
    paths = write_campaign(camp, tmp_path)   # -> results/summary/*.csv under tmp_path
    data = read_tables(paths)                # typed frames by table name
"""

from __future__ import annotations

import contextlib
import json
from pathlib import Path

import numpy as np
import pandas as pd

import plots
import runfiles
import tables
from analysis import digest as digest_stage
from analysis import runs as runs_stage
from analysis import spikes as spikes_stage
from analysis import thresholds as thresholds_stage
from analysis import variance as variance_stage
from campaign import config as campaign_config
from contracts import TRACE_COLUMNS
from verdicts import decide, registry

PLANTED = "<script>window.PWNED=1</script>"
FAULT_RATE_MB_S = 700.0
PATTERN = r"Bucket sizes: (\S+)"
SPIKES = {"rate_threshold_mb_s": 500, "window_s": 1.0, "min_increase_mb": 20}
# the default config's settings of every check, with a strict missed-ticks level
DEFAULTS = campaign_config.load(campaign_config.read_config_file(campaign_config.DEFAULT_CONFIG))
VERDICT_SETTINGS = registry.settings_of(DEFAULTS) | {"missed_warn_percent": 1.0}


def auto_model(limit_mb: int) -> str:
    """The demo solver's automatic model table."""
    if limit_mb < 500:
        return "2M/4M/2M"
    return "4M/8M/4M" if limit_mb < 1000 else "8M/8M/8M"


def synth_trace(
    limit_mb: int, model: str, seed: int, rate_hz: float = 200.0, hold_s: float = 1.0
) -> pd.DataFrame:
    """A demo-solver-like trace: interpreter start, cache ramp, three tables doubling, a hold."""
    rng = np.random.default_rng(seed)
    eff = auto_model(limit_mb) if model == "auto" else model
    final_tables = [int(part.rstrip("M")) * 8.0 for part in eff.split("/")]  # final table MB
    noise = 1.0 + rng.normal(0, 0.004)
    segments = [(0.04, 9.0, 11.0)]  # (duration_s, start_mb, end_mb): interpreter start
    cache = 0.4 * limit_mb * noise
    segments.append((cache / FAULT_RATE_MB_S, 11.0, 11.0 + cache))
    level = 11.0 + cache
    for final in final_tables:
        size = final / 64
        segments.append((size / FAULT_RATE_MB_S + 0.002, level, level + size))
        level += size
        while size < final:
            dur = 2 * size / FAULT_RATE_MB_S + 0.003 * rng.random()
            segments.append((dur, level, level + 2 * size))
            segments.append((0.004, level + 2 * size, level + size))  # free the old table
            level += size
            size *= 2
    segments.append((hold_s * (1 + rng.normal(0, 0.02)), level, level))
    knots_t = np.concatenate([[0.0], np.cumsum([d for d, _, _ in segments])])
    knots_v = [segments[0][1]] + [end for _, _, end in segments]
    n = max(int(knots_t[-1] * rate_hz), 2)
    times = np.sort(np.linspace(0, knots_t[-1], n) + rng.uniform(0, 0.3 / rate_hz, n))
    rss = np.interp(times, knots_t, knots_v) * 1024
    rss_kb = np.round(rss + rng.normal(0, 40, n)).astype(np.int64)
    return pd.DataFrame(
        {
            "time_s": np.round(times, 6),
            "vmrss_kb": rss_kb,
            "vmsize_kb": (rss_kb * 1.05 + 30000).astype(np.int64),
            "vmdata_kb": (rss_kb * 1.02 + 2000).astype(np.int64),
            "vmhwm_kb": np.maximum.accumulate(rss_kb),
            "vmswap_kb": 0,
            "nprocs": 1,
        }
    )


def run_record(variant, limit, model, repeat, trace: pd.DataFrame, **extra) -> dict:
    """A run.json as the run wrapper writes it, with the figures the trace implies."""
    rss = trace["vmrss_kb"]
    peak = int(rss.max()) if len(rss) else None
    implied = {
        "duration_s": float(trace["time_s"].iloc[-1]) if len(trace) else 0.02,
        "samples": len(trace),
        "effective_interval_ms": 5.0 if len(trace) else None,
        "peak_rss_kb": peak,
        "peak_rss_time_s": float(trace["time_s"][rss.idxmax()]) if len(rss) else None,
        "hwm_kb": peak,
        "maxrss_kb": peak,
        "peak_capture": 1.0 if peak else None,
        "peak_vmsize_kb": int(trace["vmsize_kb"].max()) if len(rss) else None,
        "hostname": "node-7",
        "kernel": "6.1.0-28-amd64",
        "sampler_version": "1.0.0",
    }
    return runfiles.record(variant, limit, model, repeat, **{**implied, **extra})


def make_campaign(
    limits=(64, 323, 1005),
    models=("4M/8M/4M", "8M/8M/8M"),
    repeats=3,
    thresholds=({"memory_mb": 1000, "bucket_model": "auto"},),
    failures=True,
    rate_hz=200.0,
    seed=1,
    variants=("default",),
) -> dict:
    """Run records, traces and solver logs of a campaign, with its membership and checks.

    With `failures`, the first configuration's last repeat fails (exit 1, short trace, a planted
    `<script>` as its reported configuration and in its log), one run of the last configuration
    is OOM-killed with an empty trace, one run times out, one repeat is an outlier (CV above
    5%), and one run has a low peak capture.
    """
    keys = [
        (v, lim, mod, rep, True)
        for v in variants
        for mod in models
        for lim in limits
        for rep in range(1, repeats + 1)
    ]
    checks = []
    for th in thresholds:
        expected = {
            pos: th.get("expected", {}).get(pos) or auto_model(th["memory_mb"] + off)
            for pos, off in (("below", -1), ("at", 0), ("above", 1))
        }
        checks.append({"pattern": PATTERN, "expected": expected, **th})
        for v in variants:
            for lim in (th["memory_mb"] - 1, th["memory_mb"], th["memory_mb"] + 1):
                if not any(k[:3] == (v, lim, th["bucket_model"]) for k in keys):
                    keys.append((v, lim, th["bucket_model"], 1, False))
    records, traces, logs, membership = [], {}, {}, []
    for i, (v, lim, mod, rep, in_grid) in enumerate(keys):
        trace = synth_trace(lim, mod, seed * 1000 + i, rate_hz=rate_hz)
        reported = auto_model(lim) if mod == "auto" else mod
        log = f"Memory limit: {lim} MB\nBucket sizes: {reported}\nDone\n"
        extra = {}
        if failures and (lim, mod) == (limits[0], models[0]) and rep == repeats:
            trace = trace.iloc[: len(trace) // 3]
            extra = {"status": "failed", "exit_code": 1}
            log = f"Bucket sizes: {PLANTED}\n" + "".join(f"step {k}: filling\n" for k in range(30))
            log += f"Traceback: MemoryError {PLANTED}\n"
        elif failures and (lim, mod) == (limits[-1], models[-1]) and rep == 1:
            trace = trace.iloc[:0]
            extra = {"status": "oom", "exit_code": 137, "signal": 9, "oom_killed": True}
            log = "Memory limit: ...\nKilled\n"
        elif failures and (lim, mod) == (limits[0], models[-1]) and rep == min(2, repeats):
            trace = trace.iloc[: 2 * len(trace) // 3]
            extra = {"status": "timeout", "exit_code": 143, "signal": 15, "timed_out": True,
                     "timeout_s": 1.0}  # fmt: skip
            log = "Memory limit: ...\n" + "working\n" * 40
        elif failures and (lim, mod) == (limits[-1], models[0]) and rep == min(2, repeats):
            trace = trace.assign(vmrss_kb=(trace["vmrss_kb"] * 1.2).astype(np.int64))
        record = run_record(v, lim, mod, rep, trace, **extra)
        low_capture = (lim, mod, rep) == (limits[min(1, len(limits) - 1)], models[0], 1)
        if failures and low_capture and record["peak_rss_kb"]:
            record["hwm_kb"] = round(record["peak_rss_kb"] / 0.85)
            record["peak_capture"] = round(record["peak_rss_kb"] / record["hwm_kb"], 4)
        records.append(record)
        traces[record["run_dir"]] = trace
        logs[record["run_dir"]] = log
        threshold_check = any(
            mod == th["bucket_model"] and lim - th["memory_mb"] in (-1, 0, 1) and rep == 1
            for th in thresholds
        )
        membership.append([v, lim, mod, rep, in_grid, threshold_check])
    return {
        "records": records,
        "traces": traces,
        "logs": logs,
        "membership": membership,
        "thresholds": checks,
        "variants": list(variants),
    }


def write_campaign(camp: dict, root: Path) -> dict:
    """The runs under root/results/runs/, and the summary tables the stages compute from them.

    run_dir values stay relative (as the workflow writes them): call the scripts with `root` as
    the working directory, or use the returned absolute paths.
    """
    root = Path(root)
    run_files, trace_files = [], []
    for record in camp["records"]:
        folder = root / record["run_dir"]
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "run.json").write_text(json.dumps(record, indent=2))
        camp["traces"][record["run_dir"]].to_csv(
            folder / "trace.csv", index=False, columns=TRACE_COLUMNS
        )
        (folder / "solver.log").write_text(camp["logs"][record["run_dir"]])
        run_files.append(folder / "run.json")
        trace_files.append(folder / "trace.csv")
    paths = {table.name: root / table.path for table in tables.SUMMARY_TABLES}
    paths["digest"] = root / tables.DIGEST
    with contextlib.chdir(root):
        spikes_stage.main(trace_files, paths["spikes"], SPIKES)
        runs_stage.main(run_files, paths["spikes"], paths["runs"], camp["membership"], PATTERN)
        variance_stage.main(paths["runs"], paths["variance"], 3.5, 1.0)
        thresholds_stage.main(
            paths["runs"], paths["thresholds"], camp["thresholds"], camp["variants"]
        )
        decide.main(paths, paths["verdicts"], VERDICT_SETTINGS)
        digest_stage.main(paths["runs"], paths["variance"], paths["spikes"], paths["digest"])
    return {**paths, "run_files": run_files, "trace_files": trace_files}


def stage_paths(paths: dict) -> dict:
    """The summary tables' and the digest's paths, as the figure and report jobs get them."""
    return {name: paths[name] for name in [t.name for t in tables.SUMMARY_TABLES] + ["digest"]}


def figure_settings(names) -> dict:
    """{figure: its settings} from the default config, as the figures job hands them on."""
    return {name: plots.settings_of(name, DEFAULTS) for name in names}


def read_tables(paths: dict) -> dict:
    """Every summary table, typed by its reader."""
    return {table.name: table.read(paths[table.name]) for table in tables.SUMMARY_TABLES}


def default_campaign(rate_hz: float = 200.0) -> dict:
    """The default config's campaign: 6 limits x 2 models x 3 repeats + the 1000 MB check."""
    return make_campaign(
        limits=(323, 478, 823, 1005, 1308, 1513),
        models=("4M/8M/4M", "8M/8M/8M"),
        repeats=3,
        thresholds=(
            {
                "memory_mb": 1000,
                "bucket_model": "auto",
                "expected": {"below": "4M/8M/4M", "at": "8M/8M/8M", "above": "8M/8M/8M"},
            },
        ),
        failures=False,
        rate_hz=rate_hz,
    )
