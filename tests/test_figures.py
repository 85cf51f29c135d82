"""Each figure of the registry draws a readable PNG of the expected size for any campaign shape."""

from __future__ import annotations

import math
from pathlib import Path

import matplotlib.image as mpimg
import numpy as np
import pandas as pd
import pytest

import digest
import draw_figure
import figures
import tables
import verdicts
from figures import style
from figures import traces as traces_figure
from fixtures_report import make_campaign, read_tables, stage_paths, write_campaign

WIDTH_PX = int(style.WIDTH_IN * style.DPI)
MESSAGE_PX = int(2.2 * style.DPI)
SETTINGS = {"cv_warn_percent": 5.0}
REPO = Path(__file__).resolve().parents[1]


def px(inches: float) -> int:
    """Pixels matplotlib gives a figure dimension (it truncates)."""
    return int(inches * style.DPI + 1e-9)


def png_shape(path) -> tuple[int, int]:
    """(height, width) of a PNG that decodes and is not a blank canvas."""
    image = mpimg.imread(path)
    assert image.ndim == 3 and image[..., :3].std() > 0.02, f"{path} looks blank"
    return image.shape[:2]


def draw_all(camp: dict, folder: Path, monkeypatch) -> dict:
    """Write the campaign under folder and draw every figure as the figure rule does."""
    paths = write_campaign(camp, folder)
    monkeypatch.chdir(folder)
    shapes = {}
    for name in figures.drawn({}):  # a campaign without searches
        out = folder / f"{name}.png"
        draw_figure.main(name, stage_paths(paths), SETTINGS, out)
        shapes[name] = png_shape(out)
    return shapes


def test_the_registry_is_complete():
    for name, spec in figures.FIGURES.items():
        assert spec.name == name
        assert (REPO / figures.CAPTION.format(name=name)).is_file(), name
        assert (REPO / "scripts" / "figures" / f"{name}.py").is_file(), name
        assert set(spec.tables) <= set(tables.BY_NAME)
        config = {"variance": {"cv_warn_percent": 5}}
        assert set(figures.settings_of(name, config)) <= {"cv_warn_percent"}


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
    focus = verdicts.focus(data["runs"], data["variance"])
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
    figures.draw("overview", data, SETTINGS, tmp_path / "o.png")
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
    for name in figures.FIGURES:
        out = tmp_path / f"{name}.png"
        figures.draw(name, data, SETTINGS, out)
        assert png_shape(out) == (MESSAGE_PX, WIDTH_PX), name


def test_failing_threshold_and_dollar_in_reported_config(tmp_path):
    data = read_tables(write_campaign(make_campaign(), tmp_path))
    th = data["thresholds"]
    th.loc[0, ["reported_config", "verdict"]] = ["$weird$ {config", "FAIL"]
    th.loc[1, ["reported_config", "verdict", "peak_mb"]] = [None, "FAIL", None]
    figures.draw("thresholds", data, SETTINGS, tmp_path / "th.png")
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
