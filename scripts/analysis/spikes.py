"""Find memory allocation bursts in one run's trace.csv and write them to spikes.csv.

Two detectors, one row per event:

- "rate": the RSS rate between consecutive samples is above `rate_threshold_mb_s`; consecutive
  qualifying steps merge into one event.
- "window": RSS rises by at least `min_increase_mb` within `window_s`, and each
  allocation burst is its own event. The trace is first split at every significant fall: wherever
  RSS drops to `min_increase_mb / 2` or more below its highest value since the previous split, a new
  segment begins at that sample. Within a segment, for each sample j the window runs from `low`,
  the last lowest sample of the segment at most `window_s` before j, to j; it qualifies when
  rss[j] - rss[low] >= min_increase_mb. Qualifying windows that overlap (share a sample) merge into
  one event, which starts at its first window's `low` and tops at the highest sample of the merged
  span (the first one if tied). So an event never spans a fall of half the threshold: a rehash that
  allocates the new table, copies and frees the old one (+2S then -S, S >= min_increase_mb / 2)
  ends its burst, and the next rehash is a new event from the new low, even within `window_s`.
  Smaller dips (noise, rehashes under the threshold) do not split; a plateau after a rise keeps
  qualifying until the rise leaves the window, and a slow steady rise stays one merged event.

Each event gives time_s (start of the burst), rss_mb (RSS at its top), increase_mb (top - start),
duration_ms (top time - start time), rate_mb_s (increase / duration) and, with
solver.phase_pattern set, phase: the phase of the run the burst started in (empty without).

Called by the `summary` job over every run at once (one job, not one per run: a run's analysis
costs less than starting a job), writing results/summary/spikes.csv; each trace is checked
against its contract and its run.json's sample count first. By hand:

    >>> import pandas as pd
    >>> from analysis import spikes
    >>> trace = pd.DataFrame({"time_s": [0.0, 0.01, 0.02, 0.03], "vmrss_kb": [0, 0, 30720, 30720]})
    >>> spikes.detect_window_spikes(trace, window_s=1.0, min_increase_mb=20)
      detector  time_s  rss_mb  increase_mb  duration_ms  rate_mb_s
    0   window    0.01    30.0         30.0         10.0     3000.0
"""

import logging
from collections import deque
from pathlib import Path

import numpy as np
import pandas as pd

import tables
from analysis import phases
from tables import rundir

SPIKE_COLUMNS = [c.name for c in tables.SPIKE_FIELDS]
DECIMALS = {"time_s": 6, "rss_mb": 3, "increase_mb": 3, "duration_ms": 3, "rate_mb_s": 3}
log = logging.getLogger("spikes")


def empty_spikes() -> pd.DataFrame:
    return pd.DataFrame(
        {c: pd.Series(dtype="str" if c == "detector" else "float") for c in SPIKE_COLUMNS}
    )


def rss_series(trace: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Times (s) and RSS (MB) of the usable samples, sorted by time."""
    if trace.empty or not {"time_s", "vmrss_kb"} <= set(trace.columns):
        return np.empty(0), np.empty(0)
    frame = pd.DataFrame(
        {
            "t": pd.to_numeric(trace["time_s"], errors="coerce"),
            "rss": pd.to_numeric(trace["vmrss_kb"], errors="coerce") / 1024,
        }
    ).dropna()
    frame = frame.sort_values("t", kind="stable")
    return frame["t"].to_numpy(float), frame["rss"].to_numpy(float)


def events_frame(detector: str, t: np.ndarray, rss: np.ndarray, starts, tops) -> pd.DataFrame:
    """One row per (start index, top index) pair."""
    if len(starts) == 0:
        return empty_spikes()
    starts, tops = np.asarray(starts, dtype=int), np.asarray(tops, dtype=int)
    increase = rss[tops] - rss[starts]
    duration = t[tops] - t[starts]
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = np.where(duration > 0, increase / duration, np.nan)
    return pd.DataFrame(
        {
            "detector": detector,
            "time_s": t[starts],
            "rss_mb": rss[tops],
            "increase_mb": increase,
            "duration_ms": duration * 1000,
            "rate_mb_s": rate,
        },
        columns=SPIKE_COLUMNS,
    )


def detect_rate_spikes(trace: pd.DataFrame, threshold_mb_s: float) -> pd.DataFrame:
    """Events where RSS grows faster than threshold_mb_s between consecutive samples."""
    t, rss = rss_series(trace)
    if len(t) < 2:
        return empty_spikes()
    dt, drss = np.diff(t), np.diff(rss)
    with np.errstate(divide="ignore", invalid="ignore"):
        step_ok = (dt > 0) & (drss / np.where(dt > 0, dt, 1) > threshold_mb_s)
    # Runs of qualifying steps: step k goes from sample k to sample k + 1.
    edges = np.diff(np.concatenate(([0], step_ok.astype(np.int8), [0])))
    run_starts = np.flatnonzero(edges == 1)
    run_ends = np.flatnonzero(edges == -1)  # one past the last qualifying step
    return events_frame("rate", t, rss, run_starts, run_ends)


def detect_window_spikes(
    trace: pd.DataFrame, window_s: float, min_increase_mb: float
) -> pd.DataFrame:
    """Bursts where RSS rises by >= min_increase_mb within window_s, split at falls of half that.

    O(n): a sliding minimum over the current segment; see the module docstring for the rule.
    """
    t, rss = rss_series(trace)
    if len(t) < 2:
        return empty_spikes()
    split_drop = min_increase_mb / 2
    starts: list[int] = []
    ends: list[int] = []  # last qualifying sample of each event
    tops: list[int] = []
    window: deque[int] = deque()  # segment indices, increasing RSS: window[0] is the minimum
    segment_top = rss[0]
    for j in range(len(t)):
        if rss[j] <= segment_top - split_drop:  # a significant fall: start a new segment here
            window.clear()
            segment_top = rss[j]
        segment_top = max(segment_top, rss[j])
        while window and t[window[0]] < t[j] - window_s - 1e-9:
            window.popleft()
        while window and rss[window[-1]] >= rss[j]:
            window.pop()
        window.append(j)
        low = window[0]
        if low == j or rss[j] - rss[low] < min_increase_mb:
            continue
        if ends and low <= ends[-1]:  # overlaps the current event: extend it
            ends[-1] = j
            if rss[j] > rss[tops[-1]]:
                tops[-1] = j
        else:
            starts.append(low)
            ends.append(j)
            tops.append(j)
    return events_frame("window", t, rss, starts, tops)


def detect_spikes(
    trace: pd.DataFrame, rate_threshold_mb_s: float, window_s: float, min_increase_mb: float
) -> pd.DataFrame:
    """Both detectors' events, rate first, each in time order."""
    frames = [
        detect_rate_spikes(trace, rate_threshold_mb_s),
        detect_window_spikes(trace, window_s, min_increase_mb),
    ]
    frames = [f for f in frames if not f.empty]
    if not frames:
        return empty_spikes()
    return pd.concat(frames, ignore_index=True)[SPIKE_COLUMNS]


def spikes_table(
    runs: list[dict], traces: list[pd.DataFrame], settings: dict, run_phases=None
) -> pd.DataFrame:
    """Every run's events, keyed by run (runs[i] is the run.json of traces[i]); run_phases[i],
    when given, is its phases.csv."""
    parts = []
    for i, (run, trace) in enumerate(zip(runs, traces, strict=True)):
        found = detect_spikes(
            trace,
            float(settings["rate_threshold_mb_s"]),
            float(settings["window_s"]),
            float(settings["min_increase_mb"]),
        )
        found["phase"] = (
            None if run_phases is None else phases.phase_at(run_phases[i], found["time_s"])
        )
        if not found.empty:
            parts.append(found.assign(**{k: run[k] for k in tables.KEY}))
    if not parts:
        return tables.SPIKES.empty()
    frame = pd.concat(parts, ignore_index=True).round(DECIMALS)
    return frame.sort_values([*tables.KEY, "detector", "time_s"], ignore_index=True)


def main(trace_files, out_csv, settings: dict, with_phases: bool = False) -> dict:
    """Each trace is read with the run.json beside it (its identity, sample count and peak), and
    with its phases.csv when with_phases. The traces read, {run_dir: frame}, for the stages after
    it in the same job (the digest), which then need not read them again."""
    runs = [rundir.read_run(Path(path).with_name("run.json")) for path in trace_files]
    traces = [
        rundir.read_trace(path, run["samples"], run.get("peak_rss_kb"))
        for path, run in zip(trace_files, runs, strict=True)
    ]
    found_phases = (
        [phases.read_run_phases(Path(path).parent) for path in trace_files] if with_phases else None
    )
    found = spikes_table(runs, traces, settings, found_phases)
    tables.SPIKES.write(found, out_csv)
    samples = sum(len(t) for t in traces)
    counts = found["detector"].value_counts().to_dict()
    log.info("%d runs, %d samples: spikes %s -> %s", len(runs), samples, counts, out_csv)
    return {run["run_dir"]: trace for run, trace in zip(runs, traces, strict=True)}
