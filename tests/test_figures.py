"""Each figure of the registry draws a readable PNG of the expected size for any campaign shape."""

from __future__ import annotations

import math
import os
from pathlib import Path

import matplotlib.image as mpimg
import numpy as np
import pandas as pd
import pytest

import campaign.config
import figures
import plots
import tables
from analysis import digest
from fixtures_report import make_campaign, read_tables, stage_paths, write_campaign
from plots import resources, style
from plots import traces as traces_figure
from report import highlights

WIDTH_PX = int(style.WIDTH_IN * style.DPI)
MESSAGE_PX = int(2.2 * style.DPI)
SETTINGS = {"cv_warn_percent": 5.0}
REPO = Path(__file__).resolve().parents[1]
real_draw = plots.draw


def px(inches: float) -> int:
    """Pixels matplotlib gives a figure dimension (it truncates)."""
    return int(inches * style.DPI + 1e-9)


def png_shape(path) -> tuple[int, int]:
    """(height, width) of a PNG that decodes and is not a blank canvas."""
    image = mpimg.imread(path)
    assert image.ndim == 3 and image[..., :3].std() > 0.02, f"{path} looks blank"
    return image.shape[:2]


def draw_all(camp: dict, folder: Path, monkeypatch) -> dict:
    """Write the campaign under folder and draw every figure as the figures job does."""
    paths = write_campaign(camp, folder)
    monkeypatch.chdir(folder)
    names = plots.drawn({})  # a campaign without searches
    outs = {name: folder / f"{name}.png" for name in names}
    figures.main(stage_paths(paths), {name: SETTINGS for name in names}, outs)
    return {name: png_shape(out) for name, out in outs.items()}


@pytest.fixture
def drawn(monkeypatch):
    """{figure file name: the matplotlib figure} of every figure saved while the test runs."""
    saved, save = {}, style.save

    def keep(fig, out_path):
        saved[Path(out_path).stem] = fig
        save(fig, out_path)

    monkeypatch.setattr(style, "save", keep)
    return saved


def by_title(fig) -> dict:
    return {ax.get_title(loc="left"): ax for ax in fig.axes if ax.get_title(loc="left")}


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


def test_full_campaign_figures_have_expected_size(tmp_path, monkeypatch):
    shapes = draw_all(make_campaign(), tmp_path, monkeypatch)
    assert all(width == WIDTH_PX for _, width in shapes.values())
    # 3 limits x 2 models + 3 threshold runs = 9 panels in 3 columns
    assert shapes["traces"][0] == px(0.9 + 2.45 * 3)
    assert shapes["peak_vs_limit"][0] == px(4.8)
    assert shapes["stability"][0] == px(4.6)
    assert shapes["spikes"][0] == px(5.4)
    assert shapes["thresholds"][0] == px(3.7)


def test_single_run_without_thresholds_or_spikes(tmp_path, monkeypatch):
    camp = make_campaign(limits=(500,), models=("auto",), repeats=1, thresholds=(), failures=False)
    camp["traces"] = {k: t.assign(vmrss_kb=1000) for k, t in camp["traces"].items()}  # flat
    shapes = draw_all(camp, tmp_path, monkeypatch)
    assert shapes["traces"][0] == px(0.9 + 2.45)
    assert shapes["thresholds"] == (MESSAGE_PX, WIDTH_PX)  # "No thresholds configured."
    assert shapes["spikes"] == (MESSAGE_PX, WIDTH_PX)  # "No spikes detected ..."
    assert shapes["stability"][1] == WIDTH_PX  # one repeat: CV unknown, still drawn


def test_every_run_failed_with_empty_traces(tmp_path, monkeypatch):
    camp = make_campaign(limits=(100, 200), models=("4M/8M/4M",), repeats=2, thresholds=())
    for record in camp["records"]:
        record.update(status="failed", exit_code=1, peak_rss_kb=None, hwm_kb=None, samples=0,
                      peak_capture=None)  # fmt: skip
        camp["traces"][record["run_dir"]] = camp["traces"][record["run_dir"]].iloc[:0]
    shapes = draw_all(camp, tmp_path, monkeypatch)
    assert shapes["peak_vs_limit"] == (MESSAGE_PX, WIDTH_PX)  # "No run has a peak."
    assert shapes["traces"][1] == WIDTH_PX


def test_many_configurations_show_those_that_matter(tmp_path, monkeypatch):
    limits = (100, 200, 300, 400, 500, 600, 700)
    camp = make_campaign(limits=limits, models=("2M/2M/2M", "4M/8M/4M", "8M/8M/8M"), repeats=10)
    shapes = draw_all(camp, tmp_path, monkeypatch)
    data = read_tables({t.name: tmp_path / t.path for t in tables.SUMMARY_TABLES})
    focus = highlights.focus(data["runs"], data["variance"])
    assert 3 < len(focus) < 7 * 3 + 3  # a selection, not every configuration
    panels = min(len(focus), traces_figure.MAX_PANELS)
    assert shapes["traces"][0] == px(1.15 + 2.45 * math.ceil(panels / 3))  # 2 legend rows
    assert shapes["overview"][0] == px(1.6 + 3 * 1.2)


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
    plots.draw("overview", data, SETTINGS, tmp_path / "o.png")
    assert png_shape(tmp_path / "o.png") == (px(1.6 + 3 * 0.22 * 10), WIDTH_PX)


def test_two_variants_are_drawn_apart(tmp_path, monkeypatch):
    camp = make_campaign(limits=(300, 600), models=("4M/8M/4M",), repeats=2,
                         variants=("base", "new"), thresholds=(), failures=False)  # fmt: skip
    shapes = draw_all(camp, tmp_path, monkeypatch)
    assert shapes["traces"][0] == px(0.9 + 2.45 * 2)  # 2 variants x 2 limits = 4 panels
    assert shapes["peak_vs_limit"][1] == WIDTH_PX


def test_empty_tables_still_write_messages(tmp_path):
    data = {name: table.empty() for name, table in tables.BY_NAME.items()}
    data["traces"] = {}
    for name in plots.FIGURES:
        out = tmp_path / f"{name}.png"
        plots.draw(name, data, SETTINGS, out)
        assert png_shape(out) == (MESSAGE_PX, WIDTH_PX), name


def test_failing_threshold_and_dollar_in_reported_config(tmp_path):
    data = read_tables(write_campaign(make_campaign(), tmp_path))
    th = data["thresholds"]
    th.loc[0, ["reported_config", "verdict"]] = ["$weird$ {config", "FAIL"]
    th.loc[1, ["reported_config", "verdict", "peak_mb"]] = [None, "FAIL", None]
    plots.draw("thresholds", data, SETTINGS, tmp_path / "th.png")
    assert png_shape(tmp_path / "th.png")[1] == WIDTH_PX


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


def test_the_figures_draw_what_the_tables_say(tmp_path, monkeypatch, drawn):
    """Content, not pixels: labels, one series per model, and the numbers each plot shows."""
    camp = make_campaign(limits=(300, 600), repeats=3, thresholds=(), failures=False)
    draw_all(camp, tmp_path, monkeypatch)
    data = read_tables({t.name: tmp_path / t.path for t in tables.SUMMARY_TABLES})
    runs, variance = data["runs"], data["variance"]
    ok = runs[runs["status"] == "ok"]
    mean = ok.groupby(["bucket_model", "limit_mb"])["peak_mb"].mean()

    # peak vs limit: a line per model through its mean peaks, every repeat as a point
    ax = by_title(drawn["peak_vs_limit"])["Peak vs memory limit"]
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("memory limit (MB)", "peak (MB)")
    lines = [line for line in ax.lines if len(line.get_xdata()) == 2 and line.get_marker() == "o"]
    assert len(lines) == 2  # two models
    drawn_means = sorted(y for line in lines for y in line.get_ydata())
    assert drawn_means == pytest.approx(sorted(mean.to_numpy()), rel=1e-9)
    points = sum(len(c.get_offsets()) for c in ax.collections)
    assert points >= len(ok)  # every repeat (and the over-budget rings)
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend[:2] == ["4M/8M/4M", "8M/8M/8M"]

    # stability: a heatmap cell per configuration, its CV written in it
    heat = drawn["stability"].axes[0]
    texts = [t.get_text() for t in heat.texts]
    assert len(texts) == len(variance)
    expected = [f"{v:.2f}%" for v in variance["cv_percent"].astype(float)]
    assert sorted(t.split("\n")[0] for t in texts) == sorted(expected)
    assert all(t.endswith("n=3") for t in texts)

    # overview: peak as % of the limit per cell
    peak = drawn["overview"].axes[0]
    shown = sorted(int(t.get_text()) for t in peak.texts)
    pct = 100 * variance["mean_peak_mb"].astype(float) / variance["limit_mb"].astype(float)
    assert shown == sorted(int(f"{v:.0f}") for v in pct)

    # resources: peak, CPU and faults against the limit, a line per model
    axes = drawn["resources"].axes
    assert [a.get_ylabel() for a in axes] == [label for _, label in resources.PANELS]
    series = [line for line in axes[0].lines if line.get_marker() == "o"]  # not the bars
    assert sorted(y for line in series for y in line.get_ydata()) == pytest.approx(
        sorted(mean.to_numpy())
    )

    # spikes: every window-detector spike as a point, in both panels
    n_window = int((data["spikes"]["detector"] == "window").sum())
    size_ax = by_title(drawn["spikes"])["Spikes over time (window detector), all runs overlaid"]
    assert sum(len(c.get_offsets()) for c in size_ax.collections) == n_window
    assert size_ax.get_ylabel() == "increase (MB)"


def test_a_figure_that_fails_does_not_stop_the_others(tmp_path, monkeypatch):
    paths = write_campaign(make_campaign(thresholds=()), tmp_path)
    monkeypatch.chdir(tmp_path)

    def flaky(name, data, settings, out_path):
        if name == "spikes":
            raise ValueError("drawing went wrong")
        real_draw(name, data, settings, out_path)

    monkeypatch.setattr(plots, "draw", flaky)
    names = plots.drawn({})
    outs = {name: tmp_path / f"{name}.png" for name in names}
    with pytest.raises(
        SystemExit, match=r"1 figure\(s\) failed to draw \(spikes: drawing went wrong\)"
    ):
        figures.main(stage_paths(paths), {name: SETTINGS for name in names}, outs)
    assert [n for n in names if outs[n].is_file()] == [n for n in names if n != "spikes"]


def test_figures_drawn_in_forked_workers_are_those_one_process_draws(tmp_path, monkeypatch):
    """With more than one worker each figure is drawn in a process forked from the job's: the
    same PNGs, byte for byte, and a figure that fails is named as in one process."""
    paths = write_campaign(make_campaign(thresholds=()), tmp_path)
    monkeypatch.chdir(tmp_path)

    def flaky(name, data, settings, out_path):
        if name == "spikes":
            raise ValueError("drawing went wrong")
        real_draw(name, data, settings, out_path)

    monkeypatch.setattr(plots, "draw", flaky)
    names = plots.drawn({})
    settings = {name: SETTINGS for name in names}
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
    failed = figures.draw_all(read, {name: SETTINGS for name in names}, outs, workers=2)
    assert failed["spikes"] == "its drawing process ended before it was drawn"
    assert all(outs[name].is_file() != (name in failed) for name in names)
