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
import plots
import pytest
import report
from fixtures_report import make_campaign, write_campaign

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
def rendered(tmp_path_factory):
    """A report built from a fixture campaign with the real figures, as Chromium sees it."""
    root = tmp_path_factory.mktemp("campaign")
    camp = make_campaign()
    paths = write_campaign(camp, root)
    figures = {name: root / f"{name}.png" for name in report.FIGURES}
    plots.plot_traces(camp["runs"], camp["traces"], camp["spikes"], figures["traces"])
    plots.plot_peak_vs_limit(camp["runs"], figures["peak_vs_limit"])
    plots.plot_stability(camp["runs"], camp["variance"], figures["stability"], 5.0)
    plots.plot_spikes(camp["spikes"], camp["runs"], figures["spikes"])
    plots.plot_thresholds(camp["thresholds"], figures["thresholds"])
    page = report.build_report(
        *(report.read_table(paths[n]) for n in ("runs", "variance", "spikes", "thresholds")),
        figures,
        {"grid": {"repeats": 3}},
        "0.1.0",
        root=root,
    )
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
    assert images_loaded(rendered["dom"]) == f"{len(report.FIGURES)}/{len(report.FIGURES)}"


def test_every_embedded_image_is_a_valid_png(rendered):
    uris = re.findall(r'src="data:image/png;base64,([^"]+)"', rendered["page"])
    assert len(uris) == len(report.FIGURES)
    for payload in uris:
        image = mpimg.imread(io.BytesIO(base64.b64decode(payload)), format="png")
        assert image.shape[1] == int(plots.WIDTH_IN * plots.DPI)


def test_planted_script_did_not_become_an_element(rendered):
    assert "window.PWNED" in rendered["dom"]  # it is on the page, as text
    scripts = re.findall(r"<script>(.*?)</script>", rendered["dom"], flags=re.S)
    assert len(scripts) == 1 and "PWNED" not in scripts[0]


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
    n = len(report.FIGURES)
    assert images_loaded(dom) == f"{n - 1}/{n}"
