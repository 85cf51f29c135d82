"""Variance figures against a hand computation, MAD outliers, failed runs kept apart."""

import math

import pandas as pd
import pytest

import tables
from analysis import runs as runs_stage
from analysis import variance
from contracts import VARIANCE_COLUMNS
from runfiles import record


def runs(rows):
    """rows: (limit, model, repeat, status, peak, in_grid)."""
    columns = ["limit_mb", "bucket_model", "repeat", "status", "peak_mb", "in_grid"]
    return pd.DataFrame(rows, columns=columns).assign(variant="default")


def test_figures_match_a_hand_computation():
    table = variance.variance_table(
        runs(
            [
                (323, "8M/8M/8M", 1, "ok", 100.0, True),
                (323, "8M/8M/8M", 2, "ok", 102.0, True),
                (323, "8M/8M/8M", 3, "ok", 104.0, True),
                (323, "8M/8M/8M", 4, "ok", 130.0, True),
                (323, "8M/8M/8M", 5, "failed", 900.0, True),  # counted apart, never averaged
                (323, "8M/8M/8M", 6, "ok", 5000.0, False),  # a threshold run: not in the grid
            ]
        )
    )
    assert list(table.columns) == VARIANCE_COLUMNS
    row = table.iloc[0]
    # mean 109; deviations -9 -7 -5 21 -> squares sum 596 -> var 596/3; std 14.0950...
    assert (row["n"], row["n_failed"]) == (4, 1)
    assert row["mean_peak_mb"] == pytest.approx(109.0)
    assert row["std_mb"] == pytest.approx(math.sqrt(596 / 3))
    assert row["cv_percent"] == pytest.approx(math.sqrt(596 / 3) / 109 * 100)
    assert (row["min_mb"], row["max_mb"], row["median_mb"]) == (100.0, 130.0, 103.0)
    # median 103, |dev| 3 1 1 27, MAD 2: z(130) = 0.6745 * 27 / 2 = 9.1 > 3.5; z(100) = 1.01.
    assert (row["n_outliers"], row["outlier_repeats"]) == (1, "4")


def test_mad_threshold_is_a_parameter():
    peaks = pd.Series([100.0, 102.0, 104.0, 130.0])
    assert list(variance.mad_outliers(peaks, 3.5)) == [False, False, False, True]
    assert list(variance.mad_outliers(peaks, 10.0)) == [False, False, False, False]
    assert list(variance.mad_outliers(peaks, 0.9)) == [True, False, False, True]


def test_zero_mad_uses_one_percent_of_the_median():
    assert list(variance.mad_outliers(pd.Series([100.0, 100.0, 100.0, 100.5]))) == [False] * 4
    assert list(variance.mad_outliers(pd.Series([100.0, 100.0, 100.0, 102.0]))) == [
        False, False, False, True,
    ]  # fmt: skip


def test_small_and_failed_groups_give_na_not_zero():
    table = variance.variance_table(
        runs(
            [
                (478, "4M/8M/4M", 1, "ok", 250.0, True),
                (478, "4M/8M/4M", 2, "timeout", None, True),
                (823, "4M/8M/4M", 1, "failed", None, True),
                (823, "4M/8M/4M", 2, "ok", None, True),  # ok but no peak: not used, not failed
            ]
        ),
        mad_threshold=3.5,
    )
    one, none = table.iloc[0], table.iloc[1]
    assert (one["n"], one["n_failed"], one["mean_peak_mb"], one["median_mb"]) == (1, 1, 250, 250)
    assert pd.isna(one["std_mb"]) and pd.isna(one["cv_percent"])
    assert (one["n_outliers"], one["outlier_repeats"]) == (0, "")
    assert (none["n"], none["n_failed"]) == (0, 1)
    for column in ("mean_peak_mb", "std_mb", "cv_percent", "min_mb", "max_mb", "n_outliers"):
        assert pd.isna(none[column]), column


def test_groups_are_one_row_per_limit_and_model_sorted():
    table = variance.variance_table(
        runs([(1005, "8M/8M/8M", r, "ok", 640.0 + r, True) for r in (1, 2)]
             + [(323, m, 1, "ok", 300.0, True) for m in ("8M/8M/8M", "4M/8M/4M")])
    )  # fmt: skip
    assert list(zip(table["limit_mb"], table["bucket_model"], strict=True)) == [
        (323, "4M/8M/4M"), (323, "8M/8M/8M"), (1005, "8M/8M/8M"),
    ]  # fmt: skip


def test_main_reads_runs_csv_through_its_contract_and_writes_header_for_no_runs(tmp_path):
    recs = [
        record(limit=323, model="8M/8M/8M", repeat=1, peak_rss_kb=360 * 1024, hwm_kb=None),
        record(limit=323, model="8M/8M/8M", repeat=2, peak_rss_kb=362 * 1024, hwm_kb=None),
        record(limit=323, model="8M/8M/8M", repeat=3, status="oom", peak_rss_kb=None, hwm_kb=None),
        record(limit=1000, model="auto", peak_rss_kb=600 * 1024),
    ]
    membership = [[*(r[k] for k in tables.KEY), r["limit_mb"] == 323, False] for r in recs]
    spikes = tables.SPIKES.empty()
    src, out = tmp_path / "runs.csv", tmp_path / "variance.csv"
    tables.RUNS.write(runs_stage.runs_table(recs, [None] * 4, spikes, membership), src)
    variance.main(src, out, 3.5, 1.0)
    text = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert list(text.columns) == VARIANCE_COLUMNS and len(text) == 1
    assert text.loc[0, ["n", "n_failed", "mean_peak_mb", "outlier_repeats"]].tolist() == [
        "2", "1", "361.0", "",
    ]  # fmt: skip
    tables.RUNS.write(tables.RUNS.empty(), src)
    variance.main(src, out, 3.5, 1.0)
    assert out.read_text().strip() == ",".join(VARIANCE_COLUMNS)


def test_the_peak_is_runs_csv_peak_mb_not_the_sampled_or_the_kernel_column():
    peaks = ((1, 290.2), (2, 289.9), (3, 270.0))
    table = runs([(323, "4M/8M/4M", r, "ok", p, True) for r, p in peaks])
    table["peak_rss_mb"] = [281.2, 281.3, 270.0]  # sampled: lower, never used directly
    table["hwm_mb"] = [290.2, 289.9, None]
    row = variance.variance_table(table).iloc[0]
    assert (row["min_mb"], row["max_mb"], row["median_mb"]) == (270.0, 290.2, 289.9)


def test_a_tiny_difference_is_no_outlier_even_when_the_mad_is_tinier():
    # kernel peaks of three identical runs: MAD 0.019 MB makes 290.195 a z-score of 8.8
    peaks = pd.Series([290.195, 289.926, 289.945])
    assert not variance.mad_outliers(peaks).any()
    assert list(variance.mad_outliers(peaks, min_percent=0.05)) == [True, False, False]
