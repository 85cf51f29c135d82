"""Each figure function writes a readable PNG of the expected size for any grid shape."""

from __future__ import annotations

import math

import matplotlib.image as mpimg
import numpy as np
import pandas as pd
import plots
import pytest
from contracts import SUMMARY_SPIKE_COLUMNS
from fixtures_report import make_campaign, write_campaign

WIDTH_PX = int(plots.WIDTH_IN * plots.DPI)
MESSAGE_PX = int(2.2 * plots.DPI)
FIGURES = ("traces", "peak_vs_limit", "stability", "spikes", "thresholds")


def px(inches: float) -> int:
    """Pixels matplotlib gives a figure dimension (it truncates)."""
    return int(inches * plots.DPI + 1e-9)


def png_shape(path) -> tuple[int, int]:
    """(height, width) of a PNG that decodes and is not a blank canvas."""
    image = mpimg.imread(path)
    assert image.ndim == 3 and image[..., :3].std() > 0.02, f"{path} looks blank"
    return image.shape[:2]


def draw_all(camp: dict, folder) -> dict:
    out = {name: folder / f"{name}.png" for name in FIGURES}
    plots.plot_traces(camp["runs"], camp["traces"], camp["spikes"], out["traces"])
    plots.plot_peak_vs_limit(camp["runs"], out["peak_vs_limit"])
    plots.plot_stability(camp["runs"], camp["variance"], out["stability"], 5.0)
    plots.plot_spikes(camp["spikes"], camp["runs"], out["spikes"])
    plots.plot_thresholds(camp["thresholds"], out["thresholds"])
    return {name: png_shape(path) for name, path in out.items()}


@pytest.fixture(scope="module")
def campaign():
    return make_campaign()


def test_full_campaign_figures_have_expected_size(campaign, tmp_path):
    shapes = draw_all(campaign, tmp_path)
    assert all(width == WIDTH_PX for _, width in shapes.values())
    # 3 limits x 2 models + 3 threshold runs = 9 panels in 3 columns
    assert shapes["traces"][0] == px(0.9 + 2.45 * 3)
    assert shapes["peak_vs_limit"][0] == px(4.8)
    assert shapes["stability"][0] == px(4.6)
    assert shapes["spikes"][0] == px(5.4)
    assert shapes["thresholds"][0] == px(3.7)


def test_single_run_without_thresholds_or_spikes(tmp_path):
    camp = make_campaign(limits=(500,), models=("auto",), repeats=1, thresholds=(), failures=False)
    camp["spikes"] = camp["spikes"].iloc[:0]
    shapes = draw_all(camp, tmp_path)
    assert shapes["traces"][0] == px(0.9 + 2.45)
    assert shapes["thresholds"] == (MESSAGE_PX, WIDTH_PX)  # "No thresholds configured."
    assert shapes["spikes"] == (MESSAGE_PX, WIDTH_PX)  # "No spikes detected ..."
    assert shapes["stability"][1] == WIDTH_PX  # one repeat: CV unknown, still drawn


def test_every_run_failed_with_empty_traces(tmp_path):
    camp = make_campaign(limits=(100, 200), models=("4M/8M/4M",), repeats=2, thresholds=())
    runs = camp["runs"]
    runs["status"] = "failed"
    for col in ("peak_mb", "peak_rss_mb", "hwm_mb", "peak_capture", "over_budget"):
        runs[col] = np.nan
    camp["traces"] = {d: t.iloc[:0] for d, t in camp["traces"].items()}
    camp["spikes"] = pd.DataFrame(columns=SUMMARY_SPIKE_COLUMNS)
    camp["variance"] = camp["variance"].assign(
        n=0, n_failed=2, mean_peak_mb=np.nan, cv_percent=np.nan
    )
    shapes = draw_all(camp, tmp_path)
    assert shapes["peak_vs_limit"] == (MESSAGE_PX, WIDTH_PX)  # "No run has a peak RSS."
    assert shapes["traces"][1] == WIDTH_PX


def test_many_limits_models_and_ten_repeats(tmp_path):
    limits = (100, 200, 300, 400, 500, 600, 700)
    camp = make_campaign(limits=limits, models=("2M/2M/2M", "4M/8M/4M", "8M/8M/8M"), repeats=10)
    shapes = draw_all(camp, tmp_path)
    panels = 7 * 3 + 3
    assert shapes["traces"][0] == px(1.15 + 2.45 * math.ceil(panels / 3))  # 2 legend rows


def test_empty_tables_still_write_messages(tmp_path):
    empty = pd.DataFrame()
    plots.plot_traces(empty, {}, empty, tmp_path / "t.png")
    plots.plot_peak_vs_limit(empty, tmp_path / "p.png")
    plots.plot_stability(empty, empty, tmp_path / "s.png")
    plots.plot_spikes(empty, empty, tmp_path / "k.png")
    plots.plot_thresholds(empty, tmp_path / "h.png")
    for name in "tpskh":
        assert png_shape(tmp_path / f"{name}.png") == (MESSAGE_PX, WIDTH_PX)


def test_failing_threshold_and_dollar_in_reported_config(campaign, tmp_path):
    th = campaign["thresholds"].copy()
    th.loc[0, ["reported_config", "verdict"]] = ["$weird$ {config", "FAIL"]
    th.loc[1, ["reported_config", "verdict", "peak_mb"]] = [np.nan, "FAIL", np.nan]
    plots.plot_thresholds(th, tmp_path / "th.png")
    assert png_shape(tmp_path / "th.png")[1] == WIDTH_PX


def test_downsample_keeps_the_peak_of_every_bucket():
    t = np.linspace(0, 90, 18000)
    v = np.full_like(t, 100.0)
    v[12345] = 900.0  # a one-sample spike
    ts, vs = plots.downsample_max(t, v, buckets=600)
    assert len(vs) <= 600
    assert vs.max() == 900.0 and ts[vs.argmax()] == t[12345]
    short_t, short_v = plots.downsample_max(t[:50], v[:50])
    assert len(short_v) == 50


def test_traces_are_paired_with_runs_by_folder(tmp_path):
    for rep in (1, 2):
        folder = tmp_path / "results" / "runs" / "10MB" / "auto" / f"rep{rep}"
        folder.mkdir(parents=True)
        (folder / "trace.csv").write_text(f"time_s,vmrss_kb\n0.0,{rep}000\n")
    stray = tmp_path / "elsewhere" / "trace.csv"
    stray.parent.mkdir()
    stray.write_text("time_s,vmrss_kb\n")
    run_dirs = [str(tmp_path / "results/runs/10MB/auto" / f"rep{r}") + "/" for r in (2, 1)]
    paths = sorted((tmp_path / "results").rglob("trace.csv")) + [stray]
    traces = plots.load_traces(paths, run_dirs)
    assert set(traces) == set(run_dirs)
    assert traces[run_dirs[0]]["vmrss_kb"].iloc[0] == 2000


def test_read_table_keeps_words_that_look_like_na(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("reported_config,peak_rss_mb\nNone,\nNA,1.5\n")
    table = plots.read_table(path)
    assert list(table["reported_config"]) == ["None", "NA"]
    assert table["peak_rss_mb"].isna().tolist() == [True, False]


def test_main_reads_the_results_layout(tmp_path, monkeypatch):
    paths = write_campaign(make_campaign(), tmp_path)
    monkeypatch.chdir(tmp_path)
    outputs = {name: tmp_path / "results" / "plots" / f"{name}.png" for name in FIGURES}
    outputs["traces"].parent.mkdir(parents=True)
    log = tmp_path / "plots.log"
    plots.main(paths, outputs, cv_warn_percent=5, log_path=log)
    for path in outputs.values():
        assert png_shape(path)[1] == WIDTH_PX
    assert "21 runs, 21 traces" in log.read_text()
