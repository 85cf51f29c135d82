"""Verdicts are decided once: each kind's level and message, and the overall level."""

import re
from pathlib import Path
from types import SimpleNamespace

import jinja2
import pandas as pd
import pytest

import tables
from campaign import config as campaign_config
from contracts import VERDICT_COLUMNS
from fixtures_report import read_tables
from report import highlights
from verdicts import configurations, decide, registry, thresholds
from verdicts import runs as run_checks

REPO = Path(__file__).resolve().parents[1]
SETTINGS = {
    "cv_warn_percent": 5.0, "capture_warn": 0.9, "missed_warn_percent": 1.0,
    "sources_warn_percent": 10.0, "sources_warn_mb": 16.0,
}  # fmt: skip


@pytest.fixture(scope="module")
def campaign(fixture_campaign):
    return read_tables(fixture_campaign)


def test_the_table_has_its_contract_and_every_kind(campaign):
    table = campaign["verdicts"]
    assert list(table.columns) == VERDICT_COLUMNS
    present = list(dict.fromkeys(table["kind"]))
    checks = registry.CHECKS.values()  # those a config turns on, or whose subjects may be lacking
    assert [k for k in present if not registry.CHECKS[k].optional] == [
        c.kind for c in checks if not c.optional
    ]
    assert present == [k for k in registry.CHECKS if k in present]  # in the report's order
    assert "unseen" in present  # the OOM-killed run left an empty trace and no cgroup figure
    assert set(table["level"]) <= set(tables.LEVELS)


def test_the_caption_lists_every_check_the_config_turns_on_in_the_reports_order():
    config = campaign_config.load(campaign_config.read_config_file(campaign_config.DEFAULT_CONFIG))
    lines = registry.described(config)  # no comparison, search or phases
    assert [re.match(r"``(\w+)``", line)[1] for line in lines] == [
        c.kind for c in registry.CHECKS.values() if c.when is None
    ]
    assert "above 5%" in lines[3] and "below 0.9:" in lines[4]  # the settings' values
    on = {section: dict(values) if isinstance(values, dict) else values
          for section, values in config.items()}  # fmt: skip
    for check in registry.CHECKS.values():  # every key that turns a check on, set
        if check.when:
            section, _, key = check.when.partition(".")
            on[section] = {**on[section], key: 50} if key else [{"name": "s"}]
    assert [re.match(r"``(\w+)``", line)[1] for line in registry.described(on)] == list(
        registry.CHECKS
    )
    # the caption as Snakemake renders it, with the figures rule's params
    caption = jinja2.Template((REPO / "workflow/report/verdicts.rst").read_text())
    text = caption.render(snakemake=SimpleNamespace(params=SimpleNamespace(checks=lines)))
    assert [line[2:] for line in text.splitlines() if line.startswith("- ")] == lines


def test_every_check_names_the_settings_it_takes_and_reads_known_tables():
    for check in registry.CHECKS.values():
        named = {f"{s}.{k}" for s, k in registry.SETTING.findall(check.rule)}
        assert named <= set(check.settings), check.kind
        assert set(check.reads) <= set(tables.BY_NAME), check.kind
    short = [key.rpartition(".")[2] for c in registry.CHECKS.values() for key in c.settings]
    assert len(short) == len(set(short))  # settings_of keys them by their last name


def not_ok(table, kind):
    rows = table[(table["kind"] == kind) & (table["level"] != "ok")]
    return sorted(zip(rows["level"], rows["subject"], rows["message"], strict=True))


def test_failed_runs_fail_with_their_cause(campaign):
    assert not_ok(campaign["verdicts"], "run_status") == [
        ("fail", "default · 1005 MB · 8M/8M/8M · rep 1", "OOM-killed by the kernel at its limit"),
        ("fail", "default · 64 MB · 4M/8M/4M · rep 3", "exit 1"),
        (
            "fail",
            "default · 64 MB · 8M/8M/8M · rep 2",
            "timed out at timeout_s 1 s (SIGTERM, then SIGKILL if it went on); ended 1.1 s after "
            "its start",
        ),
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
    relaxed = configurations.stability_rows(campaign["variance"], {"cv_warn_percent": 50})
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
    rows = thresholds.threshold_rows(tables.typed(frame, tables.THRESHOLDS))
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
    rows = run_checks.leftover_rows(runs)
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
    rows = run_checks.output_rows(runs)
    assert [(r["level"], r["message"], r["bound"]) for r in rows] == [
        ("ok", "wrote 0.5 MB to stdout and stderr", None),
        ("warn", "wrote 2048.0 MB to stdout and stderr; solver.log keeps its first and last "
         "32.0 MB, 1984.0 MB between them were cut (solver.log_max_mb)", 64.0),
    ]  # fmt: skip


def test_overall_is_the_worst_level(campaign):
    table = campaign["verdicts"]
    assert decide.overall(table) == "fail"
    assert decide.overall(table[table["level"] != "fail"]) == "warn"
    assert decide.overall(table.iloc[:0]) == "ok"


def test_closing_summary_counts_runs_lists_the_worst_verdicts_and_names_the_report(campaign):
    table, runs = campaign["verdicts"], campaign["runs"]
    rows, statuses = table.to_dict("records"), runs["status"].tolist()
    text = highlights.closing_summary(rows, statuses, "/x/results/report.html", most=2)
    lines = text.splitlines()
    n_fail = int((table["level"] == "fail").sum())
    n_warn = int((table["level"] == "warn").sum())
    head, _, counts = lines[0].partition(" run(s): ")
    assert head == f"memsweep: {len(runs)}"
    assert set(counts.split(", ")) == {f"{n} {s}" for s, n in runs["status"].value_counts().items()}
    assert lines[1] == f"memsweep: {n_fail} check(s) FAILED, {n_warn} warning(s):"
    assert lines[2].startswith("  fail run_status: default · ") and lines[3].startswith("  fail ")
    assert lines[4] == f"  ... and {n_fail + n_warn - 2} more in results/summary/verdicts.csv"
    assert lines[-1] == "memsweep: report: /x/results/report.html"
    passed = [row for row in rows if row["level"] == "ok"]
    text = highlights.closing_summary(passed, statuses, "r.html")
    assert text.splitlines()[1:] == ["memsweep: all checks passed", "memsweep: report: r.html"]


def test_runs_that_missed_ticks_warn_above_the_setting():
    runs = tables.typed(
        pd.DataFrame({"variant": "v", "limit_mb": [1, 2, 3], "bucket_model": "auto", "repeat": 1,
                      "samples": [990, 1000, 0], "missed_ticks": [10, 5, 0]})
        .reindex(columns=tables.RUNS.names),
        tables.RUNS,
    )  # fmt: skip
    rows = run_checks.sampling_rows(runs, SETTINGS)
    assert [(r["level"], r["message"]) for r in rows] == [
        ("ok", "missed 10 of 1000 ticks (1.0%)"),
        ("ok", "missed 5 of 1005 ticks (0.5%)"),
        ("ok", "missed 0 of 0 ticks (0.0%)"),
    ]
    strict = run_checks.sampling_rows(runs, {"missed_warn_percent": 0.6})
    assert [r["level"] for r in strict] == ["warn", "ok", "ok"]


def runs_frame(**columns) -> pd.DataFrame:
    frame = pd.DataFrame({"variant": "v", "bucket_model": "auto", "repeat": 1, **columns})
    return tables.typed(frame.reindex(columns=tables.RUNS.names), tables.RUNS)


def test_peak_figures_that_disagree_warn_beyond_both_settings():
    runs = runs_frame(
        limit_mb=[1, 2, 3, 4],
        peak_rss_mb=[1110.0, 1110.0, 300.0, 60.0],
        hwm_mb=[235.0, 235.0, 300.0, 50.0],
        peak_pss_mb=[254.0, None, None, None],
        cgroup_peak_mb=[287.0, None, 250.0, 40.0],
        peak_nprocs=[5, 5, 1, 1],
        peak_mb=[254.0, 1110.0, 300.0, 60.0],
        peak_source=["PSS", "sampled", "VmHWM", "sampled"],
    )
    rows = run_checks.source_rows(runs, SETTINGS)
    assert [r["level"] for r in rows] == ["warn", "warn", "warn", "ok"]
    assert rows[0]["message"] == (
        "PSS 254.0 MB, cgroup 287.0 MB: 11% apart; peak 254 MB from PSS (the tree's summed RSS, "
        "1110.0 MB, counts shared pages once per process)"
    )
    assert rows[1]["message"].startswith("sampled 1110.0 MB, VmHWM 235.0 MB: 79% apart")
    assert rows[3]["message"].startswith("VmHWM 50.0 MB, cgroup 40.0 MB: 20% apart")  # 10 MB
    relaxed = run_checks.source_rows(runs, {**SETTINGS, "sources_warn_percent": 15})
    assert [r["level"] for r in relaxed] == ["ok", "warn", "warn", "ok"]


def test_a_run_whose_peak_nothing_saw_warns_with_its_bounds():
    runs = runs_frame(
        limit_mb=[1, 2], samples=[1, 300], duration_s=[0.005, 3.0], peak_mb=[0.54, 50.0],
        maxrss_mb=[11.0, 52.0], peak_source=["unseen", "VmHWM"],
    )  # fmt: skip
    rows = run_checks.unseen_rows(runs)
    assert [(r["level"], r["limit_mb"], r["value"], r["bound"]) for r in rows] == [
        ("warn", 1, 0.54, 11.0)
    ]
    assert rows[0]["message"].startswith(
        "no source saw the peak: 1 sample(s) in 0.005 s and no cgroup; the peak is at least "
        "0.5 MB and, for any one process, at most 11.0 MB"
    )


def test_a_timeout_names_the_configured_timeout_not_when_the_program_ended():
    # timeout_s 3: SIGTERM at 3 s, ignored; SIGKILL 2 s later: the program ended at 5 s
    runs = runs_frame(limit_mb=[1], status="timeout", timeout_s=[3.0], duration_s=[5.01])
    message = run_checks.status_rows(runs)[0]["message"]
    assert message == (
        "timed out at timeout_s 3 s (SIGTERM, then SIGKILL if it went on); ended 5.0 s after "
        "its start"
    )


def test_runs_near_their_timeout_warn_only_with_the_setting():
    runs = runs_frame(
        limit_mb=[1, 2, 3, 4], status=["ok", "ok", "timeout", "failed"],
        timeout_s=[10.0, 10.0, 10.0, None], duration_s=[9.5, 2.0, 10.2, 1.0],
    )  # fmt: skip
    rows = run_checks.near_timeout_rows(runs, {"timeout_warn_percent": 80})
    assert [(r["level"], r["limit_mb"], r["message"]) for r in rows] == [
        ("warn", 1, "ran 9.5 s, 95% of its timeout_s 10 s"),
        ("ok", 2, "ran 2.0 s, 20% of its timeout_s 10 s"),
    ]  # the timed-out run is run_status's, the one without a timeout_s has nothing to compare
    assert run_checks.near_timeout_rows(runs, {"timeout_warn_percent": None}) == []
    config = campaign_config.load(campaign_config.read_config_file(campaign_config.DEFAULT_CONFIG))
    assert registry.settings_of(config)["timeout_warn_percent"] is None  # off by default
    on = registry.settings_of(
        {**config, "report": {**config["report"], "timeout_warn_percent": 80}}
    )
    for settings, n in ((on, 2), (registry.settings_of(config), 0)):
        table = decide.verdicts_table({"runs": runs}, settings)
        assert (table["kind"] == "near_timeout").sum() == n


def test_every_check_names_a_function_that_decides_it():
    found = {kind: decide.function(check) for kind, check in registry.CHECKS.items()}
    assert all(callable(f) and f.__name__.endswith("_rows") for f in found.values()), found
    assert len({f.__module__ for f in found.values()}) == len(decide.MODULES)
