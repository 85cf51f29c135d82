"""Both spike detectors on hand-made traces with known answers."""

import numpy as np
import pandas as pd
import pytest

from analysis import spikes
from contracts import SPIKE_COLUMNS, SUMMARY_SPIKE_COLUMNS, TRACE_COLUMNS
from runfiles import record, trace_frame, write_run
from tables import TableError


def trace(times, rss_mb):
    return pd.DataFrame(
        {"time_s": times, "vmrss_kb": [round(r * 1024) for r in rss_mb], "vmsize_kb": 0}
    )


def as_tuples(frame):
    return [
        (r.detector, round(r.time_s, 6), round(r.rss_mb, 3), round(r.increase_mb, 3),
         round(r.duration_ms, 3), round(r.rate_mb_s, 3))
        for r in frame.itertuples()
    ]  # fmt: skip


def test_rate_merges_consecutive_steps_and_is_strict():
    # 100 -> 110 -> 120 in 20 ms (1000 MB/s per step), flat, +5 MB in 10 ms (exactly 500 MB/s:
    # not above the threshold), flat, then +30 MB in 10 ms.
    t = [0.00, 0.01, 0.02, 0.03, 0.04, 0.05, 0.06, 0.07]
    r = [100, 110, 120, 120, 125, 125, 155, 155]
    found = spikes.detect_rate_spikes(trace(t, r), threshold_mb_s=500)
    assert as_tuples(found) == [
        ("rate", 0.0, 120.0, 20.0, 20.0, 1000.0),
        ("rate", 0.05, 155.0, 30.0, 10.0, 3000.0),
    ]


def test_rate_ignores_drops_repeated_times_and_bad_rows_and_sorts():
    t = [0.03, 0.00, 0.01, 0.01, 0.02, None]
    r = [50, 100, 40, 90, 200, 900]  # t=0.01 twice: zero dt is no rate; None row dropped
    found = spikes.detect_rate_spikes(trace(t, r), threshold_mb_s=500)
    # Sorted (stable): 0.00:100, 0.01:40, 0.01:90, 0.02:200, 0.03:50. Only 90 -> 200 qualifies.
    assert as_tuples(found) == [("rate", 0.01, 200.0, 110.0, 10.0, 11000.0)]


def test_window_catches_a_slow_rise_the_rate_detector_misses():
    # +5 MB every 0.25 s = 20 MB/s: no rate spike, but 20 MB within 1 s.
    t = [0.0, 0.25, 0.5, 0.75, 1.0, 1.25, 2.5, 3.75]
    r = [100, 105, 110, 115, 120, 125, 125, 125]
    frame = trace(t, r)
    assert spikes.detect_rate_spikes(frame, threshold_mb_s=500).empty
    found = spikes.detect_window_spikes(frame, window_s=1.0, min_increase_mb=20)
    # Windows ending at 1.0 (from 0.0) and 1.25 (from 0.25) qualify and overlap: one event.
    assert as_tuples(found) == [("window", 0.0, 125.0, 25.0, 1250.0, 20.0)]


def test_window_threshold_is_inclusive_and_window_length_matters():
    t = [0.0, 0.5, 1.0]
    r = [100, 110, 120]
    assert len(spikes.detect_window_spikes(trace(t, r), 1.0, 20)) == 1
    assert spikes.detect_window_spikes(trace(t, r), 1.0, 20.5).empty
    assert spikes.detect_window_spikes(trace(t, r), 0.9, 20).empty


def test_window_starts_at_the_last_low_and_separates_distant_bursts():
    # A dip to 150 then a rise to 180; much later a second burst 180 -> 260 -> drop.
    t = [0.0, 0.1, 0.2, 0.3, 0.4, 2.0, 3.0, 3.01, 3.02, 3.5]
    r = [200, 150, 150, 180, 180, 180, 180, 220, 260, 100]
    found = spikes.detect_window_spikes(trace(t, r), window_s=1.0, min_increase_mb=20)
    assert as_tuples(found) == [
        ("window", 0.2, 180.0, 30.0, 100.0, 300.0),
        ("window", 3.0, 260.0, 80.0, 20.0, 4000.0),
    ]


def test_window_plateau_after_a_burst_keeps_one_event_with_the_first_top():
    t = [round(0.1 * i, 1) for i in range(15)]
    r = [100, 100, 140] + [140] * 12
    found = spikes.detect_window_spikes(trace(t, r), window_s=1.0, min_increase_mb=20)
    assert as_tuples(found) == [("window", 0.1, 140.0, 40.0, 100.0, 400.0)]


def brute_force_window(t, rss, window_s, min_increase):
    """The documented rule, computed the slow way: O(n^2)."""
    segment = []  # segment number of each sample: a new one starts at every fall of min / 2
    first = 0
    for j in range(len(t)):
        if rss[j] <= max(rss[first : j + 1]) - min_increase / 2:
            first = j
        segment.append(first)
    events = []
    for j in range(len(t)):
        inside = [i for i in range(segment[j], j + 1) if t[i] >= t[j] - window_s - 1e-9]
        low = max(i for i in inside if rss[i] == min(rss[k] for k in inside))
        if low == j or rss[j] - rss[low] < min_increase:
            continue
        if events and low <= events[-1][1]:
            events[-1][1] = j
        else:
            events.append([low, j])
    return [(s, s + int(np.argmax(rss[s : e + 1]))) for s, e in events]


@pytest.mark.parametrize("seed", range(8))
def test_window_detector_matches_the_brute_force_rule(seed):
    # A random walk with upward bursts and sharp falls: rises merge, split and restart.
    rng = np.random.default_rng(seed)
    n = 400
    t = np.cumsum(rng.uniform(0.005, 0.05, n))
    steps = rng.normal(0, 3, n) + rng.choice([0, 12, -9], n, p=[0.8, 0.12, 0.08])
    rss = np.round(200 + np.cumsum(steps), 3).clip(1)
    frame = pd.DataFrame({"time_s": t, "vmrss_kb": rss * 1024})
    found = spikes.detect_window_spikes(frame, window_s=0.5, min_increase_mb=10)
    expected = brute_force_window(t, rss, 0.5, 10)
    assert len(expected) > 3
    assert list(found["time_s"]) == [t[s] for s, _ in expected]
    assert list(found["rss_mb"]) == pytest.approx([rss[top] for _, top in expected])


def rehash_sawtooth(n_rises, rise=40.0, drop=20.0, base=100.0, step_s=0.01):
    """Rehash-like: +rise over three samples, then -drop in one, repeated; all within 1 s."""
    r = [base]
    for _ in range(n_rises):
        r += [r[-1] + rise / 3, r[-1] + 2 * rise / 3, r[-1] + rise, r[-1] + rise - drop]
    return [round(i * step_s, 6) for i in range(len(r))], r


def test_window_gives_one_event_per_rehash_in_a_sawtooth():
    t, r = rehash_sawtooth(5)
    assert t[-1] < 1.0
    found = spikes.detect_window_spikes(trace(t, r), window_s=1.0, min_increase_mb=20)
    # Each event starts at the low after the previous fall (100, 120, 140, ...), tops 40 higher.
    assert as_tuples(found) == [
        ("window", round(0.04 * k, 6), 140.0 + 20 * k, 40.0, 30.0, 1333.333) for k in range(5)
    ]


def test_window_splits_at_a_fall_of_half_the_threshold_and_not_less():
    t = [0.0, 0.01, 0.02, 0.03]
    split = spikes.detect_window_spikes(trace(t, [100, 130, 120, 150]), 1.0, 20)
    assert as_tuples(split) == [
        ("window", 0.0, 130.0, 30.0, 10.0, 3000.0),
        ("window", 0.02, 150.0, 30.0, 10.0, 3000.0),
    ]
    kept = spikes.detect_window_spikes(trace(t, [100, 130, 120.5, 150]), 1.0, 20)
    assert as_tuples(kept) == [("window", 0.0, 150.0, 50.0, 30.0, 1666.667)]


def test_window_never_starts_before_a_fall_even_without_an_open_event():
    # 100 -> 115 is too small to qualify; the fall to 104 (11 MB) splits, so 104 -> 122 (18 MB)
    # is measured from the new low and does not qualify either; 104 -> 126 does.
    t = [0.0, 0.01, 0.02, 0.03]
    assert spikes.detect_window_spikes(trace(t, [100, 115, 104, 122]), 1.0, 20).empty
    found = spikes.detect_window_spikes(trace(t, [100, 115, 104, 126]), 1.0, 20)
    assert as_tuples(found) == [("window", 0.02, 126.0, 22.0, 10.0, 2200.0)]


def test_window_keeps_a_slow_monotone_rise_as_one_merged_event():
    # 60 MB over 3 s (20 MB/s): every window of 1 s from t >= 1 s qualifies and they overlap.
    t = [i / 10 for i in range(31)] + [3.5, 4.0, 5.0]
    r = [100 + 2 * i for i in range(31)] + [160, 160, 160]
    found = spikes.detect_window_spikes(trace(t, r), window_s=1.0, min_increase_mb=20)
    assert as_tuples(found) == [("window", 0.0, 160.0, 60.0, 3000.0, 20.0)]


def test_window_noise_does_not_split_a_burst():
    # A 60 MB rise over 0.5 s and a 1 s plateau, with +-1 MB noise on every sample.
    rng = np.random.default_rng(7)
    t = np.arange(150) * 0.01
    smooth = np.concatenate([100 + 60 * np.arange(50) / 49, np.full(100, 160.0)])
    frame = pd.DataFrame({"time_s": t, "vmrss_kb": (smooth + rng.uniform(-1, 1, 150)) * 1024})
    found = spikes.detect_window_spikes(frame, window_s=1.0, min_increase_mb=20)
    assert len(found) == 1
    assert found["time_s"].iloc[0] <= 0.05
    assert found["increase_mb"].iloc[0] == pytest.approx(60, abs=2)
    # The same noise on a rehash sawtooth leaves exactly one event per rise.
    t, r = rehash_sawtooth(5)
    noisy = np.array(r) + rng.uniform(-1, 1, len(r))
    found = spikes.detect_window_spikes(trace(t, noisy), window_s=1.0, min_increase_mb=20)
    assert len(found) == 5
    assert found["increase_mb"].between(38, 42).all()


def test_window_detector_on_a_long_trace():
    # 100k samples at 10 ms: flat 100 MB with a 30 MB step up and back every 5 s.
    n = 100_000
    t = np.arange(n) * 0.01
    rss = np.where((np.arange(n) % 500) >= 450, 130.0, 100.0)
    found = spikes.detect_window_spikes(pd.DataFrame({"time_s": t, "vmrss_kb": rss * 1024}), 1, 20)
    assert len(found) == n // 500
    assert (found["increase_mb"] == 30).all()
    assert found["duration_ms"].round(6).eq(10).all()


@pytest.mark.parametrize(
    "frame",
    [
        pd.DataFrame(),
        pd.DataFrame(columns=["time_s", "vmrss_kb"]),
        trace([0.0], [100]),
        pd.DataFrame({"time_s": [0.0, 0.01], "vmrss_kb": [None, None]}),
    ],
)
def test_empty_and_tiny_traces_give_no_spikes(frame):
    found = spikes.detect_spikes(frame, 500, 1.0, 20)
    assert list(found.columns) == SPIKE_COLUMNS
    assert found.empty


SETTINGS = {"rate_threshold_mb_s": 500, "window_s": 1.0, "min_increase_mb": 20}


def test_main_keys_every_runs_events_and_writes_a_header_when_none(tmp_path):
    noisy = write_run(tmp_path, record(limit=300), trace_frame([0.0, 0.01, 0.02], [100, 130, 130]))
    flat = write_run(tmp_path, record(limit=600), trace_frame([0.0, 0.01], [100, 100]))
    out = tmp_path / "spikes.csv"
    spikes.main([noisy / "trace.csv", flat / "trace.csv"], out, SETTINGS)
    written = pd.read_csv(out)
    assert list(written.columns) == SUMMARY_SPIKE_COLUMNS
    assert list(written["detector"]) == ["rate", "window"]
    assert set(written["limit_mb"]) == {300}
    assert list(written["increase_mb"]) == [30.0, 30.0]
    spikes.main([flat / "trace.csv"], out, SETTINGS)
    assert out.read_text() == ",".join(SUMMARY_SPIKE_COLUMNS) + "\n"


HEADER = ",".join(TRACE_COLUMNS)
FIRST = f"{HEADER}\n0.0,1,2,3,4,0,1\n"  # a header and one good sample
DAMAGE = {
    "garbage": ("garbage\nmore,garbage\n", "header 'garbage'"),
    "half a header": ("time_s,vmrss_kb,vms", "header 'time_s,vmrss_kb,vms'"),
    "empty": ("", "header ''"),
    "a row cut short": (f"{FIRST}0.01,1,2\n", "not 7 numbers"),
    "a word in a row": (f"{FIRST}0.01,x,2,3,4,0,1\n", "not 7 numbers"),
    "a row too long": (f"{FIRST}0.01,1,2,3,4,0,1,9\n", "not 7 numbers"),
    "rows lost": (FIRST, "1 samples, but its run.json says 2"),
    "RSS above the peak": (
        f"{FIRST}0.01,99999999999,2,3,4,0,1\n",
        "line 3: vmrss_kb 99999999999 is above the run's peak_rss_kb 524288 in run.json",
    ),
    "negative RSS": (f"{FIRST}0.01,-5,2,3,4,0,1\n", "line 3: vmrss_kb -5"),
    "negative count": (f"{FIRST}0.01,1,2,3,4,0,-1\n", "nprocs -1 is neg"),
    "time not a number": (f"{FIRST}nan,1,2,3,4,0,1\n", "time_s nan is not"),
    "time infinite": (f"{FIRST}inf,1,2,3,4,0,1\n", "line 3: time_s inf"),
    "time negative": (f"{HEADER}\n-1.0,1,2,3,4,0,1\n0.01,1,2,3,4,0,1\n", "time_s -1.0 is neg"),
    "time going back": (
        f"{HEADER}\n0.02,1,2,3,4,0,1\n0.01,1,2,3,4,0,1\n",
        "line 3: time_s 0.01 is earlier than the sample before",
    ),
}


@pytest.mark.parametrize("damage", DAMAGE, ids=list(DAMAGE))
def test_a_damaged_trace_stops_the_stage_naming_the_file_and_the_redo(tmp_path, damage):
    run_dir = write_run(tmp_path, record(), trace_frame([0.0, 0.01], [100, 130]))
    text, expected = DAMAGE[damage]
    (run_dir / "trace.csv").write_text(text)
    with pytest.raises(TableError) as err:
        spikes.main([run_dir / "trace.csv"], tmp_path / "s.csv", SETTINGS)
    message = str(err.value)
    assert str(run_dir / "trace.csv") in message and expected in message
    assert f"rm -r {run_dir}" in message
    assert not (tmp_path / "s.csv").exists()
