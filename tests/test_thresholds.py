"""Threshold verdicts: PASS/FAIL per position, missing and failed runs, the pattern's last match."""

import pandas as pd
import thresholds
from contracts import THRESHOLD_COLUMNS

CHECK = {
    "memory_mb": 1000,
    "bucket_model": "auto",
    "pattern": r"Bucket sizes: (\S+)",
    "expected": {"below": "4M/8M/4M", "at": "8M/8M/8M", "above": "8M/8M/8M"},
}


def runs(rows):
    """rows: (limit, model, repeat, status, peak, threshold_check, run_dir)."""
    columns = ["limit_mb", "bucket_model", "repeat", "status", "peak_mb", "threshold_check"]
    return pd.DataFrame(rows, columns=[*columns, "run_dir"])


def test_all_positions_pass_with_the_seed_expectations():
    table = thresholds.threshold_table(
        runs([(lim, "auto", 1, "ok", 500.0, True, f"d{lim}") for lim in (999, 1000, 1001)]),
        [CHECK],
        {"d999": "Bucket sizes: 4M/8M/4M\n", "d1000": "x\nBucket sizes: 8M/8M/8M\n",
         "d1001": "Bucket sizes: 8M/8M/8M"}.get,
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
        logs.get,
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
        lambda run_dir: "Bucket sizes: 2M/4M/2M, tables 64.0 MB",
    )
    assert len(table) == 6
    assert list(table["verdict"][:3]) == ["PASS", "PASS", "FAIL"]
    assert list(table["threshold_mb"][3:]) == [1000] * 3
    assert list(table["verdict"][3:]) == ["FAIL"] * 3  # no auto runs at all


def test_main_reads_logs_from_run_dirs_and_writes_empty_cells(tmp_path):
    for lim, reported in ((999, "4M/8M/4M"), (1000, "4M/8M/4M")):
        folder = tmp_path / f"{lim}MB"
        folder.mkdir()
        (folder / "solver.log").write_text(f"Memory limit: {lim} MB\nBucket sizes: {reported}\n")
    src = tmp_path / "runs.csv"
    src.write_text(
        "limit_mb,bucket_model,repeat,status,peak_mb,threshold_check,run_dir\n"
        f"999,auto,1,ok,560.2,True,{tmp_path}/999MB\n"
        f"1000,auto,1,ok,640.1,True,{tmp_path}/1000MB\n"
    )
    out = tmp_path / "thresholds.csv"
    thresholds.main(src, out, [CHECK], tmp_path / "thresholds.log")
    text = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert list(text.columns) == THRESHOLD_COLUMNS
    assert list(text["verdict"]) == ["PASS", "FAIL", "FAIL"]
    assert text.loc[2, ["repeat", "status", "reported_config", "peak_mb"]].tolist() == [""] * 4
    log = (tmp_path / "thresholds.log").read_text()
    assert "1 of 3 threshold checks PASS" in log and "FAIL threshold 1000 MB at" in log


def test_the_report_is_read_as_run_json_reads_it():
    assert thresholds.reported_config("a: 1\na: 2\n", r"a: (\d)") == "2"
    assert thresholds.reported_config("nothing", r"a: (\d)") is None
    # one parser for run.json and thresholds.csv: ^ anchors at each line in both
    assert thresholds.reported_config("x\nSize: 3\n", r"^Size: (\d)") == "3"
