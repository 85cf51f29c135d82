"""The HTML report: verdicts first (from verdicts.csv), every figure embedded, data escaped."""

import base64
import io
import re
from pathlib import Path

import matplotlib.image as mpimg
import pytest

import plots
import report.page
from fixtures_report import make_campaign, read_tables, stage_paths, write_campaign
from workflow_helpers import render_caption

CONFIG = {
    "solver": {"command": "python scripts/demo_solver.py --tag <b>bold</b>", "env": {}},
    "grid": {"memory_limits_mb": [64, 323, 1005], "repeats": 3},
    "spikes": {"rate_threshold_mb_s": 500, "window_s": 1.0, "min_increase_mb": 20},
    "variance": {"cv_warn_percent": 5, "mad_threshold": 3.5},
    "thresholds": [{"memory_mb": 1000, "bucket_model": "auto"}],
}
DRAWN = plots.drawn(CONFIG)  # no searches: their figure is in a section of its own
DATA_URI = re.compile(r'<img src="data:image/png;base64,([A-Za-z0-9+/=]+)"')
REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def pngs(tmp_path_factory):
    """Small real PNGs, one per figure (drawing the real figures is test_figures' job)."""
    import matplotlib.pyplot as plt

    folder = tmp_path_factory.mktemp("figures")
    paths = {}
    for i, name in enumerate(DRAWN):
        fig = plt.figure(figsize=(4, 2 + i * 0.1), dpi=50)
        fig.text(0.5, 0.5, name)
        paths[name] = folder / f"{name}.png"
        fig.savefig(paths[name])
        plt.close(fig)
    return paths


def build(camp, pngs, root, config=CONFIG):
    data = read_tables(write_campaign(camp, root))
    return report.page.build_report(data, pngs, config, "0.1.0", root=root)


@pytest.fixture(scope="module")
def page(pngs, fixture_campaign):
    data = read_tables(fixture_campaign)
    return report.page.build_report(data, pngs, CONFIG, "0.1.0", root=fixture_campaign["root"])


def section(page, name):
    return page.split(f'<section id="{name}">')[1].split("</section>")[0]


def test_opens_with_the_verdicts(page):
    sections = re.findall(r'<section id="(\w+)">', page)
    assert sections == ["verdicts", "figures", "tables", "config", "environment"]
    verdicts = section(page, "verdicts")
    assert 'data-level="fail"' in verdicts and "1 check failed" in verdicts
    for title in ("Threshold checks", "Runs that did not finish", "Over budget", "Unstable",
                  "Low peak capture", "Processes left behind"):  # fmt: skip
        assert title in verdicts
    assert "3 of 21 runs" in verdicts
    assert "default · 1005 MB · 4M/8M/4M: CV 10.32% over 3 ok runs" in verdicts
    assert "default · 323 MB · 4M/8M/4M · rep 1: sampled peak is 0.850" in verdicts


def test_every_figure_is_embedded_as_a_decodable_png_with_its_caption(page, pngs):
    payloads = DATA_URI.findall(page)
    assert len(payloads) == len(DRAWN) == page.count("<img ")
    for payload, path in zip(payloads, pngs.values(), strict=True):
        data = base64.b64decode(payload, validate=True)
        assert data == path.read_bytes()
        assert mpimg.imread(io.BytesIO(data), format="png").shape[0] > 0
    assert "http://" not in page and "https://" not in page  # nothing to fetch
    # the caption Snakemake's report shows, rendered with the config
    assert "an increase of at least\n20 MB within 1.0 s" in section(page, "figures")


def test_planted_script_is_text_not_markup(page):
    assert "<script>window.PWNED" not in page
    assert page.count("<script>") == 1  # the report's own image check, nothing else
    escaped = "&lt;script&gt;window.PWNED=1&lt;/script&gt;"
    assert page.count(escaped) >= 2  # the reported config in the runs table and the log tail
    assert "&lt;b&gt;bold&lt;/b&gt;" in page and "<b>bold</b>" not in page  # the config


def test_failed_runs_show_the_tail_of_their_solver_log(page):
    tail = page.split("last lines of results/runs/default/64MB/4M-8M-4M/rep3/solver.log")[1]
    tail = tail.split("</pre>")[0]
    assert "step 29: filling" in tail and "step 11: filling" in tail
    assert "step 10: filling" not in tail  # only the last 20 lines
    assert "rep2/solver.log" in page and "1005MB/8M-8M-8M/rep1/solver.log" in page


def test_tables_right_align_numbers_and_mark_rows_by_their_verdict(page):
    tables = section(page, "tables")
    for heading in ("Runs", "Limit compliance", "Variance of the peak", "Largest spikes"):
        assert f"<h3>{heading}</h3>" in tables
    assert '<th class="num">peak MB</th>' in tables
    assert re.search(r'<td class="num">\d+\.\d</td>', tables)
    runs_table = tables.split("<h3>Limit compliance</h3>")[0]
    assert runs_table.count('<tr class="bad">') == 3  # failed, timeout, oom
    assert tables.count('<tr class="hot">') >= 2 + 4  # 2 unstable, 4 over-budget configurations
    assert "cgroup peak MB" not in tables  # no run was enforced: the column is left out


def test_environment_and_config(page):
    env = section(page, "environment")
    for text in ("0.1.0", "node-7", "6.1.0-28-amd64", "1.0.0"):
        assert text in env
    assert "memory_limits_mb:\n  - 64" in section(page, "config")


def test_clean_campaign_passes(pngs, tmp_path):
    page = build(make_campaign(limits=(2000, 3000), repeats=2, failures=False), pngs, tmp_path)
    assert 'data-level="ok"' in page and "All checks passed" in page
    assert "<title>memsweep report · PASS</title>" in page


def test_the_page_level_is_the_verdicts_level_not_a_search_of_the_page(pngs, tmp_path):
    camp = make_campaign(limits=(2000,), repeats=2, failures=False)
    data = read_tables(write_campaign(camp, tmp_path))
    found = data["verdicts"]
    found.loc[found.index[0], ["level", "message"]] = ["fail", "planted FAIL"]
    page = report.page.build_report(data, pngs, CONFIG, "0.1.0", root=tmp_path)
    verdicts = section(page, "verdicts")
    assert 'data-level="fail"' in verdicts and "Failed: Threshold checks" in verdicts
    assert "planted FAIL" in verdicts
    assert "<title>memsweep report · FAIL</title>" in page


def test_no_thresholds_no_spikes_and_a_missing_figure(pngs, tmp_path):
    camp = make_campaign(limits=(2000,), repeats=1, thresholds=(), failures=False)
    camp["traces"] = {k: t.assign(vmrss_kb=1000) for k, t in camp["traces"].items()}
    page = build(camp, {k: v for k, v in pngs.items() if k != "spikes"}, tmp_path)
    assert "No thresholds configured." in page and "No spikes detected." in page
    assert "The figure spikes is missing or not a PNG." in page
    assert len(DATA_URI.findall(page)) == len(DRAWN) - 1


def test_main_reads_the_summary_files(pngs, fixture_campaign, tmp_path, monkeypatch):
    monkeypatch.chdir(fixture_campaign["root"])
    out = tmp_path / "report.html"
    table_paths = stage_paths(fixture_campaign)
    report.page.main(table_paths, pngs, out, CONFIG, "0.1.0")
    page = out.read_text()
    assert len(DATA_URI.findall(page)) == len(DRAWN)
    assert "step 29: filling" in page  # run_dir resolved from the working directory
    assert "outlier repeat(s) 2<" in page  # read as text, not as the float 2.0


CAPTIONS = ["workflow", "report", "runs", "variance", "spikes_table", "thresholds_table",
            "verdicts"] + [f"figures/{name}" for name in plots.FIGURES]  # fmt: skip


@pytest.mark.parametrize("thresholds", [True, False], ids=["thresholds", "no-thresholds"])
def test_captions_render_as_snakemake_does(thresholds):
    """Jinja (with Snakemake's options, but strict) then reStructuredText, without an error."""
    import campaign.config

    config = campaign.config.load(
        campaign.config.read_config_file(campaign.config.DEFAULT_CONFIG), cwd=REPO
    )
    if not thresholds:
        config["thresholds"] = []
    for name in CAPTIONS:
        assert len(render_caption(name, config)) > 200, name
