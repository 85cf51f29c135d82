"""The runs table: columns, MB conversions, NA rules, reported configuration, bad run.json."""

import io
import json

import pandas as pd
import pytest

import tables
from analysis import runs
from contracts import RUN_COLUMNS, SUMMARY_SPIKE_COLUMNS
from pipeline import redo
from runfiles import record, write_run
from tables import TableError, rundir

PATTERN = r"Bucket sizes: (\S+)"
NO_SPIKES = pd.DataFrame(columns=SUMMARY_SPIKE_COLUMNS)


def spikes_of(rec, *detectors):
    rows = [
        [rec["variant"], rec["limit_mb"], rec["bucket_model"], rec["repeat"], d, 0.1 * i, 100.0,
         30.0, 10.0, 3000.0, None]
        for i, d in enumerate(detectors)
    ]  # fmt: skip
    return pd.DataFrame(rows, columns=SUMMARY_SPIKE_COLUMNS)


def member(rec, in_grid, check):
    return [rec["variant"], rec["limit_mb"], rec["bucket_model"], rec["repeat"], in_grid, check]


def test_columns_conversions_flags_and_reported_config():
    first = record(limit=323, model="8M/8M/8M")
    second = record(limit=1000, model="auto", peak_rss_kb=300 * 1024, hwm_kb=None)
    spikes = spikes_of(first, "rate", "window", "window", "rate")
    membership = [member(first, True, False), member(second, False, True)]
    table = runs.runs_table([second, first], [None, "8M/8M/8M"], spikes, membership)
    assert list(table.columns) == RUN_COLUMNS
    one, two = table.iloc[0], table.iloc[1]
    assert (one["limit_mb"], one["peak_rss_mb"], one["hwm_mb"]) == (323, 512.0, 513.0)
    assert (one["maxrss_mb"], one["peak_vmsize_mb"], one["peak_mb"]) == (514.0, 600.0, 513.0)
    assert bool(one["over_budget"]) and not bool(two["over_budget"])
    assert (one["n_spikes"], two["n_spikes"]) == (2, 0)
    assert one["reported_config"] == "8M/8M/8M" and pd.isna(two["reported_config"])
    assert bool(one["in_grid"]) and not bool(one["threshold_check"])
    assert not bool(two["in_grid"]) and bool(two["threshold_check"])
    assert pd.isna(one["cgroup_peak_mb"]) and pd.isna(one["oom_killed"])
    assert one["n_leftover"] == 0
    assert one["interval_p99_ms"] == 10.25  # copied from run.json under its own name


def test_failed_run_with_unknown_values_is_na_never_zero():
    failed = record(
        limit=478, status="failed", exit_code=None, signal=9, peak_rss_kb=None, hwm_kb=None,
        maxrss_kb=None, peak_vmsize_kb=None, samples=None, peak_capture=None,
    )  # fmt: skip
    del failed["duration_s"], failed["leftover_processes"]  # keys the record lacks altogether
    table = runs.runs_table([failed], [None], NO_SPIKES, [])
    row = table.iloc[0]
    assert row["status"] == "failed" and row["signal"] == 9
    for column in ("exit_code", "peak_rss_mb", "peak_mb", "over_budget", "duration_s",
                   "samples", "reported_config", "n_leftover"):  # fmt: skip
        assert pd.isna(row[column]), column


def test_rows_are_sorted_by_variant_limit_model_repeat():
    recs = [record("b", 823, repeat=2), record("a", 823), record("a", 323, repeat=2)]
    table = runs.runs_table(recs, [None] * 3, NO_SPIKES, [])
    keys = list(zip(table["variant"], table["limit_mb"], table["repeat"], strict=True))
    assert keys == [("a", 323, 2), ("a", 823, 1), ("b", 823, 2)]


def test_peak_is_the_larger_of_the_sampled_and_the_kernel_peak():
    recs = [
        record(repeat=1, peak_rss_kb=300 * 1024, hwm_kb=310 * 1024),  # sampling missed 10 MB
        record(repeat=2, peak_rss_kb=320 * 1024, hwm_kb=200 * 1024),  # a tree: summed RSS
        record(repeat=3, peak_rss_kb=None, hwm_kb=290 * 1024),
    ]
    table = runs.runs_table(recs, [None] * 3, NO_SPIKES, [])
    assert table["peak_mb"].tolist() == [310.0, 320.0, 290.0]
    assert table["over_budget"].tolist() == [True, True, False]


def test_a_forking_tree_takes_its_peak_from_a_figure_that_counts_shared_pages_once():
    # A parent of 235 MB forks children: the summed RSS counts its pages once per child.
    tree = {"peak_rss_kb": 1110 * 1024, "hwm_kb": 235 * 1024, "peak_nprocs": 5, "samples": 300}
    recs = [
        record(repeat=1, **tree, peak_pss_kb=254 * 1024, cgroup_peak_kb=287 * 1024),
        record(repeat=2, **tree, peak_pss_kb=254 * 1024),  # no cgroup: PSS
        record(repeat=3, **tree),  # neither: the summed RSS, an upper bound, as before
        record(repeat=4, peak_rss_kb=600, hwm_kb=None, samples=1),  # ended between samples
        record(repeat=5, peak_rss_kb=600, hwm_kb=None, samples=1, cgroup_peak_kb=2048),
    ]
    table = runs.runs_table(recs, [None] * 5, NO_SPIKES, [])
    assert table["peak_source"].tolist() == ["cgroup", "PSS", "sampled", "unseen", "sampled"]
    assert table["peak_mb"].round(3).tolist() == [287.0, 254.0, 1110.0, 0.586, 0.586]
    assert table["over_budget"].tolist() == [False, False, True, False, False]
    assert table["peak_nprocs"].tolist()[:3] == [5, 5, 5]


def test_main_writes_empty_cells_and_reads_each_runs_log(tmp_path):
    ok = write_run(tmp_path, record(limit=323), log="Bucket sizes: None\n")
    late = write_run(
        tmp_path, record(limit=1000, status="timeout", peak_rss_kb=None, hwm_kb=None), log=""
    )
    spikes_csv = tmp_path / "spikes.csv"
    tables.SPIKES.write(spikes_of(record(limit=323), "window"), spikes_csv)
    out = tmp_path / "summary" / "runs.csv"
    membership = [member(record(limit=323), True, False), member(record(limit=1000), False, True)]
    runs.main([ok / "run.json", late / "run.json"], spikes_csv, out, membership, PATTERN)
    text = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert list(text.columns) == RUN_COLUMNS
    timeout = text[text["status"] == "timeout"].iloc[0]
    assert timeout["peak_rss_mb"] == "" and timeout["peak_mb"] == ""
    assert timeout["over_budget"] == "" and timeout["reported_config"] == ""
    assert timeout["n_spikes"] == "0" and timeout["threshold_check"] == "True"
    first = text[text["status"] == "ok"].iloc[0]
    assert (first["peak_rss_mb"], first["over_budget"], first["n_spikes"]) == ("512.0", "True", "1")
    assert first["reported_config"] == "None"  # a word the program printed, not a missing value
    assert first["cgroup_peak_mb"] == "" and first["exit_code"] == "0"
    assert tables.RUNS.read(out)["reported_config"].tolist()[0] == "None"


@pytest.mark.parametrize(
    ("content", "expected"),
    [("", "not valid JSON"), ("{", "not valid JSON"), ("[1]", "not a JSON object"),
     ("{}", "lacks the key(s) ['variant', 'limit_mb'")],
)  # fmt: skip
def test_a_bad_run_json_names_the_file_and_the_redo(tmp_path, content, expected):
    good = write_run(tmp_path, record(limit=300))
    bad = write_run(tmp_path, record(limit=600))
    (bad / "run.json").write_text(content)
    spikes_csv = tmp_path / "spikes.csv"
    tables.SPIKES.write(NO_SPIKES, spikes_csv)
    out = tmp_path / "runs.csv"
    with pytest.raises(TableError) as err:
        runs.main([good / "run.json", bad / "run.json"], spikes_csv, out, [], PATTERN)
    message = str(err.value)
    assert str(bad / "run.json") in message and expected in message
    assert f"rm -r {bad}" in message
    assert not out.exists()
    assert json.loads((good / "run.json").read_text())["limit_mb"] == 300  # nothing else touched


@pytest.mark.parametrize(
    ("change", "expected"),
    [({"limit_mb": "300"}, "limit_mb is '300', not a whole number >= 1"),
     ({"limit_mb": 0}, "limit_mb is 0, not a finite number >= 1"),
     ({"repeat": 1.5}, "repeat is 1.5, not a whole number >= 1"),
     ({"samples": None}, "samples is null, but the analysis needs it"),
     ({"status": 3}, "status is 3, not a string"),
     ({"duration_s": -1.0}, "duration_s is -1.0, not a finite number >= 0"),
     ({"peak_rss_kb": float("nan")}, "peak_rss_kb is nan, not a finite number >= 0"),
     ({"hwm_kb": float("inf")}, "hwm_kb is inf, not a finite number >= 0"),
     ({"hwm_kb": True}, "hwm_kb is True, not a number >= 0"),
     ({"timed_out": "no"}, "timed_out is 'no', not true or false"),
     ({"exit_code": -2}, "exit_code is -2, not a finite number >= 0"),
     ({"leftover_processes": 3}, "leftover_processes is 3, not a list")],
)  # fmt: skip
def test_a_bad_run_json_value_is_a_named_error(tmp_path, change, expected):
    folder = write_run(tmp_path, record(limit=300))
    path = folder / "run.json"
    path.write_text(json.dumps({**json.loads(path.read_text()), **change}))  # NaN, Infinity too
    spikes_csv = tmp_path / "spikes.csv"
    tables.SPIKES.write(NO_SPIKES, spikes_csv)
    with pytest.raises(TableError) as err:
        runs.main([path], spikes_csv, tmp_path / "runs.csv", [], PATTERN)
    assert str(err.value).startswith(f"{path}: {expected}; redo that run: rm -r {folder} && ")


def test_the_redo_repeats_the_campaigns_command_line(tmp_path, monkeypatch):
    monkeypatch.setenv(redo.CAMPAIGN_ENV, redo.command_line(["all", "--configfile", "a b.yaml"]))
    assert rundir.run_redo("results/runs/x/rep1") == (
        "redo that run: rm -r results/runs/x/rep1 && snakemake all --configfile 'a b.yaml'"
    )
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(redo.CAMPAIGN_ENV, redo.command_line(["-d", "camp", "all"]))
    assert f"rm -r {tmp_path}/results/runs/x/rep1 && snakemake -d camp all" in rundir.run_redo(
        "results/runs/x/rep1"
    )  # a command that names its working folder gets the run's folder in full
    monkeypatch.delenv(redo.CAMPAIGN_ENV)
    assert rundir.run_redo("r").endswith(f"&& {redo.DEFAULT_COMMAND}")


def test_the_last_report_is_found_in_a_log_read_block_by_block(monkeypatch):
    monkeypatch.setattr(rundir, "BLOCK", 64)
    monkeypatch.setattr(rundir, "OVERLAP", 32)
    lines = [f"line {i}: nothing to see".encode() for i in range(40)]
    log = b"\n".join([*lines[:10], b"Bucket sizes: 2M/4M/2M", *lines[10:], b""])
    assert rundir.last_match(io.BytesIO(log), PATTERN) == "2M/4M/2M"
    for cut in range(len(log) - 40, len(log)):  # the last report straddles every block boundary
        text = log[:cut] + b"\nBucket sizes: 8M/8M/8M\n" + log[cut:]
        assert rundir.last_match(io.BytesIO(text), PATTERN) == "8M/8M/8M", cut
    assert rundir.last_match(io.BytesIO(b"\xff" * 500), PATTERN) is None
    assert rundir.last_match(io.BytesIO(b"Bucket sizes: \xc3\xa9\n"), PATTERN) == "\xe9"
