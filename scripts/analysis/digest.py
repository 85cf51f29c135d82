"""Every run's trace, read once, in one compact file for the figures and the report's explorer:
results/summary/traces.json.gz.

A run's samples go in whole (full resolution, down to single samples) while the file stays
within DIGEST_POINTS samples in all. Beyond that, every run first gets an envelope: per time
bucket its lowest and its highest sample, plus every spike's top and the run's peak, so no peak
or spike is lost; then the runs of the configurations that matter (highlights.focus) get their
full resolution back, most important first, as far as the budget allows. Times are stored in
units of 10 microseconds and RSS in kB, both as differences from the previous sample (small
numbers that compress well), as little-endian 32-bit integers in base64, so that neither Python
nor the browser parses a million numbers from text. With solver.phase_pattern set, each run also
has its phases, [start s, end s, name] in time order, for the bands of the traces figure and the
explorer. Called by the `summary` job; by hand:

    >>> import numpy as np
    >>> from analysis import digest
    >>> t = np.arange(10) * 0.01
    >>> v = np.array([5, 1, 9, 2, 2, 2, 7, 3, 3, 4])
    >>> digest.envelope(t, v, buckets=2, keep=[]).tolist()  # lowest and highest of each half
    [1, 2, 5, 6]
    >>> digest.decode(digest.encode(t, v))[1].tolist() == v.tolist()
    True
"""

import base64
import gzip
import json
import logging

import numpy as np
import pandas as pd

import tables
from pipeline import redo
from report import highlights
from sampling.files import write_atomically
from tables import rundir

DIGEST_POINTS = 1_000_000  # samples in all, a few MB once compressed
ENVELOPE_BUCKETS = 1000  # per run when it does not fit whole
TICK_S = 1e-5  # time unit in the file
RUN_KEYS = {"whole", "samples", "n", "t", "rss"}
log = logging.getLogger("digest")


def envelope(t: np.ndarray, v: np.ndarray, buckets: int, keep) -> np.ndarray:
    """Indices (sorted) of the lowest and highest sample of each time bucket, and of `keep`."""
    if len(t) <= 2 * buckets:
        return np.arange(len(t))
    span = (t[-1] - t[0]) or 1.0
    bucket = np.minimum(((t - t[0]) / span * buckets).astype(int), buckets - 1)
    order = np.lexsort((v, bucket))  # by bucket, then by value
    starts = np.r_[0, np.flatnonzero(np.diff(bucket[order])) + 1]
    ends = np.r_[starts[1:], len(order)] - 1
    chosen = np.concatenate([order[starts], order[ends], np.asarray(keep, dtype=int)])
    return np.unique(chosen)


def packed(values: np.ndarray) -> str:
    """Differences from the previous value, as base64 of little-endian int32."""
    steps = np.diff(np.asarray(values, dtype=np.int64), prepend=0)
    return base64.b64encode(steps.astype("<i4").tobytes()).decode("ascii")


def unpacked(text: str) -> np.ndarray:
    return np.cumsum(np.frombuffer(base64.b64decode(text), dtype="<i4"), dtype=np.int64)


def encode(t: np.ndarray, rss_kb: np.ndarray) -> dict:
    ticks = np.round(np.asarray(t, dtype=float) / TICK_S)
    return {"n": len(ticks), "t": packed(ticks), "rss": packed(rss_kb)}


def decode(run: dict) -> tuple[np.ndarray, np.ndarray]:
    """(time in s, RSS in kB) of a run in the digest."""
    return unpacked(run["t"]) * TICK_S, unpacked(run["rss"])


def phases_of(digest: dict) -> dict:
    """{run_dir: [[start_s, end_s, name], ...]} of the runs that have phases in the digest."""
    return {d: run["phases"] for d, run in digest["runs"].items() if "phases" in run}


def spike_tops(spikes: pd.DataFrame, key: tuple) -> np.ndarray:
    mine = spikes[
        (spikes["variant"] == key[0])
        & (spikes["limit_mb"] == key[1])
        & (spikes["bucket_model"] == key[2])
        & (spikes["repeat"] == key[3])
    ]
    return (mine["time_s"] + mine["duration_ms"].fillna(0) / 1000).to_numpy(float)


def plan(samples: list[int], important: list[bool], budget: int) -> list[bool]:
    """Which runs go in whole: all when they fit, else the important ones first, in order,
    while the envelopes of the others and the whole runs stay within the budget."""
    if sum(samples) <= budget:
        return [True] * len(samples)
    small = [min(n, 2 * ENVELOPE_BUCKETS) for n in samples]
    used = sum(small)
    whole = [False] * len(samples)
    for i in sorted(range(len(samples)), key=lambda i: not important[i]):
        extra = samples[i] - small[i]
        if important[i] and used + extra <= budget:
            whole[i] = True
            used += extra
    return whole


def run_phases(runs: pd.DataFrame, phase_runs: pd.DataFrame) -> dict:
    """{run_dir: [[start_s, end_s, name], ...]} from phase_runs.csv."""
    dirs = {tuple(k): d for k, d in zip(runs[tables.KEY].itertuples(index=False), runs["run_dir"],
                                          strict=True)}  # fmt: skip
    out = {}
    ordered = phase_runs.sort_values([*tables.KEY, "start_s", "order"], kind="stable")
    for key, group in ordered.groupby(tables.KEY, sort=False):
        rows = zip(group["start_s"], group["end_s"], group["phase"], strict=True)
        out[dirs[tuple(key)]] = [
            [round(float(a), 4), round(float(b), 4), str(n)] for a, b, n in rows
        ]
    return out


def build(
    runs: pd.DataFrame, traces: dict, spikes: pd.DataFrame, focus, budget=DIGEST_POINTS, phases=None
):
    """The digest: {"tick_s", "runs": {run_dir: {"whole", "samples", "n", "t", "rss"}}}, and each
    run's "phases" when `phases` ({run_dir: [[start, end, name], ...]}) is given."""
    keys = [tuple(k) for k in runs[tables.KEY].itertuples(index=False)]
    wanted = set(focus)
    important = [k[:3] in wanted for k in keys]
    samples = [len(traces[d]) for d in runs["run_dir"]]
    whole = plan(samples, important, budget)
    out = {}
    for run_dir, key, full in zip(runs["run_dir"], keys, whole, strict=True):
        trace = traces[run_dir]
        t, v = trace["time_s"].to_numpy(float), trace["vmrss_kb"].to_numpy(np.int64)
        if not full and len(t):
            tops = np.searchsorted(t, spike_tops(spikes, key)).clip(0, len(t) - 1)
            index = envelope(t, v, ENVELOPE_BUCKETS, [*tops, int(np.argmax(v))])
            t, v = t[index], v[index]
        out[run_dir] = {"whole": bool(full), "samples": len(trace), **encode(t, v)}
        if phases is not None:
            out[run_dir]["phases"] = phases.get(run_dir, [])
    return {"tick_s": TICK_S, "runs": out}


def write_digest(digest: dict, path) -> None:
    """The digest as gzip-compressed JSON, written atomically (the same bytes for the same digest:
    no time or name in the gzip header)."""
    text = json.dumps(digest, separators=(",", ":"))
    write_atomically(path, gzip.compress(text.encode(), compresslevel=6, mtime=0))


def read_digest(path, run_dirs=None) -> dict:
    """The digest, checked: every run has its keys, and `run_dirs` (when given) are all there."""
    advice = redo.summary_redo(path)
    try:
        with gzip.open(path, "rt") as fh:
            digest = json.load(fh)
    except FileNotFoundError:
        raise tables.TableError(f"{path}: missing; {advice}") from None
    except (OSError, EOFError, json.JSONDecodeError, UnicodeDecodeError) as err:
        raise tables.TableError(f"{path}: not a readable digest ({err}); {advice}") from None
    runs = digest.get("runs") if isinstance(digest, dict) else None
    if not isinstance(runs, dict) or "tick_s" not in digest:
        raise tables.TableError(f"{path}: not a digest of traces; {advice}")
    for run_dir, run in runs.items():
        if not isinstance(run, dict) or not set(run) >= RUN_KEYS:
            raise tables.TableError(f"{path}: run {run_dir} lacks {sorted(RUN_KEYS)}; {advice}")
    missing = sorted(set(() if run_dirs is None else run_dirs) - set(runs))
    if missing:
        raise tables.TableError(f"{path}: no trace for {missing[:3]}...; {advice}")
    return digest


def main(runs_csv, variance_csv, spikes_csv, out_path, phase_runs_csv=None, read=None) -> None:
    """read: the traces a stage before it in the job read already ({run_dir: frame}, checked by
    rundir.read_trace); every other run's trace is read here."""
    runs, read = tables.RUNS.read(runs_csv), read or {}
    traces = {
        run_dir: read[run_dir] if run_dir in read else rundir.read_trace(f"{run_dir}/trace.csv", n)
        for run_dir, n in zip(runs["run_dir"], runs["samples"], strict=True)
    }
    focus = highlights.focus(runs, tables.VARIANCE.read(variance_csv))
    phases = None
    if phase_runs_csv:
        phases = run_phases(runs, tables.PHASE_RUNS.read(phase_runs_csv))
    found = build(runs, traces, tables.SPIKES.read(spikes_csv), focus, phases=phases)
    write_digest(found, out_path)
    whole = sum(r["whole"] for r in found["runs"].values())
    points = sum(r["n"] for r in found["runs"].values())
    total = sum(len(t) for t in traces.values())
    log.info(
        "%d runs (%d whole), %d of %d samples -> %s", len(runs), whole, points, total, out_path
    )
