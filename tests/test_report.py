"""The HTML report: verdicts first, every figure embedded, data escaped, tables and environment."""

import base64
import io
import re

import matplotlib.image as mpimg
import pandas as pd
import pytest
import report
from fixtures_report import PLANTED, make_campaign, write_campaign

CONFIG = {
    "solver": {"command": "python scripts/demo_solver.py --tag <b>bold</b>", "env": {}},
    "grid": {"memory_limits_mb": [64, 323, 1005], "repeats": 3},
    "thresholds": [{"memory_mb": 1000, "bucket_model": "auto"}],
}
DATA_URI = re.compile(r'<img src="data:image/png;base64,([A-Za-z0-9+/=]+)"')


@pytest.fixture(scope="module")
def figures(tmp_path_factory):
    """Five small real PNGs (drawing the real figures is test_plots' job)."""
    import matplotlib.pyplot as plt

    folder = tmp_path_factory.mktemp("figures")
    paths = {}
    for i, name in enumerate(report.FIGURES):
        fig = plt.figure(figsize=(4, 2 + i * 0.1), dpi=50)
        fig.text(0.5, 0.5, name)
        paths[name] = folder / f"{name}.png"
        fig.savefig(paths[name])
        plt.close(fig)
    return paths


def build(camp, figures, root, **kw):
    return report.build_report(
        camp["runs"],
        camp["variance"],
        camp["spikes"],
        camp["thresholds"],
        figures,
        kw.pop("config", CONFIG),
        "0.1.0",
        root=root,
        **kw,
    )


@pytest.fixture(scope="module")
def page(figures, tmp_path_factory):
    camp = make_campaign()
    root = tmp_path_factory.mktemp("campaign")
    write_campaign(camp, root)
    return build(camp, figures, root)


def test_opens_with_the_verdicts(page):
    sections = re.findall(r'<section id="(\w+)">', page)
    assert sections == ["verdicts", "figures", "tables", "config", "environment"]
    verdicts = page.split('<section id="verdicts">')[1].split("</section>")[0]
    assert 'data-level="fail"' in verdicts and "1 check failed" in verdicts
    for title in (
        "Threshold checks",
        "Runs that did not finish",
        "Over budget",
        "Unstable",
        "Low peak capture",
    ):
        assert title in verdicts
    assert "1 failed, 1 timeout, 1 oom of 21 runs" in verdicts
    assert "1005 MB · 4M/8M/4M: CV 1" in verdicts  # the planted outlier
    assert "323 MB · 4M/8M/4M · rep 1: sampled peak is 0.848" in verdicts


def test_every_figure_is_embedded_as_a_decodable_png(page, figures):
    payloads = DATA_URI.findall(page)
    assert len(payloads) == len(report.FIGURES) == page.count("<img ")
    for payload, path in zip(payloads, figures.values(), strict=True):
        data = base64.b64decode(payload, validate=True)
        assert data == path.read_bytes()
        assert mpimg.imread(io.BytesIO(data), format="png").shape[0] > 0
    assert "http://" not in page and "https://" not in page  # nothing to fetch


def test_planted_script_is_text_not_markup(page):
    assert "<script>window.PWNED" not in page
    assert page.count("<script>") == 1  # the report's own image check, nothing else
    escaped = "&lt;script&gt;window.PWNED=1&lt;/script&gt;"
    assert page.count(escaped) >= 2  # the reported config in the runs table and the log tail
    assert "&lt;b&gt;bold&lt;/b&gt;" in page and "<b>bold</b>" not in page  # the config


def test_failed_runs_show_the_tail_of_their_solver_log(page):
    tail = page.split("last lines of results/runs/64MB/4M-8M-4M/rep3/solver.log")[1]
    tail = tail.split("</pre>")[0]
    assert "step 29: filling" in tail and "step 11: filling" in tail
    assert "step 10: filling" not in tail  # only the last 20 lines
    assert "rep2/solver.log" in page and "1005MB/8M-8M-8M/rep1/solver.log" in page


def test_tables_right_align_numbers_and_mark_bad_rows(page):
    tables = page.split('<section id="tables">')[1]
    for heading in ("Runs", "Limit compliance", "Variance of the peak", "Largest spikes"):
        assert f"<h3>{heading}</h3>" in tables
    assert '<th class="num">peak MB</th>' in tables
    assert re.search(r'<td class="num">\d+\.\d</td>', tables)
    assert tables.count('<tr class="bad">') >= 3  # failed, timeout, oom
    assert "cgroup peak MB" not in tables  # no run was enforced: the column is left out


def test_environment_and_config(page):
    env = page.split('<section id="environment">')[1]
    for text in ("0.1.0", "node-7", "6.1.0-28-amd64", "1.0.0"):
        assert text in env
    config = page.split('<section id="config">')[1].split("</section>")[0]
    assert "memory_limits_mb: [64, 323, 1005]" in config


def test_clean_campaign_passes(figures, tmp_path):
    camp = make_campaign(limits=(2000, 3000), repeats=2, failures=False)
    page = build(camp, figures, tmp_path)
    assert 'data-level="ok"' in page and "All checks passed" in page
    assert "<title>memsweep report · PASS</title>" in page


def test_failed_threshold_fails_the_page(figures, tmp_path):
    camp = make_campaign(limits=(2000,), repeats=2, failures=False)
    camp["thresholds"].loc[1, ["reported_config", "verdict"]] = ["4M/8M/4M", "FAIL"]
    page = build(camp, figures, tmp_path)
    verdicts = page.split('<section id="verdicts">')[1].split("</section>")[0]
    assert "Failed: Threshold checks" in verdicts and "0 of 1 passed" in verdicts
    assert "1000 MB → 4M/8M/4M <span class='na'>(expected 8M/8M/8M)</span>" in verdicts


def test_no_thresholds_no_spikes_and_a_missing_figure(figures, tmp_path):
    camp = make_campaign(limits=(2000,), repeats=1, thresholds=(), failures=False)
    camp["thresholds"] = pd.DataFrame()
    camp["spikes"] = camp["spikes"].iloc[:0]
    page = build(camp, {k: v for k, v in figures.items() if k != "spikes"}, tmp_path)
    assert "No thresholds configured." in page and "No spikes detected." in page
    assert "The figure spikes is missing or not a PNG." in page
    assert len(DATA_URI.findall(page)) == 4


def test_main_reads_the_summary_files(figures, tmp_path, monkeypatch):
    paths = write_campaign(make_campaign(), tmp_path)
    monkeypatch.chdir(tmp_path)
    out, log = tmp_path / "results" / "report.html", tmp_path / "report.log"
    inputs = {**paths, "plots": [str(p) for p in figures.values()]}
    report.main(inputs, out, CONFIG, "0.1.0", cv_warn_percent=5, capture_warn=0.9, log_path=log)
    page = out.read_text()
    assert len(DATA_URI.findall(page)) == 5
    assert "step 29: filling" in page  # run_dir resolved from the working directory
    assert "outlier repeat(s) 2<" in page  # read as text, not as the float 2.0
    assert "21 runs" in log.read_text()


def test_read_table_keeps_solver_text_verbatim(tmp_path):
    path = tmp_path / "runs.csv"
    path.write_text("limit_mb,reported_config,peak_rss_mb\n1,None,\n2,1e3,5\n3,,7\n")
    table = report.read_table(path)
    assert table["reported_config"].tolist()[:2] == ["None", "1e3"]
    assert table["reported_config"].isna().tolist() == [False, False, True]
    assert PLANTED not in report.esc(PLANTED)


CAPTIONS = [
    "workflow", "report", "traces", "peak_vs_limit", "stability", "spikes", "thresholds_plot",
    "runs", "variance", "spikes_table", "thresholds_table",
]  # fmt: skip


@pytest.mark.parametrize("thresholds", [True, False], ids=["thresholds", "no-thresholds"])
def test_captions_render_as_snakemake_does(thresholds):
    """Jinja (with Snakemake's options, but strict) then reStructuredText, without an error."""
    from pathlib import Path

    import yaml
    from docutils.core import publish_parts
    from jinja2 import Environment, StrictUndefined

    repo = Path(__file__).resolve().parents[1]
    config = yaml.safe_load((repo / "config" / "config.yaml").read_text())
    if not thresholds:
        config["thresholds"] = []
    params = {
        "cv_warn_percent": 5,
        "capture_warn": 0.9,
        "mad_threshold": 3.5,
        "thresholds": config["thresholds"],
    }
    snakemake = type("Snakemake", (), {"config": config, "params": type("P", (), params)})
    env = Environment(trim_blocks=True, lstrip_blocks=True, undefined=StrictUndefined)
    for name in CAPTIONS:
        text = (repo / "workflow" / "report" / f"{name}.rst").read_text()
        rendered = env.from_string(text).render(snakemake=snakemake)
        assert "{{" not in rendered and "{%" not in rendered
        html = publish_parts(rendered, writer="html", settings_overrides={"halt_level": 2})
        assert len(html["body"]) > 200, name
