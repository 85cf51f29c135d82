"""The per-run metric registry (scripts/sampling/metrics.py) drives the summary's keys, the runs
table's columns and the docs' table; each entry is well formed."""

import re
from pathlib import Path

import tables
from contracts import RUN_COLUMNS, SUMMARY_KEYS
from sampling import contract, metrics

DOCS = Path(__file__).resolve().parents[1] / "docs" / "sampler.md"
TABLE = re.compile(r"<!-- metrics table: [^>]*-->\n(.*?)<!-- end of the metrics table -->", re.S)


def test_the_docs_table_is_the_registry():
    found = TABLE.search(DOCS.read_text())
    assert found, f"{DOCS} has no metrics table between its markers"
    assert found.group(1) == metrics.markdown_table(), (
        f"{DOCS}: its metrics table is stale; paste in: python -S scripts/sampling/metrics.py"
    )


def test_every_entry_is_well_formed():
    keys = [m.key for m in metrics.METRICS]
    assert len(keys) == len(set(keys))
    for m in metrics.METRICS:
        assert m.source in metrics.SOURCES and m.unit in metrics.UNITS, m
        assert m.over_tree in metrics.OVER and m.over_ticks in metrics.OVER, m
        assert m.what, f"{m.key} says nothing of what it is"
        assert not m.label or m.column, f"{m.key} has a label but no column"
        if m.source == "status" and not m.reader:
            assert m.over_tree in ("sum", "max") and m.over_ticks in ("max", "last"), m


def test_the_registry_agrees_with_the_contracts():
    assert set(contract.SUMMARY_KEYS) == SUMMARY_KEYS
    assert tables.RUNS.names == RUN_COLUMNS
    for m in metrics.METRICS:
        assert m.key in contract.SUMMARY_KEYS
        if m.column:
            column = tables.RUNS.column(m.column)
            assert (column.dtype, column.label) == (m.dtype, m.label), m.key
