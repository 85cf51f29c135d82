"""The comparison: the decision rule on numbers, the stage on small tables, the baseline checks,
the renderers (markdown, JSON, figures, report section) and the CI gate."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pandas as pd
import pytest
from matplotlib.colors import to_rgb

import campaign.config
import compare
import compare_gate
import compare_summary
import comparison.stats
import figures
import plots
import report.page
import tables
from comparison import baselines, changes
from contracts import (
    BENCHMARK_KEYS,
    BENCHMARK_OPTIONAL_KEYS,
    COMPARE_COLUMNS,
    COMPARE_ENV_COLUMNS,
    COMPARE_RUN_COLUMNS,
    RUN_COLUMNS,
    RUN_COLUMNS_FIRST_COMPARED,
)
from fixtures_report import VERDICT_SETTINGS, make_campaign, read_tables, write_campaign
from plots import compare_traces, style
from report import comparison_section
from test_report import CONFIG
from verdicts import comparison as compare_verdicts
from verdicts import decide
from workflow_helpers import render_caption

COMPARE_FIGURES = plots.in_section(plots.FIGURES, "compare")

ANYWHERE = {"solver": {"command": "true"}}  # a program the config check finds from any folder
SETTINGS = {"baseline": "base", "min_change_percent": 1.0, "min_change_mb": 1.0, "alpha": 0.05}


# ---------------------------------------------------------------- the decision rule


def test_a_clear_shift_is_a_regression_and_its_mirror_an_improvement():
    test = comparison.stats.welch([500.0, 500.2, 499.9], [510.1, 510.0, 510.3], m=12)
    assert test.low > 0 and test.p_adjusted < 0.001 and not test.floored
    assert comparison.stats.verdict(test, threshold=5.0, alpha=0.05) == "regression"
    back = comparison.stats.welch([510.1, 510.0, 510.3], [500.0, 500.2, 499.9], m=12)
    assert comparison.stats.verdict(back, threshold=5.0, alpha=0.05) == "improvement"


def test_a_small_but_certain_change_is_unchanged_and_a_noisy_one_inconclusive():
    small = comparison.stats.welch([500.0, 500.1, 500.2], [500.5, 500.6, 500.7], m=1)
    assert small.p < 0.01  # significant, but below the practical threshold
    assert comparison.stats.verdict(small, threshold=5.0, alpha=0.05) == "unchanged"
    noisy = comparison.stats.welch([480.0, 500.0, 520.0], [500.0, 520.0, 540.0], m=12)
    assert comparison.stats.verdict(noisy, threshold=5.0, alpha=0.05) == "inconclusive"


def test_identical_repeats_are_believed_to_one_page_and_no_further():
    same = comparison.stats.welch([300.0] * 3, [300.0] * 3, m=12)
    assert same.floored and same.diff == 0 and same.p == 1.0
    assert comparison.stats.verdict(same, threshold=3.0, alpha=0.05) == "unchanged"
    shifted = comparison.stats.welch([300.0] * 3, [310.0] * 3, m=12)
    assert shifted.floored and shifted.high - shifted.low < 0.1
    assert comparison.stats.verdict(shifted, threshold=3.0, alpha=0.05) == "regression"
    # a few kB apart: significant against a one-page spread, but far below any threshold
    kb = comparison.stats.welch([300.0] * 3, [300.0 + 3 / 1024] * 3, m=12)
    assert comparison.stats.verdict(kb, threshold=1.0, alpha=0.05) == "unchanged"


def test_more_tests_widen_the_interval_and_raise_p():
    one = comparison.stats.welch([100.0, 101.0, 102.0], [103.0, 104.0, 105.0], m=1)
    many = comparison.stats.welch([100.0, 101.0, 102.0], [103.0, 104.0, 105.0], m=12)
    assert many.high - many.low > one.high - one.low
    assert many.p_adjusted == pytest.approx(min(1.0, 12 * one.p))
    with pytest.raises(ValueError, match="at least 2"):
        comparison.stats.welch([1.0], [1.0, 2.0])
    assert comparison.stats.threshold(1000.0, 1.0, 1.0) == 10.0
    assert comparison.stats.threshold(20.0, 1.0, 1.0) == 1.0


# ---------------------------------------------------------------- the stage, on small tables


def runs_frame(rows) -> pd.DataFrame:
    """Runs-table rows from (variant, limit, model, repeat, status, peak[, reported])."""
    out = []
    for variant, limit, model, repeat, status, peak, *reported in rows:
        out.append({
            "variant": variant, "limit_mb": limit, "bucket_model": model, "repeat": repeat,
            "status": status, "peak_mb": peak, "in_grid": True, "threshold_check": False,
            "reported_config": reported[0] if reported else model, "samples": 10,
            "run_dir": f"results/runs/{variant}/{limit}MB/{model}/rep{repeat}",
            "hostname": "h", "kernel": "k", "sampler_version": "1", "cgroup_peak_mb": None,
            "effective_interval_ms": 10.0,
        })  # fmt: skip
    return tables.typed(pd.DataFrame(out).reindex(columns=tables.RUNS.names), tables.RUNS)


def thresholds_frame(rows) -> pd.DataFrame:
    frame = pd.DataFrame(
        [{"variant": v, "limit_mb": lim, "bucket_model": m, "verdict": verdict}
         for v, lim, m, verdict in rows],
        columns=tables.THRESHOLDS.names,
    )  # fmt: skip
    return tables.typed(frame, tables.THRESHOLDS)


def side(variant, limit, model, peaks, statuses=None, reported=None):
    statuses = statuses or ["ok"] * len(peaks)
    return [(variant, limit, model, i + 1, s, p, *([reported] if reported else []))
            for i, (s, p) in enumerate(zip(statuses, peaks, strict=True))]  # fmt: skip


@pytest.fixture(scope="module")
def table():
    """base against new: a regression, an unchanged one, an OOM, a threshold FAIL, a changed
    report, too few runs, and a configuration on one side only."""
    base = runs_frame(
        side("base", 300, "a", [100.0, 100.1, 100.2]) + side("base", 400, "a", [200.0] * 3)
        + side("base", 500, "a", [300.0] * 3) + side("base", 600, "a", [400.0] * 3)
        + side("base", 700, "a", [500.0, 500.1]) + side("base", 800, "a", [600.0] * 3)
        + side("base", 900, "a", [700.0, 700.2, 700.4])
    )  # fmt: skip
    cand = runs_frame(
        side("new", 300, "a", [105.0, 105.1, 105.2]) + side("new", 400, "a", [200.0] * 3)
        + side("new", 500, "a", [150.0, 300.0, 300.0], ["oom", "ok", "ok"])
        + side("new", 600, "a", [400.0] * 3) + side("new", 700, "a", [500.0])
        + side("new", 800, "a", [600.0] * 3, reported="b")
        + side("new", 1000, "a", [800.0] * 3)
    )  # fmt: skip
    th_base = thresholds_frame([("base", 600, "a", "PASS")])
    th_cand = thresholds_frame([("new", 600, "a", "FAIL")])
    frame = changes.compare_table(base, cand, th_base, th_cand, [("new", "base")], SETTINGS, "base")
    return frame.set_index("limit_mb")


def test_the_table_has_its_contract():
    assert tables.COMPARE.names == COMPARE_COLUMNS
    assert tables.COMPARE_RUNS.names == COMPARE_RUN_COLUMNS
    assert tables.COMPARE_ENV.names == COMPARE_ENV_COLUMNS


def test_each_configuration_gets_its_verdict_and_reason(table):
    assert table["verdict"].to_dict() == {
        300: "regression", 400: "unchanged", 500: "regression", 600: "regression",
        700: "inconclusive", 800: "unchanged", 900: "not compared", 1000: "not compared",
    }  # fmt: skip
    assert table.loc[300, "diff_percent"] == pytest.approx(5.0, abs=0.01)
    assert table.loc[300, "p_adjusted"] < 0.05
    assert "beyond the threshold ±1.00 MB" in table.loc[300, "reason"]
    assert "identical peaks" in table.loc[400, "reason"]


def test_a_status_change_is_a_regression_whatever_the_peak(table):
    row = table.loc[500]
    assert (row["status_baseline"], row["status_candidate"]) == ("ok 3", "oom 1, ok 2")
    assert row["status_change"] == "regression" and row["peak_verdict"] == "unchanged"
    assert "status ok 3 → oom 1, ok 2" in row["reason"]


def test_pass_to_fail_is_always_a_regression(table):
    row = table.loc[600]
    assert row["threshold_change"] == "regression" and row["peak_verdict"] == "unchanged"
    assert "threshold check PASS → FAIL" in row["reason"]


def test_a_changed_report_is_listed_and_one_sided_configurations_are_not_compared(table):
    assert bool(table.loc[800, "reported_changed"]) and "reported a → b" in table.loc[800, "reason"]
    assert table.loc[700, "reason"].startswith("fewer than 2 ok grid runs")
    assert pd.isna(table.loc[700, "p_value"])
    assert table.loc[900, "presence"] == "baseline only"
    assert table.loc[1000, "presence"] == "candidate only"
    assert table["p_value"].notna().sum() == 5  # m: the configurations tested


def test_status_changes_both_ways():
    ok, oom = pd.Series(["ok"] * 3), pd.Series(["oom", "ok", "ok"])
    assert changes.status_change(ok, oom) == "regression"
    assert changes.status_change(oom, ok) == "improvement"
    assert changes.status_change(pd.Series(["timeout", "ok"]), pd.Series(["oom", "ok"])) == (
        "regression"
    )
    assert changes.status_change(ok, ok) == "unchanged"


def test_the_comparison_verdicts_join_the_verdicts_table(table):
    frame = table.reset_index()
    env = changes.env_table(
        runs_frame(side("base", 300, "a", [1.0])),
        runs_frame(side("new", 300, "a", [1.0])).assign(hostname="other"),
    )
    rows = compare_verdicts.compare_rows(frame) + compare_verdicts.compare_env_rows(env)
    levels = {(r["kind"], r["subject"]): r["level"] for r in rows}
    assert levels[("compare", "new vs base · 300 MB · a")] == "fail"
    assert levels[("compare", "new vs base · 800 MB · a")] == "warn"  # reported changed
    assert levels[("compare", "new vs base · 400 MB · a")] == "ok"
    assert levels[("compare_env", "host")] == "warn"
    assert levels[("compare_env", "kernel")] == "ok"


# ---------------------------------------------------------------- the baseline check


def test_a_baseline_that_names_nothing_is_a_config_error_naming_it(tmp_path):
    (tmp_path / "results").mkdir()
    (tmp_path / "notes").mkdir()
    cases = {
        "nope": "'nope' is neither a variant of this campaign (default) nor a folder",
        "results": "'results' is this campaign's own results folder",
        "notes": "'notes' is not a memsweep results folder: it has no summary/runs.csv",
        "default": "'default' is the campaign's only variant",
    }
    for value, words in cases.items():
        with pytest.raises(campaign.config.ConfigError) as err:
            campaign.config.load({"compare": {"baseline": value}, **ANYWHERE}, cwd=tmp_path)
        assert str(err.value).startswith("config error at compare.baseline: "), value
        assert words in str(err.value)


def test_a_baseline_sharing_no_configuration_is_refused_before_any_run(tmp_path):
    write_campaign(make_campaign(limits=(64,), repeats=1, thresholds=()), tmp_path / "old")
    cfg = {"compare": {"baseline": "old/results"}, "thresholds": [], **ANYWHERE}
    with pytest.raises(
        campaign.config.ConfigError, match="shares no configuration.*64 MB 4M/8M/4M"
    ):
        campaign.config.load(cfg, cwd=tmp_path)
    cfg["grid"] = {"memory_limits_mb": [64, 128]}
    assert campaign.config.load(cfg, cwd=tmp_path)["compare"]["baseline"] == "old/results"
    (tmp_path / "old/results/summary/runs.csv").write_text("variant,limit_mb\n")
    with pytest.raises(campaign.config.ConfigError, match="not a usable memsweep results folder"):
        campaign.config.load(cfg, cwd=tmp_path)


def test_variants_are_paired_by_name_or_all_with_a_single_one():
    folder = baselines.Baseline("old", "folder", folder="old")
    assert baselines.pairs(folder, ["a", "b"], ["default"]) == [("a", "default"), ("b", "default")]
    assert baselines.pairs(folder, ["a", "b"], ["b", "c"]) == [("b", "b")]
    assert folder.run_dir("x", 300, "4M/8M/4M", 2) == "old/runs/x/300MB/4M-8M-4M/rep2"


# ---------------------------------------------------------------- against a saved campaign


def compare_saved(root, keep_runs_columns=None):
    """Two synthetic campaigns; the new one allocates 5% more at 323 MB and its first run at
    1005 MB is OOM-killed; compared with the old one's results folder, then rendered. With
    keep_runs_columns, the old runs.csv keeps only those (as an older memsweep wrote it).
    Returns (root, compare table paths, summary files, {figure name: the figure drawn})."""
    shape = {"limits": (323, 1005), "models": ("4M/8M/4M",), "repeats": 3, "failures": False}
    old = write_campaign(make_campaign(**shape, seed=1), root / "old")
    if keep_runs_columns is not None:
        frame = pd.read_csv(old["runs"], dtype=str, keep_default_na=False)
        frame[keep_runs_columns].to_csv(old["runs"], index=False)
    new = make_campaign(**shape, seed=2)
    for record in new["records"]:
        if record["limit_mb"] == 323:
            record["hwm_kb"] = record["peak_rss_kb"] = int(record["peak_rss_kb"] * 1.05)
        if record["limit_mb"] == 1005 and record["repeat"] == 1:
            record.update(status="oom", exit_code=137, signal=9, oom_killed=True)
    paths = write_campaign(new, root / "new")
    shutil.rmtree(root / "old/results/runs/default/1005MB")  # CI kept only some traces
    out = {t.name: root / "new" / t.path for t in tables.COMPARE_TABLES}
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(root / "new")
        outputs = {"compare": out["compare"], "compare_runs": out["compare_runs"],
                   "compare_env": out["compare_env"]}  # fmt: skip
        compare.main(paths["runs"], paths["thresholds"], outputs, SETTINGS, "../old/results",
                     ["default"])  # fmt: skip
        files = {k: root / "new/results" / f for k, f in
                 (("md", "compare.md"), ("json", "compare.json"),
                  ("benchmark", "compare_benchmark.json"))}  # fmt: skip
        compare_summary.main(out["compare"], out["compare_runs"], out["compare_env"], files,
                             {**SETTINGS, "baseline": "../old/results"})  # fmt: skip
        with style.capture() as drawn:
            figures.main(out, {name: {} for name in COMPARE_FIGURES},
                         {name: root / f"{name}.png" for name in COMPARE_FIGURES})  # fmt: skip
    return root, out, files, drawn


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    return compare_saved(tmp_path_factory.mktemp("saved"))


def test_a_saved_baseline_is_compared_run_for_run(saved):
    root, out, _, _ = saved
    table = tables.COMPARE.read(out["compare"]).set_index("limit_mb")
    assert table.loc[323, "verdict"] == "regression"
    assert table.loc[323, "diff_percent"] == pytest.approx(5.0, abs=0.5)
    assert table.loc[1005, "verdict"] == "regression"  # ok 3 -> oom 1, ok 2
    assert table.loc[1005, "status_candidate"] == "oom 1, ok 2"
    assert set(table["baseline"]) == {"../old/results"}
    runs = tables.COMPARE_RUNS.read(out["compare_runs"])
    base_dirs = runs.loc[runs["side"] == "baseline", "run_dir"]
    assert base_dirs.str.startswith("../old/results/runs/default/").all()
    env = tables.COMPARE_ENV.read(out["compare_env"])
    assert set(env["level"]) == {"ok"} and env["compared"].all()


# ---------------------------------------------------------------- an older memsweep's baseline


@pytest.fixture(scope="module")
def older(tmp_path_factory):
    """The saved comparison again, its baseline's runs.csv without the columns added since
    memsweep began to compare."""
    root = tmp_path_factory.mktemp("older")
    return compare_saved(root, [*RUN_COLUMNS_FIRST_COMPARED])


def test_the_comparison_reads_of_a_baseline_only_what_older_ones_have():
    assert set(baselines.RUNS_NEEDED) <= set(RUN_COLUMNS_FIRST_COMPARED)
    assert set(baselines.RUNS_LATER) <= set(RUN_COLUMNS) - set(RUN_COLUMNS_FIRST_COMPARED)


def test_a_baseline_without_the_newer_columns_compares_as_a_full_one(saved, older):
    full = tables.COMPARE.read(saved[1]["compare"])
    pd.testing.assert_frame_equal(tables.COMPARE.read(older[1]["compare"]), full)
    env = tables.COMPARE_ENV.read(older[1]["compare_env"]).set_index("aspect")
    missing = env[~env["compared"]]
    assert list(missing.index) == ["sampling interval (p99)"]
    assert missing.iloc[0]["level"] == "warn" and missing.iloc[0]["baseline"] == "not recorded"
    assert "runs.csv has no interval_p99_ms" in missing.iloc[0]["note"]


def test_what_was_not_compared_is_said_in_markdown_json_and_the_report(older):
    root, out, files, _ = older
    text = files["md"].read_text()
    assert "> **Not compared**: sampling interval (p99): the baseline's runs.csv has no" in text
    document = json.loads(files["json"].read_text())
    assert [row["aspect"] for row in document["not_compared"]] == ["sampling interval (p99)"]
    assert document["regressed"] is True and document["counts"]["regression"] == 2
    data = {t.name: t.read(out[t.name]) for t in tables.COMPARE_TABLES}
    data["verdicts"] = tables.VERDICTS.empty()
    config = {"compare": {**SETTINGS, "baseline": "../old/results"}}
    html = comparison_section.compare_html(data, {}, config)
    assert '<p class="note">Not compared: sampling interval (p99): the baseline' in html


def test_a_baseline_is_read_for_its_used_columns_only(tmp_path):
    write_campaign(make_campaign(limits=(64,), repeats=1, thresholds=()), tmp_path / "old")
    path = tmp_path / "old/results/summary/runs.csv"
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame.assign(future_metric="x", n_spikes="many").to_csv(path, index=False)  # unused, odd
    cfg = {"compare": {"baseline": "old/results"}, "thresholds": [], **ANYWHERE}
    cfg["grid"] = {"memory_limits_mb": [64]}
    assert campaign.config.load(cfg, cwd=tmp_path)["compare"]["baseline"] == "old/results"
    read = baselines.read_runs(baselines.resolve("old/results", ["default"], tmp_path))
    assert set(read.columns) == {*baselines.RUNS_NEEDED, *baselines.RUNS_LATER}
    frame.drop(columns=["peak_mb", "in_grid"]).to_csv(path, index=False)
    with pytest.raises(
        campaign.config.ConfigError, match=r"lacks the runs column\(s\) \['in_grid'"
    ):
        campaign.config.load(cfg, cwd=tmp_path)
    frame.assign(peak_mb="lots").to_csv(path, index=False)
    with pytest.raises(campaign.config.ConfigError, match="line 2: peak_mb is 'lots'"):
        campaign.config.load(cfg, cwd=tmp_path)


def test_the_figures_draw_and_missing_baseline_traces_are_left_out(saved):
    root, out, _, drawn = saved
    data = {t.name: t.read(out[t.name]) for t in tables.COMPARE_TABLES}
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(root / "new")
        chosen = plots.trace_runs("compare_traces", data)
    assert set(chosen["limit_mb"]) == {323}  # the regression with the largest change
    assert sorted(chosen["side"]) == ["baseline"] * 3 + ["candidate"] * 3
    empty = {t.name: t.empty() for t in tables.COMPARE_TABLES}
    for name in COMPARE_FIGURES:
        assert (root / f"{name}.png").stat().st_size > 0
        with style.capture() as nothing:
            plots.draw(name, {**empty, "traces": {}}, {}, root / "empty.png")
        texts = [t.get_text() for t in nothing["empty"].texts]  # a message, not a plot
        assert texts == [plots.FIGURES[name].title, "No configuration compared on both sides."]


def test_the_diff_figure_draws_each_change_with_its_interval_and_verdict(saved):
    _, out, _, drawn = saved
    compare = style.plain(tables.COMPARE.read(out["compare"]))
    both = compare[compare["presence"] == "both"].sort_values("limit_mb")
    # the configurations with a peak test or a verdict other than unchanged
    both = both[both["diff_percent"].notna() | (both["verdict"] != "unchanged")]
    (ax,) = drawn["compare_diff"].axes
    assert ax.get_title(loc="left") == (
        "default vs default: regression 2, improvement 0, unchanged 0, inconclusive 0"
    )
    assert ax.get_xlabel() == "change of the mean peak (% of the baseline's), with its interval"
    rows = [t.get_text() for t in ax.get_yticklabels()]
    assert rows == [f"{lim:g} MB · 4M/8M/4M" for lim in both["limit_mb"]] == [
        "323 MB · 4M/8M/4M", "1005 MB · 4M/8M/4M"
    ]  # fmt: skip
    tested = both.dropna(subset=["diff_percent"])
    dots = [x.get_xdata()[0] for x in ax.lines if x.get_marker() == "o" and x.get_mfc() != "none"]
    assert sorted(dots) == pytest.approx(sorted(tested["diff_percent"]))
    spans = [x.get_xdata() for x in ax.lines if len(set(x.get_xdata())) == 2]  # not the 0 line
    intervals = zip(tested["ci_low_percent"], tested["ci_high_percent"], strict=True)
    assert np.ravel(sorted(map(tuple, spans))) == pytest.approx(np.ravel(sorted(intervals)))
    notes = [t.get_text() for t in ax.texts]
    assert "regression  status ok 3 → oom 1, ok 2" in notes and len(notes) == len(both)
    legend = [t.get_text() for t in drawn["compare_diff"].legends[0].get_texts()]
    assert legend == ["regression", "improvement", "unchanged", "inconclusive",
                      "within the practical threshold"]  # fmt: skip


def test_the_traces_figure_overlays_both_sides_of_the_most_changed_configuration(saved):
    root, out, _, drawn = saved
    row = style.plain(tables.COMPARE.read(out["compare"])).set_index("limit_mb").loc[323]
    runs = tables.COMPARE_RUNS.read(out["compare_runs"])
    (ax,) = drawn["compare_traces"].axes
    assert ax.get_title(loc="left") == (
        f"default vs default · 323 MB · 4M/8M/4M: regression, peak {row['diff_percent']:+.2f}% "
        f"({row['diff_mb']:+.2f} MB)"
    )
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("time since launch (s)", "RSS (MB)")
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        "baseline: default", "candidate: default"
    ]  # fmt: skip
    traces = [x for x in ax.lines if x.get_linestyle() == "-" and len(x.get_xdata()) > 2]
    for side in ("baseline", "candidate"):
        color = to_rgb(compare_traces.SIDE_COLORS[side])
        lines = [x for x in traces if to_rgb(x.get_color()) == color]
        mine = runs[(runs["side"] == side) & (runs["limit_mb"] == 323)].sort_values("repeat")
        peaks = []
        for run_dir in mine["run_dir"]:
            trace = tables.TRACE.read(root / "new" / run_dir / "trace.csv")
            peaks.append(trace["vmrss_kb"].max() / 1024)
        assert [max(x.get_ydata()) for x in lines] == pytest.approx(peaks), side
        (mean,) = [
            x for x in ax.lines if x.get_linestyle() == ":" and to_rgb(x.get_color()) == color
        ]
        assert mean.get_ydata()[0] == pytest.approx(row[f"mean_{side}_mb"])
    (limit,) = [x for x in ax.lines if x.get_linestyle() == "--"]
    assert list(limit.get_ydata()) == [323, 323]


def test_markdown_json_and_the_benchmark_series(saved):
    _, _, files, _ = saved
    text = files["md"].read_text()
    assert text.startswith("### memsweep: compared with `../old/results`: 2 regressions")
    assert "| **regression** | default | 323 MB | `4M/8M/4M` |" in text
    assert "ok 3 → oom 1, ok 2" in text and "Bonferroni" in text
    document = json.loads(files["json"].read_text())
    assert document["regressed"] is True and document["counts"]["regression"] == 2
    assert document["rule"]["tests"] == 2
    assert len(document["configurations"]) == 5  # 2 grid + 3 threshold configurations
    series = json.loads(files["benchmark"].read_text())
    assert series == document["benchmark"] and len(series) == 2
    for entry in series:
        assert BENCHMARK_KEYS <= set(entry) <= BENCHMARK_KEYS | BENCHMARK_OPTIONAL_KEYS
        assert entry["unit"] == "MB" and isinstance(entry["value"], float)


def test_the_gate_exits_1_on_a_regression_0_without_and_2_on_bad_input(saved, capsys):
    root, out, _, _ = saved
    results = root / "new/results"
    assert compare_gate.main([str(results)]) == 1
    printed = capsys.readouterr()
    assert printed.out.startswith("### memsweep") and "2 configuration(s) regressed" in printed.err
    assert compare_gate.main([str(root / "old/results")]) == 2  # no comparison there
    assert "compare.csv: missing" in capsys.readouterr().err
    assert compare_gate.main([str(root / "nowhere")]) == 2
    quiet = root / "quiet/results"
    shutil.copytree(results, quiet)
    frame = tables.COMPARE.read(quiet / "summary/compare.csv")
    tables.COMPARE.write(frame.assign(verdict="unchanged"), quiet / "summary/compare.csv")
    assert compare_gate.main([str(quiet)]) == 0
    (quiet / "summary/compare.csv").write_text("verdict\nregression\n")
    assert compare_gate.main([str(quiet)]) == 2
    assert "not the compare contract" in capsys.readouterr().err


def test_the_report_opens_the_comparison_after_the_verdicts(saved):
    root, out, _, _ = saved
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(root / "new")
        data = read_tables({t.name: t.path for t in tables.SUMMARY_TABLES})
    data |= {t.name: t.read(out[t.name]) for t in tables.COMPARE_TABLES}
    data["verdicts"] = decide.verdicts_table(data, VERDICT_SETTINGS)
    config = {**CONFIG, "compare": {**SETTINGS, "baseline": "../old/results"}}
    pngs = {name: root / f"{name}.png" for name in COMPARE_FIGURES}
    page = report.page.build_report(data, pngs, config, "0.1.0", root=root / "new")
    assert page.index('<section id="verdicts">') < page.index('<section id="compare">')
    section = page.split('<section id="compare">')[1].split("</section>")[0]
    assert "<h2>Compared with ../old/results</h2>" in section
    assert section.count("<img ") == len(COMPARE_FIGURES)
    assert '<tr class="bad"><td><span class="badge fail">regression</span>' in section


def test_the_captions_render_as_snakemake_does():
    """Jinja (strict) then reStructuredText, with the comparison's settings filled in."""
    config = campaign.config.load(
        campaign.config.read_config_file(campaign.config.DEFAULT_CONFIG), cwd=campaign.config.ROOT
    )
    config["compare"]["baseline"] = "main-results"
    names = ["workflow", "compare_table", "compare_md"]
    names += [f"figures/{n}" for n in COMPARE_FIGURES]
    for name in names:
        html = render_caption(name, config)
        assert "main-results" in html or name == "figures/compare_traces", name
