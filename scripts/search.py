"""Collect every search into results/summary/search.csv and results/summary/search_probes.csv.

search.csv has one row per search and variant, per switch found (or per problem found on the way):
what scripts/campaign/search.py reads from the runs (outcome, result_mb, the range it lies in, the
configurations or statuses below and at it, monotonic, a note), with documented_mb (the change of
configuration a `thresholds` entry documents for the same model and pattern, matched on the two
configurations; a documented change the search did not find is a `documented_not_found` row),
and what it cost: probes (runs used), reused (of those, runs the grid or the threshold checks
have anyway) and steps. search_probes.csv has every run a search used, in the order the search
used them (by step, then by the time the run started), with its role, status, report and peak.
The verdicts stage decides what is a FAIL. Called by the `search` rule; by hand:

    >>> import search
    >>> spec = {"kind": "switch", "bucket_model": "auto", "pattern": "(.)", "low_mb": 300,
    ...     "high_mb": 1500}
    >>> check = {"memory_mb": 1000, "bucket_model": "auto", "pattern": "(.)",
    ...     "expected": {"below": "A", "at": "B", "above": "B"}}
    >>> rows = [{"outcome": "found", "result_mb": 1024, "below": "A", "at": "B"}]
    >>> search.with_documented(rows, spec, [check])[0]["documented_mb"]
    1000
"""

import logging
from pathlib import Path

import pandas as pd

import search_step
import tables
from analysis import runs as runs_stage
from campaign import search
from pipeline import stage
from tables import rundir

log = logging.getLogger("search")


def documented(thresholds: list[dict], spec: dict) -> list[tuple[int, str, str, int]]:
    """(switch MB, from, to, threshold MB) of each documented threshold this switch search
    covers: same model and pattern, its change of expected configuration within the range."""
    out = []
    for check in thresholds:
        if (check["bucket_model"], check["pattern"]) != (spec["bucket_model"], spec["pattern"]):
            continue
        exp, mb = check["expected"], int(check["memory_mb"])
        for at, (before, after) in ((mb, ("below", "at")), (mb + 1, ("at", "above"))):
            if exp[before] != exp[after] and spec["low_mb"] < at <= spec["high_mb"]:
                out.append((at, exp[before], exp[after], mb))
    return out


def with_documented(rows: list[dict], spec: dict, thresholds: list[dict]) -> list[dict]:
    """rows with documented_mb where a documented switch has the same configurations (the
    nearest row), and a documented_not_found row for a documented switch with no such row."""
    rows = [{**r, "documented_mb": None} for r in rows]
    if spec["kind"] != "switch":
        return rows
    for at, before, after, mb in documented(thresholds, spec):
        same = [r for r in rows if (r["below"], r["at"]) == (before, after)]
        same = [r for r in same if r["result_mb"] is not None]
        if same:
            min(same, key=lambda r: abs(r["result_mb"] - at))["documented_mb"] = at
            continue
        note = (
            f"threshold {mb} documents {before} -> {after} at {at} MB; the search did not find it"
        )
        extra = search.row("documented_not_found", below=before, at=after, note=note)
        extra["monotonic"] = rows[0]["monotonic"] if rows else None
        rows.append({**extra, "documented_mb": at})
    return rows


def probe_rows(spec: dict, state: dict) -> list[dict]:
    """One row per probe of a search's last step file, from its run.json and solver.log."""
    rows = []
    for probe in state["probes"]:
        record = rundir.read_run(Path(probe["run_dir"]) / "run.json")
        run = runs_stage.run_row(record, rundir.log_config(probe["run_dir"], spec["pattern"]))
        rows.append({
            **{k: probe[k] for k in ("step", "limit_mb", "repeat", "role", "reused", "run_dir")},
            "variant": state["variant"], "search": spec["name"], "kind": spec["kind"],
            "bucket_model": spec["bucket_model"], "status": run["status"],
            "reported_config": run["reported_config"], "peak_mb": run["peak_mb"],
            "started_at": record.get("started_at") or "",
        })  # fmt: skip
    rows.sort(key=lambda r: (r["step"], r["started_at"], r["limit_mb"], r["repeat"]))
    for order, row in enumerate(rows, start=1):
        row["order"] = order
    return rows


def search_rows(spec: dict, state: dict, probes: list[dict], thresholds: list[dict]) -> list:
    """The search's answer rows, from what its probes saw."""
    obs = {
        (p["limit_mb"], p["repeat"]): search.Seen(p["status"], p["reported_config"]) for p in probes
    }
    found = with_documented(search.results(spec, obs), spec, thresholds)
    cost = {"probes": len(probes), "reused": sum(bool(p["reused"]) for p in probes),
            "steps": state["step"] + 1}  # fmt: skip
    ids = {k: spec[k] for k in ("kind", "bucket_model", "low_mb", "high_mb")}
    return [
        {"variant": state["variant"], "search": spec["name"], **ids, **r, **cost} for r in found
    ]


def main(steps, search_csv, probes_csv, searches: list[dict], thresholds: list[dict]) -> None:
    specs = {spec["name"]: spec for spec in searches}
    found, probes = [], []
    for path in steps:
        state = search_step.read_state(path)
        spec = specs[state["search"]]
        mine = probe_rows(spec, state)
        found += search_rows(spec, state, mine, thresholds)
        probes += mine
    found_frame = pd.DataFrame(found, columns=tables.SEARCH.names)
    tables.SEARCH.write(tables.typed(found_frame, tables.SEARCH), search_csv)
    probe_frame = pd.DataFrame(probes, columns=tables.SEARCH_PROBES.names)
    tables.SEARCH_PROBES.write(tables.typed(probe_frame, tables.SEARCH_PROBES), probes_csv)
    for r in found:
        log.info("%s %s: %s %s MB (%s -> %s), %d runs, %d reused: %s", r["variant"], r["search"],
                 r["outcome"], r["result_mb"], r["below"], r["at"], r["probes"], r["reused"],
                 r["note"])  # fmt: skip


if "snakemake" in globals():
    stage.hand_off(snakemake, main)
