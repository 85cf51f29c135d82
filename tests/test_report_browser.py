"""The report in a real browser: headless Chromium loads every figure and paints a real page.

Needs Debian's `chromium` package (.ci/run installs it). Without it this test fails, on purpose:
a report nobody has seen rendered is not tested.
"""

import base64
import io
import os
import re
import shutil
import signal
import subprocess

import matplotlib.image as mpimg
import numpy as np
import pytest

import plots
import report.page
from fixtures_report import read_tables

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--hide-scrollbars",
]
WINDOW = (1280, 2200)


def chromium() -> str:
    path = shutil.which("chromium") or (
        "/usr/bin/chromium" if os.path.exists("/usr/bin/chromium") else None
    )
    if path is None:
        pytest.fail(
            "Chromium is not installed: this test renders the report in a real browser. "
            "Install Debian's package with `apt-get install -y chromium` (.ci/run does)."
        )
    return path


def run_chromium(args: list[str], profile, timeout: float = 90) -> str:
    """Run headless Chromium with a fresh profile; kill its whole process group on a timeout."""
    cmd = [chromium(), *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args]
    proc = subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True
    )
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        pytest.fail(f"chromium did not finish within {timeout} s: {' '.join(cmd)}")
    assert proc.returncode == 0, f"chromium exited {proc.returncode}: {err[-2000:]}"
    return out


@pytest.fixture(scope="module")
def rendered(fixture_campaign, fixture_figures, tmp_path_factory):
    """A report built from the fixture campaign with its real figures, as Chromium sees it."""
    root = tmp_path_factory.mktemp("browser")
    config = {"grid": {"repeats": 3}, "variance": {"cv_warn_percent": 5, "mad_threshold": 3.5},
              "spikes": {"min_increase_mb": 20, "window_s": 1.0}}  # fmt: skip
    page = report.page.build_report(
        read_tables(fixture_campaign), fixture_figures["pngs"], config, "0.1.0",
        root=fixture_campaign["root"], digest_path=fixture_campaign["digest"],
    )  # fmt: skip
    html_path = root / "report.html"
    html_path.write_text(page, encoding="utf-8")
    url = html_path.as_uri()
    dom = run_chromium(["--virtual-time-budget=10000", "--dump-dom", url], root / "profile-dom")
    shot = root / "screenshot.png"
    size = f"--window-size={WINDOW[0]},{WINDOW[1]}"
    run_chromium([size, f"--screenshot={shot}", url], root / "profile-shot")
    return {"page": page, "dom": dom, "shot": shot, "root": root}


def images_loaded(dom: str) -> str:
    match = re.search(r'<body[^>]*data-images-loaded="([^"]*)"', dom)
    assert match, "the report's image check did not run: " + dom[:300]
    return match.group(1)


def test_every_image_loaded_in_chromium(rendered):
    n = len(plots.drawn({}))
    assert images_loaded(rendered["dom"]) == f"{n}/{n}"


def test_every_embedded_image_is_a_figure_drawn(rendered, fixture_figures):
    uris = re.findall(r'<img src="data:image/png;base64,([^"]+)"', rendered["page"])
    pngs = fixture_figures["pngs"]
    assert [base64.b64decode(u) for u in uris] == [p.read_bytes() for p in pngs.values()]
    for payload in uris:
        image = mpimg.imread(io.BytesIO(base64.b64decode(payload)), format="png")
        assert image.ndim == 3 and image[..., :3].std() > 0.02  # decodes, not blank


def test_planted_script_did_not_become_an_element(rendered):
    assert "window.PWNED" in rendered["dom"]  # it is on the page, as text
    scripts = re.findall(r"<script[^>]*>(.*?)</script>", rendered["dom"], flags=re.S)
    assert len(scripts) == 5  # image check, explorer data and metadata, Plotly, the explorer
    assert not any("PWNED" in script for script in scripts)


def test_the_explorer_drew_a_configuration_that_matters(rendered):
    match = re.search(r'<div id="explorer"[^>]*>', rendered["dom"])
    assert match, "no explorer on the page"
    tag = match.group(0)
    assert 'data-state="ready"' in tag, tag
    assert 'data-shown="64 MB · 4M/8M/4M"' in tag, tag  # the first configuration that matters
    charts = rendered["dom"].split('id="explore-traces"')[1]
    assert "main-svg" in charts  # Plotly drew it
    assert rendered["dom"].count("<option") == 9  # 3 limits x 2 models + 3 threshold runs


def test_screenshot_is_a_painted_page(rendered):
    image = mpimg.imread(rendered["shot"])[..., :3]
    assert image.shape[:2] == (WINDOW[1], WINDOW[0])
    assert image.std() > 0.1, "the screenshot is (nearly) one colour"
    q = (image * 31).round().astype(np.int32)  # 5 bits per channel
    colours = np.unique(q[..., 0] * 1024 + q[..., 1] * 32 + q[..., 2])
    assert len(colours) > 200, f"only {len(colours)} distinct colours: not a rendered report"
    header = image[10:60, :].mean(axis=(0, 1))
    assert header.max() < 0.25, "the dark page header is missing (CSS not applied?)"
    fail_bg = np.array([0xFF, 0xEB, 0xE9]) / 255  # the red verdict banner
    banner = np.abs(image - fail_bg).max(axis=2) < 0.02
    assert banner.sum() > 50_000, "no red verdict banner in the first screen"


def test_a_broken_image_is_noticed(rendered):
    """Control: the in-page check really counts images that fail to decode."""
    page = rendered["page"]
    start = page.index("data:image/png;base64,") + len("data:image/png;base64,")
    broken = page[:start] + "AAAA" + page[start + 4 :]
    path = rendered["root"] / "broken.html"
    path.write_text(broken, encoding="utf-8")
    profile = rendered["root"] / "profile-broken"
    dom = run_chromium(["--virtual-time-budget=10000", "--dump-dom", path.as_uri()], profile)
    n = len(plots.drawn({}))
    assert images_loaded(dom) == f"{n - 1}/{n}"
