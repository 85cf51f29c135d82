"""Threshold verdicts: PASS/FAIL per position, missing and failed runs, the pattern's last match."""

import pandas as pd

import tables
from analysis import runs as runs_stage
from analysis import thresholds
from contracts import THRESHOLD_COLUMNS
from runfiles import record, write_run
from tables import rundir

CHECK = {
    "memory_mb": 1000,
    "bucket_model": "auto",
    "pattern": r"Bucket sizes: (\S+)",
    "expected": {"below": "4M/8M/4M", "at": "8M/8M/8M", "above": "8M/8M/8M"},
}


def runs(rows):
    """rows: (limit, model, repeat, status, peak, threshold_check, run_dir)."""
    columns = ["limit_mb", "bucket_model", "repeat", "status", "peak_mb", "threshold_check"]
    return pd.DataFrame(rows, columns=[*columns, "run_dir"]).assign(variant="default")


def reading(logs: dict):
    """A read_log for threshold_table: the configuration reported in logs[run_dir]."""
    return lambda run_dir, pattern: rundir.reported_config(logs.get(run_dir), pattern)


def test_all_positions_pass_with_the_documented_expectations():
    table = thresholds.threshold_table(
        runs([(lim, "auto", 1, "ok", 500.0, True, f"d{lim}") for lim in (999, 1000, 1001)]),
        [CHECK],
        ["default"],
        reading({"d999": "Bucket sizes: 4M/8M/4M\n", "d1000": "x\nBucket sizes: 8M/8M/8M\n",
                 "d1001": "Bucket sizes: 8M/8M/8M"}),
    )  # fmt: skip
    assert list(table.columns) == THRESHOLD_COLUMNS
    assert list(table["position"]) == ["below", "at", "above"]
    assert list(table["limit_mb"]) == [999, 1000, 1001]
    assert list(table["verdict"]) == ["PASS"] * 3
    assert list(table["reported_config"]) == ["4M/8M/4M", "8M/8M/8M", "8M/8M/8M"]


def test_wrong_missing_and_failed_runs_fail():
    logs = {
        "d999": "Bucket sizes: 2M/4M/2M\nBucket sizes: 4M/8M/4M\n",  # last match counts: PASS
        "d1000": "Bucket sizes: 4M/8M/4M\n",  # wrong configuration
    }
    table = thresholds.threshold_table(
        runs(
            [
                (999, "auto", 1, "ok", 480.0, True, "d999"),
                (1000, "auto", 1, "ok", 470.0, True, "d1000"),
                (1000, "auto", 2, "killed", None, True, "d1000-2"),  # no log: no report
                (1001, "auto", 1, "ok", 600.0, False, "grid"),  # not a threshold run
            ]
        ),
        [CHECK],
        ["default"],
        reading(logs),
    )
    assert list(zip(table["position"], table["repeat"], table["verdict"], strict=True)) == [
        ("below", 1, "PASS"), ("at", 1, "FAIL"), ("at", 2, "FAIL"), ("above", pd.NA, "FAIL"),
    ]  # fmt: skip
    assert table.loc[1, "reported_config"] == "4M/8M/4M"
    killed, absent = table.iloc[2], table.iloc[3]
    assert killed["status"] == "killed" and pd.isna(killed["reported_config"])
    assert pd.isna(killed["peak_mb"])
    assert pd.isna(absent["reported_config"]) and pd.isna(absent["run_dir"])
    assert absent["expected"] == "8M/8M/8M"


def test_each_threshold_uses_its_own_pattern_and_model():
    check = {
        "memory_mb": 500,
        "bucket_model": "2M/4M/2M",
        "pattern": r"tables (\d+\.\d) MB",
        "expected": {"below": "64.0", "at": "64.0", "above": "32.0"},
    }
    table = thresholds.threshold_table(
        runs([(lim, "2M/4M/2M", 1, "ok", 1.0, True, str(lim)) for lim in (499, 500, 501)]),
        [check, CHECK],
        ["default"],
        lambda run_dir, pattern: rundir.reported_config(
            "Bucket sizes: 2M/4M/2M, tables 64.0 MB", pattern
        ),
    )
    assert len(table) == 6
    assert list(table["verdict"][:3]) == ["PASS", "PASS", "FAIL"]
    assert list(table["threshold_mb"][3:]) == [1000] * 3
    assert list(table["verdict"][3:]) == ["FAIL"] * 3  # no auto runs at all


def test_main_reads_logs_from_run_dirs_and_writes_empty_cells(tmp_path):
    recs = []
    for lim, reported in ((999, "4M/8M/4M"), (1000, "4M/8M/4M")):
        rec = record(limit=lim, model="auto")
        folder = write_run(tmp_path, rec, log=f"Memory limit: {lim} MB\nBucket sizes: {reported}\n")
        recs.append({**rec, "run_dir": str(folder)})
    membership = [[*(r[k] for k in tables.KEY), False, True] for r in recs]
    src = tmp_path / "runs.csv"
    table = runs_stage.runs_table(recs, [None, None], tables.SPIKES.empty(), membership)
    tables.RUNS.write(table, src)
    out = tmp_path / "thresholds.csv"
    thresholds.main(src, out, [CHECK], ["default"])
    text = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert list(text.columns) == THRESHOLD_COLUMNS
    assert list(text["verdict"]) == ["PASS", "FAIL", "FAIL"]
    assert text.loc[2, ["repeat", "status", "reported_config", "peak_mb"]].tolist() == [""] * 4


def test_every_variant_is_checked_on_its_own_runs():
    rows = [(lim, "auto", 1, "ok", 500.0, True, f"{v}{lim}") for lim in (999, 1000, 1001)
            for v in ("a", "b")]  # fmt: skip
    frame = runs(rows).assign(variant=[r[-1][0] for r in rows])
    logs = {f"a{lim}": "Bucket sizes: 8M/8M/8M" for lim in (999, 1000, 1001)}
    logs |= {"b999": "Bucket sizes: 4M/8M/4M", "b1000": "Bucket sizes: 8M/8M/8M",
             "b1001": "Bucket sizes: 8M/8M/8M"}  # fmt: skip
    table = thresholds.threshold_table(frame, [CHECK], ["a", "b"], reading(logs))
    verdicts = dict(zip(zip(table["variant"], table["position"], strict=True), table["verdict"],
                        strict=True))  # fmt: skip
    assert verdicts[("a", "below")] == "FAIL" and verdicts[("b", "below")] == "PASS"
    assert len(table) == 6


def test_the_last_match_of_the_group_is_the_report():
    assert rundir.reported_config("a: 1\na: 2\n", r"a: (\d)") == "2"
    assert rundir.reported_config("nothing", r"a: (\d)") is None
    assert rundir.reported_config("x\nSize: 3\n", r"^Size: (\d)") == "3"  # ^ at each line
