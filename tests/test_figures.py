"""Each figure of the registry draws what the tables say, for any campaign shape: its panels,
axis labels, titles, series and legends, and the values drawn, checked on the matplotlib figures
the figures job drew (`style.capture()`), not on their pixels."""

from __future__ import annotations

import os
from pathlib import Path

import matplotlib.image as mpimg
import numpy as np
import pandas as pd
import pytest
from matplotlib.patches import Rectangle

import campaign.config
import figures
import plots
import tables
from analysis import digest
from fixtures_report import (
    figure_settings,
    make_campaign,
    read_tables,
    stage_paths,
    write_campaign,
)
from plots import overview, resources, style
from plots import traces as traces_figure
from report import highlights

REPO = Path(__file__).resolve().parents[1]
WARN = figure_settings(["stability"])["stability"]["cv_warn_percent"]
real_draw = plots.draw


# ---------------------------------------------------------------- reading a drawn figure


def draw_all(camp: dict, folder: Path, monkeypatch) -> tuple[dict, dict]:
    """Write the campaign under folder and draw every figure as the figures job does: (its
    tables, {figure name: the figure drawn})."""
    paths = write_campaign(camp, folder)
    monkeypatch.chdir(folder)
    names = plots.drawn({})  # a campaign without searches
    outs = {name: folder / f"{name}.png" for name in names}
    with style.capture() as drawn:
        figures.main(stage_paths(paths), figure_settings(names), outs)
    assert list(drawn) == names
    return read_tables(paths), drawn


def by_title(fig) -> dict:
    return {ax.get_title(loc="left"): ax for ax in fig.axes if ax.get_title(loc="left")}


def message(fig) -> list[str]:
    """The title and message of a figure that says why there is no plot."""
    assert not fig.axes
    return [t.get_text() for t in fig.texts]


def legend(holder) -> list[str]:
    found = holder.get_legend() if hasattr(holder, "get_legend") else holder.legends[0]
    return [t.get_text() for t in found.get_texts()]


def ticks(labels) -> list[str]:
    return [t.get_text() for t in labels]


def points(collections) -> np.ndarray:
    """The (x, y) of every marker of scatter collections."""
    found = [c.get_offsets() for c in collections if len(c.get_offsets())]
    return np.concatenate(found) if found else np.empty((0, 2))


def trace_lines(ax) -> list:
    return [x for x in ax.lines if x.get_linestyle() == "-" and x.get_marker() == "None"]


def dashed_levels(ax) -> list[float]:
    """The y of every dashed horizontal line (limit lines)."""
    return [
        float(line.get_ydata()[0])
        for line in ax.lines
        if line.get_linestyle() == "--" and len(set(line.get_ydata())) == 1
    ]


def mesh(ax) -> np.ndarray:
    """A heatmap's cell values, row by row (NaN where the cell is empty)."""
    quad = next(c for c in ax.collections if type(c).__name__ == "QuadMesh")
    rows, cols = (n - 1 for n in quad.get_coordinates().shape[:2])
    return np.ma.filled(quad.get_array().astype(float), np.nan).reshape(rows, cols)


def configurations(frame: pd.DataFrame) -> list[str]:
    """ "limit MB · model" of a table's configurations, as figures name them."""
    pairs = zip(frame["limit_mb"], frame["bucket_model"], strict=True)
    return [f"{lim:g} MB · {model}" for lim, model in pairs]


# ---------------------------------------------------------------- the registry and the files


def test_the_registry_is_complete():
    # the default campaign's config, checked and with its defaults, as the workflow hands it on
    config = campaign.config.load(campaign.config.read_config_file(campaign.config.DEFAULT_CONFIG))
    for name, spec in plots.FIGURES.items():
        assert spec.name == name
        assert (REPO / plots.CAPTION.format(name=name)).is_file(), name
        assert (REPO / "scripts" / "plots" / f"{name}.py").is_file(), name
        assert set(spec.tables) <= set(tables.BY_NAME)
        settings = plots.settings_of(name, config)  # every setting it names is a config key
        assert list(settings) == [key.partition(".")[2] for key in spec.settings], name


def test_every_figure_is_written_as_a_readable_image(fixture_figures):
    assert list(fixture_figures["figs"]) == plots.drawn({})
    for name, path in fixture_figures["pngs"].items():
        image = mpimg.imread(path)
        assert image.ndim == 3 and image[..., :3].std() > 0.02, f"{name}.png looks blank"


# ---------------------------------------------------------------- the fixture campaign's figures


@pytest.fixture(scope="module")
def full(fixture_campaign, fixture_figures):
    """(the fixture campaign's tables, plain; {name: figure drawn})."""
    data = {name: style.plain(frame) for name, frame in read_tables(fixture_campaign).items()}
    return data, fixture_figures["figs"]


def test_overview_shows_peak_percent_cv_and_the_worst_verdict_per_configuration(full):
    data, drawn = full
    variance, found = data["variance"], data["verdicts"]
    peak_ax, cv_ax, level_ax = drawn["overview"].axes[:3]
    assert peak_ax.get_title(loc="left").startswith("Peak as % of the limit")
    assert cv_ax.get_title(loc="left") == (
        f"CV of the peak across repeats (%; warning above {WARN:g}%)"
    )
    for ax in (peak_ax, cv_ax, level_ax):
        assert ax.get_xlabel() == "memory limit (MB)"
        assert ticks(ax.get_xticklabels()) == ["64", "323", "1005"]
        assert ticks(ax.get_yticklabels()) == ["4M/8M/4M", "8M/8M/8M"]
    cells = variance.set_index(["bucket_model", "limit_mb"], drop=False)
    pct = 100 * cells["mean_peak_mb"] / cells["limit_mb"]
    expected = pct.unstack().to_numpy()
    assert mesh(peak_ax) == pytest.approx(expected)
    assert sorted(t.get_text() for t in peak_ax.texts) == sorted(f"{v:.0f}" for v in pct)
    assert mesh(cv_ax) == pytest.approx(cells["cv_percent"].unstack().to_numpy())
    assert sorted(t.get_text() for t in cv_ax.texts) == sorted(
        f"{v:.2f}" for v in cells["cv_percent"]
    )
    rank = {"ok": 0, "warn": 1, "fail": 2}
    worst = (
        found.dropna(subset=["limit_mb"])
        .assign(r=found["level"].map(rank))
        .groupby(["bucket_model", "limit_mb"])["r"]
        .max()
    )
    levels = worst.reindex(cells.index).fillna(0).unstack().to_numpy()
    assert mesh(level_ax) == pytest.approx(levels)
    assert levels.max() == 2 and levels.min() < 2  # the fixture has failed and clean cells


def test_traces_draw_every_configuration_its_runs_peaks_spikes_and_limit(full, fixture_campaign):
    data, drawn = full
    runs, spikes = data["runs"], data["spikes"]
    fig = drawn["traces"]
    panels = by_title(fig)
    grid = runs[runs["in_grid"]]
    checks = runs[~runs["in_grid"]].sort_values("limit_mb")
    titles = [f"{c}" for c in configurations(grid.drop_duplicates(["limit_mb", "bucket_model"]))]
    titles = sorted(titles, key=lambda t: (t.split(" · ")[1], float(t.split()[0])))
    titles += [f"{c}  (threshold check)" for c in configurations(checks)]
    assert list(panels) == titles  # 3 limits x 2 models, then the 3 threshold runs
    assert legend(fig) == ["rep 1", "rep 2", "rep 3", "spike (top)", "VmHWM (kernel)",
                           "memory limit"]  # fmt: skip
    assert [t.get_text() for t in fig.texts] == ["time since launch (s)", "RSS (MB)"]
    window = spikes[spikes["detector"] == "window"]
    root = fixture_campaign["root"]
    for title, ax in panels.items():
        limit, model = float(title.split()[0]), title.split(" · ")[1].split()[0]
        mine = runs[(runs["limit_mb"] == limit) & (runs["bucket_model"] == model)]
        lines = trace_lines(ax)
        sampled = mine[mine["samples"] > 0].sort_values("repeat")
        assert len(lines) == len(sampled), title  # a line per run with samples
        for line, (_, run) in zip(lines, sampled.iterrows(), strict=True):
            assert line.get_color() == style.repeat_color(run["repeat"])
            trace = tables.TRACE.read(root / run["run_dir"] / "trace.csv")
            assert max(line.get_ydata()) == pytest.approx(trace["vmrss_kb"].max() / 1024)
        hwm = [line for line in ax.lines if line.get_marker() == "<"]
        assert [float(m.get_ydata()[0]) for m in hwm] == pytest.approx(list(sampled["hwm_mb"]))
        tops = [line for line in ax.lines if line.get_marker() == "^"]
        own = window[(window["limit_mb"] == limit) & (window["bucket_model"] == model)]
        assert sorted(np.concatenate([t.get_ydata() for t in tops])) == pytest.approx(
            sorted(own["rss_mb"])
        )
        notes = " ".join(t.get_text() for t in ax.texts)
        if limit <= 1.5 * max(max(line.get_ydata()) for line in lines):
            assert dashed_levels(ax) == [limit] and f"limit {limit:g} MB" in notes
        else:
            assert dashed_levels(ax) == [] and f"limit {limit:g} MB ↑ off scale" in notes
        for _, run in mine[mine["status"] != "ok"].iterrows():
            assert f"rep {run['repeat']:g}: {run['status']}" in notes


def test_peak_vs_limit_draws_every_peak_the_means_and_the_budget(full):
    data, drawn = full
    runs = data["runs"][data["runs"]["in_grid"]]
    have = runs.dropna(subset=["peak_mb"])
    ok = have[have["status"] == "ok"]
    panels = by_title(drawn["peak_vs_limit"])
    ax, pct_ax = panels["Peak vs memory limit"], panels["Peak as % of limit (100% = budget)"]
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("memory limit (MB)", "peak (MB)")
    assert (pct_ax.get_xlabel(), pct_ax.get_ylabel()) == ("memory limit (MB)", "peak / limit (%)")
    assert legend(ax) == ["4M/8M/4M", "8M/8M/8M", "budget: peak = limit", "over budget",
                          "run not ok"]  # fmt: skip
    means = [line for line in ax.lines if line.get_marker() == "o"]
    assert len(means) == 2  # a line per model, through its mean peak per limit
    expected = ok.groupby(["bucket_model", "limit_mb"])["peak_mb"].mean()
    for line, model in zip(means, ["4M/8M/4M", "8M/8M/8M"], strict=True):
        assert list(line.get_ydata()) == pytest.approx(list(expected[model]))
    # every ok repeat, every run not ok with a peak (a cross) and a ring on each over budget
    scatter = [c for c in ax.collections if type(c).__name__ == "PathCollection"]
    rings = [c for c in scatter if len(c.get_facecolor()) == 0]
    over = have[have["over_budget"]]["peak_mb"]
    assert sorted(points(rings)[:, 1]) == pytest.approx(sorted(over))
    dots = points([c for c in scatter if c not in rings])[:, 1]
    assert sorted(dots) == pytest.approx(sorted(have["peak_mb"]))
    assert sorted(points(pct_ax.collections)[:, 1]) == pytest.approx(
        sorted(100 * ok["peak_mb"] / ok["limit_mb"])
    )
    (budget,) = [line for line in ax.lines if line.get_linestyle() == "--"]
    assert list(budget.get_ydata()) == list(budget.get_xdata())  # peak = limit
    assert dashed_levels(pct_ax) == [100]
    n_over, n_missing = int(have["over_budget"].sum()), int(runs["peak_mb"].isna().sum())
    note = ax.texts[0].get_text().replace("\n", " ")
    assert f"{n_over} run(s) over budget" in note and f"{n_missing} without a peak" in note


def test_stability_shows_the_cv_per_configuration_and_each_repeat_against_its_median(full):
    data, drawn = full
    variance, runs = data["variance"], data["runs"]
    panels = by_title(drawn["stability"])
    n_high = int((variance["cv_percent"] > WARN).sum())
    heat = panels[f"CV per configuration — {n_high} above {WARN:g}%"]
    assert n_high == 2
    texts = sorted(t.get_text() for t in heat.texts)
    assert texts == sorted(
        f"{cv:.2f}%\nn={n:g}" for cv, n in zip(variance["cv_percent"], variance["n"], strict=True)
    )
    frames = [p for p in heat.patches if isinstance(p, Rectangle)]
    cells = mesh(heat)
    assert sorted(cells[int(p.get_y()), int(p.get_x())] for p in frames) == sorted(
        variance.loc[variance["cv_percent"] > WARN, "cv_percent"]
    )
    dev = panels["Peak of each ok repeat, outliers in red"]
    assert dev.get_ylabel() == "peak vs configuration median (%)"
    assert legend(dev) == ["4M/8M/4M", "8M/8M/8M"]
    ok = runs[runs["in_grid"] & (runs["status"] == "ok")]
    median = ok.groupby(["bucket_model", "limit_mb"])["peak_mb"].transform("median")
    assert sorted(points(dev.collections)[:, 1]) == pytest.approx(
        sorted(100 * (ok["peak_mb"] / median - 1))
    )
    outliers = [f"rep {r}" for r in variance["outlier_repeats"].dropna() for r in r.split(";")]
    assert sorted(t.get_text() for t in dev.texts) == sorted(outliers) and outliers


def test_spikes_draw_every_window_spike_and_the_spikes_per_run_of_each_configuration(full):
    data, drawn = full
    runs, spikes = data["runs"], data["spikes"]
    window = spikes[spikes["detector"] == "window"]
    panels = by_title(drawn["spikes"])
    size = panels["Spikes over time (window detector), all runs overlaid"]
    rate = next(ax for ax in drawn["spikes"].axes if ax.get_ylabel() == "rate (MB/s)")
    top_s = window["time_s"] + window["duration_ms"].fillna(0) / 1000
    drawn_size = points(size.collections)
    expected = sorted(zip(top_s, window["increase_mb"], strict=True))
    # flat: pytest.approx takes flat sequences only (from pytest 9.2 a nested one is an error)
    assert np.ravel(sorted(map(tuple, drawn_size))) == pytest.approx(np.ravel(expected))
    assert sorted(points(rate.collections)[:, 1]) == pytest.approx(sorted(window["rate_mb_s"]))
    assert size.get_ylabel() == "increase (MB)" and rate.get_xlabel() == "time since launch (s)"
    assert legend(size) == ["4M/8M/4M", "8M/8M/8M", "auto"]
    per_config = panels["Spikes per configuration"]
    assert per_config.get_xlabel() == "spikes per run (mean over repeats)"
    grid = runs[runs["in_grid"]]
    order = grid.drop_duplicates(["limit_mb", "bucket_model"]).sort_values(
        ["bucket_model", "limit_mb"]
    )
    assert ticks(per_config.get_yticklabels()) == configurations(order)
    key = ["limit_mb", "bucket_model"]
    counts = window.groupby(key).size()
    sampled = grid[grid["samples"] > 0].groupby(key).size()
    keys = zip(order["limit_mb"], order["bucket_model"], strict=True)
    expected = [counts.get(k, 0) / sampled[k] for k in keys]
    assert [bar.get_width() for bar in per_config.patches] == pytest.approx(expected)


def test_resources_draw_the_mean_peak_cpu_and_faults_per_model(full):
    data, drawn = full
    runs = data["runs"]
    ok = runs[runs["in_grid"] & (runs["status"] == "ok")]
    ok = ok.assign(cpu_s=ok["cpu_user_s"] + ok["cpu_system_s"])
    axes = drawn["resources"].axes
    assert axes[0].get_title(loc="left") == plots.FIGURES["resources"].title
    assert [ax.get_ylabel() for ax in axes] == [label for _, label in resources.PANELS]
    assert legend(axes[0]) == ["4M/8M/4M", "8M/8M/8M"]
    for ax, column in zip(axes, ["peak_mb", "cpu_s", "major_faults"], strict=True):
        mean = ok.groupby(["bucket_model", "limit_mb"])[column].mean()
        lines = [line for line in ax.lines if line.get_marker() == "o" and len(line.get_xdata())]
        assert len(lines) == 2, column
        for line, model in zip(lines, ["4M/8M/4M", "8M/8M/8M"], strict=True):
            assert list(line.get_xdata()) == list(mean[model].index)
            assert list(line.get_ydata()) == pytest.approx(list(mean[model])), column


def test_thresholds_draw_each_runs_peak_and_its_verdict(full):
    data, drawn = full
    th = data["thresholds"]
    passed = int((th["verdict"] == "PASS").sum())
    (ax,) = [ax for ax in drawn["thresholds"].axes if ax.get_visible()]
    verdict = "PASS" if passed == len(th) else "FAIL"
    assert ax.get_title(loc="left") == f"Threshold 1000 MB · auto: {verdict} ({passed}/{len(th)})"
    where = zip(th["limit_mb"], th["position"], strict=True)
    assert ticks(ax.get_xticklabels()) == [f"{lim:g} MB\n{pos}" for lim, pos in where]
    assert [bar.get_height() for bar in ax.patches] == pytest.approx(list(th["peak_mb"]))
    texts = [t.get_text() for t in ax.texts]
    assert [t for t in texts if t.startswith("expected ")] == [
        f"expected {e}" for e in th["expected"]
    ]
    assert ax.get_ylabel() == "peak (MB)"


# ---------------------------------------------------------------- other campaign shapes


def test_single_run_without_thresholds_or_spikes(tmp_path, monkeypatch):
    camp = make_campaign(limits=(500,), models=("auto",), repeats=1, thresholds=(), failures=False)
    camp["traces"] = {k: t.assign(vmrss_kb=1000) for k, t in camp["traces"].items()}  # flat
    data, drawn = draw_all(camp, tmp_path, monkeypatch)
    (panel,) = by_title(drawn["traces"]).items()
    assert panel[0] == "500 MB · auto" and len(trace_lines(panel[1])) == 1
    assert dashed_levels(panel[1]) == [500]  # 1000 kB: the limit is on the panel
    assert message(drawn["thresholds"]) == ["Threshold checks", "No thresholds configured."]
    assert message(drawn["spikes"]) == ["Memory spikes", "No spikes detected in 1 run(s)."]
    heat, dev = drawn["stability"].axes[:2]  # one repeat: CV unknown, still drawn
    assert [t.get_text() for t in heat.texts] == ["—\nn=1"]
    assert dev.get_title(loc="left").endswith("(one repeat each: no spread)")


def test_every_run_failed_with_empty_traces(tmp_path, monkeypatch):
    camp = make_campaign(limits=(100, 200), models=("4M/8M/4M",), repeats=2, thresholds=())
    for record in camp["records"]:
        record.update(status="failed", exit_code=1, peak_rss_kb=None, hwm_kb=None, samples=0,
                      peak_capture=None)  # fmt: skip
        camp["traces"][record["run_dir"]] = camp["traces"][record["run_dir"]].iloc[:0]
    data, drawn = draw_all(camp, tmp_path, monkeypatch)
    assert message(drawn["peak_vs_limit"]) == ["Peak vs memory limit", "No run has a peak."]
    assert message(drawn["resources"]) == [plots.FIGURES["resources"].title, "No ok grid run."]
    panels = by_title(drawn["traces"])
    assert list(panels) == ["100 MB · 4M/8M/4M", "200 MB · 4M/8M/4M"]
    for title, ax in panels.items():
        assert trace_lines(ax) == [] and dashed_levels(ax) == [float(title.split()[0])]
        notes = [t.get_text() for t in ax.texts]
        assert notes[-1] == "rep 1: failed, no samples\nrep 2: failed, no samples"


def test_many_configurations_show_those_that_matter(tmp_path, monkeypatch):
    limits = (100, 200, 300, 400, 500, 600, 700)
    models = ("2M/2M/2M", "4M/8M/4M", "8M/8M/8M")
    camp = make_campaign(limits=limits, models=models, repeats=10)
    data, drawn = draw_all(camp, tmp_path, monkeypatch)
    focus = highlights.focus(data["runs"], data["variance"])
    assert 3 < len(focus) < 7 * 3 + 3  # a selection, not every configuration
    total = 7 * 3 + 3
    grid = [c for c in focus if c[1] in limits]
    shown = sorted(grid, key=lambda c: (models.index(c[2]), c[1]))
    shown += [c for c in focus if c not in grid]
    shown = shown[: traces_figure.MAX_PANELS]
    titles = list(by_title(drawn["traces"]))
    assert titles == [
        traces_figure.panel_title(v, lim, m, False, lim in limits) for v, lim, m in shown
    ]
    note = f"{len(shown)} of {total} configurations: those that matter (see the explorer)"
    assert note in [t.get_text() for t in drawn["traces"].texts]
    for ax in drawn["overview"].axes[:3]:
        assert ticks(ax.get_yticklabels()) == list(models)
        assert ticks(ax.get_xticklabels()) == [f"{v:g}" for v in limits]


def test_the_overview_stays_one_figure_at_a_hundred_limits_by_ten_models(tmp_path):
    limits = list(range(300, 1300, 10))
    models = [f"{a}M/{b}M/{a}M" for a in (1, 2, 4, 8, 16) for b in (4, 8)]
    rows = [{"variant": "default", "limit_mb": lim, "bucket_model": m, "n": 3, "n_failed": 0,
             "mean_peak_mb": lim * (0.5 + 0.07 * i), "cv_percent": 0.1 * i}
            for lim in limits for i, m in enumerate(models)]  # fmt: skip
    variance = tables.typed(
        pd.DataFrame(rows).reindex(columns=tables.VARIANCE.names), tables.VARIANCE
    )
    data = {"variance": variance, "verdicts": tables.VERDICTS.empty()}
    with style.capture() as drawn:
        plots.draw("overview", data, {"cv_warn_percent": WARN}, tmp_path / "o.png")
    peak, cv, level = drawn["o"].axes[:3]
    expected = np.array([[100 * (0.5 + 0.07 * i)] * len(limits) for i in range(len(models))])
    assert mesh(peak) == pytest.approx(expected)  # a row per model, a column per limit
    assert mesh(cv) == pytest.approx(np.array([[0.1 * i] * len(limits) for i in range(10)]))
    assert not (mesh(level)).any()  # no verdicts: every cell ok
    assert not peak.texts and not cv.texts  # too many columns to write numbers in the cells
    labels = ticks(peak.get_xticklabels())
    assert len(labels) == overview.MAX_TICKS and labels[:2] == ["300", "350"]
    assert ticks(peak.get_yticklabels()) == models


def test_two_variants_are_drawn_apart(tmp_path, monkeypatch):
    camp = make_campaign(limits=(300, 600), models=("4M/8M/4M",), repeats=2,
                         variants=("base", "new"), thresholds=(), failures=False)  # fmt: skip
    data, drawn = draw_all(camp, tmp_path, monkeypatch)
    assert list(by_title(drawn["traces"])) == [
        f"{v} · {lim} MB · 4M/8M/4M" for v in ("base", "new") for lim in (300, 600)
    ]
    ax = by_title(drawn["peak_vs_limit"])["Peak vs memory limit"]
    assert legend(ax)[:2] == ["base · 4M/8M/4M", "new · 4M/8M/4M"]
    runs = data["runs"]
    mean = runs.groupby(["variant", "limit_mb"])["peak_mb"].mean().astype(float)
    means = [line for line in ax.lines if line.get_marker() == "o"]
    for line, variant in zip(means, ("base", "new"), strict=True):
        assert list(line.get_ydata()) == pytest.approx(list(mean[variant]))


def test_empty_tables_still_write_messages(tmp_path):
    data = {name: table.empty() for name, table in tables.BY_NAME.items()}
    data["traces"] = {}
    for name, spec in plots.FIGURES.items():
        with style.capture() as drawn:
            plots.draw(name, data, {"cv_warn_percent": WARN}, tmp_path / f"{name}.png")
        title, text = message(drawn[name])
        assert title == spec.title and text, name  # the registry's title, and why
        assert mpimg.imread(tmp_path / f"{name}.png").ndim == 3


def test_failing_threshold_and_dollar_in_reported_config(fixture_campaign, tmp_path):
    data = read_tables(fixture_campaign)
    th = data["thresholds"]
    th.loc[0, ["reported_config", "verdict"]] = ["$weird$ {config", "FAIL"]
    th.loc[1, ["reported_config", "verdict", "peak_mb"]] = [None, "FAIL", None]
    with style.capture() as drawn:
        plots.draw("thresholds", data, {}, tmp_path / "th.png")
    (ax,) = [ax for ax in drawn["th"].axes if ax.get_visible()]
    assert ax.get_title(loc="left") == "Threshold 1000 MB · auto: FAIL (1/3)"
    bars = ax.patches
    assert [b.get_height() for b in bars] == pytest.approx([th.loc[0, "peak_mb"], 0,
                                                            th.loc[2, "peak_mb"]])  # fmt: skip
    colors = [style.FAIL_COLOR, style.FAIL_COLOR, style.PASS_COLOR]
    assert [b.get_facecolor()[:3] for b in bars] == [pytest.approx(_rgb(c)) for c in colors]
    texts = [t.get_text() for t in ax.texts]
    assert r"\$weird\$ {config" in texts and "no report" in texts and "no peak" in texts
    assert texts.count("FAIL") == 2 and texts.count("PASS") == 1


def _rgb(color: str) -> tuple:
    from matplotlib.colors import to_rgb

    return to_rgb(color)


def test_phase_peaks_draw_each_phase_against_the_limit_and_star_the_one_with_the_peak(tmp_path):
    rows = []
    for model in ("4M/8M/4M", "8M/8M/8M"):
        for limit in (300, 600):
            for order, phase in enumerate(["(start)", "load", "solve"]):
                peak = {"(start)": 10.0, "load": 50.0 + limit / 10, "solve": 80.0}[phase]
                peak += 30 * (model == "8M/8M/8M")
                held = phase == ("load" if limit == 600 else "solve")
                rows.append({"variant": "v", "limit_mb": limit, "bucket_model": model,
                             "phase": phase, "order": order, "n": 3, "mean_peak_mb": peak,
                             "min_mb": peak - 1, "max_mb": peak + 2,
                             "holds_peak": held})  # fmt: skip
    table = tables.typed(pd.DataFrame(rows).reindex(columns=tables.PHASES.names), tables.PHASES)
    with style.capture() as drawn:
        plots.draw("phase_peaks", {"phases": table}, {}, tmp_path / "phase_peaks.png")
    fig = drawn["phase_peaks"]
    panels = by_title(fig)
    assert list(panels) == ["4M/8M/4M", "8M/8M/8M"]  # a panel per model
    assert legend(fig) == ["(start)", "load", "solve", "holds the run's peak"]
    for model, ax in panels.items():
        assert ax.get_xlabel() == "memory limit (MB)"
        assert ticks(ax.get_xticklabels()) == ["300", "600"]
        mine = table[table["bucket_model"] == model]
        lines = [line for line in ax.lines if line.get_marker() == "o"]
        for line, phase in zip(lines, ["(start)", "load", "solve"], strict=True):
            expected = mine[mine["phase"] == phase].sort_values("limit_mb")["mean_peak_mb"]
            assert list(line.get_ydata()) == pytest.approx(list(expected.astype(float)))
        stars = [line for line in ax.lines if line.get_marker() == "*" and len(line.get_xdata())]
        held = {(float(x), float(y)) for s in stars for x, y in zip(*s.get_data(), strict=True)}
        want = mine[mine["holds_peak"]].sort_values("limit_mb")
        assert held == {(float(i), float(p)) for i, p in enumerate(want["mean_peak_mb"])}
    assert fig.axes[0].get_ylabel() == "peak in the phase (MB)"


# ---------------------------------------------------------------- helpers and failure handling


def test_downsample_keeps_the_peak_of_every_bucket():
    t = np.linspace(0, 90, 18000)
    v = np.full_like(t, 100.0)
    v[12345] = 900.0  # a one-sample spike
    ts, vs = style.downsample_max(t, v, buckets=600)
    assert len(vs) <= 600
    assert vs.max() == 900.0 and ts[vs.argmax()] == t[12345]
    short_t, short_v = style.downsample_max(t[:50], v[:50])
    assert len(short_v) == 50


def test_a_trace_that_lost_rows_stops_the_digest_of_traces(tmp_path, monkeypatch):
    camp = make_campaign(limits=(300,), models=("auto",), repeats=1, thresholds=())
    paths = write_campaign(camp, tmp_path)
    run_dir = camp["records"][0]["run_dir"]
    trace = tmp_path / run_dir / "trace.csv"
    trace.write_text("\n".join(trace.read_text().splitlines()[:-5]) + "\n")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(tables.TableError, match=f"{run_dir}/trace.csv: .* its run.json says"):
        digest.main(paths["runs"], paths["variance"], paths["spikes"], tmp_path / "d.json.gz")


def test_the_digest_keeps_every_peak_and_spike_within_its_budget():
    t = np.arange(20_000) * 0.01
    rss = np.full(20_000, 100_000)
    rss[12_345] = 900_000  # a one-sample spike
    frame = pd.DataFrame({"variant": "v", "limit_mb": [1, 2], "bucket_model": "auto",
                          "repeat": 1, "run_dir": ["a", "b"]})  # fmt: skip
    runs = tables.typed(frame, tables.RUNS)
    traces = {d: pd.DataFrame({"time_s": t, "vmrss_kb": rss}) for d in ("a", "b")}
    built = digest.build(runs, traces, tables.SPIKES.empty(), focus=[("v", 2, "auto")],
                         budget=25_000)  # fmt: skip
    a, b = built["runs"]["a"], built["runs"]["b"]
    assert (a["whole"], b["whole"]) == (False, True)  # b matters: whole; a: an envelope
    assert a["n"] <= 2 * digest.ENVELOPE_BUCKETS + 2 and b["n"] == 20_000
    ta, va = digest.decode(a)
    assert va.max() == 900_000 and ta[va.argmax()] == pytest.approx(123.45)


def spikes_fail(name, data, settings, out_path):
    """plots.draw, but the spikes figure fails."""
    if name == "spikes":
        raise ValueError("drawing went wrong")
    real_draw(name, data, settings, out_path)


def test_a_figure_that_fails_does_not_stop_the_others(fixture_campaign, tmp_path, monkeypatch):
    monkeypatch.chdir(fixture_campaign["root"])

    monkeypatch.setattr(plots, "draw", spikes_fail)
    names = plots.drawn({})
    outs = {name: tmp_path / f"{name}.png" for name in names}
    with pytest.raises(
        SystemExit, match=r"1 figure\(s\) failed to draw \(spikes: drawing went wrong\)"
    ):
        figures.main(stage_paths(fixture_campaign), figure_settings(names), outs)
    assert [n for n in names if outs[n].is_file()] == [n for n in names if n != "spikes"]


def test_figures_drawn_in_forked_workers_are_those_one_process_draws(tmp_path, monkeypatch):
    """With more than one worker each figure is drawn in a process forked from the job's: the
    same PNGs, byte for byte, and a figure that fails is named as in one process."""
    paths = write_campaign(make_campaign(thresholds=()), tmp_path)
    monkeypatch.chdir(tmp_path)

    monkeypatch.setattr(plots, "draw", spikes_fail)
    names = plots.drawn({})
    settings = figure_settings(names)
    outs = {}
    for workers in (1, 3):
        outs[workers] = {name: tmp_path / f"w{workers}" / f"{name}.png" for name in names}
        outs[workers]["spikes"].parent.mkdir()
        read = figures.Tables(stage_paths(paths))
        failed = figures.draw_all(read, settings, outs[workers], workers)
        assert failed == {"spikes": "drawing went wrong"}
    for name in names:
        if name != "spikes":
            assert outs[3][name].read_bytes() == outs[1][name].read_bytes(), name
    assert not outs[3]["spikes"].exists()


def test_a_drawing_process_that_dies_fails_the_figures_not_drawn(tmp_path, monkeypatch):
    paths = write_campaign(make_campaign(thresholds=()), tmp_path)
    monkeypatch.chdir(tmp_path)

    def dying(name, data, settings, out_path):
        if name == "spikes":
            os._exit(3)  # a worker killed in the middle of a figure
        real_draw(name, data, settings, out_path)

    monkeypatch.setattr(plots, "draw", dying)
    names = plots.drawn({})
    outs = {name: tmp_path / f"{name}.png" for name in names}
    read = figures.Tables(stage_paths(paths))
    failed = figures.draw_all(read, figure_settings(names), outs, workers=2)
    assert failed["spikes"] == "its drawing process ended before it was drawn"
    assert all(outs[name].is_file() != (name in failed) for name in names)
