"""Verdicts are decided once: each kind's level and message, and the overall level."""

import pandas as pd
import pytest

import tables
import verdicts
from contracts import VERDICT_COLUMNS
from fixtures_report import make_campaign, read_tables, write_campaign

SETTINGS = {"cv_warn_percent": 5.0, "capture_warn": 0.9, "missed_warn_percent": 1.0}


@pytest.fixture(scope="module")
def campaign(tmp_path_factory):
    root = tmp_path_factory.mktemp("campaign")
    return read_tables(write_campaign(make_campaign(), root))


def test_the_table_has_its_contract_and_every_kind(campaign):
    table = campaign["verdicts"]
    assert list(table.columns) == VERDICT_COLUMNS
    optional = verdicts.OPTIONAL_KINDS  # a search or comparison config has them
    assert list(dict.fromkeys(table["kind"])) == [k for k in verdicts.KINDS if k not in optional]
    assert set(table["level"]) <= set(tables.LEVELS)


def not_ok(table, kind):
    rows = table[(table["kind"] == kind) & (table["level"] != "ok")]
    return sorted(zip(rows["level"], rows["subject"], rows["message"], strict=True))


def test_failed_runs_fail_with_their_cause(campaign):
    assert not_ok(campaign["verdicts"], "run_status") == [
        ("fail", "default · 1005 MB · 8M/8M/8M · rep 1", "OOM-killed by the kernel at its limit"),
        ("fail", "default · 64 MB · 4M/8M/4M · rep 3", "exit 1"),
        ("fail", "default · 64 MB · 8M/8M/8M · rep 2", "timed out after 1.1 s"),
    ]


def test_budget_warns_on_over_budget_or_oom_per_configuration(campaign):
    table = campaign["verdicts"]
    budget = table[table["kind"] == "budget"]
    assert len(budget) == len(campaign["variance"]) + 3  # the grid's configurations + 3 checks
    flagged = budget[budget["level"] == "warn"]
    assert set(flagged["limit_mb"]) == {64, 323, 1005}  # 1005: one run OOM-killed
    over = flagged[flagged["limit_mb"] == 323].iloc[0]
    assert over["value"] > over["bound"] == 323 and over["unit"] == "MB"


def test_stability_and_capture_use_their_settings(campaign):
    unstable = not_ok(campaign["verdicts"], "stability")
    assert [s for _, s, _ in unstable] == ["default · 1005 MB · 4M/8M/4M",
                                          "default · 323 MB · 4M/8M/4M"]  # fmt: skip
    relaxed = verdicts.stability_rows(campaign["variance"], {"cv_warn_percent": 50})
    assert {r["level"] for r in relaxed} == {"ok"}
    low = not_ok(campaign["verdicts"], "capture")
    assert low == [("warn", "default · 323 MB · 4M/8M/4M · rep 1",
                    "sampled peak is 0.850 of the kernel's")]  # fmt: skip


def test_thresholds_pass_and_fail_with_the_reported_configuration():
    frame = pd.DataFrame(
        {
            "variant": "default", "threshold_mb": 1000, "position": ["below", "at"],
            "limit_mb": [999, 1000], "bucket_model": "auto", "repeat": [1, pd.NA],
            "status": ["ok", None], "reported_config": ["4M/8M/4M", None],
            "expected": ["4M/8M/4M", "8M/8M/8M"], "verdict": ["PASS", "FAIL"],
            "peak_mb": [1.0, None], "run_dir": ["r", None],
        }
    )  # fmt: skip
    rows = verdicts.threshold_rows(tables.typed(frame, tables.THRESHOLDS))
    assert [(r["level"], r["message"]) for r in rows] == [
        ("ok", "reported '4M/8M/4M'"),
        ("fail", "reported nothing, expected '8M/8M/8M' (no run)"),
    ]


def test_leftover_processes_warn():
    runs = tables.RUNS.empty()
    runs = tables.typed(
        pd.concat([runs, pd.DataFrame({"variant": ["v"] * 2, "limit_mb": [1, 2],
                   "bucket_model": "auto", "repeat": 1, "n_leftover": [0, 2]})]),
        tables.RUNS,
    )  # fmt: skip
    rows = verdicts.leftover_rows(runs)
    assert [(r["level"], r["message"]) for r in rows] == [
        ("ok", "none"), ("warn", "2 process(es) outlived the run and were killed"),
    ]  # fmt: skip


def test_a_log_cut_to_its_cap_warns():
    runs = tables.RUNS.empty()
    runs = tables.typed(
        pd.concat([runs, pd.DataFrame({"variant": ["v"] * 3, "limit_mb": [1, 2, 3],
                   "bucket_model": "auto", "repeat": 1, "output_mb": [0.5, 2048.0, None],
                   "output_cut_mb": [0.0, 1984.0, None]})]),
        tables.RUNS,
    )  # fmt: skip
    rows = verdicts.output_rows(runs)
    assert [(r["level"], r["message"], r["bound"]) for r in rows] == [
        ("ok", "wrote 0.5 MB to stdout and stderr", None),
        ("warn", "wrote 2048.0 MB to stdout and stderr; solver.log keeps its first and last "
         "32.0 MB, 1984.0 MB between them were cut (solver.log_max_mb)", 64.0),
    ]  # fmt: skip


def test_overall_is_the_worst_level_and_failures_list_fail_rows(campaign):
    table = campaign["verdicts"]
    assert verdicts.overall(table) == "fail"
    assert verdicts.overall(table[table["level"] != "fail"]) == "warn"
    assert verdicts.overall(table.iloc[:0]) == "ok"
    lines = verdicts.failures(table)
    assert len(lines) == int((table["level"] == "fail").sum()) == 3
    assert all(line.startswith("  run_status: default · ") for line in lines)


def test_runs_that_missed_ticks_warn_above_the_setting():
    runs = tables.typed(
        pd.DataFrame({"variant": "v", "limit_mb": [1, 2, 3], "bucket_model": "auto", "repeat": 1,
                      "samples": [990, 1000, 0], "missed_ticks": [10, 5, 0]})
        .reindex(columns=tables.RUNS.names),
        tables.RUNS,
    )  # fmt: skip
    rows = verdicts.sampling_rows(runs, SETTINGS)
    assert [(r["level"], r["message"]) for r in rows] == [
        ("ok", "missed 10 of 1000 ticks (1.0%)"),
        ("ok", "missed 5 of 1005 ticks (0.5%)"),
        ("ok", "missed 0 of 0 ticks (0.0%)"),
    ]
    strict = verdicts.sampling_rows(runs, {"missed_warn_percent": 0.6})
    assert [r["level"] for r in strict] == ["warn", "ok", "ok"]
