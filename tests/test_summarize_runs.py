"""The runs table: columns, MB conversions, NA rules, flags and deduplication."""

import json

import pandas as pd
import pytest
import summarize_runs
from contracts import RUN_COLUMNS, SPIKE_COLUMNS, SUMMARY_SPIKE_COLUMNS


def run(limit, model, repeat, **extra):
    record = {
        "limit_mb": limit,
        "bucket_model": model,
        "repeat": repeat,
        "status": "ok",
        "exit_code": 0,
        "signal": None,
        "timed_out": False,
        "oom_killed": None,
        "duration_s": 1.5,
        "samples": 150,
        "effective_interval_ms": 10.1,
        "missed_ticks": 0,
        "peak_rss_kb": 512 * 1024,
        "peak_rss_time_s": 0.8,
        "hwm_kb": 513 * 1024,
        "maxrss_kb": 514 * 1024,
        "cgroup_peak_kb": None,
        "peak_capture": 0.998,
        "peak_vmsize_kb": 600 * 1024,
        "reported_config": model,
        "hostname": "node1",
        "kernel": "6.1",
        "sampler_version": "1.0",
        "run_dir": f"results/runs/{limit}MB/{model.replace('/', '-')}/rep{repeat}",
    }
    return {**record, **extra}


def spikes_frame(*detectors):
    rows = [[d, 0.1 * i, 100.0, 30.0, 10.0, 3000.0] for i, d in enumerate(detectors)]
    return pd.DataFrame(rows, columns=SPIKE_COLUMNS)


def test_columns_conversions_and_flags():
    runs = [run(323, "8M/8M/8M", 1), run(1000, "auto", 1, peak_rss_kb=300 * 1024)]
    frames = [spikes_frame("rate", "window", "window", "rate"), spikes_frame()]
    table, all_spikes = summarize_runs.summarize(
        runs, frames, [[323, "8M/8M/8M", 1]], [[1000, "auto", 1]]
    )
    assert list(table.columns) == RUN_COLUMNS
    first, second = table.iloc[0], table.iloc[1]
    assert (first["limit_mb"], first["peak_rss_mb"], first["hwm_mb"]) == (323, 512.0, 513.0)
    assert (first["maxrss_mb"], first["peak_vmsize_mb"]) == (514.0, 600.0)
    assert bool(first["over_budget"]) and not bool(second["over_budget"])
    assert (first["n_spikes"], second["n_spikes"]) == (2, 0)
    assert bool(first["in_grid"]) and not bool(first["threshold_check"])
    assert not bool(second["in_grid"]) and bool(second["threshold_check"])
    assert pd.isna(first["cgroup_peak_mb"]) and pd.isna(first["oom_killed"])
    assert list(all_spikes.columns) == SUMMARY_SPIKE_COLUMNS
    assert len(all_spikes) == 4 and set(all_spikes["limit_mb"]) == {323}


def test_failed_run_with_unknown_values_is_na_never_zero():
    failed = run(
        478, "4M/8M/4M", 2, status="failed", exit_code=None, signal=9, peak_rss_kb=None,
        hwm_kb=None, maxrss_kb=None, peak_vmsize_kb=None, samples=None, peak_capture=None,
    )  # fmt: skip
    del failed["duration_s"]  # a key the record lacks altogether
    table, _ = summarize_runs.summarize([failed], [None], [[478, "4M/8M/4M", 2]], [])
    row = table.iloc[0]
    assert row["status"] == "failed" and row["signal"] == 9
    for column in ("exit_code", "peak_rss_mb", "over_budget", "n_spikes", "duration_s", "samples"):
        assert pd.isna(row[column]), column


def test_rows_are_deduplicated_and_sorted():
    runs = [run(823, "8M/8M/8M", 2), run(323, "8M/8M/8M", 1), run(823, "8M/8M/8M", 2)]
    table, _ = summarize_runs.summarize(runs, [None] * 3, [], [])
    assert list(zip(table["limit_mb"], table["repeat"], strict=True)) == [(323, 1), (823, 2)]


def test_inputs_must_pair_up():
    with pytest.raises(ValueError):
        summarize_runs.summarize([run(323, "auto", 1)], [], [], [])


def test_main_writes_empty_cells_for_missing_values(tmp_path):
    paths, spike_paths = [], []
    records = [
        run(323, "8M/8M/8M", 1),
        run(1000, "auto", 1, status="timeout", peak_rss_kb=None, hwm_kb=None),
    ]
    for i, record in enumerate(records):
        folder = tmp_path / f"run{i}"
        folder.mkdir()
        (folder / "run.json").write_text(json.dumps(record))
        (folder / "spikes.csv").write_text(",".join(SPIKE_COLUMNS) + "\n")
        paths.append(folder / "run.json")
        spike_paths.append(folder / "spikes.csv")
    spikes_frame("window").to_csv(spike_paths[0], index=False)
    out_runs, out_spikes = tmp_path / "summary" / "runs.csv", tmp_path / "summary" / "spikes.csv"
    summarize_runs.main(
        paths, spike_paths, out_runs, out_spikes,
        [[323, "8M/8M/8M", 1]], [[1000, "auto", 1]], tmp_path / "summary.log",
    )  # fmt: skip
    text = pd.read_csv(out_runs, dtype=str, keep_default_na=False)
    assert list(text.columns) == RUN_COLUMNS
    timeout = text[text["status"] == "timeout"].iloc[0]
    assert timeout["peak_rss_mb"] == "" and timeout["peak_mb"] == ""
    assert timeout["over_budget"] == ""
    assert timeout["n_spikes"] == "0" and timeout["threshold_check"] == "True"
    ok = text[text["status"] == "ok"].iloc[0]
    assert (ok["peak_rss_mb"], ok["over_budget"], ok["n_spikes"]) == ("512.0", "True", "1")
    assert ok["cgroup_peak_mb"] == "" and ok["exit_code"] == "0"
    assert len(pd.read_csv(out_spikes)) == 1
    assert "2 runs" in (tmp_path / "summary.log").read_text()


def test_peak_is_the_larger_of_the_sampled_and_the_kernel_peak():
    records = [
        run(300, "auto", 1, peak_rss_kb=300 * 1024, hwm_kb=310 * 1024),  # sampling missed 10 MB
        run(300, "auto", 2, peak_rss_kb=320 * 1024, hwm_kb=200 * 1024),  # a tree: summed RSS
        run(300, "auto", 3, peak_rss_kb=None, hwm_kb=290 * 1024),
    ]
    table, _ = summarize_runs.summarize(records, [None] * 3, [], [])
    assert table["peak_mb"].tolist() == [310.0, 320.0, 290.0]
    assert table["over_budget"].tolist() == [True, True, False]
