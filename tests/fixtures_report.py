"""Realistic synthetic campaigns for the plot and report tests (and the figure benchmark).

`make_campaign()` imitates what the workflow produces for the demo solver: per-run traces shaped
like scripts/demo_solver.py (a cache ramp of 40% of the limit, three hash tables growing by
doubling with short rehash spikes, a hold at the top), and the tables of the file contracts
(runs.csv, variance.csv, summary spikes.csv, thresholds.csv) computed from them.
`write_campaign()` lays it out on disk like `results/` so the scripts' `main()` can read it.

    camp = make_campaign(limits=[64, 323], models=["4M/8M/4M"], repeats=3)
    paths = write_campaign(camp, tmp_path)
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from contracts import (
    RUN_COLUMNS,
    SUMMARY_SPIKE_COLUMNS,
    THRESHOLD_COLUMNS,
    TRACE_COLUMNS,
    VARIANCE_COLUMNS,
)

PLANTED = "<script>window.PWNED=1</script>"
FAULT_RATE_MB_S = 700.0


def auto_model(limit_mb: int) -> str:
    """The demo solver's automatic model table."""
    if limit_mb < 500:
        return "2M/4M/2M"
    return "4M/8M/4M" if limit_mb < 1000 else "8M/8M/8M"


def slug(model: str) -> str:
    return model.replace("/", "-")


def synth_trace(
    limit_mb: int, model: str, seed: int, rate_hz: float = 200.0, hold_s: float = 1.0
) -> tuple[pd.DataFrame, list[dict]]:
    """A demo-solver-like trace and its rehash bursts (as window-detector spike rows)."""
    rng = np.random.default_rng(seed)
    eff = auto_model(limit_mb) if model == "auto" else model
    tables = [int(part.rstrip("M")) * 8.0 for part in eff.split("/")]  # final table MB
    noise = 1.0 + rng.normal(0, 0.004)
    segments = [(0.04, 9.0, 11.0)]  # (duration_s, start_mb, end_mb): interpreter start
    base = 11.0
    cache = 0.4 * limit_mb * noise
    segments.append((cache / FAULT_RATE_MB_S, base, base + cache))
    level = base + cache
    bursts = []
    t = sum(d for d, _, _ in segments)
    for final in tables:
        size = final / 64
        segments.append((size / FAULT_RATE_MB_S + 0.002, level, level + size))
        t += segments[-1][0]
        level += size
        while size < final:
            dur = 2 * size / FAULT_RATE_MB_S + 0.003 * rng.random()
            segments.append((dur, level, level + 2 * size))
            if 2 * size >= 20:
                bursts.append(
                    {
                        "detector": "window",
                        "time_s": round(t, 6),
                        "rss_mb": level + 2 * size,
                        "increase_mb": 2 * size,
                        "duration_ms": dur * 1000,
                        "rate_mb_s": 2 * size / dur,
                    }
                )
            segments.append((0.004, level + 2 * size, level + size))  # free the old table
            t += dur + 0.004
            level += size
            size *= 2
    segments.append((hold_s * (1 + rng.normal(0, 0.02)), level, level))
    knots_t = np.concatenate([[0.0], np.cumsum([d for d, _, _ in segments])])
    knots_v = [segments[0][1]] + [end for _, _, end in segments]
    n = max(int(knots_t[-1] * rate_hz), 2)
    times = np.sort(np.linspace(0, knots_t[-1], n) + rng.uniform(0, 0.3 / rate_hz, n))
    rss = np.interp(times, knots_t, knots_v) * 1024
    rss_kb = np.round(rss + rng.normal(0, 40, n)).astype(np.int64)
    trace = pd.DataFrame(
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
    return trace, bursts


def _variance(runs: pd.DataFrame, mad_threshold: float = 3.5) -> pd.DataFrame:
    rows = []
    grid = runs[runs["in_grid"]]
    for (limit, model), g in grid.groupby(["limit_mb", "bucket_model"], sort=False):
        g = g.assign(peak=g["peak_mb"])  # the run's peak as every table takes it
        ok = g[(g["status"] == "ok") & g["peak"].notna()]
        peaks = ok["peak"].astype(float)
        med = peaks.median() if len(peaks) else np.nan
        mad = (peaks - med).abs().median() if len(peaks) else np.nan
        if len(peaks) and mad > 0:
            out = ok[0.6745 * (peaks - med).abs() / mad > mad_threshold]
        elif len(peaks):
            out = ok[(peaks - med).abs() > 0.01 * med]
        else:
            out = ok.iloc[:0]
        std = peaks.std(ddof=1) if len(peaks) >= 2 else np.nan
        mean = peaks.mean() if len(peaks) else np.nan
        rows.append(
            {
                "limit_mb": limit,
                "bucket_model": model,
                "n": len(peaks),
                "n_failed": int((g["status"] != "ok").sum()),
                "mean_peak_mb": mean,
                "std_mb": std,
                "cv_percent": 100 * std / mean if len(peaks) >= 2 else np.nan,
                "min_mb": peaks.min() if len(peaks) else np.nan,
                "max_mb": peaks.max() if len(peaks) else np.nan,
                "median_mb": med,
                "n_outliers": len(out),
                "outlier_repeats": ";".join(str(r) for r in out["repeat"]),
            }
        )
    return pd.DataFrame(rows, columns=VARIANCE_COLUMNS)


def make_campaign(
    limits=(64, 323, 1005),
    models=("4M/8M/4M", "8M/8M/8M"),
    repeats=3,
    thresholds=({"memory_mb": 1000, "bucket_model": "auto"},),
    failures=True,
    rate_hz=200.0,
    seed=1,
) -> dict:
    """A campaign: runs/variance/spikes/thresholds DataFrames, traces by run_dir, solver logs.

    With `failures`, the first configuration's last repeat fails (exit 1, short trace), one run of
    the last configuration is OOM-killed with an empty trace, one run times out, one repeat is an
    outlier (CV above 5%), one run has a low peak capture, and a planted `<script>` sits in a
    reported config and a solver log.
    """
    cfgs = [
        (lim, mod, rep, True) for mod in models for lim in limits for rep in range(1, repeats + 1)
    ]
    for th in thresholds:
        for lim in (th["memory_mb"] - 1, th["memory_mb"], th["memory_mb"] + 1):
            if not any(c[:2] == (lim, th["bucket_model"]) for c in cfgs):
                cfgs.append((lim, th["bucket_model"], 1, False))
    rows, spike_rows, traces, logs = [], [], {}, {}
    for i, (lim, mod, rep, in_grid) in enumerate(cfgs):
        run_dir = f"results/runs/{lim}MB/{slug(mod)}/rep{rep}"
        trace, bursts = synth_trace(lim, mod, seed * 1000 + i, rate_hz=rate_hz)
        status, exit_code, signal, oom, capture_loss = "ok", 0, None, False, 1.0
        timed_out = False
        reported = auto_model(lim) if mod == "auto" else mod
        log = f"Memory limit: {lim} MB\nBucket sizes: {reported}\nDone\n"
        if failures and (lim, mod) == (limits[0], models[0]) and rep == repeats:
            status, exit_code = "failed", 1
            trace = trace.iloc[: len(trace) // 3]
            bursts = [b for b in bursts if b["time_s"] <= trace["time_s"].iloc[-1]]
            reported = PLANTED
            log = "".join(f"step {k}: filling\n" for k in range(30))
            log += f"Traceback: MemoryError {PLANTED}\n"
        elif failures and (lim, mod) == (limits[-1], models[-1]) and rep == 1:
            status, exit_code, signal, oom = "oom", None, 9, True
            log = "Memory limit: ...\nKilled\n"
            trace, bursts, reported = trace.iloc[:0], [], None
        elif failures and (lim, mod) == (limits[0], models[-1]) and rep == min(2, repeats):
            status, exit_code, signal, timed_out = "timeout", None, 15, True
            trace = trace.iloc[: 2 * len(trace) // 3]
            bursts = [b for b in bursts if b["time_s"] <= trace["time_s"].iloc[-1]]
            log = "Memory limit: ...\n" + "working\n" * 40
        elif failures and (lim, mod) == (limits[-1], models[0]) and rep == min(2, repeats):
            trace = trace.assign(vmrss_kb=(trace["vmrss_kb"] * 1.2).astype(np.int64))
            bursts = [{**b, "rss_mb": b["rss_mb"] * 1.2} for b in bursts]
        elif failures and (lim, mod) == (limits[min(1, len(limits) - 1)], models[0]) and rep == 1:
            capture_loss = 0.85
        traces[run_dir] = trace
        logs[run_dir] = log
        for b in bursts:
            spike_rows.append({"limit_mb": lim, "bucket_model": mod, "repeat": rep, **b})
        rss = trace["vmrss_kb"]
        peak = rss.max() / 1024 if len(rss) else np.nan
        hwm = peak / capture_loss * 1.002 if len(rss) else np.nan
        rows.append(
            {
                "limit_mb": lim,
                "bucket_model": mod,
                "repeat": rep,
                "status": status,
                "exit_code": exit_code,
                "signal": signal,
                "timed_out": timed_out,
                "oom_killed": oom,
                "duration_s": trace["time_s"].iloc[-1] if len(trace) else 0.02,
                "samples": len(trace),
                "effective_interval_ms": 1000 / rate_hz if len(trace) else np.nan,
                "missed_ticks": 0,
                "peak_mb": max(peak, hwm) if len(rss) else np.nan,
                "peak_rss_mb": peak,
                "peak_rss_time_s": trace["time_s"][rss.idxmax()] if len(rss) else np.nan,
                "hwm_mb": hwm,
                "maxrss_mb": hwm,
                "cgroup_peak_mb": np.nan,
                "peak_capture": peak / hwm if len(rss) else np.nan,
                "peak_vmsize_mb": trace["vmsize_kb"].max() / 1024 if len(rss) else np.nan,
                "over_budget": (max(peak, hwm) > lim) if len(rss) else None,
                "reported_config": reported,
                "n_spikes": len(bursts),
                "in_grid": in_grid,
                "threshold_check": not in_grid or mod == "auto",
                "hostname": "node-7",
                "kernel": "6.1.0-28-amd64",
                "sampler_version": "1.0.0",
                "run_dir": run_dir,
            }
        )
    runs = pd.DataFrame(rows, columns=RUN_COLUMNS)
    spikes = pd.DataFrame(spike_rows, columns=SUMMARY_SPIKE_COLUMNS)
    th_rows = []
    for th in thresholds:
        for pos, lim in zip(("below", "at", "above"), (-1, 0, 1), strict=True):
            lim = th["memory_mb"] + lim
            r = runs[(runs["limit_mb"] == lim) & (runs["bucket_model"] == th["bucket_model"])]
            r = r.iloc[0]
            expected = th.get("expected", {}).get(pos) or auto_model(lim)
            th_rows.append(
                {
                    "threshold_mb": th["memory_mb"],
                    "position": pos,
                    "limit_mb": lim,
                    "bucket_model": th["bucket_model"],
                    "repeat": r["repeat"],
                    "status": r["status"],
                    "reported_config": r["reported_config"],
                    "expected": expected,
                    "verdict": "PASS" if r["reported_config"] == expected else "FAIL",
                    "peak_mb": r["peak_mb"],
                    "run_dir": r["run_dir"],
                }
            )
    return {
        "runs": runs,
        "variance": _variance(runs),
        "spikes": spikes,
        "thresholds": pd.DataFrame(th_rows, columns=THRESHOLD_COLUMNS),
        "traces": traces,
        "logs": logs,
    }


def write_campaign(camp: dict, root: Path) -> dict:
    """Write the campaign under `root` (results/ layout); returns the paths the scripts read.

    run_dir values in runs.csv stay relative (as the workflow writes them); call the scripts with
    `root` as the working directory, or use the returned absolute paths.
    """
    root = Path(root)
    summary = root / "results" / "summary"
    summary.mkdir(parents=True, exist_ok=True)
    paths = {name: summary / f"{name}.csv" for name in ("runs", "variance", "spikes", "thresholds")}
    for name, path in paths.items():
        camp[name].to_csv(path, index=False)
    paths["traces"] = []
    for run_dir, trace in camp["traces"].items():
        folder = root / run_dir
        folder.mkdir(parents=True, exist_ok=True)
        trace.to_csv(folder / "trace.csv", index=False, columns=TRACE_COLUMNS)
        (folder / "solver.log").write_text(camp["logs"][run_dir])
        paths["traces"].append(folder / "trace.csv")
    return paths


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
