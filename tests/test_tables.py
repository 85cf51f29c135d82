"""Readers check what they read against the contract; writers write exactly the contract."""

import pandas as pd
import pytest

import tables
from contracts import (
    COMPARE_PHASE_COLUMNS,
    PHASE_COLUMNS,
    PHASE_RUN_COLUMNS,
    RUN_COLUMNS,
    RUN_PHASE_COLUMNS,
    SUMMARY_SPIKE_COLUMNS,
    THRESHOLD_COLUMNS,
    TRACE_COLUMNS,
    VARIANCE_COLUMNS,
    VERDICT_COLUMNS,
)
from pipeline import redo
from tables import TableError


def test_the_contracts_are_the_written_ones():
    assert tables.RUNS.names == RUN_COLUMNS
    assert tables.SPIKES.names == SUMMARY_SPIKE_COLUMNS
    assert tables.VARIANCE.names == VARIANCE_COLUMNS
    assert tables.THRESHOLDS.names == THRESHOLD_COLUMNS
    assert tables.VERDICTS.names == VERDICT_COLUMNS
    assert tables.TRACE.names == TRACE_COLUMNS
    assert tables.RUN_PHASES.names == RUN_PHASE_COLUMNS
    assert tables.PHASE_RUNS.names == PHASE_RUN_COLUMNS
    assert tables.PHASES.names == PHASE_COLUMNS
    assert tables.COMPARE_PHASES.names == COMPARE_PHASE_COLUMNS


def test_a_round_trip_keeps_types_text_and_missing_values(tmp_path):
    frame = pd.DataFrame(
        {"variant": ["a", "b"], "limit_mb": [300, 600], "bucket_model": ["auto", "1e3"],
         "n": [3, None], "n_failed": [0, 1], "mean_peak_mb": [1.5, None], "std_mb": None,
         "cv_percent": None, "min_mb": None, "max_mb": None, "median_mb": None,
         "n_outliers": [0, None], "outlier_repeats": ["NA", None]}
    )  # fmt: skip
    path = tmp_path / "variance.csv"
    tables.VARIANCE.write(frame, path)
    back = tables.VARIANCE.read(path)
    assert back["bucket_model"].tolist() == ["auto", "1e3"]  # text stays text
    assert back["outlier_repeats"].tolist()[0] == "NA"  # a word, not a missing value
    assert back["n"].dtype == "Int64" and pd.isna(back["n"][1])
    assert back["mean_peak_mb"].dtype == "Float64"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (None, "missing"),
        ("", "empty, not even a header"),
        ("limit_mb,bucket_model\n1,auto\n", "are not the variance contract"),
        (",".join(VARIANCE_COLUMNS) + "\nv,12x,auto" + "," * 10 + "\n",
         "line 2: limit_mb is '12x', not a Int64 value"),
    ],
)  # fmt: skip
def test_a_table_that_breaks_its_contract_names_the_file(tmp_path, text, expected):
    path = tmp_path / "variance.csv"
    if text is not None:
        path.write_text(text)
    with pytest.raises(TableError) as err:
        tables.VARIANCE.read(path)
    assert str(path) in str(err.value) and expected in str(err.value)
    assert f"run {redo.DEFAULT_COMMAND} again" in str(err.value)


def test_a_bad_flag_names_its_line(tmp_path):
    path = tmp_path / "runs.csv"
    row = dict.fromkeys(RUN_COLUMNS, "")
    row |= {"variant": "v", "limit_mb": "1", "bucket_model": "auto", "repeat": "1",
            "in_grid": "maybe"}  # fmt: skip
    path.write_text(",".join(RUN_COLUMNS) + "\n" + ",".join(row.values()) + "\n")
    with pytest.raises(TableError, match="line 2: in_grid is 'maybe', not a boolean value"):
        tables.RUNS.read(path)


def test_writing_a_frame_without_a_contract_column_is_refused(tmp_path):
    with pytest.raises(ValueError, match="lacks column"):
        tables.VARIANCE.write(pd.DataFrame({"variant": ["a"]}), tmp_path / "v.csv")


def test_rows_reads_the_needed_columns_as_text_and_names_a_damaged_file(tmp_path):
    path = tmp_path / "verdicts.csv"
    path.write_text("kind,level,subject,message\nbudget,warn,,over\nrun_status,ok,rep 1,fine\n")
    rows = tables.VERDICTS.rows(path, ["level", "subject"])
    assert rows == [{"level": "warn", "subject": None}, {"level": "ok", "subject": "rep 1"}]
    with pytest.raises(
        TableError, match=r"verdicts\.csv: lacks the verdicts column\(s\) \['bound'\]"
    ):
        tables.VERDICTS.rows(path, ["level", "bound"])
    path.write_text("kind,level,subject,message\nbudget,warn\n")
    with pytest.raises(TableError, match=r"verdicts\.csv: line 2 does not have the header's 4"):
        tables.VERDICTS.rows(path, ["level"])
    with pytest.raises(TableError, match=r"missing\.csv: missing"):
        tables.VERDICTS.rows(tmp_path / "missing.csv", ["level"])
